"""Forecast: a product's daily sales at a store over the last four weeks
(sold-out days marked: their zero is not a lack of demand) against what the
daily run forecast for each of those days that morning, with the error and
how often sales fell in the 80 % interval; and the forecast from today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shelfpilot.domain.errors import DomainError
from shelfpilot.services import catalog, forecast_log, forecasting, sales_history
from shelfpilot.services.forecasting import DayForecast
from shelfpilot.web.pages.base import Current, Db, now, page, pick_store
from shelfpilot.web.pages.charts import GRID, forecast_band
from shelfpilot.web.templating import ui

router = APIRouter()
PAST_DAYS, AHEAD = 28, 14


def chart(
    past: list[dict[str, Any]], then: list[DayForecast], ahead: list[Any], language: str
) -> dict[str, Any]:
    days = [p["day"] for p in past] + [d.day.isoformat() for d in ahead]
    made = {d.day.isoformat(): round(d.mean, 2) for d in then}
    return {
        "grid": GRID,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": days},
        "yAxis": {"type": "value", "min": 0},
        "series": [
            {"type": "bar", "name": ui(language, "Sold"),
             "data": [{"value": p["sold"], "itemStyle": {"color": "#dc2626" if p["stockout"] else "#64748b"}} for p in past]},
            {"type": "line", "name": ui(language, "Forecast made that morning"),
             "itemStyle": {"color": "#1d4ed8"}, "lineStyle": {"type": "dashed"}, "connectNulls": False,
             "data": [made.get(p["day"]) for p in past]},
            *forecast_band(ahead, language, lead=len(past)),
        ],
    }  # fmt: skip


@router.get("/forecast", response_class=HTMLResponse)
def forecast(
    request: Request, db: Db, viewer: Current, store: str | None = None, sku: str = ""
) -> HTMLResponse:
    place, mine = pick_store(db, viewer, store)
    at = now(request)
    today = at.astimezone(ZoneInfo(place.timezone)).date()
    history = sales_history.sales_history(db, location=place.code, until=today - timedelta(days=1))
    sold_here = sorted(set(history["sku"])) if not history.empty else []
    products = {p.sku: p for p in catalog.products(db) if p.sku in sold_here}
    chosen = sku if sku in products else (sold_here[0] if sold_here else "")
    past: list[dict[str, Any]] = []
    if chosen:
        rows = history[
            (history["sku"] == chosen) & (history["ds"] >= str(today - timedelta(days=PAST_DAYS)))
        ]
        past = [
            {"day": d.date().isoformat(), "sold": float(y), "stockout": bool(s)}
            for d, y, s in zip(rows["ds"], rows["y"], rows["stockout"], strict=True)
        ]
    then = (
        forecast_log.made_before(
            db, place.code, chosen, today - timedelta(days=PAST_DAYS), today - timedelta(days=1)
        )
        if chosen
        else []
    )
    checked = forecast_log.accuracy(
        then,
        {date.fromisoformat(p["day"]): p["sold"] for p in past},
        {date.fromisoformat(p["day"]) for p in past if p["stockout"]},
    )
    ahead, note = [], None
    if chosen:
        try:
            report = forecasting.demand_forecast(
                db, at, days=AHEAD, location=place.code, sku=chosen,
                model_path=request.app.state.clearance.get("model_path"), train=False,
            )  # fmt: skip
            ahead = report.series[0].days if report.series else []
        except DomainError as error:
            note = error
    return page(
        request, viewer, "forecast.html", store=place, stores=mine, products=products,
        chosen=chosen, past=past, ahead=ahead, note=note, checked=checked,
        stockouts=sum(1 for p in past if p["stockout"]),
        chart=chart(past, then, ahead, viewer.language) if chosen else None,
    )  # fmt: skip
