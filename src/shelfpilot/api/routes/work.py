"""Forecasts and risk, files in and out, and the daily run as a background job."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from shelfpilot.api import i18n
from shelfpilot.api.jobs import board
from shelfpilot.api.planning_schemas import (
    DayOut,
    ElasticityOut,
    ForecastOut,
    ImportErrorBody,
    ImportOut,
    JobOut,
    ProductionOut,
    ProductionRowOut,
    RiskOut,
    RiskRowOut,
    SeriesOut,
)
from shelfpilot.api.routes.catalog import shared_read
from shelfpilot.api.routes.stock import IdempotencyKey
from shelfpilot.api.schemas import PLAIN
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.jobs import Job
from shelfpilot.domain.money import estimate
from shelfpilot.importing import ImportFailed
from shelfpilot.services import (
    expiry_risk,
    exports,
    forecasting,
    price_response,
    production,
    uploads,
)

router = APIRouter(tags=["planning"])
#: what a file can hold (``importing.KINDS``; a unit test keeps them the same)
ImportKind = Literal["products", "locations", "suppliers", "lots", "sales", "counts", "calendar"]
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


#: how far ahead an as-of time may be (a forecast from further away is no forecast)
REACH = timedelta(days=366)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def as_of(at: datetime | None) -> datetime:
    """The as-of time asked for, or now; refused when naive or far from now."""
    now = datetime.now(UTC)
    if at is None:
        return now
    if at.tzinfo is None:
        raise InvalidValue("give the time with its zone, e.g. 2026-11-20T08:00:00+08:00")
    if not EARLIEST <= at <= now + REACH:
        raise InvalidValue("the as-of time must be after 2000 and at most a year from now")
    return at


def _options(request: Request) -> dict[str, Any]:
    """The forecast model file and costs the server was started with."""
    return dict(request.app.state.clearance)


@router.get("/locations/{location}/risk", response_model=RiskOut)
def risk(
    location: str,
    request: Request,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    at: datetime | None = None,
    horizon: Annotated[int, Query(ge=1, le=60)] = 14,
    warn_only: bool = False,
) -> RiskOut:
    """Per open lot: the chance it sells out before it leaves sale, the units
    expected left then, and the expected run-out day. Uses the demand model
    the daily run trains (409 until there is one)."""
    model = _options(request).get("model_path")
    report = expiry_risk.expiry_risk(
        db, as_of(at), location=location, horizon=horizon, model_path=model, train=False
    )
    return RiskOut(
        as_of=report.as_of,
        rows=[
            RiskRowOut(
                sku=r.sku,
                product=r.product_name,
                lot_code=r.lot_code,
                on_hand=r.on_hand,
                expires_at=r.expires_at,
                sellable_until=r.sellable_until,
                p_sell_out=round(r.p_sell_out, 4),
                expected_left=r.expected_left,
                expected_run_out=r.expected_run_out,
                warn=r.warn,
            )
            for r in report.rows
            if r.warn or not warn_only
        ],
        notes=report.notes,
    )


@router.get("/locations/{location}/forecast", response_model=ForecastOut)
def forecast(
    location: str,
    request: Request,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    at: datetime | None = None,
    days: Annotated[int, Query(ge=1, le=60)] = 7,
    sku: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
) -> ForecastOut:
    """Daily demand per product with its 80 % interval (10th to 90th
    percentile), from the demand model the daily run trains (409 until there is one)."""
    model = _options(request).get("model_path")
    report = forecasting.demand_forecast(
        db, as_of(at), days=days, location=location, sku=sku, model_path=model, train=False
    )
    return ForecastOut(
        first_day=report.first_day,
        series=[
            SeriesOut(
                sku=s.sku,
                product=s.product_name,
                total_mean=round(s.total_mean, 3),
                total_q10=round(s.total_q10, 3),
                total_q90=round(s.total_q90, 3),
                days=[
                    DayOut(
                        day=d.day, mean=round(d.mean, 3), q10=round(d.q10, 3), q90=round(d.q90, 3)
                    )
                    for d in s.days
                ],
            )
            for s in report.series
        ],
        notes=report.notes,
    )


@router.get("/locations/{location}/production-advice", response_model=ProductionOut)
def production_advice(
    location: str,
    request: Request,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    at: datetime | None = None,
    lookback_days: Annotated[int, Query(ge=1, le=366)] = 28,
    threshold: Annotated[float, Query(ge=0.01, le=1)] = 0.3,
) -> ProductionOut:
    """For the products whose lots needed clearance in at least ``threshold``
    of cases over the last ``lookback_days``, and those with pre-orders due
    this week: a shrink-aware daily quantity, the stock to hold tomorrow and
    what to receive for it, net of what today's lots carry over and what
    today's clearance plan expects them to have left. Uses the demand model
    the daily run trains (409 until there is one)."""
    at_ = as_of(at)
    options = _options(request)
    costs = {k: options[k] for k in ("disposal_cost", "donation_value") if k in options}
    advice = production.production_advice(
        db, at_, location=location, lookback_days=lookback_days, threshold=threshold,
        model_path=options.get("model_path"), train=False, **costs,
    )  # fmt: skip
    rows = [r for r in advice.table.to_dict("records") if "to_receive_tomorrow" in r]
    return ProductionOut(
        as_of=at_,
        rows=[
            ProductionRowOut(
                sku=str(r["sku"]),
                product=str(r["name"]),
                lots=int(r["lots"]),
                cleared_share=_share(r["cleared_share"]),
                waste_share=_share(r["waste_share"]),
                salvage=round(float(r["salvage"]), 4),
                service_level=round(float(r["service_level"]), 4),
                received_per_day=estimate(r["received_per_day"], 3),
                demand_per_day=estimate(r["demand_per_day"], 3),
                order_up_to=estimate(r["recommended_per_day"], 3),
                pre_ordered_tomorrow=estimate(r["pre_ordered_tomorrow"], 3),
                stock_for_tomorrow=estimate(r["tomorrow"], 3),
                carried_over=estimate(r["carried_over"], 3),
                expected_left_over=estimate(r["expected_left_over"], 3),
                to_receive_tomorrow=estimate(r["to_receive_tomorrow"], 3),
            )
            for r in rows
        ],
        notes=advice.notes,
    )


def _share(value: object) -> float | None:
    """A share, or None for a product with no closed lots to judge by."""
    share = float(value)  # type: ignore[arg-type]
    return None if math.isnan(share) else round(share, 4)


@router.get("/elasticities", response_model=list[ElasticityOut])
def elasticities(
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    at: datetime | None = None,
) -> list[ElasticityOut]:
    """How customers answer a markdown, learned per category from the sales
    of every store before the store day of ``at`` (default now): the pooled
    figure first, then each category with one of its own; a category not
    listed plans with the pooled figure. Learned over every brand on the
    server, so only an account covering every location may read it."""
    shared_read(db, principal, "elasticities")
    rows = price_response.elasticity_table(price_response.price_response(db, as_of(at)))
    return [
        ElasticityOut(
            level="all" if r.level == "all" else "category",
            key=r.key,
            rows=r.rows,
            series=r.series,
            estimate=None if r.estimate is None else round(r.estimate, 4),
            se=None if r.se is None else round(r.se, 4),
            used=round(r.used, 4),
        )
        for r in rows
    ]


@router.get(
    "/locations/{location}/exports/{table}",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "the file"}},
)
def export(
    location: str,
    table: Literal["lifecycle", "ledger"],
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    fmt: Annotated[Literal["csv", "xlsx", "parquet"], Query(alias="format")] = "csv",
    at: datetime | None = None,
) -> Response:
    """The lifecycle table (as of ``at``) or the ledger of this location, as
    CSV, Excel or Parquet."""
    name = f"{location}-{table}.{fmt}"
    with tempfile.TemporaryDirectory(
        prefix="shelfpilot-export-", ignore_cleanup_errors=True
    ) as folder:
        path = FilePath(folder) / f"export.{fmt}"  # a location code may hold any character
        if table == "lifecycle":
            exports.export_lifecycle(db, path, as_of(at), location=location)
        else:
            exports.export_ledger(db, path, location=location)
        content = path.read_bytes()
    # a location code may be Chinese: the plain name is ASCII, the full one UTF-8 (RFC 6266)
    plain = name if name.isascii() and name.isprintable() and '"' not in name else f"{table}.{fmt}"
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


@router.post(
    "/imports/{kind}",
    response_model=ImportOut,
    responses={422: {"model": ImportErrorBody, "description": "rows with errors; nothing saved"}},
)
def import_file(
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="a .csv, .xlsx or .parquet file")],
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    language: i18n.Language,
) -> Any:
    """Import a spreadsheet the way ``shelfpilot import`` does: a row that
    cannot be read is reported with its file, row and column, and then nothing
    of the file is saved. Rows may name only locations the caller covers.
    Uploading the same file again saves nothing twice. Sales need the right
    to sell, lots to receive, counts to adjust stock; products and suppliers
    are shared by every brand (see ``PUT /products``), locations and the
    calendar need the catalogue right."""
    try:
        name, report = uploads.import_upload(db, principal, kind, file.filename, file.file)
    except ImportFailed as failed:
        first = failed.errors[0] if failed.errors else None
        body = {
            "error": {
                "code": "import_failed",
                "message": failed.describe(lambda phrase: i18n.localize(phrase, language)),
                "field": first.column if first else None,
            },
            "rows": [
                {
                    "file": e.file,
                    "row": e.row,
                    "column": e.column,
                    "message": str(i18n.localize(e.message, language)),
                }
                for e in failed.errors
            ],
        }
        return JSONResponse(body, status_code=422)
    return ImportOut(kind=report.kind, file=name, rows=report.rows, written=report.written)


def job_out(job: Job, language: str) -> JobOut:
    """A job, its error in ``language``."""
    out = JobOut.model_validate(job, from_attributes=True)
    if out.error is not None and job.problem is not None:
        out.error.message = str(i18n.localize(job.problem, language))
    return out


@router.post(
    "/locations/{location}/daily-runs",
    response_model=JobOut,
    status_code=202,
    responses={200: {"model": JobOut, "description": "a retry: the job it started"}},
)
def start_daily_run(
    location: str,
    request: Request,
    key: IdempotencyKey,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.DECIDE_PLANS)],
    response: Response,
    language: i18n.Language,
    at: datetime | None = None,
) -> JobOut:
    """Start the store's daily run in the background: the expiry ladder, lot
    risk, today's clearance plan and the week's forecast kept. Poll the URL in the ``Location`` header for its progress. One
    run per store at a time; the same key again returns its job (a failed
    one too: retry with a new key)."""
    job, new = board(request).daily_run(
        db, location, as_of(at), actor=principal.name, key=f"{location}:{key}",
        options=_options(request),
    )  # fmt: skip
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"{request.url.path}/{job.job_id}"
    return job_out(job, language)


@router.get("/locations/{location}/daily-runs/{job_id}", response_model=JobOut)
def daily_run(
    location: str,
    job_id: Annotated[str, Path(max_length=64, pattern=PLAIN)],
    request: Request,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    language: i18n.Language,
) -> JobOut:
    """Where a daily run is: queued, running (which step), done (its summary) or failed."""
    return job_out(board(request).get(job_id, location), language)
