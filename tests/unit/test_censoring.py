"""Stock-outs censor sales: the correction must raise demand on sold-out
days and leave fully stocked days alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shelfpilot.forecast.calendar import HolidayCalendar
from shelfpilot.forecast.censoring import intraday_profile, latent_demand

FLAT = [1.0 / 24] * 24


def day(uid: str, n: int, sales: float, out_from: int | None = None) -> dict[str, object]:
    stock = [0] * 24 if out_from is None else [0] * out_from + [1] * (24 - out_from)
    hourly = (
        [sales / 24] * 24
        if out_from is None
        else [sales / out_from] * out_from + [0.0] * (24 - out_from)
    )
    return {
        "unique_id": uid,
        "ds": pd.Timestamp("2024-05-01") + pd.Timedelta(days=n),
        "y": sales,
        "hours_sale": hourly,
        "hours_stock_status": stock,
    }


def test_profile_comes_from_fully_stocked_days_and_sums_to_one() -> None:
    sales = np.array([[0.0] * 12 + [2.0] * 12, [1.0] * 24])
    out = np.array([[0] * 24, [1] * 24])
    profiles = intraday_profile(sales, out, ["a", "a"])
    assert profiles["a"].sum() == pytest.approx(1.0)
    assert profiles["a"][:12].sum() < profiles["a"][12:].sum()  # only the stocked day counts


def test_sold_out_afternoon_raises_demand_and_stocked_days_stay() -> None:
    frame = pd.DataFrame([day("s", n, 24.0) for n in range(6)] + [day("s", 6, 12.0, out_from=12)])
    result = latent_demand(frame, min_coverage=0.3)
    stocked = result.iloc[:6]
    assert (stocked["demand"] == stocked["y"]).all()
    assert np.allclose(stocked["coverage"], 1.0)
    sold_out = result.iloc[6]
    assert sold_out["coverage"] == pytest.approx(0.5)
    assert sold_out["demand"] == pytest.approx(24.0)


def test_a_day_sold_out_by_morning_is_not_read_as_low_demand() -> None:
    frame = pd.DataFrame([day("s", n, 24.0) for n in range(6)] + [day("s", 6, 1.0, out_from=2)])
    for scale in (True, False):
        result = latent_demand(frame, min_coverage=0.3, scale_partial_days=scale)
        assert result.iloc[6]["demand"] == pytest.approx(24.0)  # the recent stocked level
    mild = pd.DataFrame([day("s", n, 24.0) for n in range(6)] + [day("s", 6, 12.0, out_from=12)])
    assert latent_demand(mild, scale_partial_days=False).iloc[6]["demand"] == pytest.approx(12.0)


def test_chinese_holidays_by_default_and_a_shop_calendar_instead() -> None:
    days = pd.date_range("2024-05-01", "2024-05-07", freq="D")
    # Labour Day and the two substituted days off; the weekend after is left to the weekday
    assert HolidayCalendar().flags(days).tolist() == [1, 1, 1, 0, 0, 0, 0]
    own = HolidayCalendar.of_dates([pd.Timestamp("2024-05-06").date()])
    assert own.flags(days).tolist() == [0, 0, 0, 0, 0, 1, 0]
