"""The product lifecycle table with its filters, and one lot's page: its
ledger, price path, forecast and chance of selling out in time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shelfpilot.domain.access import Permission
from shelfpilot.domain.errors import DomainError
from shelfpilot.domain.lots import LotKey
from shelfpilot.services import catalog, dashboard, expiry_risk, forecasting
from shelfpilot.services.stock_views import lifecycle_table
from shelfpilot.web.pages.base import Current, Db, now, page, pick_store
from shelfpilot.web.pages.charts import GRID, forecast_band
from shelfpilot.web.templating import ui

router = APIRouter()


def risks(
    request: Request, db: Db, at: datetime, store: str
) -> tuple[dict[tuple[str, str], Any], DomainError | None]:
    """(SKU, lot code) → risk row, from the model the daily run made; a note
    instead when there is none yet (a page never trains one)."""
    try:
        report = expiry_risk.expiry_risk(
            db, at, location=store, model_path=request.app.state.clearance.get("model_path"),
            train=False,
        )  # fmt: skip
    except DomainError as error:
        return {}, error
    return {(r.sku, r.lot_code): r for r in report.rows}, None


@router.get("/lots", response_class=HTMLResponse)
def lots(
    request: Request,
    db: Db,
    viewer: Current,
    store: str | None = None,
    category: str = "",
    stage: str = "",
    risk: str = "",
) -> HTMLResponse:
    place, mine = pick_store(db, viewer, store)
    at = now(request)
    categories = {p.sku: p.category for p in catalog.products(db)}
    rows = lifecycle_table(db, at, location=place.code, language=viewer.language)
    by_lot, risk_note = risks(request, db, at, place.code)
    shown = [
        r
        for r in rows
        if (not category or categories.get(r.sku) == category)
        and (not stage or r.stage == stage)
        and (
            not risk
            or (by_lot.get((r.sku, r.lot_code)) is not None and by_lot[(r.sku, r.lot_code)].warn)
        )
    ]
    return page(
        request, viewer, "lots.html", store=place, stores=mine, rows=shown, total=len(rows),
        risk=by_lot, risk_note=risk_note, categories=sorted(set(categories.values())),
        filters={"category": category, "stage": stage, "risk": risk},
        present_stages=sorted({r.stage for r in rows}),
    )  # fmt: skip


def price_chart(story: dashboard.LotStory, language: str, at: datetime) -> dict[str, Any]:
    points = [[t.isoformat(), float(p)] for t, p in story.price_path]
    points.append([min(at, story.row.expires_at).isoformat(), points[-1][1]])
    return {
        "grid": {"left": 8, "right": 16, "top": 24, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "value", "name": ui(language, "Price"), "min": 0},
        "series": [{"type": "line", "step": "end", "data": points, "name": ui(language, "Price")}],
    }


def forecast_chart(days: list[Any], language: str) -> dict[str, Any]:
    return {
        "grid": GRID, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [d.day.isoformat() for d in days]},
        "yAxis": {"type": "value", "min": 0},
        "series": forecast_band(days, language),
    }  # fmt: skip


@router.get("/lots/{store}/{sku}/{lot_code}", response_class=HTMLResponse)
def lot(
    request: Request, db: Db, viewer: Current, store: str, sku: str, lot_code: str
) -> HTMLResponse:
    viewer.principal.require(Permission.READ_STOCK, store)
    at = now(request)
    story = dashboard.lot_story(db, LotKey(store, sku, lot_code), at, language=viewer.language)
    by_lot, risk_note = risks(request, db, at, store)
    forecast, forecast_note = None, None
    try:
        report = forecasting.demand_forecast(
            db, at, days=7, location=store, sku=sku,
            model_path=request.app.state.clearance.get("model_path"), train=False,
        )  # fmt: skip
        forecast = report.series[0] if report.series else None
    except DomainError as error:
        forecast_note = error
    return page(
        request, viewer, "lot.html", store_code=store, story=story,
        risk=by_lot.get((sku, lot_code)), risk_note=risk_note, forecast=forecast,
        forecast_note=forecast_note, price_chart=price_chart(story, viewer.language, at),
        forecast_chart=forecast_chart(forecast.days, viewer.language) if forecast else None,
    )  # fmt: skip
