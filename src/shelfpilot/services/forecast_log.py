"""What the daily run forecast, kept and set against what sold: the
forecast made on the morning of each day (from the sales before it), so the
comparison is honest, never a model looking back at days it learned from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shelfpilot.services.forecasting import DayForecast, ForecastReport
from shelfpilot.storage import Database, ForecastRecord


def record(db: Database, report: ForecastReport) -> int:
    """Keep a run's forecasts (made on its first day); a rerun replaces them."""
    rows = [
        ForecastRecord(s.location, s.sku, report.first_day, d.day, d.mean, d.q10, d.q90)
        for s in report.series
        for d in s.days
    ]
    with db.transaction() as uow:
        return uow.forecasts.save(rows)


@dataclass(frozen=True)
class Accuracy:
    days: int
    #: mean absolute error of the forecast mean, in units a day
    mae: float | None
    #: share of days whose sales fell inside the 80 % interval
    coverage: float | None


def made_before(
    db: Database, location: str, sku: str, first: date, last: date
) -> list[DayForecast]:
    """Per day from ``first`` to ``last``, the latest forecast made on or
    before it (days no daily run forecast are left out)."""
    with db.transaction(readonly=True) as uow:
        rows = uow.forecasts.latest_before(location, sku, first, last)
    return [DayForecast(r.day, r.mean, r.q10, r.q90) for r in rows]


def accuracy(forecasts: list[DayForecast], sold: dict[date, float], skip: set[date]) -> Accuracy:
    """Over the days with a forecast and sales figures, leaving out ``skip``
    (sold-out days: their sales understate demand)."""
    pairs = [(f, sold[f.day]) for f in forecasts if f.day in sold and f.day not in skip]
    if not pairs:
        return Accuracy(0, None, None)
    mae = sum(abs(f.mean - y) for f, y in pairs) / len(pairs)
    inside = sum(1 for f, y in pairs if f.q10 <= y <= f.q90) / len(pairs)
    return Accuracy(len(pairs), mae, inside)
