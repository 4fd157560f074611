"""The append-only inventory ledger. A lot's on-hand is the sum of its entries;
nothing else stores stock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shelfpilot.domain.errors import InvalidValue, OutOfStock, Text
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import Money, quantity, show

ZERO = Decimal("0.000")


class EntryKind(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    PRICE_CHANGE = "price_change"
    DONATION = "donation"
    DISPOSAL = "disposal"
    ADJUSTMENT = "adjustment"
    RETURN = "return"


#: How a sale made off the shelf is referenced: units a channel sold (``channel
#: <code>, plan line <n>``), a pre-order collected at its agreed price
#: (``pre-order <n>``), bundles rung up at the till (``bundle plan line <n>``).
CHANNEL_REFERENCE = "channel"
PRE_ORDER_REFERENCE = "pre-order"
BUNDLE_REFERENCE = "bundle plan line"


def referenced_as(reference: str | None, kind: str) -> bool:
    """Whether a sale's reference names it as made by ``kind`` (one of the
    references above)."""
    return (reference or "").startswith(f"{kind} ")


def off_shelf(reference: str | None) -> bool:
    """Whether a sale with this reference was not made at the shelf's price:
    such sales say nothing of how the shelf's customers answer its price."""
    return any(
        referenced_as(reference, kind)
        for kind in (CHANNEL_REFERENCE, PRE_ORDER_REFERENCE, BUNDLE_REFERENCE)
    )


#: Sign each kind's quantity must have: +1 adds stock, -1 removes, 0 moves none,
#: None (stock-count adjustments) either way.
SIGNS: dict[EntryKind, int | None] = {
    EntryKind.RECEIPT: 1,
    EntryKind.SALE: -1,
    EntryKind.TRANSFER_OUT: -1,
    EntryKind.TRANSFER_IN: 1,
    EntryKind.PRICE_CHANGE: 0,
    EntryKind.DONATION: -1,
    EntryKind.DISPOSAL: -1,
    EntryKind.ADJUSTMENT: None,
    EntryKind.RETURN: 1,
}
REMOVALS = frozenset({EntryKind.TRANSFER_OUT, EntryKind.DONATION, EntryKind.DISPOSAL})


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    lot: LotKey
    kind: EntryKind
    quantity: Decimal
    occurred_at: datetime
    unit_price: Money | None = None
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EntryKind(self.kind))
        object.__setattr__(self, "quantity", quantity(self.quantity))
        require_aware(self.occurred_at, "entry time")
        sign = SIGNS[self.kind]
        q = self.quantity
        if (sign == 1 and q <= 0) or (sign == -1 and q >= 0) or (sign == 0 and q != 0):
            raise InvalidValue(
                "a {kind} entry cannot have quantity {q}", kind=Text(self.kind.value), q=q
            )
        if sign is None and q == 0:
            raise InvalidValue("an adjustment of zero records nothing")
        if self.kind in (EntryKind.SALE, EntryKind.PRICE_CHANGE) and self.unit_price is None:
            raise InvalidValue("a {kind} entry needs a unit price", kind=Text(self.kind.value))
        if self.unit_price is not None and self.unit_price.amount < 0:
            raise InvalidValue("a price cannot be negative")


def on_hand(entries: Iterable[LedgerEntry], as_of: datetime | None = None) -> Decimal:
    """Sum of the entries (up to ``as_of`` when given)."""
    return sum(
        (e.quantity for e in entries if as_of is None or e.occurred_at <= as_of),
        start=ZERO,
    )


def removal_entry(
    lot: LotKey,
    stock: Decimal,
    kind: EntryKind,
    amount: Decimal,
    at: datetime,
    *,
    reference: str | None = None,
    note: str | None = None,
) -> LedgerEntry:
    """Take ``amount`` out of a lot for a transfer, donation or disposal."""
    if kind not in REMOVALS:
        raise InvalidValue("{kind} does not remove stock", kind=Text(kind.value))
    amount = quantity(amount)
    if amount <= 0:
        raise InvalidValue(
            "{kind} quantity must be above zero, got {amount}", kind=Text(kind.value), amount=amount
        )
    if amount > stock:
        raise OutOfStock(
            "{lot} has {have} on hand; cannot record a {kind} of {amount}",
            lot=lot,
            have=show(stock),
            kind=Text(kind.value),
            amount=show(amount),
        )
    return LedgerEntry(lot, kind, -amount, at, reference=reference, note=note)


def count_entry(
    lot: LotKey, stock: Decimal, counted: Decimal, at: datetime, *, reference: str | None = None
) -> LedgerEntry | None:
    """A stock count sets on-hand to what was counted; None when nothing changes."""
    counted = quantity(counted, "counted quantity")
    if counted < 0:
        raise InvalidValue(
            "counted quantity for {lot} cannot be negative ({counted})", lot=lot, counted=counted
        )
    delta = counted - stock
    if delta == 0:
        return None
    return LedgerEntry(
        lot, EntryKind.ADJUSTMENT, delta, at, reference=reference, note="stock count"
    )
