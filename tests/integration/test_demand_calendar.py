"""The demand calendar end to end on the demo bakery (a real SQLite file):
imported all or nothing, and its drivers reach the forecast."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.importing import ImportFailed
from shelfpilot.services import demand_drivers, forecasting
from shelfpilot.services.demo import DemoSummary
from shelfpilot.services.imports import import_file
from shelfpilot.services.sales_history import sales_history
from shelfpilot.storage import Database
from tests.integration.demo_bakery import DEMO_UNTIL as UNTIL

HEADER = ["date", "end", "location", "sku", "driver", "value", "note"]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([HEADER, *rows])
    return path


def test_a_bad_calendar_names_file_row_and_column_and_writes_nothing(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, _ = demo
    path = write(
        tmp_path / "bad.csv",
        [
            ["2016-12-24", "2016-12-20", "", "", "holiday", "1", "Christmas"],
            ["2016-12-17", "", "NOWHERE", "", "event", "", "market"],
            ["2016-12-17", "", "", "NO-SUCH-SKU", "promo", "", ""],
            ["2016-12-17", "", "", "", "temprature", "4", ""],
            ["2016-12-17", "", "", "", "humidity", "140", ""],
            ["2016-12-17", "", "", "", "temperature", "", ""],
            ["2016-12-17", "", "", "", "event", "0.5", ""],
            ["2016-12-18", "", "", "", "event", "", "this row is fine"],
            ["3016-12-18", "", "", "", "promo", "", "a typo in the year"],
            ["2016-12-19", "", "BB", "", "promo", "", "the brand, not a store"],
            ["2016-12-17", "2016-12-19", "", "", "event", "", "overlaps row 9"],
        ],
    )
    with pytest.raises(ImportFailed) as caught:
        import_file(db, "calendar", path)
    found = sorted((e.file, e.row, e.column) for e in caught.value.errors)
    assert found == [
        ("bad.csv", 2, "end"),
        ("bad.csv", 3, "location"),
        ("bad.csv", 4, "sku"),
        ("bad.csv", 5, "driver"),
        ("bad.csv", 6, "value"),
        ("bad.csv", 7, "value"),
        ("bad.csv", 8, "value"),
        ("bad.csv", 10, "date"),
        ("bad.csv", 11, "location"),
        ("bad.csv", 12, "date"),
    ]
    assert demand_drivers.calendar_rows(db) == []


def test_the_calendar_reaches_the_forecast(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    model = tmp_path / "m.pkl"
    # trained before the calendar, up to the day before the as-of day
    forecasting.train_forecaster(db, model, until=UNTIL - timedelta(days=1))
    # The shop's busiest days so far were market days; the 18th and 20th will be too.
    history = sales_history(db)
    busiest = history.groupby("ds")["y"].sum().nlargest(8).index.date
    ahead = [UNTIL + timedelta(days=3), UNTIL + timedelta(days=5)]
    rows = [[d.isoformat(), "", "BB-EDI", "", "event", "", "market"] for d in busiest]
    market = [[d.isoformat(), "", "BB-EDI", "", "event", "", "market"] for d in ahead]
    path = write(tmp_path / "calendar.csv", [*rows, *market])
    assert import_file(db, "calendar", path).written == 10
    assert import_file(db, "calendar", path).written == 0  # the same file again
    assert len(demand_drivers.calendar_rows(db, since=UNTIL)) == 2

    stale = forecasting.demand_forecast(db, summary.default_as_of, days=7, model_path=model)
    assert any("without event" in n and "--retrain" in n for n in stale.notes)

    def bread(**options: object) -> dict[date, float]:
        report = forecasting.demand_forecast(
            db, summary.default_as_of, days=7, sku="BB-BREAD", model_path=model, **options
        )
        assert not any("without" in n for n in report.notes)
        return {d.day: d.mean for d in report.series[0].days}

    with_market = bread(retrain=True)
    called_off = [[d.isoformat(), "", "BB-EDI", "", "event", "0", "called off"] for d in ahead]
    assert import_file(db, "calendar", write(tmp_path / "off.csv", called_off)).written == 2
    without = bread()
    for day in ahead:
        assert with_market[day] > without[day] * 1.05
    # the days before the market are forecast alike (later ones see its lags)
    for day in [d for d in without if d < min(ahead)]:
        assert with_market[day] == pytest.approx(without[day])


def test_a_holiday_country_the_calendar_does_not_know(
    demo: tuple[Database, DemoSummary], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, summary = demo
    monkeypatch.setenv("SHELFPILOT_HOLIDAYS", "XX")
    with pytest.raises(InvalidValue, match="SHELFPILOT_HOLIDAYS"):
        forecasting.demand_forecast(db, summary.default_as_of, days=3)
    monkeypatch.setenv("SHELFPILOT_HOLIDAYS", "GB")
    assert demand_drivers.holiday_calendar().country == "GB"


def test_calendar_rows_on_both_databases(shop: Database, tmp_path: Path) -> None:
    """One value per day, place, product and driver, replaced by a later file."""
    first = write(
        tmp_path / "a.csv",
        [
            ["2026-12-24", "2026-12-26", "", "", "holiday", "", "Christmas"],
            ["2026-12-24", "", "SZ-01", "CAKE", "discount", "0.8", "8折"],
            ["2026-12-24", "", "SZ-01", "", "气温", "-2.5", ""],
        ],
    )
    assert import_file(shop, "calendar", first).written == 3
    assert import_file(shop, "calendar", first).written == 0
    later = write(tmp_path / "b.csv", [["2026-12-24", "", "SZ-01", "CAKE", "discount", "0.7", ""]])
    assert import_file(shop, "calendar", later).written == 1
    rows = demand_drivers.calendar_rows(shop)
    assert len(rows) == 5
    [plan] = [r for r in rows if r.driver == "discount"]
    assert (plan.location, plan.sku, plan.value, plan.note) == ("SZ-01", "CAKE", 0.7, "")
    assert [r.value for r in rows if r.driver == "temperature"] == [-2.5]
    assert [r.day for r in rows if r.driver == "holiday"] == [
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ]
