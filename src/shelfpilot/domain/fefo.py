"""Where a sale is allocated to lots: first-expired-first-out.

A sale that names no lot takes from the sellable lot that expires first, then
the next, splitting across lots when needed. A sale that names its lot (a GS1
scan with AI 10) takes from that lot only. Expired lots and lots past the
ladder's pull-off stage are never sold from; stock never goes negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shelfpilot.domain.errors import InvalidValue, LotNotSellable, OutOfStock, Text
from shelfpilot.domain.ladder import ExpiryLadder
from shelfpilot.domain.ledger import EntryKind, LedgerEntry
from shelfpilot.domain.lots import Lot, LotKey, require_aware, utc
from shelfpilot.domain.money import Money, quantity, show


@dataclass(frozen=True, slots=True)
class LotStock:
    lot: Lot
    on_hand: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    lot: LotKey
    quantity: Decimal


def fefo_key(stock: LotStock) -> tuple[datetime, datetime, str]:
    """Earliest expiry first; ties go to the lot received first, then by code."""
    return (utc(stock.lot.expires_at), utc(stock.lot.received_at), stock.lot.code)


def allocate(
    stock: Iterable[LotStock],
    amount: Decimal,
    at: datetime,
    ladder: ExpiryLadder,
    *,
    lot_code: str | None = None,
    item: str | None = None,
) -> list[Allocation]:
    """Choose the lots a sale of ``amount`` comes from. ``item`` names the product
    and place in the out-of-stock message (e.g. "CAKE at SZ-01")."""
    require_aware(at, "sale time")
    amount = quantity(amount)
    if amount <= 0:
        raise InvalidValue("sale quantity must be above zero, got {amount}", amount=amount)
    candidates = sorted(stock, key=fefo_key)
    if lot_code is not None:
        return [_from_named_lot(candidates, lot_code, amount, at, ladder)]
    sellable = [s for s in candidates if s.on_hand > 0 and ladder.is_sellable(s.lot.expires_at, at)]
    allocations: list[Allocation] = []
    left = amount
    for s in sellable:
        take = min(left, s.on_hand)
        allocations.append(Allocation(s.lot.key, take))
        left -= take
        if left == 0:
            return allocations
    available = amount - left
    blocked = sum(
        (s.on_hand for s in candidates if s not in sellable and s.on_hand > 0), Decimal(0)
    )
    first = candidates[0].lot if candidates else None
    hint = Text("; {blocked} more is expired or pulled off sale", blocked=show(blocked))
    raise OutOfStock(
        "out of stock: only {available} of {item} can be sold, asked for {amount}{hint}",
        available=show(available),
        item=_item(item, first),
        amount=show(amount),
        hint=hint if blocked else "",
    )


def _item(item: str | None, first: Lot | None) -> str:
    """The product and place a sale is for, translatable when it can be (a
    caller's plain "SKU at STORE" is the same phrase)."""
    if first is not None:
        named = Text("{sku} at {location}", sku=first.sku, location=first.location_code)
        if item is None or item == named:
            return named
    return item or Text("this product here")


def _from_named_lot(
    candidates: Sequence[LotStock],
    lot_code: str,
    amount: Decimal,
    at: datetime,
    ladder: ExpiryLadder,
) -> Allocation:
    match = next((s for s in candidates if s.lot.code == lot_code), None)
    if match is None:
        raise OutOfStock(
            "lot {lot} is not stocked here; check the lot code on the label", lot=lot_code
        )
    lot = match.lot
    if lot.is_expired(at):
        raise LotNotSellable(
            "{lot} expired at {when} and cannot be sold; "
            "take it off the shelf and record a disposal or donation",
            lot=lot.key,
            when=_when(lot.expires_at),
        )
    if not ladder.is_sellable(lot.expires_at, at):
        raise LotNotSellable(
            "{lot} was pulled off sale at {when} and cannot be sold; donate or dispose of it",
            lot=lot.key,
            when=_when(ladder.sellable_until(lot.expires_at)),
        )
    if match.on_hand < amount:
        raise OutOfStock(
            "out of stock: {lot} has {have} on hand, asked for {amount}",
            lot=lot.key,
            have=show(match.on_hand),
            amount=show(amount),
        )
    return Allocation(lot.key, amount)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} ({moment.tzname()})"


def sale_entries(
    allocations: Iterable[Allocation],
    at: datetime,
    unit_price: Money,
    reference: str | None = None,
) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            a.lot, EntryKind.SALE, -a.quantity, at, unit_price=unit_price, reference=reference
        )
        for a in allocations
    ]
