"""Locations and sales."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from shelfpilot.api.schemas import EntryOut, LocationOut, OperationOut, Page, SaleIn
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.services import catalog, inventory
from shelfpilot.services.commands import RecordSale, SaleLine
from shelfpilot.services.operations import OperationResult

router = APIRouter(tags=["stock"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        description="A key unique to this request (a UUID): sending it again returns the "
        "first result and records nothing twice.",
    ),
]


@router.get("/locations", response_model=Page[LocationOut])
def list_locations(
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    kind: Literal["brand", "distributor", "store", "warehouse"] | None = None,
    sort: Literal["code", "-code", "name", "-name"] = "code",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
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
    rows.sort(key=lambda r: getattr(r, sort.lstrip("-")), reverse=sort.startswith("-"))
    return Page(items=rows[offset : offset + limit], total=len(rows), offset=offset, limit=limit)


@router.post(
    "/locations/{location}/sales",
    response_model=OperationOut,
    status_code=201,
    responses={200: {"model": OperationOut, "description": "a retry: the first result"}},
)
def record_sale(
    location: str,
    sale: SaleIn,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.SELL)],
    response: Response,
) -> OperationOut:
    lines = tuple(
        SaleLine(
            quantity=line.quantity,
            sku=line.sku,
            unit_price=line.unit_price,
            lot_code=line.lot_code,
            barcode=line.barcode,
        )
        for line in sale.lines
    )
    result = inventory.record_sale(
        db, RecordSale(location, lines, sale.at, sale.reference, f"api:{location}:{key}")
    )
    if result.replayed:
        response.status_code = 200
    return operation_out(result)


def operation_out(result: OperationResult) -> OperationOut:
    return OperationOut(
        operation_id=result.operation_id,
        replayed=result.replayed,
        entries=[
            EntryOut(
                lot_code=e.lot.lot_code,
                sku=e.lot.sku,
                kind=e.kind.value,
                quantity=e.quantity,
                unit_price=e.unit_price.amount if e.unit_price else None,
                currency=e.unit_price.currency if e.unit_price else None,
                occurred_at=e.occurred_at,
            )
            for e in result.entries
        ],
    )
