from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.domain import (
    DEFAULT_LADDER,
    EntryKind,
    InvalidValue,
    LedgerEntry,
    Lot,
    LotNotSellable,
    LotStock,
    Money,
    OutOfStock,
    allocate,
)
from shelfpilot.domain.ledger import count_entry, removal_entry

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 10, tzinfo=SH)


def stock(
    code: str, expires_in: timedelta, on_hand: str, received: timedelta = timedelta(days=-1)
) -> LotStock:
    lot = Lot(code, "CAKE", "S1", NOW + received, NOW + expires_in, Decimal(100), Money.of(9))
    return LotStock(lot, Decimal(on_hand))


def test_sale_takes_the_lot_that_expires_first() -> None:
    lots = [stock("LATE", timedelta(days=5), "10"), stock("EARLY", timedelta(days=2), "10")]
    [only] = allocate(lots, Decimal(3), NOW, DEFAULT_LADDER)
    assert (only.lot.lot_code, only.quantity) == ("EARLY", Decimal(3))


def test_sale_splits_across_lots_in_expiry_order() -> None:
    lots = [
        stock("C", timedelta(days=9), "5"),
        stock("A", timedelta(days=2), "2"),
        stock("B", timedelta(days=4), "1.5"),
    ]
    result = allocate(lots, Decimal("4"), NOW, DEFAULT_LADDER)
    assert [(a.lot.lot_code, a.quantity) for a in result] == [
        ("A", 2),
        ("B", Decimal("1.5")),
        ("C", Decimal("0.5")),
    ]


def test_same_expiry_goes_to_the_lot_received_first() -> None:
    lots = [
        stock("NEW", timedelta(days=3), "5", timedelta(hours=-1)),
        stock("OLD", timedelta(days=3), "5", timedelta(days=-2)),
    ]
    assert allocate(lots, Decimal(1), NOW, DEFAULT_LADDER)[0].lot.lot_code == "OLD"


def test_expired_and_pulled_lots_are_skipped() -> None:
    lots = [
        stock("EXPIRED", timedelta(hours=-1), "4"),
        stock("PULLED", timedelta(hours=1), "4"),
        stock("GOOD", timedelta(days=1), "4"),
    ]
    assert [a.lot.lot_code for a in allocate(lots, Decimal(4), NOW, DEFAULT_LADDER)] == ["GOOD"]
    with pytest.raises(
        OutOfStock,
        match=r"only 4 of CAKE at S1 can be sold, asked for 5; 8 more is expired or pulled",
    ):
        allocate(lots, Decimal(5), NOW, DEFAULT_LADDER)


def test_a_named_expired_lot_cannot_be_sold() -> None:
    lots = [stock("OLD", timedelta(minutes=-5), "4")]
    with pytest.raises(LotNotSellable, match="expired at 2026-11-22 09:55 \\(CST\\)"):
        allocate(lots, Decimal(1), NOW, DEFAULT_LADDER, lot_code="OLD")
    pulled = [stock("P", timedelta(hours=1), "4")]
    with pytest.raises(LotNotSellable, match="pulled off sale"):
        allocate(pulled, Decimal(1), NOW, DEFAULT_LADDER, lot_code="P")
    with pytest.raises(OutOfStock, match="not stocked here"):
        allocate(pulled, Decimal(1), NOW, DEFAULT_LADDER, lot_code="NOPE")


def test_a_named_lot_is_used_even_if_another_expires_sooner() -> None:
    lots = [stock("SOON", timedelta(days=1), "4"), stock("LATER", timedelta(days=3), "4")]
    [only] = allocate(lots, Decimal(2), NOW, DEFAULT_LADDER, lot_code="LATER")
    assert only.lot.lot_code == "LATER"
    with pytest.raises(OutOfStock, match="has 4 on hand, asked for 5"):
        allocate(lots, Decimal(5), NOW, DEFAULT_LADDER, lot_code="LATER")


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_sale_quantity_must_be_positive(amount: str) -> None:
    with pytest.raises(InvalidValue, match="above zero"):
        allocate([stock("A", timedelta(days=2), "2")], Decimal(amount), NOW, DEFAULT_LADDER)


def test_ledger_entry_signs_are_enforced() -> None:
    key = stock("A", timedelta(days=2), "2").lot.key
    with pytest.raises(InvalidValue, match="sale entry cannot have quantity 1"):
        LedgerEntry(key, EntryKind.SALE, Decimal(1), NOW, unit_price=Money.of(1))
    with pytest.raises(InvalidValue, match="needs a unit price"):
        LedgerEntry(key, EntryKind.SALE, Decimal(-1), NOW)
    with pytest.raises(InvalidValue, match="price_change entry cannot have quantity"):
        LedgerEntry(key, EntryKind.PRICE_CHANGE, Decimal(1), NOW, unit_price=Money.of(1))
    with pytest.raises(OutOfStock, match="has 2 on hand; cannot record a disposal of 3"):
        removal_entry(key, Decimal(2), EntryKind.DISPOSAL, Decimal(3), NOW)


def test_stock_count_records_the_difference() -> None:
    key = stock("A", timedelta(days=2), "2").lot.key
    entry = count_entry(key, Decimal("5"), Decimal("3.5"), NOW)
    assert entry is not None and entry.quantity == Decimal("-1.5")
    assert count_entry(key, Decimal("5"), Decimal("5"), NOW) is None
    with pytest.raises(InvalidValue, match="cannot be negative"):
        count_entry(key, Decimal("5"), Decimal("-1"), NOW)
