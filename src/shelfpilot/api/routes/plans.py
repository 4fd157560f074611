"""Clearance plans and decisions on their lines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Request

from shelfpilot.api import i18n
from shelfpilot.api.routes.stock import entry_out
from shelfpilot.api.schemas import DecisionIn, DecisionOut, PlanLineOut, PlanOut
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.plans import PlanLine
from shelfpilot.services import plans

router = APIRouter(tags=["clearance"])


@router.get("/locations/{location}/plans", response_model=list[PlanOut])
def list_plans(
    location: str,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_STOCK)],
    language: i18n.Language,
    day: date | None = None,
) -> list[PlanOut]:
    """The store's clearance plans (one per business day), newest first; ``day``
    picks one. Plans are made by the daily run."""
    return [
        PlanOut(
            location=p.location_code,
            business_day=p.business_day,
            made_at=p.made_at,
            made_by=p.made_by,
            lines=[line_out(line, language) for line in p.lines],
        )
        for p in plans.plans(db, day=day, location=location)
    ]


@router.post("/locations/{location}/plan-lines/{line_id}/decision", response_model=DecisionOut)
def decide(
    location: str,
    line_id: Annotated[int, Path(ge=1, le=2**62)],
    decision: DecisionIn,
    db: Db,
    principal: Annotated[Principal, allowed(Permission.DECIDE_PLANS)],
    language: i18n.Language,
    request: Request,
) -> DecisionOut:
    """Approve, adjust (``ratio``, within the guardrails) or reject a line.
    ``version`` is the line's version you saw: if someone decided it since,
    the answer is 409 and nothing changes. Sending the same decision again
    returns the first result."""
    result = plans.decide(
        db,
        line_id,
        decision.decision,
        actor=principal.name,
        ratio=decision.ratio,
        location=location,
        expected_version=decision.version,
        guardrails=request.app.state.clearance.get("guardrails"),
    )
    return DecisionOut(
        line=line_out(result.line, language),
        replayed=result.replayed,
        entries=[entry_out(e) for e in result.entries],
        notes=result.notes,
    )


def line_out(line: PlanLine, language: str) -> PlanLineOut:
    """A plan line, its reason in ``language``."""
    assert line.line_id is not None
    return PlanLineOut(
        line_id=line.line_id, lot_code=line.lot.lot_code, sku=line.lot.sku,
        action=line.action.value, current_ratio=line.current_ratio,
        proposed_ratio=line.proposed_ratio, donate=line.donate, units=line.units,
        expected_left_if_held=line.left_if_held, expected_left_with_plan=line.left_with_plan,
        reason=str(i18n.localize(line.reason, language)), held_by_cap=line.held_by_cap, status=line.status.value,
        decided_ratio=line.decided_ratio, decided_by=line.decided_by,
        decided_at=line.decided_at, version=line.version,
    )  # fmt: skip
