"""The shop's demand calendar as driver columns: which record applies where."""

from __future__ import annotations

from datetime import date

import pandas as pd

from shelfpilot.forecast.calendar import HolidayCalendar, driver_frame

SERIES = pd.DataFrame(
    {
        "unique_id": ["S1/CAKE", "S1/BREAD", "S2/CAKE"],
        "location": ["S1", "S1", "S2"],
        "sku": ["CAKE", "BREAD", "CAKE"],
    }
)
DAYS = pd.date_range("2024-10-01", periods=3, freq="D")  # National Day holidays


def records(*rows: tuple[str, str, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(date.fromisoformat(d), loc, sku, drv, v) for d, loc, sku, drv, v in rows],
        columns=["day", "location", "sku", "driver", "value"],
    )


def value(frame: pd.DataFrame, uid: str, day: str, column: str) -> float:
    row = frame[(frame["unique_id"] == uid) & (frame["ds"] == pd.Timestamp(day))]
    return float(row[column].iloc[0])


def test_public_holidays_by_default_and_a_record_cancels_one() -> None:
    plain = driver_frame(records(), SERIES, DAYS, HolidayCalendar())
    assert set(plain.columns) == {"unique_id", "ds", "holiday"}
    assert (plain["holiday"] == 1.0).all()  # 1-3 October
    cancelled = driver_frame(
        records(("2024-10-02", "S2", "", "holiday", 0)), SERIES, DAYS, HolidayCalendar()
    )
    assert value(cancelled, "S2/CAKE", "2024-10-02", "holiday") == 0.0
    assert value(cancelled, "S1/CAKE", "2024-10-02", "holiday") == 1.0
    assert value(cancelled, "S2/CAKE", "2024-10-03", "holiday") == 1.0
    none = driver_frame(records(), SERIES, DAYS, HolidayCalendar(country=None))
    assert (none["holiday"] == 0.0).all()


def test_records_outside_the_days_are_left_out_but_their_drivers_kept() -> None:
    frame = driver_frame(records(("2199-12-31", "", "", "event", 1)), SERIES, DAYS)
    assert (frame["event"] == 0.0).all()


def test_the_most_specific_record_wins() -> None:
    frame = driver_frame(
        records(
            ("2024-10-01", "", "", "discount", 0.9),
            ("2024-10-01", "S1", "", "discount", 0.8),
            ("2024-10-01", "", "CAKE", "discount", 0.7),
            ("2024-10-01", "S1", "CAKE", "discount", 0.6),
            ("2024-10-02", "S1", "", "event", 1),
        ),
        SERIES,
        DAYS,
        HolidayCalendar(country=None),
    )
    assert value(frame, "S1/CAKE", "2024-10-01", "discount") == 0.6
    assert value(frame, "S1/BREAD", "2024-10-01", "discount") == 0.8
    assert value(frame, "S2/CAKE", "2024-10-01", "discount") == 0.7
    assert pd.isna(value(frame, "S2/CAKE", "2024-10-02", "discount"))  # no plan: missing
    # a flag without a record is "no", not missing
    assert value(frame, "S1/BREAD", "2024-10-02", "event") == 1.0
    assert value(frame, "S2/CAKE", "2024-10-02", "event") == 0.0
    assert value(frame, "S1/BREAD", "2024-10-03", "event") == 0.0
    # a product's planned price beats the store's
    both = driver_frame(
        records(
            ("2024-10-01", "S1", "", "discount", 0.5), ("2024-10-01", "", "CAKE", "discount", 0.9)
        ),
        SERIES,
        DAYS,
    )
    assert value(both, "S1/CAKE", "2024-10-01", "discount") == 0.9
    assert value(both, "S1/BREAD", "2024-10-01", "discount") == 0.5
