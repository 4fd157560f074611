"""Exporting the lifecycle table and the ledger, and reading the files back."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from shelfpilot.domain import Location, LocationKind, Money, Product
from shelfpilot.domain.errors import InvalidValue, NotFound
from shelfpilot.domain.ledger import EntryKind
from shelfpilot.services import catalog
from shelfpilot.services.exports import export_ledger, export_lifecycle
from shelfpilot.services.inventory import (
    CountStock,
    ReceiveLot,
    RecordSale,
    RemoveStock,
    SaleLine,
    count_stock,
    receive_lot,
    record_sale,
    remove_stock,
)
from shelfpilot.storage import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=SHANGHAI)
AS_OF = T0 + timedelta(hours=12)
FORMATS = ["csv", "xlsx", "parquet"]


@pytest.fixture
def trading_db(tmp_path: Path) -> Iterator[Database]:
    """Two stores, three lots, sales (one split over two lots), a disposal and a count."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.migrate()
    catalog.save_locations(
        db,
        [
            Location("S1", "人民路店", LocationKind.STORE),
            Location("S2", "乌鲁木齐店", LocationKind.STORE, timezone="Asia/Urumqi"),
        ],
    )
    catalog.save_products(
        db,
        [
            Product("TOAST", "Toast", "吐司", "bread", "个", Money.of("12.50"), Money.of("5"),
                    timedelta(days=5)),
            Product("PORK", "Pork", "鲜猪肉", "meat", "kg", Money.of("39.80"), Money.of("28"),
                    timedelta(hours=72)),
        ],
    )  # fmt: skip
    receive_lot(db, ReceiveLot("S1", "TOAST", "T1", Decimal(10), T0, expiry=T0.date()))
    receive_lot(db, ReceiveLot("S1", "TOAST", "T2", Decimal(6), T0 + timedelta(minutes=5)))
    receive_lot(db, ReceiveLot("S1", "PORK", "P1", Decimal("2.5"), T0))
    receive_lot(db, ReceiveLot("S2", "PORK", "P1", Decimal("4.25"), T0.astimezone(URUMQI)))
    record_sale(
        db,
        RecordSale(
            "S1",
            (SaleLine(Decimal(12), "TOAST", Decimal("9.90")), SaleLine(Decimal("1.125"), "PORK")),
            T0 + timedelta(hours=2),
            reference="小票0001",
        ),
    )
    remove_stock(
        db,
        RemoveStock(
            "S2",
            "PORK",
            "P1",
            EntryKind.DISPOSAL,
            Decimal("0.25"),
            T0 + timedelta(hours=3),
            note="=过期报废",
        ),
    )
    count_stock(db, CountStock("S1", "PORK", "P1", Decimal("1.3"), T0 + timedelta(hours=4)))
    yield db
    db.close()


def ledger_on_hand(
    db: Database, location: str | None = None
) -> dict[tuple[str, str, str], Decimal]:
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    with db.transaction(readonly=True) as uow:
        for record in uow.stock.ledger(location_code=location):
            lot = record.entry.lot
            totals[(lot.location_code, lot.sku, lot.lot_code)] += record.entry.quantity
    return {k: v for k, v in totals.items() if v != 0}


def read_back(path: Path) -> list[dict[str, object]]:
    """Rows as dicts of what the file holds (text from CSV; cells from Excel;
    typed values from Parquet)."""
    if path.suffix == ".csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        try:
            rows = list(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
        header = [str(h) for h in rows[0]]
        # a read-only sheet leaves out empty cells at the end of a row
        return [
            dict(zip(header, (*row, *[None] * (len(header) - len(row))), strict=True))
            for row in rows[1:]
        ]
    return pq.read_table(path).to_pylist()  # type: ignore[no-any-return]


def exact(value: object) -> Decimal:
    assert isinstance(value, str | Decimal), f"{value!r} should be exact, not {type(value)}"
    return Decimal(value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_lifecycle_export_matches_the_ledger(
    trading_db: Database, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"lifecycle.{suffix}"
    written = export_lifecycle(trading_db, path, AS_OF, open_only=False)
    rows = read_back(path)
    assert written == len(rows) == 4
    assert {
        (str(r["location"]), str(r["sku"]), str(r["lot_code"])): exact(r["on_hand"])
        for r in rows
        if exact(r["on_hand"]) != 0
    } == ledger_on_hand(trading_db)
    toast = next(r for r in rows if r["lot_code"] == "T2")
    assert toast["product_name"] == "Toast"
    assert exact(toast["sold"]) == Decimal(2)
    assert exact(toast["quantity_in"]) == Decimal(6)
    t1 = next(r for r in rows if r["lot_code"] == "T1")
    assert t1["received_at"] == "2024-05-01T08:00:00+08:00"
    assert t1["expires_at"] == "2024-05-02T00:00:00+08:00"
    assert exact(t1["on_hand"]) == 0
    assert t1["stage"] == "last_day"
    assert int(str(t1["days_left"])) == 0
    urumqi = next(r for r in rows if r["location"] == "S2")
    assert urumqi["received_at"] == "2024-05-01T06:00:00+06:00"
    assert exact(urumqi["removed"]) == Decimal("0.25")


def test_closed_lots_only_when_asked(trading_db: Database, tmp_path: Path) -> None:
    assert export_lifecycle(trading_db, tmp_path / "open.csv", AS_OF) == 3
    assert {r["lot_code"] for r in read_back(tmp_path / "open.csv")} == {"T2", "P1"}
    assert export_lifecycle(trading_db, tmp_path / "all.csv", AS_OF, open_only=False) == 4
    closed = next(r for r in read_back(tmp_path / "all.csv") if r["lot_code"] == "T1")
    assert closed["on_hand"] == "0.000"
    assert export_lifecycle(trading_db, tmp_path / "s2.csv", AS_OF, location="S2") == 1


@pytest.mark.parametrize("suffix", FORMATS)
def test_ledger_export_sums_to_on_hand(trading_db: Database, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ledger.{suffix}"
    written = export_ledger(trading_db, path)
    rows = read_back(path)
    assert written == len(rows) == 9
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        sums[(str(r["location"]), str(r["sku"]), str(r["lot_code"]))] += exact(r["quantity"])
    assert {k: v for k, v in sums.items() if v != 0} == ledger_on_hand(trading_db)
    assert [r["kind"] for r in rows] == [
        "receipt", "receipt", "receipt", "receipt", "sale", "sale", "sale", "disposal",
        "adjustment",
    ]  # fmt: skip
    sale = rows[4]
    assert (sale["lot_code"], exact(sale["quantity"]), exact(sale["unit_price"])) == (
        "T1",
        Decimal(-10),
        Decimal("9.90"),
    )
    assert sale["reference"] == "小票0001"
    assert sale["currency"] == "CNY"
    assert sale["occurred_at"] == "2024-05-01T10:00:00+08:00"
    disposal = rows[7]
    assert disposal["occurred_at"] == "2024-05-01T09:00:00+06:00"  # in the S2 store's zone
    assert disposal["note"] == "=过期报废"
    assert rows[0]["unit_price"] in ("", None)


def test_parquet_columns_are_exact_decimals(trading_db: Database, tmp_path: Path) -> None:
    export_ledger(trading_db, tmp_path / "ledger.parquet")
    export_lifecycle(trading_db, tmp_path / "lifecycle.parquet", AS_OF)
    ledger = pq.read_schema(tmp_path / "ledger.parquet")
    assert ledger.field("quantity").type == pa.decimal128(20, 3)
    assert ledger.field("unit_price").type == pa.decimal128(20, 4)
    assert ledger.field("entry_id").type == pa.int64()
    lifecycle = pq.read_schema(tmp_path / "lifecycle.parquet")
    assert lifecycle.field("on_hand").type == pa.decimal128(20, 3)
    assert lifecycle.field("sales_per_day").type == pa.decimal128(20, 2)
    assert lifecycle.field("expires_at").type == pa.string()


def test_ledger_of_one_location(trading_db: Database, tmp_path: Path) -> None:
    assert export_ledger(trading_db, tmp_path / "s2.xlsx", location="S2") == 2
    assert {r["location"] for r in read_back(tmp_path / "s2.xlsx")} == {"S2"}


def test_unknown_suffix_or_location(trading_db: Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match=r"name the file \.csv, \.xlsx or \.parquet"):
        export_ledger(trading_db, tmp_path / "ledger.json")
    with pytest.raises(InvalidValue, match=r"cannot export to lifecycle\.xls"):
        export_lifecycle(trading_db, tmp_path / "lifecycle.xls", AS_OF)
    with pytest.raises(NotFound, match="unknown location 'S9'"):
        export_ledger(trading_db, tmp_path / "ledger.csv", location="S9")
    assert not (tmp_path / "ledger.json").exists()


def test_text_that_looks_like_a_formula_stays_text_in_excel(
    trading_db: Database, tmp_path: Path
) -> None:
    export_ledger(trading_db, tmp_path / "ledger.xlsx")
    book = load_workbook(tmp_path / "ledger.xlsx")
    try:
        notes = [c for c in book.worksheets[0]["L"] if c.value == "=过期报废"]
        assert [c.data_type for c in notes] == ["s"]
    finally:
        book.close()
