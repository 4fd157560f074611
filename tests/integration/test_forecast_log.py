"""Forecasts the daily run keeps, read back as "the forecast made that
morning" and scored against sales."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shelfpilot.services import forecast_log
from shelfpilot.services.forecasting import DayForecast, ForecastReport, SeriesForecast
from shelfpilot.storage import Database

D1 = date(2026, 11, 2)


def run(first: date, means: list[float], sku: str = "CAKE") -> ForecastReport:
    days = [DayForecast(first + timedelta(days=n), m, m / 2, m * 2) for n, m in enumerate(means)]
    series = SeriesForecast("S1", sku, "cake", days, sum(means), 0.0, 0.0)
    return ForecastReport(first, [series])


def test_each_day_reads_the_latest_forecast_made_by_then_and_a_rerun_replaces(db: Database) -> None:
    assert forecast_log.record(db, run(D1, [10, 11, 12])) == 3
    forecast_log.record(db, run(D1 + timedelta(days=1), [20, 21, 22]))
    forecast_log.record(db, run(D1 + timedelta(days=1), [30, 31, 32]))  # the day's run again
    forecast_log.record(db, run(D1, [99, 99, 99], sku="BREAD"))
    got = forecast_log.made_before(db, "S1", "CAKE", D1, D1 + timedelta(days=5))
    assert [(d.day, d.mean) for d in got] == [
        (D1, 10), (D1 + timedelta(days=1), 30), (D1 + timedelta(days=2), 31),
        (D1 + timedelta(days=3), 32),
    ]  # fmt: skip
    # a forecast made after a day never counts for it
    assert (
        forecast_log.made_before(db, "S1", "CAKE", D1 - timedelta(days=1), D1 - timedelta(days=1))
        == []
    )


def test_accuracy_leaves_out_sold_out_days_and_counts_the_interval() -> None:
    forecasts = [DayForecast(D1 + timedelta(days=n), 10.0, 8.0, 12.0) for n in range(4)]
    sold = {D1: 10.0, D1 + timedelta(days=1): 14.0, D1 + timedelta(days=2): 0.0}
    checked = forecast_log.accuracy(forecasts, sold, skip={D1 + timedelta(days=2)})
    assert checked.days == 2
    assert checked.mae == pytest.approx(2.0)
    assert checked.coverage == pytest.approx(0.5)
    assert forecast_log.accuracy([], sold, set()).mae is None
