"""Locations, lots, receipts and sales."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response

from shelfpilot.api.schemas import (
    PLAIN,
    EntryOut,
    Limit,
    LocationOut,
    LotOut,
    Offset,
    OperationOut,
    Page,
    ReceiptIn,
    SaleIn,
)
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.ledger import LedgerEntry
from shelfpilot.services import catalog, inventory, stock_views
from shelfpilot.services.commands import ReceiveLot, RecordSale, SaleLine
from shelfpilot.services.operations import OperationResult

router = APIRouter(tags=["stock"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._~-]+$",
        description="A key unique to this request (a UUID; letters, digits and . _ ~ -): "
        "sending it again returns the first result and records nothing twice.",
    ),
]


#: the answer to a retry, documented beside the 201
RETRY: dict[int | str, dict[str, Any]] = {
    200: {"model": OperationOut, "description": "a retry: the first result"}
}


def stored_key(location: str, key: str) -> str:
    """The key as recorded: a key is the caller's own within one location."""
    return f"api:{location}:{key}"


@router.get("/locations", response_model=Page[LocationOut])
def list_locations(
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    kind: Literal["brand", "distributor", "store", "warehouse"] | None = None,
    sort: Literal["code", "-code", "name", "-name"] = "code",
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[LocationOut]:
    rows = [
        LocationOut(
            code=loc.code,
            name=loc.name,
            kind=loc.kind.value,
            parent=loc.parent_code,
            timezone=loc.timezone,
        )
        for loc in catalog.locations(db)
        if principal.sees(loc.code) and (kind is None or loc.kind.value == kind)
    ]
    return Page.of(rows, sort, offset, limit)


@router.post(
    "/locations/{location}/sales",
    response_model=OperationOut,
    status_code=201,
    responses=RETRY,
)
def record_sale(
    location: str,
    sale: SaleIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.SELL)],
    response: Response,
) -> OperationOut:
    result = inventory.record_sale(
        db,
        RecordSale(location, sale_lines(sale), sale.at, sale.reference, stored_key(location, key)),
    )
    return answer(result, response)


@router.get("/locations/{location}/lots", response_model=Page[LotOut])
def list_lots(
    location: str,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    at: datetime | None = None,
    sku: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
    stage: Annotated[str | None, Query(max_length=32, pattern=PLAIN)] = None,
    sort: Literal["expires_at", "-expires_at", "on_hand", "-on_hand", "sku"] = "expires_at",
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[LotOut]:
    """The product lifecycle table of one location: open lots, their stage on
    the expiry ladder and what to do now (as of ``at``, default now)."""
    rows = [
        LotOut(
            location=r.location_code,
            sku=r.sku,
            product=r.product_name,
            lot_code=r.lot_code,
            received_at=r.received_at,
            expires_at=r.expires_at,
            days_left=r.days_left,
            on_hand=r.on_hand,
            sold=r.sold,
            sales_per_day=r.sales_per_day,
            days_of_cover=r.days_of_cover,
            stage=r.stage,
            action=r.action,
        )
        for r in stock_views.lifecycle_table(
            db, at or datetime.now(UTC), location=location, sku=sku
        )
        if stage is None or r.stage == stage
    ]
    return Page.of(rows, sort, offset, limit)


@router.post(
    "/locations/{location}/receipts",
    response_model=OperationOut,
    status_code=201,
    responses=RETRY,
)
def receive(
    location: str,
    receipt: ReceiptIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.RECEIVE)],
    response: Response,
) -> OperationOut:
    """Receive a lot into stock at this location."""
    result = inventory.receive_lot(
        db,
        ReceiveLot(
            location, receipt.sku, receipt.lot_code, receipt.quantity, receipt.received_at,
            receipt.produced_at, receipt.expiry, receipt.unit_cost, receipt.supplier,
            stored_key(location, key),
        ),
    )  # fmt: skip
    return answer(result, response)


def answer(result: OperationResult, response: Response) -> OperationOut:
    """201 for a write recorded now, 200 for a retry answered with the first result."""
    if result.replayed:
        response.status_code = 200
    return operation_out(result)


def sale_lines(sale: SaleIn) -> tuple[SaleLine, ...]:
    return tuple(
        SaleLine(
            quantity=line.quantity,
            sku=line.sku,
            unit_price=line.unit_price,
            lot_code=line.lot_code,
            barcode=line.barcode,
        )
        for line in sale.lines
    )


def operation_out(result: OperationResult) -> OperationOut:
    return OperationOut(
        operation_id=result.operation_id,
        replayed=result.replayed,
        entries=[entry_out(e) for e in result.entries],
    )


def entry_out(e: LedgerEntry) -> EntryOut:
    return EntryOut(
        lot_code=e.lot.lot_code,
        sku=e.lot.sku,
        kind=e.kind.value,
        quantity=e.quantity,
        unit_price=e.unit_price.amount if e.unit_price else None,
        currency=e.unit_price.currency if e.unit_price else None,
        occurred_at=e.occurred_at,
    )
