"""Stock movements besides single sales and receipts: batches of till
receipts, donations and disposals, transfers, counts, returns, lot prices,
the ledger they leave and the donation statement. Every write takes an
``Idempotency-Key``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from shelfpilot.api.routes.stock import (
    RETRY,
    IdempotencyKey,
    answer,
    entry_out,
    operation_out,
    sale_lines,
    stored_key,
)
from shelfpilot.api.schemas import (
    PLAIN,
    CountIn,
    DonationOut,
    DonationStatementOut,
    LedgerOut,
    Limit,
    Offset,
    OperationOut,
    Page,
    PriceIn,
    RecipientTotalOut,
    RemovalIn,
    ReturnIn,
    SaleBatchIn,
    SaleBatchOut,
    TransferIn,
)
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.ledger import EntryKind
from shelfpilot.services import adjustments, catalog, donations, inventory, stock_views
from shelfpilot.services.commands import (
    ChangePrice,
    CountStock,
    RecordSale,
    RemoveStock,
    ReturnStock,
    TransferStock,
)

router = APIRouter(tags=["stock"])


@router.post(
    "/locations/{location}/sales/batch",
    response_model=SaleBatchOut,
    status_code=201,
    responses={200: {"model": SaleBatchOut, "description": "a retry: the first result"}},
)
def record_sales(
    location: str,
    batch: SaleBatchIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.SELL)],
    response: Response,
) -> SaleBatchOut:
    """Up to 500 till receipts at once (a till back online), in one
    transaction: all are recorded or none, and an error names the receipt."""
    batch_key = f"api-batch:{location}:{key}"
    commands = [
        RecordSale(location, sale_lines(sale), sale.at, sale.reference, f"{batch_key}:{n}")
        for n, sale in enumerate(batch.sales, 1)
    ]
    results = inventory.record_sales(db, commands, batch_key)
    replayed = all(r.replayed for r in results)
    if replayed:
        response.status_code = 200
    return SaleBatchOut(replayed=replayed, operations=[operation_out(r) for r in results])


@router.post(
    "/locations/{location}/removals", response_model=OperationOut, status_code=201, responses=RETRY
)
def remove(
    location: str,
    removal: RemovalIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.ADJUST_STOCK)],
    response: Response,
) -> OperationOut:
    """Donate or dispose of units of a lot (audited; a donation with its receiver,
    receipt number and value at cost and at list price)."""
    result = adjustments.remove_stock(
        db,
        RemoveStock(
            location, removal.sku, removal.lot_code, EntryKind(removal.kind), removal.quantity,
            removal.at, removal.note, stored_key(location, key), principal.name,
            removal.recipient, removal.receipt,
        ),
    )  # fmt: skip
    return answer(result, response)


@router.post(
    "/locations/{location}/transfers", response_model=OperationOut, status_code=201, responses=RETRY
)
def transfer(
    location: str,
    move: TransferIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.ADJUST_STOCK)],
    response: Response,
) -> OperationOut:
    """Move units of a lot from this location to another the caller also
    covers; the lot keeps its code, expiry and cost (audited at both ends)."""
    principal.require(Permission.RECEIVE, move.to_location)
    result = adjustments.transfer_stock(
        db,
        TransferStock(
            location, move.to_location, move.sku, move.lot_code, move.quantity, move.at,
            stored_key(location, key), principal.name,
        ),
    )  # fmt: skip
    return answer(result, response)


@router.post(
    "/locations/{location}/counts", response_model=OperationOut, status_code=201, responses=RETRY
)
def count(
    location: str,
    counted: CountIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.ADJUST_STOCK)],
    response: Response,
) -> OperationOut:
    """A stock count sets the lot's balance at the time of the count (audited)."""
    result = adjustments.count_stock(
        db,
        CountStock(
            location, counted.sku, counted.lot_code, counted.counted, counted.at,
            stored_key(location, key), principal.name,
        ),
    )  # fmt: skip
    return answer(result, response)


@router.post(
    "/locations/{location}/returns", response_model=OperationOut, status_code=201, responses=RETRY
)
def customer_return(
    location: str,
    back: ReturnIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.SELL)],
    response: Response,
) -> OperationOut:
    """A customer brings units back: at most what was sold from the lot (audited)."""
    result = adjustments.return_stock(
        db,
        ReturnStock(
            location, back.sku, back.lot_code, back.quantity, back.at, stored_key(location, key),
            principal.name,
        ),
    )  # fmt: skip
    return answer(result, response)


@router.post(
    "/locations/{location}/prices", response_model=OperationOut, status_code=201, responses=RETRY
)
def change_price(
    location: str,
    price: PriceIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.DECIDE_PLANS)],
    response: Response,
) -> OperationOut:
    """Set a lot's shelf price, never below the product's floor (audited)."""
    result = adjustments.change_price(
        db,
        ChangePrice(
            location, price.sku, price.lot_code, price.unit_price, price.at,
            reference=price.reference, idempotency_key=stored_key(location, key),
            actor=principal.name,
        ),
    )  # fmt: skip
    return answer(result, response)


@router.get("/locations/{location}/ledger", response_model=Page[LedgerOut])
def ledger(
    location: str,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    sku: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
    lot_code: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
    kind: EntryKind | None = None,
    sort: Literal["occurred_at", "-occurred_at"] = "-occurred_at",
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[LedgerOut]:
    """The ledger of this location: every receipt, sale, move, count and price
    change, newest first by default."""
    records, total = stock_views.ledger_page(
        db, location, sku=sku, lot_code=lot_code, kind=kind,
        newest_first=sort.startswith("-"), offset=offset, limit=limit,
    )  # fmt: skip
    items = [
        LedgerOut(
            **entry_out(r.entry).model_dump(),
            location=r.entry.lot.location_code,
            operation_id=r.operation_id,
            reference=r.entry.reference,
        )
        for r in records
    ]
    return Page(items=items, total=total, offset=offset, limit=limit)


@router.get("/locations/{location}/donations", response_model=DonationStatementOut)
def donation_statement(
    location: str,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    since: date | None = None,
    until: date | None = None,
) -> DonationStatementOut:
    """What this location gave away from ``since`` to ``until`` (days in its
    own zone, both included, at most 366; by default from the first of
    ``until``'s month to ``until``, which is by default today): totals per
    recipient, then every donation with its receipt and its value at cost and
    at list price when it was made."""
    today = datetime.now(ZoneInfo(catalog.zone_for(db, location))).date()
    first, last = donations.default_period(since, until, today)
    rows = donations.donations(db, first, last, locations=[location])
    return DonationStatementOut(
        since=first,
        until=last,
        totals=[RecipientTotalOut(**asdict(t)) for t in donations.totals(rows)],
        donations=[DonationOut(**asdict(d)) for d in rows],
    )
