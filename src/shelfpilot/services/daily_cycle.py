"""The daily run of one store as a whole: evaluate the expiry ladder, score
every lot's risk of not selling in time, make today's clearance plan, and
keep the week's demand forecast (to check it against the sales later).

Each step is its own transaction (as when they are run one by one from the
command line); ``progress`` hears of each step as it starts, so a caller
running this in the background can show where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shelfpilot.domain.errors import DomainError
from shelfpilot.domain.lots import require_aware
from shelfpilot.services import expiry_risk, forecast_log, forecasting, plans, stock_views
from shelfpilot.storage import Database

STEPS = ("expiry ladder", "expiry risk", "clearance plan", "demand forecast")
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
    #: days × products of the week's forecast kept (``forecast_log``)
    forecasts_kept: int
    notes: list[str]

    def summary(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "stage_changes": self.stage_changes,
            "lots_due": self.lots_due,
            "lots_at_risk": self.lots_at_risk,
            "plan_lines": self.plan_lines,
            "forecasts_kept": self.forecasts_kept,
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
    step(3)
    kept, notes = 0, [*risk.notes, *plan.notes]
    model_path = options.get("model_path")
    try:  # the week's forecast is kept, to be checked against the sales later
        forecast = forecasting.demand_forecast(
            db, at, days=7, location=location, model_path=model_path, train=model_path is None
        )
        kept = forecast_log.record(db, forecast)
    except DomainError as error:
        notes.append(f"no forecast kept: {error}")
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    return CycleReport(
        at,
        location,
        stage_changes=len(daily.changes),
        lots_due=len(daily.due),
        lots_at_risk=len(risk.warnings),
        plan_lines=sum(len(p.lines) for p in plan.plans),
        forecasts_kept=kept,
        notes=notes,
    )
