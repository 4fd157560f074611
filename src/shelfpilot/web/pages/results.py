"""Results: share sold before expiry, waste, recovery and donations day by
day, who received the donations, and which clearance actions and channels
clear best (the feedback table that flows back into plans and orders)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shelfpilot.services import dashboard, donations, feedback
from shelfpilot.web.pages.base import Current, Db, now, page, pick_store
from shelfpilot.web.templating import ui

router = APIRouter()
DAYS = 28


def chart(days: list[dashboard.DayResult], language: str) -> dict[str, Any]:
    def share(value: Any) -> float | None:
        return None if value is None else round(float(value) * 100, 1)

    return {
        "grid": {"left": 8, "right": 8, "top": 40, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [d.day.isoformat() for d in days]},
        "yAxis": [{"type": "value", "min": 0}, {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}}],
        "series": [
            {"type": "bar", "stack": "out", "name": ui(language, "Sold"), "data": [float(d.sold) for d in days], "itemStyle": {"color": "#64748b"}},
            {"type": "bar", "stack": "out", "name": ui(language, "Donated"), "data": [float(d.donated) for d in days], "itemStyle": {"color": "#16a34a"}},
            {"type": "bar", "stack": "out", "name": ui(language, "Thrown away"), "data": [float(d.disposed) for d in days], "itemStyle": {"color": "#dc2626"}},
            {"type": "line", "yAxisIndex": 1, "name": ui(language, "Sold before expiry"), "data": [share(d.sold_share) for d in days], "itemStyle": {"color": "#c2410c"}},
        ],
    }  # fmt: skip


@router.get("/results", response_class=HTMLResponse)
def results(request: Request, db: Db, viewer: Current, store: str | None = None) -> HTMLResponse:
    place, mine = pick_store(db, viewer, store)
    at = now(request)
    zone = ZoneInfo(place.timezone)
    today = at.astimezone(zone).date()
    first, last = today - timedelta(days=DAYS), today - timedelta(days=1)
    days = dashboard.day_results(db, place.code, first, last, zone)
    ranking = feedback.action_ranking(db, at, location=place.code, by=("action", "segment"))
    given = donations.donations(db, first, last, locations=[place.code])
    return page(
        request, viewer, "results.html", store=place, stores=mine, days=days,
        totals=dashboard.totals(days, today),
        currency=dashboard.currency(db, place.code),
        ranking=[
            {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
            for row in ranking.to_dict("records")
        ],
        chart=chart(days, viewer.language),
        recipients=donations.totals(given), unnamed=donations.UNNAMED,
    )  # fmt: skip
