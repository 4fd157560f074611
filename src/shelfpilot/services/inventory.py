"""Stock use cases: receive a lot, record a sale, move, remove, count, return
and reprice stock. Each public function is one transaction; the ``apply_*``
functions run inside a caller's transaction (an import runs many in one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from shelfpilot.barcode import read_label
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import Conflict, InvalidValue, LotNotSellable, NotFound
from shelfpilot.domain.fefo import LotStock, allocate, sale_entries
from shelfpilot.domain.ledger import (
    EntryKind,
    LedgerEntry,
    count_entry,
    removal_entry,
)
from shelfpilot.domain.lots import Lot, LotKey, expiry_instant, require_aware, utc
from shelfpilot.domain.money import Money, quantity
from shelfpilot.domain.pricing import check_price
from shelfpilot.services.operations import OperationResult, execute, run
from shelfpilot.storage import Database, UnitOfWork


@dataclass(frozen=True)
class ReceiveLot:
    location: str
    sku: str
    lot_code: str
    quantity: Decimal
    received_at: datetime
    produced_at: datetime | None = None
    expiry: date | datetime | None = None
    unit_cost: Decimal | None = None
    supplier: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SaleLine:
    """One line of a till receipt. Name the product by ``sku`` or by a scanned
    GS1 ``barcode``; a lot code or expiry on the label picks the lot."""

    quantity: Decimal | None = None
    sku: str | None = None
    unit_price: Decimal | None = None
    lot_code: str | None = None
    barcode: str | None = None


@dataclass(frozen=True)
class RecordSale:
    location: str
    lines: tuple[SaleLine, ...]
    at: datetime
    reference: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RemoveStock:
    """Donation, disposal (write-off) or transfer out of one lot."""

    location: str
    sku: str
    lot_code: str
    kind: EntryKind
    quantity: Decimal
    at: datetime
    note: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class TransferStock:
    from_location: str
    to_location: str
    sku: str
    lot_code: str
    quantity: Decimal
    at: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CountStock:
    location: str
    sku: str
    lot_code: str
    counted: Decimal
    at: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ReturnStock:
    location: str
    sku: str
    lot_code: str
    quantity: Decimal
    at: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChangePrice:
    location: str
    sku: str
    lot_code: str
    unit_price: Decimal
    at: datetime
    allow_below_floor: bool = False
    idempotency_key: str | None = None


# receipts -----------------------------------------------------------------------
def _receive(cmd: ReceiveLot, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    product = uow.catalog.product(cmd.sku)
    location = uow.catalog.location(cmd.location)
    if not location.holds_stock:
        raise InvalidValue(
            f"{location.code} is a {location.kind.value}; only stores and warehouses hold stock"
        )
    received = require_aware(cmd.received_at, "received time")
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
        raise Conflict(f"{lot.key} already exists; use a new lot code for a new batch")
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
            raise InvalidValue(f"the barcode is for {product.sku}, not {line.sku}")
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
    lots = [s for s in uow.stock.stock(location, sku) if s.lot.expiry_date(zone) == expiry]
    if not lots:
        raise NotFound(
            f"no lot of {sku} at {location} expires on {expiry.isoformat()}; check the label"
        )
    if all(s.lot.is_expired(at) for s in lots):
        raise LotNotSellable(
            f"the {sku} labelled to expire on {expiry.isoformat()} has expired and cannot be sold"
        )
    return lots


def _sale(cmd: RecordSale, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    if not cmd.lines:
        raise InvalidValue("a sale needs at least one line")
    at = require_aware(cmd.at, "sale time")
    location = uow.catalog.location(cmd.location)
    policy = uow.catalog.ladder_policy()
    written: list[LedgerEntry] = []
    for line in cmd.lines:
        product, amount, lot_code, expiry = _resolve_line(uow, line)
        ladder = policy.for_product(product)
        if lot_code is not None:
            stock = uow.stock.stock(location.code, product.sku, lot_code=lot_code)
        elif expiry is not None:
            stock = _lots_expiring_on(uow, location.code, product.sku, expiry, location.zone, at)
        else:
            stock = uow.stock.stock(
                location.code, product.sku, expiring_after=utc(at) + ladder.pull_off
            )
        price = (
            product.list_price
            if line.unit_price is None
            else Money(line.unit_price, product.currency)
        )
        allocations = allocate(
            stock, amount, at, ladder, lot_code=lot_code, item=f"{product.sku} at {location.code}"
        )
        entries = sale_entries(allocations, at, price, cmd.reference)
        # written now, so a later line of the same receipt sees this one's stock taken
        uow.stock.add_entries(operation_id, entries)
        written.extend(entries)
    return written


def apply_sale(uow: UnitOfWork, cmd: RecordSale) -> OperationResult:
    return execute(uow, "sale", cmd, partial(_sale, cmd))


def record_sale(db: Database, cmd: RecordSale) -> OperationResult:
    return run(db, "sale", cmd, partial(_sale, cmd))


# removals, transfers, counts, returns, price changes ---------------------------------
def _one_lot(uow: UnitOfWork, location: str, sku: str, lot_code: str) -> LotStock:
    stock = uow.stock.stock(location, sku, lot_code=lot_code)
    if not stock:
        raise NotFound(f"unknown {LotKey(location, sku, lot_code)}")
    return stock[0]


def _remove(cmd: RemoveStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    at = require_aware(cmd.at, "time")
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code)
    if cmd.kind == EntryKind.DONATION and held.lot.is_expired(at):
        raise LotNotSellable(
            f"{held.lot.key} has expired: expired food cannot be donated, dispose of it"
        )
    entry = removal_entry(
        held.lot.key, held.on_hand, EntryKind(cmd.kind), cmd.quantity, at, note=cmd.note
    )
    uow.stock.add_entries(operation_id, [entry])
    return [entry]


def apply_removal(uow: UnitOfWork, cmd: RemoveStock) -> OperationResult:
    return execute(uow, EntryKind(cmd.kind).value, cmd, partial(_remove, cmd))


def remove_stock(db: Database, cmd: RemoveStock) -> OperationResult:
    return run(db, EntryKind(cmd.kind).value, cmd, partial(_remove, cmd))


def _transfer(cmd: TransferStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    """The lot keeps its code, expiry and cost at the destination."""
    if cmd.from_location == cmd.to_location:
        raise InvalidValue("a transfer needs two different locations")
    at = require_aware(cmd.at, "time")
    held = _one_lot(uow, cmd.from_location, cmd.sku, cmd.lot_code)
    destination = uow.catalog.location(cmd.to_location)
    if not destination.holds_stock:
        raise InvalidValue(
            f"{destination.code} is a {destination.kind.value} and cannot hold stock"
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
    entries = [
        out,
        LedgerEntry(target, EntryKind.TRANSFER_IN, -out.quantity, at, reference=cmd.from_location),
    ]
    uow.stock.add_entries(operation_id, entries)
    return entries


def transfer_stock(db: Database, cmd: TransferStock) -> OperationResult:
    return run(db, "transfer", cmd, partial(_transfer, cmd))


def _count(cmd: CountStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code)
    entry = count_entry(
        held.lot.key, held.on_hand, cmd.counted, require_aware(cmd.at, "count time")
    )
    entries = [entry] if entry else []
    uow.stock.add_entries(operation_id, entries)
    return entries


def apply_count(uow: UnitOfWork, cmd: CountStock) -> OperationResult:
    return execute(uow, "count", cmd, partial(_count, cmd))


def count_stock(db: Database, cmd: CountStock) -> OperationResult:
    return run(db, "count", cmd, partial(_count, cmd))


def _return(cmd: ReturnStock, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code)
    entry = LedgerEntry(
        held.lot.key, EntryKind.RETURN, quantity(cmd.quantity), require_aware(cmd.at, "time")
    )
    uow.stock.add_entries(operation_id, [entry])
    return [entry]


def return_stock(db: Database, cmd: ReturnStock) -> OperationResult:
    return run(db, "return", cmd, partial(_return, cmd))


def _reprice(cmd: ChangePrice, uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
    product = uow.catalog.product(cmd.sku)
    held = _one_lot(uow, cmd.location, cmd.sku, cmd.lot_code)
    price = check_price(
        product, Money(cmd.unit_price, product.currency), allow_below_floor=cmd.allow_below_floor
    )
    entry = LedgerEntry(
        held.lot.key,
        EntryKind.PRICE_CHANGE,
        Decimal(0),
        require_aware(cmd.at, "time"),
        unit_price=price,
    )
    uow.stock.add_entries(operation_id, [entry])
    return [entry]


def change_price(db: Database, cmd: ChangePrice) -> OperationResult:
    return run(db, "price_change", cmd, partial(_reprice, cmd))
