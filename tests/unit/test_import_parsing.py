"""Reading import files without a database: cells, headers, encodings, rows."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from shelfpilot.domain.catalog import LocationKind
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.importing import (
    SCHEMAS,
    ImportFailed,
    LotReceipt,
    RowError,
    cells,
    read_locations,
    read_lots,
    read_products,
    read_sales,
    read_table,
)
from shelfpilot.importing.schema import normalise

SHANGHAI = ZoneInfo("Asia/Shanghai")


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def messages(errors: list[RowError]) -> list[tuple[int, str | None]]:
    return [(e.row, e.column) for e in errors]


LOT_HEADER = ["门店", "商品编码", "批次号", "数量", "入库时间", "生产日期", "到期日"]


# cells -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024/5/1", date(2024, 5, 1)),
        (" 2024.05.01 ", date(2024, 5, 1)),
        ("2024年5月1日", date(2024, 5, 1)),
        ("2024-05-01 08:30", datetime(2024, 5, 1, 8, 30)),
        ("2024/5/1 8:30", datetime(2024, 5, 1, 8, 30)),
        ("2024-05-01T08:30:00", datetime(2024, 5, 1, 8, 30)),
        ("2024-05-01 08:30:15.5", datetime(2024, 5, 1, 8, 30, 15, 500000)),
        ("2024-05-01T08:30:00+08:00", datetime(2024, 5, 1, 8, 30, tzinfo=SHANGHAI)),
        ("2024-05-01T00:30:00Z", datetime(2024, 5, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_dates_and_times_in_the_formats_shops_type(text: str, expected: date) -> None:
    found = cells.day_or_moment(text)
    assert found == expected
    assert type(found) is type(expected)
    if isinstance(expected, datetime):
        assert isinstance(found, datetime)
        assert found.utcoffset() == expected.utcoffset()


def test_an_offset_is_kept() -> None:
    found = cells.moment("2024-05-01 08:30-05:00")
    assert found.utcoffset() == timedelta(hours=-5)
    assert found.astimezone(UTC) == datetime(2024, 5, 1, 13, 30, tzinfo=UTC)


def test_a_bare_date_is_midnight_when_a_moment_is_needed() -> None:
    assert cells.moment("2024/5/1") == datetime(2024, 5, 1, 0, 0)
    assert cells.moment(date(2024, 5, 1)) == datetime(2024, 5, 1, 0, 0)


def test_excel_and_parquet_date_values_pass_through() -> None:
    assert cells.day_or_moment(datetime(2024, 5, 1, 8, 30)) == datetime(2024, 5, 1, 8, 30)
    assert cells.day_or_moment(date(2024, 5, 1)) == date(2024, 5, 1)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2024-02-30", "not a real date"),
        ("2024-05-01 25:00", "not a real date"),
        ("tomorrow", "is not a date"),
        ("05/01/2024", "is not a date"),
        (45413, "is a number, not a date"),
        ("2024-05-01 08:00+25:00", "UTC offset"),
    ],
)
def test_bad_dates_say_how_to_write_them(value: object, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment):
        cells.day_or_moment(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("¥1,234.50", Decimal("1234.50")),
        ("12.5元", Decimal("12.5")),
        (3, Decimal(3)),
        (1.25, Decimal("1.25")),
        (0.1, Decimal("0.1")),
        (Decimal("7.125"), Decimal("7.125")),
    ],
)
def test_numbers_are_exact(value: object, expected: Decimal) -> None:
    found = cells.decimal(value)
    assert found == expected
    assert found.as_tuple() == expected.as_tuple()


@pytest.mark.parametrize("value", ["abc", "1.2.3", "", "NaN", True, date(2024, 5, 1)])
def test_bad_numbers(value: object) -> None:
    with pytest.raises(InvalidValue):
        cells.decimal(value)


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100000), places=3))
def test_a_float_from_a_spreadsheet_gives_back_the_decimal_it_shows(amount: Decimal) -> None:
    assert cells.positive_quantity(float(amount)) == amount


def test_quantities_must_be_above_zero_with_at_most_three_places() -> None:
    assert cells.positive_quantity("1.25") == Decimal("1.250")
    with pytest.raises(InvalidValue, match="above zero"):
        cells.positive_quantity("0")
    with pytest.raises(InvalidValue, match="above zero"):
        cells.positive_quantity("-2")
    with pytest.raises(InvalidValue, match="more than 3 decimal places"):
        cells.positive_quantity("1.2345")
    assert cells.counted_quantity("0") == Decimal("0.000")
    with pytest.raises(InvalidValue, match="cannot be negative"):
        cells.counted_quantity("-1")


def test_codes_typed_as_numbers_read_as_text() -> None:
    assert cells.text(1001) == "1001"
    assert cells.text(1001.0) == "1001"
    assert cells.text(" A-1 ") == "A-1"


def test_shelf_life_and_location_kinds() -> None:
    assert cells.duration("1.5", timedelta(days=1)) == timedelta(hours=36)
    assert cells.duration(36, timedelta(hours=1)) == timedelta(hours=36)
    with pytest.raises(InvalidValue, match="above zero"):
        cells.duration("0", timedelta(days=1))
    assert cells.location_kind("门店") is LocationKind.STORE
    assert cells.location_kind("Warehouse") is LocationKind.WAREHOUSE
    with pytest.raises(InvalidValue, match="brand, distributor, store or warehouse"):
        cells.location_kind("shop")


# headers ---------------------------------------------------------------------------
def test_aliases_are_unambiguous_within_each_kind() -> None:
    for kind, columns in SCHEMAS.items():
        names = [normalise(n) for c in columns for n in c.names]
        assert len(names) == len(set(names)), kind


def test_headers_match_ignoring_case_space_and_full_width_brackets(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            [" SKU ", "商品名称", "Category", "UNIT", "List Price", "unit-cost", "保质期（天）"],
            ["BR1", "吐司", "bread", "个", "12.5", "5", "3"],
        ],
    )
    sheet = read_products(read_table(path))
    assert sheet.errors == []
    product = sheet.rows[0].value
    assert (product.sku, product.name_zh, product.shelf_life) == ("BR1", "吐司", timedelta(3))
    assert product.list_price.amount == Decimal("12.5")


def test_missing_required_columns_are_reported_on_row_1(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [["门店", "批次号", "入库时间"], ["S1", "L1", "2024-05-01 08:00"]],
    )
    sheet = read_lots(read_table(path))
    assert messages(sheet.errors) == [(1, "sku"), (1, "quantity")]
    assert "missing required column 'sku'" in sheet.errors[0].message
    assert "商品编码" in sheet.errors[0].message
    assert sheet.rows == []


def test_an_empty_file_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbf")
    sheet = read_lots(read_table(tmp_path / "empty.csv"))
    assert messages(sheet.errors) == [(1, None)]
    assert "the file is empty" in sheet.errors[0].message


def test_a_missing_group_of_columns_is_reported_once_not_per_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["sku", "category", "unit", "list_price", "unit_cost", "shelf_life_days"],
            ["BR1", "bread", "pc", "12", "5", "3"],
            ["BR2", "bread", "pc", "12", "5", "x"],
        ],
    )
    sheet = read_products(read_table(path))
    assert messages(sheet.errors) == [(1, "name_en"), (3, "shelf_life_days")]
    assert sheet.rows == []


def test_two_columns_for_one_field_is_an_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            ["门店", "sku", "商品编码", "数量", "销售时间"],
            ["S1", "BR1", "BR1", "1", "2024-05-01 08:00"],
        ],
    )
    sheet = read_sales(read_table(path))
    assert messages(sheet.errors) == [(1, "商品编码")]


# files and encodings ----------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["商品编码", "商品名称"], ["BR1", "全麦吐司"]],
        encoding=encoding,
    )
    table = read_table(path)
    assert table.headers == ("商品编码", "商品名称")
    assert table.rows[0].cells == ("BR1", "全麦吐司")
    assert table.rows[0].number == 2


def test_blank_rows_are_skipped_but_row_numbers_stay_true(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a"], ["1"], [""], ["3"]])
    table = read_table(path)
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1",)), (4, ("3",))]


def test_excel_dates_and_date_times(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["received", "expiry", "qty"])
    sheet.append([datetime(2024, 5, 1, 8, 30), date(2024, 5, 3), 1.25])
    sheet.append([datetime(2024, 5, 1, 0, 0), datetime(2024, 5, 4, 0, 0), 2])
    book.save(tmp_path / "x.xlsx")
    table = read_table(tmp_path / "x.xlsx")
    assert table.rows[0].cells == (datetime(2024, 5, 1, 8, 30), date(2024, 5, 3), 1.25)
    # a date-time at midnight keeps its date-time format, so it stays a date-time
    assert table.rows[1].cells == (datetime(2024, 5, 1), datetime(2024, 5, 4), 2)
    assert type(table.rows[1].cells[1]) is datetime


def test_parquet_values_keep_their_types(tmp_path: Path) -> None:
    table = pa.table(
        {
            "received_at": pa.array([datetime(2024, 5, 1, 8, 30)], pa.timestamp("ns")),
            "expiry": pa.array([date(2024, 5, 3)], pa.date32()),
            "quantity": pa.array([Decimal("1.250")], pa.decimal128(10, 3)),
            "lot": pa.array([None], pa.string()),
        }
    )
    pq.write_table(table, tmp_path / "x.parquet")
    read = read_table(tmp_path / "x.parquet")
    assert read.headers == ("received_at", "expiry", "quantity", "lot")
    received, expiry, amount, lot = read.rows[0].cells
    assert type(received) is datetime and received == datetime(2024, 5, 1, 8, 30)
    assert expiry == date(2024, 5, 3)
    assert amount == Decimal("1.250")
    assert lot is None


def test_unknown_suffix_and_bad_workbook(tmp_path: Path) -> None:
    (tmp_path / "x.xls").write_bytes(b"old excel")
    with pytest.raises(InvalidValue, match=r"\.csv, \.xlsx, \.parquet"):
        read_table(tmp_path / "x.xls")
    (tmp_path / "x.xlsx").write_text("a,b\n1,2\n")
    with pytest.raises(InvalidValue, match=r"not an Excel \.xlsx workbook"):
        read_table(tmp_path / "x.xlsx")


def test_the_same_bytes_give_the_same_digest(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [["x"], ["1"]])
    b = write_csv(tmp_path / "b.csv", [["x"], ["1"]])
    c = write_csv(tmp_path / "c.csv", [["x"], ["2"]])
    assert read_table(a).digest == read_table(b).digest != read_table(c).digest


# rows -------------------------------------------------------------------------------
def test_every_bad_cell_of_every_row_is_reported_with_its_header(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [
            LOT_HEADER,
            ["S1", "BR1", "L1", "10", "2024-05-01 08:00", "2024-05-01", "2024-05-03"],
            ["S1", "BR1", "L2", "0", "2024-13-01", "", ""],
            ["S1", "", "L3", "abc", "2024-05-01", "", ""],
            ["S1", "BR1", "L4", "-1.5", "2024-05-01", "", "soon"],
        ],
    )
    sheet = read_lots(read_table(path))
    assert messages(sheet.errors) == [
        (3, "数量"),
        (3, "入库时间"),
        (4, "商品编码"),
        (4, "数量"),
        (5, "数量"),
        (5, "到期日"),
    ]
    assert "missing value" in sheet.errors[2].message
    assert "'abc' is not a number" in sheet.errors[3].message
    assert [p.row for p in sheet.rows] == [2]
    assert all(e.file == "lots.csv" for e in sheet.errors)


def test_duplicate_lot_codes_within_a_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [
            LOT_HEADER,
            ["S1", "BR1", "L1", "10", "2024-05-01 08:00", "", ""],
            ["S2", "BR1", "L1", "10", "2024-05-01 08:00", "", ""],
            ["S1", "BR1", "L1", "5", "2024-05-01 09:00", "", ""],
        ],
    )
    sheet = read_lots(read_table(path))
    assert messages(sheet.errors) == [(4, "批次号")]
    assert "already on row 2" in sheet.errors[0].message
    assert [p.row for p in sheet.rows] == [2, 3]


def test_an_expiry_date_stays_a_date_and_fractions_stay_exact(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [LOT_HEADER, ["S1", "PORK", "L1", "1.25", "2024-05-01 08:00", "2024/5/1", "2024/5/3"]],
    )
    lot = read_lots(read_table(path)).rows[0].value
    assert lot.quantity == Decimal("1.250")
    assert lot.expiry == date(2024, 5, 3)
    assert lot.produced_at == datetime(2024, 5, 1)
    placed = lot.in_zone(SHANGHAI)
    assert placed.received_at == datetime(2024, 5, 1, 8, 0, tzinfo=SHANGHAI)
    assert placed.expiry == date(2024, 5, 3)


def test_dates_out_of_order_are_found_in_the_stores_zone() -> None:
    lot = LotReceipt(
        "S1",
        "BR1",
        "L1",
        Decimal(1),
        received_at=datetime(2024, 5, 1, 8),
        produced_at=datetime(2024, 5, 5),
        expiry=date(2024, 5, 3),
    )
    problems = lot.date_problems(SHANGHAI)
    assert [field for field, _ in problems] == ["expiry", "received_at"]
    assert "expiry 2024-05-03 is not after the production date 2024-05-05" in problems[0][1]
    same_day = LotReceipt(
        "S1",
        "BR1",
        "L1",
        Decimal(1),
        received_at=datetime(2024, 5, 1, 8, tzinfo=UTC),
        produced_at=datetime(2024, 5, 1, 6),
        expiry=date(2024, 5, 1),
    )
    assert same_day.date_problems(SHANGHAI) == []


def test_product_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["sku", "name_en", "name_zh", "category", "unit", "list_price", "unit_cost",
             "shelf_life_days", "shelf_life_hours", "gtin", "price_floor_ratio"],
            ["BR1", "Toast", "吐司", "bread", "pc", "12.50", "5", "3", "", "6901234567892", "60%"],
            ["BR2", "", "", "bread", "pc", "0", "-1", "3", "72", "12345", "2"],
            ["BR1", "Toast", "", "bread", "pc", "9", "5", "", "36", "", ""],
        ],
    )  # fmt: skip
    sheet = read_products(read_table(path))
    assert messages(sheet.errors) == [
        (3, "name_zh"),
        (3, "list_price"),
        (3, "unit_cost"),
        (3, "shelf_life_hours"),
        (3, "gtin"),
        (3, "price_floor_ratio"),
        (4, "sku"),
    ]
    product = sheet.rows[0].value
    assert product.price_floor_ratio == Decimal("0.6")
    assert product.gtin == "6901234567892"
    assert product.list_price.amount == Decimal("12.50")


def test_location_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "loc.csv",
        [
            ["编码", "名称", "类型", "上级", "时区"],
            ["B1", "品牌", "品牌", "", ""],
            ["S1", "一号店", "门店", "B1", "Asia/Urumqi"],
            ["S2", "二号店", "shop", "S2", "Mars/Base"],
        ],
    )
    sheet = read_locations(read_table(path))
    assert messages(sheet.errors) == [(4, "类型"), (4, "时区"), (4, "上级")]
    store = sheet.rows[1].value
    assert (store.kind, store.parent_code, store.timezone) == (
        LocationKind.STORE,
        "B1",
        "Asia/Urumqi",
    )
    assert sheet.rows[0].value.timezone == "Asia/Shanghai"


def test_import_failed_lists_every_problem_readably() -> None:
    failure = ImportFailed(
        [
            RowError("s.csv", 5, "数量", "quantity must be above zero, got 0"),
            RowError("s.csv", 1, "sku", "missing required column 'sku'"),
        ]
    )
    assert [e.row for e in failure.errors] == [1, 5]
    text = str(failure)
    assert "2 errors; nothing was saved" in text
    assert "s.csv, row 5, column '数量': quantity must be above zero, got 0" in text
    assert str(RowError("s.csv", 3, None, "boom")) == "s.csv, row 3: boom"


def test_the_format_guide_lists_every_column_and_alias() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "import-format.md").read_text("utf-8")
    for kind, columns in SCHEMAS.items():
        assert f"### `{kind}`" in guide
        for column in columns:
            assert f"`{column.field}`" in guide, column.field
            for alias in column.aliases:
                assert alias in guide, (kind, alias)
