"""Importing real CSV, Excel and Parquet files into a real SQLite database."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
from openpyxl import Workbook

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import LotKey
from shelfpilot.importing import ImportFailed, RowError
from shelfpilot.services import catalog
from shelfpilot.services.imports import ImportReport, import_file
from shelfpilot.services.inventory import RecordSale, SaleLine, record_sale
from shelfpilot.storage import Database
from tests.integration.api_setup import login
from tests.integration.api_setup import on_hand as api_on_hand

SHANGHAI = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")

LOCATIONS = [
    ["编码", "名称", "类型", "上级", "时区"],
    ["BRAND", "好面包", "品牌", "", ""],
    ["S1", "人民路店", "门店", "BRAND", ""],
    ["S2", "乌鲁木齐店", "门店", "BRAND", "Asia/Urumqi"],
]
PRODUCTS = [
    ["商品编码", "商品名称", "英文名称", "类别", "单位", "零售价", "成本", "保质期(天)",
     "保质期(小时)", "条码"],
    ["TOAST", "吐司", "Toast", "bread", "个", "12.50", "5.20", "5", "", "6901234567892"],
    ["PORK", "鲜猪肉", "Pork", "meat", "kg", "39.80", "28", "", "72", ""],
    ["CAKE", "蛋糕", "Cake", "cake", "个", "68", "30", "3", "", ""],
]  # fmt: skip
SUPPLIERS = [["供应商编码", "供应商名称"], ["SUP1", "城东食品厂"]]
LOT_HEADER = ["门店", "商品编码", "批次号", "数量", "入库时间", "生产日期", "到期日", "供应商"]
SALE_HEADER = ["门店", "商品编码", "数量", "销售时间", "成交价", "批次号", "小票号"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def new_db(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    db.migrate()
    return db


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    db = new_db(tmp_path / "t.db")
    yield db
    db.close()


def stock_catalogue(db: Database, folder: Path) -> None:
    """Locations, products (GBK, like a spreadsheet saved on a Chinese Windows PC)
    and suppliers, imported from files."""
    folder.mkdir(exist_ok=True)
    import_file(db, "locations", write_csv(folder / "locations.csv", LOCATIONS))
    import_file(db, "products", write_csv(folder / "products.csv", PRODUCTS, encoding="gbk"))
    import_file(db, "suppliers", write_csv(folder / "suppliers.csv", SUPPLIERS, "utf-8-sig"))


@pytest.fixture
def shop_db(empty_db: Database, tmp_path: Path) -> Database:
    stock_catalogue(empty_db, tmp_path / "catalogue")
    return empty_db


@pytest.fixture
def stocked_db(shop_db: Database, tmp_path: Path) -> Database:
    """TOAST at S1 in two lots (expiring 05-03 and 05-05); PORK 2.5 kg at S1."""
    path = write_csv(
        tmp_path / "stocked.csv",
        [
            LOT_HEADER,
            ["S1", "TOAST", "T-LATE", "10", "2024-05-01 07:00", "2024-05-01", "2024-05-05", ""],
            ["S1", "TOAST", "T-EARLY", "4", "2024-05-01 07:30", "2024-04-29", "2024-05-03", ""],
            ["S1", "PORK", "P1", "2.5", "2024-05-01 06:00", "", "", "SUP1"],
        ],
    )
    import_file(shop_db, "lots", path)
    return shop_db


def ledger(db: Database) -> list[tuple[str, str, str, str, Decimal]]:
    with db.transaction(readonly=True) as uow:
        return [
            (r.entry.lot.location_code, r.entry.lot.sku, r.entry.lot.lot_code,
             r.entry.kind.value, r.entry.quantity)
            for r in uow.stock.ledger()
        ]  # fmt: skip


def on_hand(db: Database, location: str, sku: str, lot: str) -> Decimal:
    with db.transaction(readonly=True) as uow:
        return uow.stock.on_hand(LotKey(location, sku, lot))


def operations(db: Database) -> int:
    with db.transaction(readonly=True) as uow:
        return len({r.operation_id for r in uow.stock.ledger()})


def failure(db: Database, kind: str, path: Path) -> list[tuple[str, int, str | None]]:
    with pytest.raises(ImportFailed) as caught:
        import_file(db, kind, path)
    return [(e.file, e.row, e.column) for e in caught.value.errors]


def errors_of(db: Database, kind: str, path: Path) -> list[RowError]:
    with pytest.raises(ImportFailed) as caught:
        import_file(db, kind, path)
    return caught.value.errors


# catalogue ---------------------------------------------------------------------------
def test_catalogue_from_chinese_headers_and_gbk(shop_db: Database) -> None:
    products = {p.sku: p for p in catalog.products(shop_db)}
    assert products["TOAST"].name_zh == "吐司"
    assert products["TOAST"].list_price.amount == Decimal("12.50")
    assert products["TOAST"].gtin == "06901234567892"  # normalised to GTIN-14
    assert products["PORK"].shelf_life.total_seconds() == 72 * 3600
    locations = {loc.code: loc for loc in catalog.locations(shop_db)}
    assert locations["S1"].parent_code == "BRAND"
    assert locations["S1"].timezone == "Asia/Shanghai"
    assert locations["S2"].timezone == "Asia/Urumqi"


def test_re_importing_the_catalogue_changes_nothing(shop_db: Database, tmp_path: Path) -> None:
    again = import_file(shop_db, "products", write_csv(tmp_path / "p.csv", PRODUCTS, "gbk"))
    assert again == ImportReport("products", tmp_path / "p.csv", 3, 0)
    changed = [row[:] for row in PRODUCTS]
    changed[1][5] = "13.00"
    report = import_file(shop_db, "products", write_csv(tmp_path / "p2.csv", changed))
    assert (report.rows, report.written) == (3, 1)
    prices = {p.sku: p.list_price.amount for p in catalog.products(shop_db)}
    assert prices["TOAST"] == Decimal("13.00")
    locations = import_file(shop_db, "locations", write_csv(tmp_path / "l.csv", LOCATIONS))
    assert locations.written == 0


def test_unknown_parent_and_bad_kind_of_parent(empty_db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "loc.csv",
        [
            ["code", "name", "kind", "parent"],
            ["W1", "仓库", "warehouse", ""],
            ["S1", "店", "store", "NOPE"],
            ["S2", "店", "store", "W1"],
        ],
    )
    errors = errors_of(empty_db, "locations", path)
    assert [(e.row, e.column) for e in errors] == [(3, "parent"), (4, "parent")]
    assert "unknown parent location 'NOPE'" in errors[0].message
    assert "a store cannot sit under warehouse" in errors[1].message
    assert catalog.locations(empty_db) == []


def test_rows_after_a_failed_write_are_still_checked(shop_db: Database, tmp_path: Path) -> None:
    """Row 2's GTIN belongs to TOAST already: the database refuses it when the
    row is flushed. Its savepoint is rolled back, so rows 3 and 4 still run."""
    header = PRODUCTS[0]
    path = write_csv(
        tmp_path / "p.csv",
        [
            header,
            ["BUN", "小面包", "Bun", "bread", "个", "3", "1", "2", "", "6901234567892"],
            ["ROLL", "餐包", "Roll", "bread", "个", "4", "1", "2", "", ""],
            ["PIE", "派", "Pie", "cake", "个", "4", "1", "", "", ""],
        ],
    )
    errors = errors_of(shop_db, "products", path)
    assert [(e.row, e.column) for e in errors] == [(2, "条码"), (4, "保质期(天)")]
    assert "conflicts with existing data" in errors[0].message
    assert sorted(p.sku for p in catalog.products(shop_db)) == ["CAKE", "PORK", "TOAST"]


def test_a_gtin_with_a_bad_check_digit(empty_db: Database, tmp_path: Path) -> None:
    rows = [row[:] for row in PRODUCTS]
    rows[2][9] = "6901234567890"
    errors = errors_of(empty_db, "products", write_csv(tmp_path / "p.csv", rows))
    assert [(e.row, e.column) for e in errors] == [(3, "条码")]
    assert catalog.products(empty_db) == []


def test_allergens_come_with_the_catalogue(shop_db: Database, tmp_path: Path) -> None:
    assert {p.allergens for p in catalog.products(shop_db)} == {None}  # not recorded
    allergens = ["过敏原", "Gluten", "", "坚果、乳制品"]
    rows = [[*row, value] for row, value in zip(PRODUCTS, allergens, strict=True)]
    first = import_file(shop_db, "products", write_csv(tmp_path / "p.csv", rows))
    assert first.written == 2  # TOAST and CAKE gained allergens; PORK's are still unknown
    found = {p.sku: p.allergens for p in catalog.products(shop_db)}
    assert found == {"TOAST": {"gluten"}, "PORK": None, "CAKE": {"nuts", "milk"}}
    assert import_file(shop_db, "products", write_csv(tmp_path / "p.csv", rows)).written == 0
    # a sheet without the column keeps what is known; 无 records "none"
    assert import_file(shop_db, "products", write_csv(tmp_path / "p0.csv", PRODUCTS)).written == 0
    rows[2][10] = "无"
    assert import_file(shop_db, "products", write_csv(tmp_path / "p1.csv", rows)).written == 1
    found["PORK"] = frozenset()
    assert {p.sku: p.allergens for p in catalog.products(shop_db)} == found
    rows[1][10] = "gluten, " + "x" * 41
    errors = errors_of(shop_db, "products", write_csv(tmp_path / "bad.csv", rows))
    assert [(e.row, e.column) for e in errors] == [(2, "过敏原")]
    assert "40 characters" in errors[0].message
    assert {p.sku: p.allergens for p in catalog.products(shop_db)} == found  # nothing written


# receipts ----------------------------------------------------------------------------
def test_lots_from_csv_with_fractional_quantities(stocked_db: Database) -> None:
    assert ledger(stocked_db) == [
        ("S1", "TOAST", "T-LATE", "receipt", Decimal("10.000")),
        ("S1", "TOAST", "T-EARLY", "receipt", Decimal("4.000")),
        ("S1", "PORK", "P1", "receipt", Decimal("2.500")),
    ]
    with stocked_db.transaction(readonly=True) as uow:
        late = uow.stock.lot(LotKey("S1", "TOAST", "T-LATE"))
        pork = uow.stock.lot(LotKey("S1", "PORK", "P1"))
    # naive times are the store's local time
    assert late.received_at == datetime(2024, 5, 1, 7, 0, tzinfo=SHANGHAI)
    # an expiry date stays a date: sellable through the whole day
    assert late.expiry_is_date
    assert late.expires_at == datetime(2024, 5, 6, 0, 0, tzinfo=SHANGHAI)
    assert late.produced_at == datetime(2024, 5, 1, 0, 0, tzinfo=SHANGHAI)
    # no expiry: shelf life (72 h) from receipt, since production is unknown
    assert pork.expires_at == datetime(2024, 5, 4, 6, 0, tzinfo=SHANGHAI)
    assert not pork.expiry_is_date


def test_importing_the_same_file_twice_records_nothing_more(
    shop_db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [LOT_HEADER, ["S1", "CAKE", "C1", "1.25", "2024-05-01 08:00", "", "", ""]],
    )
    seen: list[tuple[int, int]] = []
    first = import_file(shop_db, "lots", path, progress=lambda d, t: seen.append((d, t)))
    second = import_file(shop_db, "lots", path)
    assert (first.rows, first.written, second.rows, second.written) == (1, 1, 1, 0)
    assert seen == [(0, 1), (1, 1)]
    assert ledger(shop_db) == [("S1", "CAKE", "C1", "receipt", Decimal("1.250"))]


def test_a_time_with_an_offset_and_a_store_in_another_zone(
    shop_db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [
            ["location", "sku", "lot_code", "quantity", "received_at", "expiry"],
            ["S2", "CAKE", "C1", "3", "2024-05-01 08:00", "2024-05-02 20:00"],
            ["S1", "CAKE", "C2", "3", "2024-05-01T00:00:00Z", "2024-05-02"],
        ],
    )
    import_file(shop_db, "lots", path)
    with shop_db.transaction(readonly=True) as uow:
        urumqi = uow.stock.lot(LotKey("S2", "CAKE", "C1"))
        utc = uow.stock.lot(LotKey("S1", "CAKE", "C2"))
    assert urumqi.received_at == datetime(2024, 5, 1, 8, 0, tzinfo=URUMQI)
    assert urumqi.expires_at == datetime(2024, 5, 2, 20, 0, tzinfo=URUMQI)
    assert not urumqi.expiry_is_date  # a date-time stays a date-time
    assert utc.received_at == datetime(2024, 5, 1, 8, 0, tzinfo=SHANGHAI)


def test_excel_file_with_real_date_cells(shop_db: Database, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["门店", "商品编码", "批次号", "数量", "收货时间", "生产日期", "有效期至", "成本"])
    sheet.append(["S1", "PORK", 20240501, 1.25, datetime(2024, 5, 1, 9, 15), date(2024, 4, 30),
                  date(2024, 5, 3), 27.5])  # fmt: skip
    sheet.append(["S1", "CAKE", "C-9", 6, datetime(2024, 5, 1, 10, 0), None,
                  datetime(2024, 5, 3, 18, 0), None])  # fmt: skip
    book.save(tmp_path / "lots.xlsx")
    report = import_file(shop_db, "lots", tmp_path / "lots.xlsx")
    assert (report.rows, report.written) == (2, 2)
    with shop_db.transaction(readonly=True) as uow:
        pork = uow.stock.lot(LotKey("S1", "PORK", "20240501"))
        cake = uow.stock.lot(LotKey("S1", "CAKE", "C-9"))
    assert pork.quantity == Decimal("1.250")
    assert pork.unit_cost.amount == Decimal("27.5")
    assert pork.received_at == datetime(2024, 5, 1, 9, 15, tzinfo=SHANGHAI)
    assert pork.produced_at == datetime(2024, 4, 30, 0, 0, tzinfo=SHANGHAI)
    assert pork.expiry_is_date and pork.expires_at == datetime(2024, 5, 4, tzinfo=SHANGHAI)
    assert not cake.expiry_is_date
    assert cake.expires_at == datetime(2024, 5, 3, 18, 0, tzinfo=SHANGHAI)
    assert cake.unit_cost.amount == Decimal("30")  # the product's cost when none is given


def test_parquet_file_written_by_pandas(shop_db: Database, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "location": ["S1", "S1"],
            "sku": ["PORK", "TOAST"],
            "lot_code": ["P7", "T7"],
            "quantity": [0.35, 12.0],
            "received_at": pd.to_datetime(["2024-05-01 08:00", "2024-05-01 09:30"]),
            "expiry": [date(2024, 5, 3), date(2024, 5, 6)],
            "unit_cost": ["28.10", None],
        }
    )
    frame.to_parquet(tmp_path / "lots.parquet")
    report = import_file(shop_db, "lots", tmp_path / "lots.parquet")
    assert report.written == 2
    assert on_hand(shop_db, "S1", "PORK", "P7") == Decimal("0.350")
    assert on_hand(shop_db, "S1", "TOAST", "T7") == Decimal("12.000")
    with shop_db.transaction(readonly=True) as uow:
        pork = uow.stock.lot(LotKey("S1", "PORK", "P7"))
    assert pork.received_at == datetime(2024, 5, 1, 8, 0, tzinfo=SHANGHAI)
    assert pork.unit_cost.amount == Decimal("28.10")
    assert pork.expiry_is_date


def test_receipt_errors_name_file_row_and_column(stocked_db: Database, tmp_path: Path) -> None:
    before = ledger(stocked_db)
    path = write_csv(
        tmp_path / "bad-lots.csv",
        [
            LOT_HEADER,
            ["S1", "TOAST", "OK-1", "5", "2024-05-02 07:00", "", "", ""],  # fine
            ["S1", "NOPE", "X1", "5", "2024-05-02 07:00", "", "", ""],  # unknown SKU
            ["S9", "TOAST", "X2", "5", "2024-05-02 07:00", "", "", ""],  # unknown location
            ["S1", "TOAST", "T-LATE", "5", "2024-05-02 07:00", "", "", ""],  # in the database
            ["S1", "TOAST", "X3", "5", "2024-05-02 07:00", "2024-05-03", "2024-05-01", ""],
            ["S1", "TOAST", "X4", "0", "2024-05-02 07:00", "", "", ""],  # zero quantity
            ["S1", "TOAST", "X5", "-2", "2024/5/32", "", "", ""],  # negative, bad date
            ["S1", "TOAST", "X6", "十", "2024-05-02 07:00", "", "", ""],  # bad number
            ["S1", "TOAST", "", "5", "2024-05-02 07:00", "", "", ""],  # missing lot code
            ["S1", "TOAST", "OK-1", "5", "2024-05-02 07:00", "", "", ""],  # twice in file
            ["BRAND", "TOAST", "X7", "5", "2024-05-02 07:00", "", "", ""],  # not a store
            ["S1", "TOAST", "X8", "5", "2024-05-02 07:00", "", "", "SUP9"],  # unknown supplier
        ],
    )
    errors = errors_of(stocked_db, "lots", path)
    assert [(e.file, e.row, e.column) for e in errors] == [
        ("bad-lots.csv", 3, "商品编码"),
        ("bad-lots.csv", 4, "门店"),
        ("bad-lots.csv", 5, "批次号"),
        ("bad-lots.csv", 6, "到期日"),
        ("bad-lots.csv", 6, "入库时间"),
        ("bad-lots.csv", 7, "数量"),
        ("bad-lots.csv", 8, "数量"),
        ("bad-lots.csv", 8, "入库时间"),
        ("bad-lots.csv", 9, "数量"),
        ("bad-lots.csv", 10, "批次号"),
        ("bad-lots.csv", 11, "批次号"),
        ("bad-lots.csv", 12, "门店"),
        ("bad-lots.csv", 13, "供应商"),
    ]
    text = {e.row: e.message for e in errors}
    assert "unknown SKU 'NOPE'" in errors[0].message
    assert "unknown location 'S9'" in errors[1].message
    assert "already exists" in errors[2].message
    assert "expiry 2024-05-01 is not after the production date 2024-05-03" in errors[3].message
    assert "above zero" in text[7]
    assert "not a real date" in errors[7].message
    assert "'十' is not a number" in text[9]
    assert "missing value" in text[10]
    assert "already on row 2" in text[11]
    assert "only stores and warehouses hold stock" in text[12]
    assert "unknown supplier 'SUP9'" in text[13]
    assert ledger(stocked_db) == before


def test_a_missing_column_fails_on_row_1(shop_db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [["门店", "商品编码", "数量", "入库时间"], ["S1", "CAKE", "1", "2024-05-01"]],
    )
    assert failure(shop_db, "lots", path) == [("lots.csv", 1, "lot_code")]
    assert ledger(shop_db) == []


def test_two_bad_rows_are_both_reported_and_nothing_is_written(
    shop_db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "lots.csv",
        [
            LOT_HEADER,
            ["S1", "CAKE", "C1", "5", "2024-05-01 07:00", "", "", ""],
            ["S1", "CAKE", "C2", "abc", "2024-05-01 07:00", "", "", ""],
            ["S1", "CAKE", "C3", "5", "2024-05-01 07:00", "", "", ""],
            ["S1", "GHOST", "C4", "5", "2024-05-01 07:00", "", "", ""],
        ],
    )
    assert failure(shop_db, "lots", path) == [
        ("lots.csv", 3, "数量"),
        ("lots.csv", 5, "商品编码"),
    ]
    assert ledger(shop_db) == []
    assert operations(shop_db) == 0
    with shop_db.transaction(readonly=True) as uow:
        assert uow.stock.find_lot(LotKey("S1", "CAKE", "C1")) is None


def test_an_unknown_kind_or_suffix(shop_db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a"], ["1"]])
    with pytest.raises(InvalidValue, match="choose one of products, locations"):
        import_file(shop_db, "transfers", path)
    (tmp_path / "x.txt").write_text("a\n1\n")
    with pytest.raises(InvalidValue, match=r"cannot import \.txt"):
        import_file(shop_db, "lots", tmp_path / "x.txt")


# sales -------------------------------------------------------------------------------
def test_sales_allocate_fefo_like_single_sales(stocked_db: Database, tmp_path: Path) -> None:
    twin = new_db(tmp_path / "twin.db")
    stock_catalogue(twin, tmp_path / "twin-catalogue")
    import_file(twin, "lots", tmp_path / "stocked.csv")
    rows = [
        ["S1", "TOAST", "6", "2024-05-01 12:00", "11.00", "", "R1"],
        ["S1", "PORK", "1.125", "2024-05-01 12:05", "", "", "R1"],
        ["S1", "TOAST", "2", "2024-05-01 18:00", "", "T-LATE", "R2"],
    ]
    report = import_file(stocked_db, "sales", write_csv(tmp_path / "s.csv", [SALE_HEADER, *rows]))
    assert (report.rows, report.written) == (3, 3)
    for location, sku, amount, at, price, lot, receipt in rows:
        record_sale(
            twin,
            RecordSale(
                location,
                (SaleLine(Decimal(amount), sku, Decimal(price) if price else None, lot or None),),
                datetime.fromisoformat(at).replace(tzinfo=SHANGHAI),
                reference=receipt,
            ),
        )
    sales = [e for e in ledger(stocked_db) if e[3] == "sale"]
    assert sales == [e for e in ledger(twin) if e[3] == "sale"]
    assert sales == [
        ("S1", "TOAST", "T-EARLY", "sale", Decimal("-4.000")),
        ("S1", "TOAST", "T-LATE", "sale", Decimal("-2.000")),
        ("S1", "PORK", "P1", "sale", Decimal("-1.125")),
        ("S1", "TOAST", "T-LATE", "sale", Decimal("-2.000")),
    ]
    assert on_hand(stocked_db, "S1", "PORK", "P1") == Decimal("1.375")
    twin.close()


def test_sale_errors_out_of_stock_and_expired(stocked_db: Database, tmp_path: Path) -> None:
    before = ledger(stocked_db)
    path = write_csv(
        tmp_path / "sales.csv",
        [
            SALE_HEADER,
            ["S1", "TOAST", "10", "2024-05-01 12:00", "", "", ""],  # fine: 4 + 6
            ["S1", "TOAST", "5", "2024-05-01 12:10", "", "", ""],  # only 4 left
            ["S1", "TOAST", "1", "2024-05-04 09:00", "", "T-EARLY", ""],  # expired lot
            ["S1", "PORK", "0.5", "2024-05-01 12:20", "", "", ""],  # fine
            ["S1", "TOAST", "1", "2024-05-01 12:30", "", "NO-SUCH", ""],  # lot not here
            ["S2", "TOAST", "1", "2024-05-01 12:30", "", "", ""],  # nothing at S2
        ],
    )
    errors = errors_of(stocked_db, "sales", path)
    assert [(e.row, e.column) for e in errors] == [
        (3, "数量"),
        (4, "批次号"),
        (6, "数量"),
        (7, "数量"),
    ]
    assert "out of stock: only 4 of TOAST at S1 can be sold, asked for 5" in errors[0].message
    assert "expired" in errors[1].message
    assert ledger(stocked_db) == before


def test_sales_by_barcode_with_an_explicit_idempotency_key(
    stocked_db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "pos.csv",
        [
            ["store", "barcode", "qty", "sold_at", "idempotency_key", "receipt"],
            ["S1", "6901234567892", "3", "2024-05-01 12:00", "till-7-0001", "0001"],
            ["S1", "010690123456789210T-LATE", "1", "2024-05-01 12:01", "till-7-0002", ""],
        ],
    )
    assert import_file(stocked_db, "sales", path).written == 2
    with stocked_db.transaction(readonly=True) as uow:
        assert uow.stock.find_operation("till-7-0001") is not None
        assert uow.stock.find_operation("till-7-0002") is not None
    assert on_hand(stocked_db, "S1", "TOAST", "T-EARLY") == Decimal("1.000")
    assert on_hand(stocked_db, "S1", "TOAST", "T-LATE") == Decimal("9.000")
    assert import_file(stocked_db, "sales", path).written == 0
    bad = write_csv(
        tmp_path / "pos2.csv",
        [
            ["store", "barcode", "qty", "sold_at", "idempotency_key"],
            ["S1", "6901234567892", "2", "2024-05-01 12:00", "till-7-0001"],  # key reused
            ["S1", "12345", "1", "2024-05-01 12:00", ""],  # not a barcode
        ],
    )
    errors = errors_of(stocked_db, "sales", bad)
    assert [(e.row, e.column) for e in errors] == [(2, "idempotency_key"), (3, "barcode")]


def test_a_sale_that_fails_leaves_no_trace_for_later_rows(
    stocked_db: Database, tmp_path: Path
) -> None:
    """Row 2 fails after its operation was recorded; row 3 is still checked, on
    the stock as it stands without row 2, and passes."""
    path = write_csv(
        tmp_path / "sales.csv",
        [
            SALE_HEADER,
            ["S1", "TOAST", "15", "2024-05-01 12:00", "", "", ""],
            ["S1", "TOAST", "14", "2024-05-01 12:00", "", "", ""],
        ],
    )
    assert failure(stocked_db, "sales", path) == [("sales.csv", 2, "数量")]


# counts ------------------------------------------------------------------------------
def test_stock_counts(stocked_db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "counts.csv",
        [
            ["门店", "商品编码", "批次号", "盘点数量", "盘点时间"],
            ["S1", "PORK", "P1", "2.375", "2024-05-01 20:00"],
            ["S1", "TOAST", "T-LATE", "10", "2024-05-01 20:00"],
        ],
    )
    report = import_file(stocked_db, "counts", path)
    assert (report.rows, report.written) == (2, 2)
    assert on_hand(stocked_db, "S1", "PORK", "P1") == Decimal("2.375")
    assert ledger(stocked_db)[-1] == ("S1", "PORK", "P1", "adjustment", Decimal("-0.125"))
    assert import_file(stocked_db, "counts", path).written == 0
    bad = write_csv(
        tmp_path / "counts2.csv",
        [
            ["location", "sku", "lot_code", "counted", "counted_at"],
            ["S1", "PORK", "NOPE", "1", "2024-05-01 20:00"],
            ["S1", "PORK", "P1", "-1", "2024-05-01 20:00"],
            ["S1", "PORK", "P1", "1", ""],
        ],
    )
    errors = errors_of(stocked_db, "counts", bad)
    assert [(e.row, e.column) for e in errors] == [
        (2, "lot_code"),
        (3, "counted"),
        (4, "counted_at"),
    ]
    assert on_hand(stocked_db, "S1", "PORK", "P1") == Decimal("2.375")


# the reader's language ---------------------------------------------------------------
def test_row_errors_come_back_in_the_language_asked_for(
    api: tuple[httpx.Client, Database],
) -> None:
    """The same bad file through the API: its row errors in English without a
    language, in Chinese with ``Accept-Language: zh-CN``; nothing is saved."""
    client, db = api
    sheet = (
        "location,sku,quantity,sold_at\n"
        "SZ-01,CAKE,many,2026-11-20 09:00\n"
        "SZ-01,NOPE,1,2026-11-20 09:30\n"
        "SZ-01,CAKE,1,2026-11-20 10:00\n"
    )
    files = {"file": ("till-8.csv", sheet.encode(), "text/csv")}
    manager = login(client, "manager")
    before = api_on_hand(db, "SZ-01")
    english = client.post("/imports/sales", files=files, headers=manager)
    chinese = client.post(
        "/imports/sales", files=files, headers=manager | {"Accept-Language": "zh-CN"}
    )
    assert (english.status_code, chinese.status_code) == (422, 422), english.text
    assert english.headers["content-language"] == "en"
    assert chinese.headers["content-language"] == "zh-CN"
    rows = [(r["file"], r["row"], r["column"]) for r in english.json()["rows"]]
    assert rows == [("till-8.csv", 2, "quantity"), ("till-8.csv", 3, "sku")]
    assert [(r["file"], r["row"], r["column"]) for r in chinese.json()["rows"]] == rows
    assert [r["message"] for r in english.json()["rows"]] == [
        "'many' is not a number",
        "unknown SKU 'NOPE': import it in a products file first",
    ]
    assert [r["message"] for r in chinese.json()["rows"]] == [
        "'many' 不是数字",
        "未知的 SKU 'NOPE'：请先用商品文件导入",
    ]
    assert english.json()["error"]["message"].splitlines() == [
        "import of till-8.csv failed with 2 errors; nothing was saved. "
        "Fix these rows and import the whole file again:",
        "  - till-8.csv, row 2, column 'quantity': 'many' is not a number",
        "  - till-8.csv, row 3, column 'sku': unknown SKU 'NOPE': import it in a products file first",
    ]
    assert chinese.json()["error"]["message"].splitlines() == [
        "till-8.csv 导入失败，有 2 处错误；没有保存任何内容。请改正以下各行，再重新导入整个文件：",
        "  - till-8.csv 第 2 行 'quantity' 列：'many' 不是数字",
        "  - till-8.csv 第 3 行 'sku' 列：未知的 SKU 'NOPE'：请先用商品文件导入",
    ]
    assert english.json()["error"]["code"] == chinese.json()["error"]["code"] == "import_failed"
    assert api_on_hand(db, "SZ-01") == before
