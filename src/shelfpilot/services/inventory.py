"""Stock use cases: receive a lot and record a sale (removals, transfers,
counts, returns and price changes are in ``adjustments``; all are importable
from here). Each public function is one transaction; the ``apply_*`` functions
run inside a caller's transaction (an import runs many in one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from shelfpilot.barcode import read_label
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import (
    Conflict,
    InvalidValue,
    LotNotSellable,
    NotFound,
    OutOfStock,
    Text,
)
from shelfpilot.domain.fefo import Allocation, LotStock, allocate
from shelfpilot.domain.ladder import ExpiryLadder
from shelfpilot.domain.ledger import EntryKind, LedgerEntry
from shelfpilot.domain.lots import Lot, expiry_instant, utc
from shelfpilot.domain.money import Money, quantity, show
from shelfpilot.services.adjustments import (
    apply_count,
    apply_removal,
    change_price,
    check_after_receipt,
    count_stock,
    price_changes_that_day,
    remove_stock,
    return_stock,
    transfer_stock,
)
from shelfpilot.services.commands import (
    ChangePrice,
    CountStock,
    ReceiveLot,
    RecordSale,
    RemoveStock,
    ReturnStock,
    SaleLine,
    TransferStock,
)
from shelfpilot.services.operations import (
    OperationResult,
    Step,
    execute,
    occurred,
    run,
    run_batch,
)
from shelfpilot.storage import Database, UnitOfWork

__all__ = [
    "ChangePrice",
    "CountStock",
    "OperationResult",
    "ReceiveLot",
    "RecordSale",
    "RemoveStock",
    "ReturnStock",
    "SaleLine",
    "TransferStock",
    "apply_count",
    "apply_receive",
    "apply_removal",
    "apply_sale",
    "change_price",
    "count_stock",
    "price_changes_that_day",
    "receive_lot",
    "record_sale",
    "remove_stock",
    "return_stock",
    "transfer_stock",
]


# receipts -----------------------------------------------------------------------
def _receive(cmd: ReceiveLot, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    product = uow.catalog.product(cmd.sku)
    location = uow.catalog.location(cmd.location)
    if not location.holds_stock:
        raise InvalidValue(
            "{location} is a {kind}; only stores and warehouses hold stock",
            location=location.code,
            kind=location.kind.value,
        )
    received = occurred(cmd.received_at)
    expires, is_date = expiry_instant(
        cmd.expiry,
        zone=location.zone,
        start=cmd.produced_at or received,
        shelf_life=product.shelf_life,
    )
    cost = product.unit_cost if cmd.unit_cost is None else Money(cmd.unit_cost, product.currency)
    lot = Lot(
        code=cmd.lot_code,
        sku=product.sku,
        location_code=location.code,
        received_at=received,
        expires_at=expires,
        quantity=quantity(cmd.quantity),
        unit_cost=cost,
        produced_at=cmd.produced_at,
        supplier_code=cmd.supplier,
        expiry_is_date=is_date,
    )
    if uow.stock.find_lot(lot.key) is not None:
        raise Conflict("{lot} already exists; use a new lot code for a new batch", lot=str(lot.key))
    uow.stock.add_lot(lot)
    entries = [LedgerEntry(lot.key, EntryKind.RECEIPT, lot.quantity, received)]
    uow.stock.add_entries(operation_id, entries)
    return entries


def apply_receive(uow: UnitOfWork, cmd: ReceiveLot) -> OperationResult:
    return execute(uow, "receipt", cmd, partial(_receive, cmd))


def receive_lot(db: Database, cmd: ReceiveLot) -> OperationResult:
    return run(db, "receipt", cmd, partial(_receive, cmd))


# sales ---------------------------------------------------------------------------
def _resolve_line(
    uow: UnitOfWork, line: SaleLine
) -> tuple[Product, Decimal, str | None, date | None]:
    """Which product, how much, and which lot (or label expiry date) a line names."""
    lot_code, expiry, amount = line.lot_code, None, line.quantity
    if line.barcode:
        label = read_label(line.barcode)
        product = uow.catalog.product_by_gtin(label.gtin)
        if line.sku and line.sku != product.sku:
            raise InvalidValue(
                "the barcode is for {scanned}, not {sku}", scanned=product.sku, sku=line.sku
            )
        lot_code = lot_code or label.lot_code
        expiry = label.expiry
        if amount is None:
            amount = label.net_weight_kg
    elif line.sku:
        product = uow.catalog.product(line.sku)
    else:
        raise InvalidValue("a sale line needs an SKU or a barcode")
    return product, quantity(Decimal(1) if amount is None else amount), lot_code, expiry


def _lots_expiring_on(
    uow: UnitOfWork, location: str, sku: str, expiry: date, zone: ZoneInfo, at: datetime
) -> list[LotStock]:
    """A label that carries only an expiry date (AI 17) narrows the sale to lots
    with that date; FEFO then chooses among them."""
    lots = [s for s in uow.stock.stock(location, sku, at=at) if s.lot.expiry_date(zone) == expiry]
    if not lots:
        raise NotFound(
            "no lot of {sku} at {location} expires on {expiry}; check the label",
            sku=sku,
            location=location,
            expiry=expiry.isoformat(),
        )
    if all(s.lot.is_expired(at) for s in lots):
        raise LotNotSellable(
            "the {sku} labelled to expire on {expiry} has expired and cannot be sold",
            sku=sku,
            expiry=expiry.isoformat(),
        )
    return lots


def _sale(cmd: RecordSale, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    if not cmd.lines:
        raise InvalidValue("a sale needs at least one line")
    at = occurred(cmd.at)
    location = uow.catalog.location(cmd.location)
    policy = uow.catalog.ladder_policy()
    lines = [_resolve_line(uow, line) for line in cmd.lines]
    # lock every product of the receipt in one order, so two tills selling the
    # same products in another order cannot deadlock
    skus = sorted({product.sku for product, *_ in lines})
    if uow.stock.lock and len(skus) > 1:
        for sku in skus:
            uow.stock.stock(location.code, sku, expiring_after=utc(at))
    written: list[LedgerEntry] = []
    for line, (product, amount, lot_code, expiry) in zip(cmd.lines, lines, strict=True):
        ladder = policy.for_product(product)
        if lot_code is not None:
            stock = uow.stock.stock(location.code, product.sku, lot_code=lot_code, at=at)
            if stock:
                check_after_receipt(stock[0].lot, at, "sold")
        elif expiry is not None:
            stock = _lots_expiring_on(uow, location.code, product.sku, expiry, location.zone, at)
        else:
            stock = uow.stock.stock(
                location.code, product.sku, expiring_after=utc(at) + ladder.pull_off, at=at
            )
        try:
            allocations = allocate(
                stock,
                amount,
                at,
                ladder,
                lot_code=lot_code,
                item=Text("{sku} at {location}", sku=product.sku, location=location.code),
            )
        except OutOfStock as error:
            hint = _blocked_hint(uow, location.code, product.sku, at, ladder)
            if lot_code is not None or expiry is not None or hint is None:
                raise
            shortage = Text(error.template, **error.params)
            raise OutOfStock("{shortage}{hint}", shortage=shortage, hint=hint) from None
        entries = [
            _sale_entry(uow, product, a, line.unit_price, at, cmd.reference) for a in allocations
        ]
        # written now, so a later line of the same receipt sees this one's stock taken
        uow.stock.add_entries(operation_id, entries)
        written.extend(entries)
    return written


def _sale_entry(
    uow: UnitOfWork,
    product: Product,
    allocation: Allocation,
    paid: Decimal | None,
    at: datetime,
    reference: str | None,
) -> LedgerEntry:
    """The price is what the till says was paid; without one, the lot's current
    (marked-down) price, else the list price. A recorded sale is a fact, so a
    price under the floor is kept, not refused: the floor guards price changes."""
    if paid is None:
        marked = uow.stock.price_at(allocation.lot, at)
        price = product.list_price if marked is None else Money(marked, product.currency)
    else:
        price = Money(paid, product.currency)
    return LedgerEntry(
        allocation.lot,
        EntryKind.SALE,
        -allocation.quantity,
        at,
        unit_price=price,
        reference=reference,
    )


def _blocked_hint(
    uow: UnitOfWork, location: str, sku: str, at: datetime, ladder: ExpiryLadder
) -> Text | None:
    """Say how much is there but cannot be sold (expired or pulled off sale)."""
    held = uow.stock.stock(location, sku, at=at)
    blocked = sum(
        (s.on_hand for s in held if s.on_hand > 0 and not ladder.is_sellable(s.lot.expires_at, at)),
        Decimal(0),
    )
    if not blocked:
        return None
    return Text(
        "; {blocked} more is expired or pulled off sale: dispose of it or donate it",
        blocked=show(blocked),
    )


def apply_sale(uow: UnitOfWork, cmd: RecordSale) -> OperationResult:
    return execute(uow, "sale", cmd, partial(_sale, cmd))


def record_sale(db: Database, cmd: RecordSale) -> OperationResult:
    return run(db, "sale", cmd, partial(_sale, cmd))


def record_sales(
    db: Database, cmds: Sequence[RecordSale], batch_key: str | None = None
) -> list[OperationResult]:
    """A till's batch of receipts in one transaction: all recorded or none. An
    error names the receipt (its number in the batch and its reference). With
    ``batch_key`` the batch as a whole is recorded too, so the same key with a
    different batch (one receipt more or less) is refused, not half replayed."""

    first = 2 if batch_key is not None else 1  # step 1 is then the batch itself

    def label(step: int) -> Text | None:
        n = step - first + 1
        if n < 1:
            return None
        reference = cmds[n - 1].reference
        if reference:
            return Text(
                "receipt {n} of {total} ({reference})", n=n, total=len(cmds), reference=reference
            )
        return Text("receipt {n} of {total}", n=n, total=len(cmds))

    steps: list[Step] = [("sale", cmd, partial(_sale, cmd)) for cmd in cmds]
    if batch_key is not None:
        steps.insert(0, ("sale_batch", SaleBatch(tuple(cmds), batch_key), _nothing))
    results = run_batch(db, steps, label=label)
    return results[1:] if batch_key is not None else results


@dataclass(frozen=True)
class SaleBatch:
    """A batch of receipts as one request, for its idempotency key."""

    receipts: tuple[RecordSale, ...]
    idempotency_key: str | None


def _nothing(uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    return []
