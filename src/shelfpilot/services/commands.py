"""What a caller asks the stock use cases to do. Every event can carry an
idempotency key; a time of None means "now", decided when it is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shelfpilot.domain.ledger import EntryKind


@dataclass(frozen=True)
class ReceiveLot:
    location: str
    sku: str
    lot_code: str
    quantity: Decimal
    received_at: datetime | None
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
    at: datetime | None
    reference: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RemoveStock:
    """Donation, disposal (write-off) or transfer out of one lot. A donation
    may name who received it and their receipt (kept with its value)."""

    location: str
    sku: str
    lot_code: str
    kind: EntryKind
    quantity: Decimal
    at: datetime | None
    note: str | None = None
    idempotency_key: str | None = None
    actor: str = "system"
    recipient: str | None = None
    receipt: str | None = None


@dataclass(frozen=True)
class TransferStock:
    from_location: str
    to_location: str
    sku: str
    lot_code: str
    quantity: Decimal
    at: datetime | None
    idempotency_key: str | None = None
    actor: str = "system"


@dataclass(frozen=True)
class CountStock:
    location: str
    sku: str
    lot_code: str
    counted: Decimal
    at: datetime | None
    idempotency_key: str | None = None
    actor: str = "system"


@dataclass(frozen=True)
class ReturnStock:
    location: str
    sku: str
    lot_code: str
    quantity: Decimal
    at: datetime | None
    idempotency_key: str | None = None
    actor: str = "system"


@dataclass(frozen=True)
class ChangePrice:
    location: str
    sku: str
    lot_code: str
    unit_price: Decimal
    at: datetime | None
    allow_below_floor: bool = False
    reference: str | None = None
    idempotency_key: str | None = None
    actor: str = "system"
