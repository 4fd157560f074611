"""Request and response bodies. Unknown fields are refused, not ignored: a
misspelt field would otherwise be dropped without a word."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

T = TypeVar("T")
#: text a database can hold: no NUL characters (PostgreSQL refuses them)
PLAIN = r"^[^\x00]*$"
#: ... and not only blanks: what ``strip`` removes, in the dialects of the
#: server and of OpenAPI clients alike (``\s`` differs on \x1c-\x1f and \x85)
FILLED = r"^[^\x00]*[^\s\x00\x1c-\x1f\x85][^\x00]*$"
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True, pattern=FILLED)
]


def _fraction(places: int) -> str:
    """Digits after the point, not all zero, at most ``places`` of them."""
    tails = (
        "0" * k + "[1-9]" + (rf"\d{{0,{places - k - 1}}}" if places - k > 1 else "")
        for k in range(places)
    )
    return "(" + "|".join(tails) + ")"


def _decimal(places: int, whole: int, *, positive: bool) -> WithJsonSchema:
    """Decimals are documented as strings with their form (numbers are
    accepted too), so a client generated from the schema sends what is accepted."""
    fraction = rf"(\.\d{{1,{places}}})?"
    if positive:
        pattern = rf"^0*[1-9]\d{{0,{whole - 1}}}{fraction}$|^0*\.{_fraction(places)}$"
    else:
        pattern = rf"^\d{{1,{whole}}}{fraction}$"
    return WithJsonSchema({"type": "string", "pattern": pattern})


#: quantities (3 places: grams of a kilo), money (2 or 4 places), days
Quantity = Annotated[
    Decimal, Field(gt=0, max_digits=15, decimal_places=3), _decimal(3, 12, positive=True)
]
Counted = Annotated[
    Decimal, Field(ge=0, max_digits=15, decimal_places=3), _decimal(3, 12, positive=False)
]
Price = Annotated[
    Decimal, Field(ge=0, max_digits=15, decimal_places=2), _decimal(2, 13, positive=False)
]
ListPrice = Annotated[
    Decimal, Field(gt=0, max_digits=15, decimal_places=2), _decimal(2, 13, positive=True)
]
Cost = Annotated[
    Decimal, Field(ge=0, max_digits=15, decimal_places=4), _decimal(4, 11, positive=False)
]
Days = Annotated[
    Decimal, Field(gt=0, max_digits=7, decimal_places=4), _decimal(4, 3, positive=True)
]
#: a share of list price in (0, 1]: 7折 = 0.7
Share = Annotated[
    Decimal,
    Field(gt=0, le=1, max_digits=5, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": rf"^0*\.{_fraction(4)}$|^1(\.0{{1,4}})?$"}),
]


#: list positions (a database cannot seek past 2**63, and nobody pages that far)
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
#: a row's number or version as the database holds it
RowNumber = Annotated[int, Field(ge=1, le=2**62)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Strict):
    code: str = Field(description="stable, for programs: forbidden, not_found, conflict, ...")
    message: str = Field(description="for people: what went wrong and what to do")
    field: str | None = Field(description="the request field at fault, if one is")


class ErrorBody(Strict):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "not logged in, or the login has expired"),
        (403, "this account may not do that, or not there"),
        (404, "no such product, lot or location"),
        (409, "conflicts with the stock or with another request"),
        (413, "the request is too large"),
        (422, "the request is malformed or breaks a business rule"),
        (503, "the database is unavailable"),
    )
}


class Page(Strict, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int

    @classmethod
    def of(cls, rows: list[T], sort: str, offset: int, limit: int) -> Page[T]:
        """``rows`` sorted by the field ``sort`` names (``-`` first: descending),
        and the slice asked for."""
        rows = sorted(
            rows, key=lambda r: getattr(r, sort.lstrip("-")), reverse=sort.startswith("-")
        )
        return cls(items=rows[offset : offset + limit], total=len(rows), offset=offset, limit=limit)


class TokenPair(Strict):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token stays valid")


class RefreshIn(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=PLAIN)]


class Me(Strict):
    username: str
    role: str
    location: str | None
    locations: list[str] = Field(description="every location this account covers")
    permissions: list[str]


class LocationOut(Strict):
    code: str
    name: str
    kind: str
    parent: str | None
    timezone: str


class SaleLineIn(Strict):
    sku: Code | None = None
    barcode: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] | None = None
    quantity: Quantity | None = None
    unit_price: Price | None = None
    lot_code: Code | None = None


class SaleIn(Strict):
    lines: Annotated[list[SaleLineIn], Field(min_length=1, max_length=200)]
    at: datetime | None = Field(
        default=None, description="when the sale happened, with its zone; default now"
    )
    reference: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] | None = None


class EntryOut(Strict):
    lot_code: str
    sku: str
    kind: str
    quantity: Decimal
    unit_price: Decimal | None
    currency: str | None
    occurred_at: datetime


class OperationOut(Strict):
    operation_id: int
    replayed: bool = Field(description="true when this key was recorded before")
    entries: list[EntryOut]


class LotOut(Strict):
    location: str
    sku: str
    product: str
    lot_code: str
    received_at: datetime
    expires_at: datetime
    days_left: int
    on_hand: Decimal
    sold: Decimal
    sales_per_day: Decimal
    days_of_cover: Decimal | None
    stage: str
    action: str


class ReceiptIn(Strict):
    sku: Code
    lot_code: Code
    quantity: Quantity
    received_at: datetime | None = Field(default=None, description="with its zone; default now")
    produced_at: datetime | None = None
    expiry: date | datetime | None = Field(
        default=None, description="a date or a date-time; default from the shelf life"
    )
    unit_cost: Cost | None = None
    supplier: Code | None = None


class PlanLineOut(Strict):
    line_id: int
    lot_code: str
    sku: str
    action: str
    current_ratio: Decimal
    proposed_ratio: Decimal
    donate: Decimal
    units: Decimal
    expected_left_if_held: Decimal
    expected_left_with_plan: Decimal
    reason: str
    held_by_cap: bool
    status: str
    decided_ratio: Decimal | None
    decided_by: str | None
    decided_at: datetime | None
    version: int = Field(description="send it back with a decision")


class PlanOut(Strict):
    location: str
    business_day: date
    made_at: datetime
    made_by: str
    lines: list[PlanLineOut]


class DecisionIn(Strict):
    decision: Literal["approve", "adjust", "reject"]
    version: RowNumber = Field(description="the line's version you saw")
    ratio: Share | None = Field(
        default=None, description="the price as a share of list, to adjust (7折 = 0.7)"
    )


class DecisionOut(Strict):
    line: PlanLineOut
    replayed: bool
    entries: list[EntryOut]
    notes: list[str]


class AuditOut(Strict):
    at: datetime
    actor: str
    action: str
    subject: str
    location: str | None
    before: dict[str, str]
    after: dict[str, str]


class DonationOut(Strict):
    occurred_at: datetime
    location: str
    sku: str
    product_name: str
    lot_code: str
    units: Decimal
    recipient: str
    receipt: str
    value_at_cost: Decimal | None = Field(description="null if made before values were kept")
    value_at_list: Decimal | None
    currency: str
    actor: str = Field(description="who recorded it")
    note: str


class RecipientTotalOut(Strict):
    recipient: str
    currency: str
    donations: int
    units: Decimal
    value_at_cost: Decimal
    value_at_list: Decimal
    unvalued: int = Field(description="donations whose value was not recorded")


class DonationStatementOut(Strict):
    since: date
    until: date
    totals: list[RecipientTotalOut]
    donations: list[DonationOut]


When = Field(default=None, description="when it happened, with its zone; default now")


class SaleBatchIn(Strict):
    sales: Annotated[list[SaleIn], Field(min_length=1, max_length=500)]


class SaleBatchOut(Strict):
    replayed: bool = Field(description="true when this batch was recorded before")
    operations: list[OperationOut]


class LotMoveIn(Strict):
    """One lot, named by SKU and lot code."""

    sku: Code
    lot_code: Code
    at: datetime | None = When


class RemovalIn(LotMoveIn):
    kind: Literal["donation", "disposal"]
    quantity: Quantity
    note: Annotated[str, StringConstraints(max_length=500, pattern=PLAIN)] | None = None
    #: a donation's receiver and their receipt number
    recipient: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] | None = None
    receipt: Annotated[str, StringConstraints(max_length=100, pattern=PLAIN)] | None = None


class TransferIn(LotMoveIn):
    to_location: Code
    quantity: Quantity


class CountIn(LotMoveIn):
    counted: Counted


class ReturnIn(LotMoveIn):
    quantity: Quantity


class PriceIn(LotMoveIn):
    unit_price: Price
    reference: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] | None = None


class LedgerOut(EntryOut):
    location: str
    operation_id: int | None
    reference: str | None


class ProductIn(Strict):
    name_en: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] = ""
    name_zh: Annotated[str, StringConstraints(max_length=200, pattern=PLAIN)] = ""
    category: Code
    unit: Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=PLAIN)] = "pcs"
    list_price: ListPrice
    unit_cost: Cost
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    shelf_life_days: Days
    gtin: Annotated[str, StringConstraints(pattern=r"^\d{8}$|^\d{12,14}$")] | None = None
    price_floor_ratio: Share = Decimal("0.5")
    allergens: list[Annotated[str, StringConstraints(max_length=40, pattern=PLAIN)]] | None = Field(
        default=None, description="none recorded: null; none present: []"
    )


class ProductOut(Strict):
    sku: str
    name_en: str
    name_zh: str
    category: str
    unit: str
    list_price: Decimal
    unit_cost: Decimal
    currency: str
    shelf_life_days: Decimal
    gtin: str | None
    price_floor_ratio: Decimal
    allergens: list[str] | None


class LadderOut(Strict):
    scope: Literal["default", "category", "sku"]
    key: str
    spec: str = Field(description="the ladder in its text form, e.g. 'fresh:3d,markdown:1d'")


class LadderIn(Strict):
    spec: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=PLAIN)]


class ChannelOut(Strict):
    code: str
    kind: str
    capacity: float = Field(description="units per window")
    price_ratio: float = Field(description="realised price as a share of list, fees deducted")
    sell_through: float = Field(description="share of units offered that sell, as configured")
    learned_sell_through: float = Field(description="the same, learned from recorded outcomes")
    learned_price_ratio: float = Field(description="price ratio learned from recorded outcomes")
    logistics_cost: float = Field(description="cost per unit sent (packing, courier), as set up")
    learned_logistics_cost: float = Field(
        description="the same, learned from what outcomes say getting units there cost"
    )
    offered: float
    sold: float
