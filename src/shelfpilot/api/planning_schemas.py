"""Response bodies of the planning endpoints: forecasts, lot risk, imports
and background jobs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shelfpilot.api.schemas import ErrorDetail, Strict


class ImportOut(Strict):
    kind: str
    file: str
    rows: int
    written: int


class JobOut(Strict):
    job_id: str
    kind: str
    location: str
    status: Literal["queued", "running", "done", "failed"]
    step: str | None
    done_steps: int
    total_steps: int
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, object] | None
    error: ErrorDetail | None


class RiskRowOut(Strict):
    sku: str
    product: str
    lot_code: str
    on_hand: Decimal
    expires_at: datetime
    sellable_until: datetime
    p_sell_out: float = Field(description="chance it sells out before it leaves sale")
    expected_left: Decimal = Field(description="units expected left when it leaves sale")
    expected_run_out: date | None
    warn: bool


class RiskOut(Strict):
    as_of: datetime
    rows: list[RiskRowOut]
    notes: list[str]


class DayOut(Strict):
    day: date
    mean: float
    q10: float
    q90: float


class SeriesOut(Strict):
    sku: str
    product: str
    total_mean: float
    total_q10: float
    total_q90: float
    days: list[DayOut]


class ForecastOut(Strict):
    first_day: date
    series: list[SeriesOut]
    notes: list[str]


class ElasticityOut(Strict):
    level: Literal["all", "category"] = Field(
        description='"all": the pooled figure of every product; "category": one category\'s'
    )
    key: str = Field(description='the category ("*" for the pooled figure)')
    rows: int = Field(description="days with stock all day the fit used")
    series: int = Field(description="store × product series among them")
    estimate: float | None = Field(
        description="fitted from the sales alone; null when they hold no price variation"
    )
    se: float | None = Field(description="its standard error, clustered by series")
    used: float = Field(
        description="what markdown plans and order advice use: the estimate shrunk toward "
        "its parent; at 0.8 of list demand is multiplied by 0.8 ** used"
    )


class ProductionRowOut(Strict):
    sku: str
    product: str
    lots: int = Field(description="its lots received in the look-back that have closed")
    cleared_share: float | None = Field(description="share of them that needed clearance")
    waste_share: float | None = Field(description="share of their units thrown away")
    salvage: float = Field(description="what clearance recovers on a left-over unit, of list")
    service_level: float = Field(description="the newsvendor's critical fractile")
    received_per_day: Decimal
    demand_per_day: Decimal = Field(description="forecast mean over the coming week")
    order_up_to: Decimal = Field(description="stock to hold each morning at that demand")
    pre_ordered_tomorrow: Decimal
    stock_for_tomorrow: Decimal = Field(description="stock to hold tomorrow morning")
    carried_over: Decimal = Field(
        description="units today's lots are expected to hold at tomorrow's opening"
    )
    expected_left_over: Decimal = Field(
        description="of those, what today's clearance plan expects them to have left "
        "when they leave sale"
    )
    to_receive_tomorrow: Decimal = Field(
        description="stock for tomorrow less what is carried over and less those leftovers"
    )


class ProductionOut(Strict):
    as_of: datetime
    rows: list[ProductionRowOut]
    notes: list[str]


class RowErrorOut(Strict):
    file: str
    row: int = Field(description="spreadsheet row: the header is row 1")
    column: str | None
    message: str


class ImportErrorBody(Strict):
    error: ErrorDetail
    rows: list[RowErrorOut] = Field(
        default_factory=list, description="every problem found, by file, row and column"
    )
