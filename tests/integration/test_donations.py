"""The donation statement on a real SQLite file and a real PostgreSQL server:
what was given to whom, in the store's own days, with the values as they
were, and its export."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shelfpilot.domain import EntryKind, InvalidValue, Money, NotFound
from shelfpilot.services import catalog, donations, exports
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import SHANGHAI, T0, cake

# T0 is 2026-11-20 08:00 in Suzhou; the statement covers the 20th and 21st
START = datetime.combine(date(2026, 11, 20), time(), SHANGHAI)
END = datetime.combine(date(2026, 11, 22), time(), SHANGHAI)


def _give(db: Database, lot: str, units: str, at: datetime, **more: str) -> None:
    inv.remove_stock(
        db, inv.RemoveStock("SZ-01", "CAKE", lot, EntryKind.DONATION, Decimal(units), at, **more)
    )


def _stocked(shop: Database) -> Database:
    for lot, cost in (("L1", "9.5"), ("L2", "10")):
        received = T0 - timedelta(days=1)
        lot_in = inv.ReceiveLot("SZ-01", "CAKE", lot, Decimal(20), received)
        inv.receive_lot(shop, replace(lot_in, expiry=date(2026, 11, 25), unit_cost=Decimal(cost)))
    _give(shop, "L1", "1", T0 - timedelta(hours=9))  # 23:00 on the 19th: before the statement
    _give(shop, "L1", "2.5", T0, recipient="Suzhou Food Bank", receipt="FB-0042", note="pick-up")
    _give(shop, "L2", "3", T0 + timedelta(hours=5), recipient="Suzhou Food Bank", receipt="FB-43")
    # 23:30 on the 21st is in; 00:30 on the 22nd (still the 21st in UTC) is out
    _give(shop, "L2", "1", T0 + timedelta(days=1, hours=15, minutes=30), recipient="Grace Pantry")
    _give(shop, "L2", "4", T0 + timedelta(days=1, hours=16, minutes=30), recipient="Grace Pantry")
    inv.remove_stock(
        shop,
        inv.RemoveStock("SZ-01", "CAKE", "L1", EntryKind.DISPOSAL, Decimal(2), T0),
    )
    _give(shop, "L1", "1", T0 + timedelta(hours=2))  # nobody named
    # the list price changes later: the statement keeps the value when given
    catalog.save_products(shop, [cake(list_price=Money.of("30"))])
    return shop


def test_the_statement_lists_each_donation_in_the_stores_days(shop: Database) -> None:
    db = _stocked(shop)
    rows = donations.donations(db, START, END)
    assert [(r.lot_code, r.units, r.recipient) for r in rows] == [
        ("L1", Decimal("2.5"), "Suzhou Food Bank"),
        ("L1", Decimal(1), donations.UNNAMED),
        ("L2", Decimal(3), "Suzhou Food Bank"),
        ("L2", Decimal(1), "Grace Pantry"),
    ]
    first = rows[0]
    assert first.occurred_at == T0 and first.occurred_at.utcoffset() == timedelta(hours=8)
    assert (first.receipt, first.note, first.product_name) == (
        "FB-0042",
        "pick-up",
        "Mung bean cake",
    )
    # 2.5 × 9.5 at cost and 2.5 × 28 at the list price of the day
    assert (first.value_at_cost, first.value_at_list, first.currency) == (
        Decimal("23.75"), Decimal("70.00"), "CNY",
    )  # fmt: skip
    totals = {t.recipient: t for t in donations.totals(rows)}
    bank = totals["Suzhou Food Bank"]
    assert (bank.donations, bank.units, bank.value_at_cost, bank.value_at_list) == (
        2, Decimal("5.5"), Decimal("53.75"), Decimal("154.00"),
    )  # fmt: skip
    assert totals["Grace Pantry"].units == 1 and totals[donations.UNNAMED].units == 1
    assert donations.totals(rows)[0].recipient == "Suzhou Food Bank"  # the most valuable first


def test_the_statement_of_one_store_and_bad_periods(shop: Database) -> None:
    db = _stocked(shop)
    assert donations.donations(db, START, END, locations=["SZ-02"]) == []
    assert len(donations.donations(db, START, END, locations=["SZ-01"])) == 4
    with pytest.raises(NotFound, match="NOWHERE"):
        donations.donations(db, START, END, locations=["NOWHERE"])
    with pytest.raises(InvalidValue, match="end must come after its start"):
        donations.donations(db, END, START)
    assert donations.period(date(2026, 11, 20), date(2026, 11, 21), SHANGHAI) == (START, END)
    with pytest.raises(InvalidValue, match=r"the last day \(2026-11-19\) is before the first"):
        donations.period(date(2026, 11, 20), date(2026, 11, 19), SHANGHAI)
    with pytest.raises(InvalidValue, match="from 1970 to 9998"):
        donations.period(date(2026, 11, 20), date.max, SHANGHAI)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_statement_exports_exactly(shop: Database, tmp_path: Path, suffix: str) -> None:
    db = _stocked(shop)
    path = tmp_path / f"donations{suffix}"
    assert exports.export_donations(db, path, START, END, location="SZ-01") == 4
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            table = list(csv.DictReader(f))
    else:
        book = load_workbook(path, read_only=True)
        head, *body = [list(r) for r in book["donations"].iter_rows(values_only=True)]
        book.close()
        table = [dict(zip(head, r, strict=True)) for r in body]
    first = table[0]
    assert first["occurred_at"] == "2026-11-20T08:00:00+08:00"
    assert Decimal(str(first["units"])) == Decimal("2.5") and first["receipt"] == "FB-0042"
    assert Decimal(str(first["value_at_cost"])) == Decimal("23.75")
    assert sum(Decimal(str(r["value_at_list"])) for r in table) == Decimal(
        "210.00"
    )  # 7.5 units at 28
