"""Today's clearance plan: each line's price, action or channel with its
reason and expected outcome; approve, adjust or reject it, one by one or in
bulk; and the gauge of how much of the range is on clearance against the cap."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from shelfpilot.api import i18n
from shelfpilot.domain.access import Permission
from shelfpilot.domain.errors import DomainError, InvalidValue
from shelfpilot.domain.plans import LineStatus, Plan, PlanAction, PlanLine
from shelfpilot.services import catalog, dashboard, plans
from shelfpilot.web import session
from shelfpilot.web.pages.base import Current, Db, guardrails, now, page, pick_store
from shelfpilot.web.templating import ui

router = APIRouter()


def _cap(request: Request) -> float:
    return guardrails(request).exposure_cap


def _marked_down(line: PlanLine) -> bool:
    if line.action is not PlanAction.MARKDOWN or line.status is LineStatus.REJECTED:
        return False
    ratio = line.decided_ratio if line.decided_ratio is not None else line.proposed_ratio
    return ratio < 1


def exposure(plan: Plan | None, shown: set[str], cleared: set[str]) -> tuple[float, float]:
    """Share of the products on show that are on clearance now, and with the
    plan's markdowns (those not rejected) added."""
    if not shown:
        return 0.0, 0.0
    planned = (
        cleared | {line.lot.sku for line in plan.lines if _marked_down(line)} if plan else cleared
    )
    return len(cleared & shown) / len(shown), len(planned & shown) / len(shown)


def gauge(share: float, cap: float, language: str) -> dict[str, Any]:
    return {
        "series": [{
            "type": "gauge", "min": 0, "max": 100, "radius": "95%",
            "axisLine": {"lineStyle": {"width": 14, "color": [[cap, "#16a34a"], [1, "#dc2626"]]}},
            "pointer": {"width": 5}, "detail": {"formatter": "{value}%", "fontSize": 18},
            "title": {"offsetCenter": [0, "70%"]},
            "data": [{"value": round(share * 100), "name": ui(language, "On clearance with the plan")}],
        }]
    }  # fmt: skip


def _context(request: Request, db: Db, viewer: session.Viewer, store: str | None) -> dict[str, Any]:
    place, mine = pick_store(db, viewer, store)
    at = now(request)
    day = at.astimezone(ZoneInfo(place.timezone)).date()
    found = plans.plans(db, day=day, location=place.code)
    plan = found[0] if found else None
    shown, cleared = dashboard.exposure(db, at, place.code)
    before, after = exposure(plan, shown, cleared)
    cap = _cap(request)
    products = {p.sku: p for p in catalog.products(db)}
    return {
        "store": place, "stores": mine, "plan": plan, "day": day, "products": products,
        "exposure_now": before, "exposure_plan": after, "cap": cap,
        "gauge": gauge(after, cap, viewer.language),
        "can_decide": viewer.principal.can(Permission.DECIDE_PLANS),
    }  # fmt: skip


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, db: Db, viewer: Current, store: str | None = None) -> HTMLResponse:
    return page(request, viewer, "plan.html", results={}, **_context(request, db, viewer, store))


def _ratio(text: str) -> Decimal | None:
    """The adjusted price as a share of list: 0.7, 70 % or 7折 all mean 0.7."""
    text = text.strip().replace("％", "%")
    if not text:
        return None
    try:
        if text.endswith("折"):
            value = Decimal(text[:-1]) / 10
        elif text.endswith("%"):
            value = Decimal(text[:-1]) / 100
        else:
            value = Decimal(text)
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidValue("write the new price as a share of list: 0.7, 70% or 7折")
    return value


def _decide(
    request: Request,
    db: Db,
    viewer: session.Viewer,
    store: str,
    line: int,
    version: int,
    decision: str,
    ratio: str,
) -> str | None:
    """None when done, else the refusal in the viewer's language."""
    try:
        plans.decide(
            db, line, decision, actor=viewer.principal.name,
            ratio=_ratio(ratio) if decision == "adjust" else None,
            at=now(request), location=store, expected_version=version,
            guardrails=request.app.state.clearance.get("guardrails"),
        )  # fmt: skip
    except DomainError as error:
        return i18n.message(error, viewer.language)
    return None


@router.post("/plan/{store}/lines/{line}", response_class=HTMLResponse)
def decide_line(
    request: Request,
    db: Db,
    viewer: Current,
    store: str,
    line: Annotated[int, Path(ge=1, le=2**62)],
    version: Annotated[int, Form(ge=1, le=2**62)],
    decision: Annotated[str, Form(pattern="^(approve|adjust|reject)$")],
    ratio: Annotated[str, Form(max_length=16)] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    session.check_csrf(request, viewer, csrf)
    viewer.principal.require(Permission.DECIDE_PLANS, store)
    refused = _decide(request, db, viewer, store, line, version, decision, ratio)
    context = _context(request, db, viewer, store)
    return page(
        request, viewer, "fragments/plan_body.html", status=422 if refused else 200,
        results={line: refused} if refused else {}, **context,
    )  # fmt: skip


@router.post("/plan/{store}/bulk", response_class=HTMLResponse)
def decide_many(
    request: Request,
    db: Db,
    viewer: Current,
    store: str,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    lines: Annotated[list[str], Form(max_length=500)] = [],  # noqa: B006 - FastAPI reads it, never mutated
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """``lines``: "id:version" of each ticked line; each is decided on its own
    (one refused line does not hold back the others) and its outcome shown."""
    session.check_csrf(request, viewer, csrf)
    viewer.principal.require(Permission.DECIDE_PLANS, store)
    results: dict[int, str | None] = {}
    for item in lines:
        if not re.fullmatch(r"[0-9]{1,18}:[0-9]{1,18}", item):
            raise InvalidValue("the list of plan lines could not be read; reload the page")
        number, _, version = item.partition(":")
        results[int(number)] = _decide(
            request, db, viewer, store, int(number), int(version), decision, ""
        )
    context = _context(request, db, viewer, store)
    return page(request, viewer, "fragments/plan_body.html", results=results, **context)
