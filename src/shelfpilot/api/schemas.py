"""Request and response bodies. Unknown fields are refused, not ignored: a
misspelt field would otherwise be dropped without a word."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


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


class TokenPair(Strict):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token stays valid")


class RefreshIn(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


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
    barcode: Annotated[str, StringConstraints(max_length=200)] | None = None
    quantity: Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)] | None = None
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)] | None = None
    lot_code: Code | None = None


class SaleIn(Strict):
    lines: Annotated[list[SaleLineIn], Field(min_length=1, max_length=200)]
    at: datetime | None = Field(
        default=None, description="when the sale happened, with its zone; default now"
    )
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None


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
    quantity: Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
    received_at: datetime | None = Field(default=None, description="with its zone; default now")
    produced_at: datetime | None = None
    expiry: date | datetime | None = Field(
        default=None, description="a date or a date-time; default from the shelf life"
    )
    unit_cost: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)] | None = None
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
    version: int = Field(ge=1, description="the line's version you saw")
    ratio: Annotated[Decimal, Field(gt=0, le=1, max_digits=6, decimal_places=4)] | None = Field(
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
