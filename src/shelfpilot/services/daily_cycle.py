"""The daily run of one store as a whole: evaluate the expiry ladder, score
every lot's risk of not selling in time, and make today's clearance plan.

Each step is its own transaction (as when they are run one by one from the
command line); ``progress`` hears of each step as it starts, so a caller
running this in the background can show where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shelfpilot.domain.lots import require_aware
from shelfpilot.services import expiry_risk, plans, stock_views
from shelfpilot.storage import Database

STEPS = ("expiry ladder", "expiry risk", "clearance plan")
#: hears (step name, steps done so far, all steps)
StepProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CycleReport:
    as_of: datetime
    location: str
    stage_changes: int
    lots_due: int
    lots_at_risk: int
    plan_lines: int
    notes: list[str]

    def summary(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "stage_changes": self.stage_changes,
            "lots_due": self.lots_due,
            "lots_at_risk": self.lots_at_risk,
            "plan_lines": self.plan_lines,
            "notes": list(self.notes),
        }


def run_cycle(
    db: Database,
    as_of: datetime,
    location: str,
    *,
    actor: str,
    progress: StepProgress | None = None,
    **options: Any,
) -> CycleReport:
    """``options`` go to the plan (model path, disposal cost, donation value);
    the risk step uses the same model file."""
    at = require_aware(as_of, "as-of time")

    def step(n: int) -> None:
        if progress is not None:
            progress(STEPS[n], n, len(STEPS))

    step(0)
    daily = stock_views.run_daily(db, at, location=location)
    step(1)
    risk = expiry_risk.expiry_risk(db, at, location=location, model_path=options.get("model_path"))
    step(2)
    plan = plans.make_plan(db, at, actor=actor, location=location, **options)
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    return CycleReport(
        at,
        location,
        stage_changes=len(daily.changes),
        lots_due=len(daily.due),
        lots_at_risk=len(risk.warnings),
        plan_lines=sum(len(p.lines) for p in plan.plans),
        notes=[*risk.notes, *plan.notes],
    )
