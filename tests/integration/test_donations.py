"""The donation statement on a real SQLite file and a real PostgreSQL server:
what was given to whom, in the store's own days, with the values as they
were, and its export."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shelfpilot.domain import EntryKind, InvalidValue, Money, NotFound
from shelfpilot.domain.audit import AuditRecord
from shelfpilot.services import catalog, donations, exports
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import T0, cake

# T0 is 2026-11-20 08:00 in Suzhou; the statement covers the 20th and 21st
FIRST, LAST = date(2026, 11, 20), date(2026, 11, 21)


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
    rows = donations.donations(db, FIRST, LAST)
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
    assert donations.donations(db, FIRST, LAST, locations=["SZ-02"]) == []
    assert len(donations.donations(db, FIRST, LAST, locations=["SZ-01"])) == 4
    with pytest.raises(NotFound, match="NOWHERE"):
        donations.donations(db, FIRST, LAST, locations=["NOWHERE"])
    with pytest.raises(InvalidValue, match=r"the last day \(2026-11-19\) is before the first"):
        donations.donations(db, FIRST, date(2026, 11, 19))
    with pytest.raises(InvalidValue, match="at most 366 days; ask for one year at a time"):
        donations.donations(db, date(2025, 1, 1), date(2026, 1, 2))
    today = date(2026, 11, 24)
    assert donations.default_period(None, None, today) == (date(2026, 11, 1), today)
    assert donations.default_period(None, date(2026, 1, 31), today) == (
        date(2026, 1, 1), date(2026, 1, 31),
    )  # fmt: skip


def test_a_donation_recorded_before_values_were_kept(shop: Database) -> None:
    """Such a record names the lot only in its subject and has no recipient,
    receipt or value: it is listed, and counted as not valued."""
    db = _stocked(shop)
    with db.transaction() as uow:
        before = {"on_hand": "12"}
        after = {"on_hand": "10", "at": T0.isoformat(), "note": "food bank"}
        subject = "lot L1 of CAKE at SZ-01"
        uow.audit.append(
            AuditRecord(T0, "old-till", "stock.donation", subject, before, after, None, "SZ-01")
        )
    old = [r for r in donations.donations(db, FIRST, LAST) if r.actor == "old-till"]
    assert [(r.sku, r.lot_code, r.units, r.currency, r.value_at_cost) for r in old] == [
        ("CAKE", "L1", Decimal(2), "CNY", None)
    ]
    unnamed = {t.recipient: t for t in donations.totals(donations.donations(db, FIRST, LAST))}
    assert (unnamed[donations.UNNAMED].donations, unnamed[donations.UNNAMED].unvalued) == (2, 1)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_statement_exports_exactly(shop: Database, tmp_path: Path, suffix: str) -> None:
    db = _stocked(shop)
    path = tmp_path / f"donations{suffix}"
    assert exports.export_donations(path, donations.donations(db, FIRST, LAST)) == 4
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
