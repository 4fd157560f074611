"""Today: the store's lots by ladder stage, what needs an action now, the
waste the plan expects to save, yesterday's results; and the daily run,
started from here and followed while it works."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from shelfpilot.api.jobs import board
from shelfpilot.domain.access import Permission
from shelfpilot.services import dashboard
from shelfpilot.web import session
from shelfpilot.web.pages.base import STAGES, Current, Db, now, page, pick_store
from shelfpilot.web.templating import gettext

router = APIRouter()


def stage_chart(counts: dict[str, int], order: list[str], language: str) -> dict[str, Any]:
    """An ECharts bar chart of lots per stage, in ladder order."""
    names = [gettext(language, STAGES.get(code, code)) for code in order]
    return {
        "grid": {"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
        "tooltip": {},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "data": [counts.get(c, 0) for c in order],
                "itemStyle": {"color": "#c2410c"},
            }
        ],
    }


@router.get("/", response_class=HTMLResponse)
def today(request: Request, db: Db, viewer: Current, store: str | None = None) -> HTMLResponse:
    place, mine = pick_store(db, viewer, store)
    found = dashboard.today(db, now(request), place.code, language=viewer.language)
    order = ["fresh", *[c for c in STAGES if c != "fresh" and c in found.by_stage]]
    order += sorted(c for c in found.by_stage if c not in order)
    return page(
        request, viewer, "today.html", store=place, stores=mine, today=found,
        chart=stage_chart(dict(found.by_stage), order, viewer.language),
        can_run=viewer.principal.can(Permission.DECIDE_PLANS),
    )  # fmt: skip


@router.post("/daily-run", response_class=HTMLResponse)
def start_run(
    request: Request,
    db: Db,
    viewer: Current,
    store: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    session.check_csrf(request, viewer, csrf)
    viewer.principal.require(Permission.DECIDE_PLANS, store)
    job, _ = board(request).daily_run(
        db, store, now(request), actor=viewer.principal.name, key=f"web:{uuid.uuid4().hex}",
        options=request.app.state.clearance,
    )  # fmt: skip
    return page(request, viewer, "fragments/job.html", job=job, store=store)


@router.get("/daily-run/{store}/{job_id}", response_class=HTMLResponse)
def run_progress(request: Request, viewer: Current, store: str, job_id: str) -> HTMLResponse:
    viewer.principal.require(Permission.READ_STOCK, store)
    job = board(request).get(job_id[:64], store)
    return page(request, viewer, "fragments/job.html", job=job, store=store)
