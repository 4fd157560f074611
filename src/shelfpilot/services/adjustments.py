"""Stock use cases besides receipts and sales: donate, dispose, transfer,
count, customer return and price change. Every one is refused for a time
before the lot was received, and takes at most what can be taken at that
time without a later record going negative."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from shelfpilot.domain.audit import AuditRecord
from shelfpilot.domain.errors import InvalidValue, LotNotSellable, NotFound, OutOfStock, Text
from shelfpilot.domain.fefo import LotStock
from shelfpilot.domain.ledger import ZERO, EntryKind, LedgerEntry, count_entry, removal_entry
from shelfpilot.domain.lots import Lot, LotKey, local_day, require_aware
from shelfpilot.domain.money import Money, quantity, show
from shelfpilot.domain.pricing import check_price
from shelfpilot.services.commands import (
    ChangePrice,
    CountStock,
    RemoveStock,
    ReturnStock,
    TransferStock,
)
from shelfpilot.services.operations import OperationResult, execute, occurred, run
from shelfpilot.storage import Database, UnitOfWork


def check_after_receipt(lot: Lot, at: datetime, what: str) -> None:
    if at < lot.received_at:
        raise InvalidValue(
            "{lot} was received at {received:%Y-%m-%d %H:%M}; "
            "it cannot be {what} at {at:%Y-%m-%d %H:%M}, before it arrived",
            lot=lot.key,
            received=lot.received_at,
            what=Text(what),
            at=at.astimezone(lot.received_at.tzinfo),
        )


def _one_lot(
    uow: UnitOfWork, location: str, sku: str, lot_code: str, at: datetime, what: str
) -> LotStock:
    stock = uow.stock.stock(location, sku, lot_code=lot_code, at=at)
    if not stock:
        raise NotFound("unknown {lot}", lot=LotKey(location, sku, lot_code))
    check_after_receipt(stock[0].lot, at, what)
    return stock[0]


def _remove(cmd: RemoveStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    at = occurred(cmd.at)
    held = _one_lot(
        uow,
        cmd.location,
        cmd.sku,
        cmd.lot_code,
        at,
        "donated" if cmd.kind == EntryKind.DONATION else "removed",
    )
    donation = cmd.kind == EntryKind.DONATION
    if donation and held.lot.is_expired(at):
        raise LotNotSellable(
            "{lot} has expired: expired food cannot be donated, dispose of it", lot=held.lot.key
        )
    if not donation and (cmd.recipient or cmd.receipt):
        raise InvalidValue("only a donation has a recipient and a receipt")
    entry = removal_entry(
        held.lot.key, held.on_hand, EntryKind(cmd.kind), cmd.quantity, at,
        note=cmd.note, reference=cmd.receipt,
    )  # fmt: skip
    uow.stock.add_entries(operation_id, [entry])
    if entry.kind is not EntryKind.TRANSFER_OUT:
        after = {
            "on_hand": show(held.on_hand + entry.quantity),
            "at": at.isoformat(),
            "note": cmd.note or "",
        }
        if donation:
            after |= _donation_record(uow, held, -entry.quantity, cmd)
        audit(
            uow, cmd.actor, f"stock.{entry.kind.value}", held.lot.key,
            {"on_hand": show(held.on_hand)}, after,
        )  # fmt: skip
    return [entry]


def _donation_record(
    uow: UnitOfWork, held: LotStock, units: Decimal, cmd: RemoveStock
) -> dict[str, str]:
    """What a donation is worth, at cost and at list price, and who signed
    for it: what a food bank's receipt and the shop's books need."""
    product = uow.catalog.product(held.lot.sku)
    return {
        "sku": held.lot.sku,
        "lot": held.lot.code,
        "recipient": cmd.recipient or "",
        "receipt": cmd.receipt or "",
        "value_at_cost": str(held.lot.unit_cost * units),
        "value_at_list": str(product.list_price * units),
    }


def apply_removal(uow: UnitOfWork, cmd: RemoveStock) -> OperationResult:
    return execute(uow, EntryKind(cmd.kind).value, cmd, partial(_remove, cmd))


def remove_stock(db: Database, cmd: RemoveStock) -> OperationResult:
    return run(db, EntryKind(cmd.kind).value, cmd, partial(_remove, cmd))


def _transfer(cmd: TransferStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    """The lot keeps its code, expiry and cost at the destination."""
    if cmd.from_location == cmd.to_location:
        raise InvalidValue("a transfer needs two different locations")
    at = occurred(cmd.at)
    held = _one_lot(uow, cmd.from_location, cmd.sku, cmd.lot_code, at, "moved")
    destination = uow.catalog.location(cmd.to_location)
    if not destination.holds_stock:
        raise InvalidValue(
            "{location} is a {kind} and cannot hold stock",
            location=destination.code,
            kind=destination.kind.value,
        )
    out = removal_entry(
        held.lot.key,
        held.on_hand,
        EntryKind.TRANSFER_OUT,
        cmd.quantity,
        at,
        reference=destination.code,
    )
    target = LotKey(destination.code, cmd.sku, cmd.lot_code)
    arrived = ZERO
    if uow.stock.find_lot(target) is None:
        source = held.lot
        uow.stock.add_lot(
            Lot(
                code=source.code,
                sku=source.sku,
                location_code=destination.code,
                received_at=at,
                expires_at=source.expires_at,
                quantity=-out.quantity,
                unit_cost=source.unit_cost,
                produced_at=source.produced_at,
                expiry_is_date=source.expiry_is_date,
            )
        )
    else:
        arrived = uow.stock.balance_at(target, at)
    entries = [
        out,
        LedgerEntry(target, EntryKind.TRANSFER_IN, -out.quantity, at, reference=cmd.from_location),
    ]
    uow.stock.add_entries(operation_id, entries)
    moved = {"at": at.isoformat(), "quantity": show(-out.quantity)}
    # one record at each end, so each place's managers read what left or came
    audit(
        uow, cmd.actor, "stock.transfer_out", held.lot.key, {"on_hand": show(held.on_hand)},
        {"on_hand": show(held.on_hand + out.quantity), "to": destination.code, **moved},
    )  # fmt: skip
    audit(
        uow, cmd.actor, "stock.transfer_in", target, {"on_hand": show(arrived)},
        {"on_hand": show(arrived - out.quantity), "from": cmd.from_location, **moved},
    )  # fmt: skip
    return entries


def transfer_stock(db: Database, cmd: TransferStock) -> OperationResult:
    return run(db, "transfer", cmd, partial(_transfer, cmd))


def _count(cmd: CountStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    """A count sets the lot's balance at the time of the count; records made
    later (uploaded before the count) stay as they are."""
    at = occurred(cmd.at)
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code, at, "counted")
    entry = count_entry(held.lot.key, uow.stock.balance_at(held.lot.key, at), cmd.counted, at)
    if entry is not None and -entry.quantity > held.on_hand:
        raise OutOfStock(
            "a count of {counted} at {at:%Y-%m-%d %H:%M} would leave later records of "
            "{lot} below zero; record the count at the time it was taken, after those sales",
            counted=show(quantity(cmd.counted)),
            at=at,
            lot=held.lot.key,
        )
    entries = [entry] if entry else []
    uow.stock.add_entries(operation_id, entries)
    if entry is not None:
        audit(
            uow,
            cmd.actor,
            "stock.count",
            held.lot.key,
            {"on_hand": show(held.on_hand)},
            {"on_hand": show(held.on_hand + entry.quantity), "at": at.isoformat()},
        )
    return entries


def apply_count(uow: UnitOfWork, cmd: CountStock) -> OperationResult:
    return execute(uow, "count", cmd, partial(_count, cmd))


def count_stock(db: Database, cmd: CountStock) -> OperationResult:
    return run(db, "count", cmd, partial(_count, cmd))


def _return(cmd: ReturnStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    """A customer can return at most what was sold from the lot and not yet returned."""
    at = occurred(cmd.at)
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code, at, "returned")
    amount = quantity(cmd.quantity)
    totals = uow.stock.totals_by_kind(held.lot.key)
    returnable = -totals.get(EntryKind.SALE, ZERO) - totals.get(EntryKind.RETURN, ZERO)
    if amount > returnable:
        raise InvalidValue(
            "only {returnable} of {lot} was sold and not yet returned; "
            "a return of {amount} is more than that",
            returnable=show(returnable),
            lot=held.lot.key,
            amount=show(amount),
        )
    entry = LedgerEntry(held.lot.key, EntryKind.RETURN, amount, at)
    uow.stock.add_entries(operation_id, [entry])
    audit(
        uow, cmd.actor, "stock.return", held.lot.key, {"on_hand": show(held.on_hand)},
        {"on_hand": show(held.on_hand + amount), "at": at.isoformat(), "quantity": show(amount)},
    )  # fmt: skip
    return [entry]


def return_stock(db: Database, cmd: ReturnStock) -> OperationResult:
    return run(db, "return", cmd, partial(_return, cmd))


def _reprice(cmd: ChangePrice, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    product = uow.catalog.product(cmd.sku)
    at = occurred(cmd.at)
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code, at, "repriced")
    price = check_price(
        product, Money(cmd.unit_price, product.currency), allow_below_floor=cmd.allow_below_floor
    )
    before = uow.stock.price_at(held.lot.key, at)
    # a manager's own change is not refused (it may correct a mistake), but
    # the audit says how many the lot has had that day, this one included
    made = changes_that_day(uow, held.lot.key, at)
    entry = LedgerEntry(
        held.lot.key,
        EntryKind.PRICE_CHANGE,
        Decimal(0),
        at,
        unit_price=price,
        reference=cmd.reference,
    )
    uow.stock.add_entries(operation_id, [entry])
    audit(
        uow,
        cmd.actor,
        "price.change",
        held.lot.key,
        {"price": str(product.list_price.amount if before is None else before)},
        {
            "price": str(price.amount),
            "at": at.isoformat(),
            "reference": cmd.reference or "",
            "changes_that_day": str(made + 1),
        },
    )
    return [entry]


def changes_that_day(uow: UnitOfWork, key: LotKey, at: datetime) -> int:
    """How many times the lot was repriced on its store's local day of ``at``."""
    zone = uow.catalog.location(key.location_code).zone
    return uow.stock.price_changes(key, *local_day(require_aware(at, "time"), zone))


def price_changes_that_day(db: Database, key: LotKey, at: datetime) -> int:
    """``changes_that_day`` in a transaction of its own."""
    with db.transaction(readonly=True) as uow:
        uow.stock.lot(key)  # NotFound names an unknown lot
        return changes_that_day(uow, key, at)


def audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    subject: LotKey | str,
    before: dict[str, str],
    after: dict[str, str],
    *,
    location: str | None = None,
) -> None:
    """Append to the audit log in the same transaction as the change itself.
    A lot's location is the record's unless another is named."""
    if location is None and isinstance(subject, LotKey):
        location = subject.location_code
    uow.audit.append(
        AuditRecord(datetime.now(UTC), actor, action, str(subject), before, after, None, location)
    )


def apply_price_change(uow: UnitOfWork, cmd: ChangePrice) -> OperationResult:
    return execute(uow, "price_change", cmd, partial(_reprice, cmd))


def change_price(db: Database, cmd: ChangePrice) -> OperationResult:
    return run(db, "price_change", cmd, partial(_reprice, cmd))
