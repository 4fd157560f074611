"""Holidays, local events and the other drivers a shop knows in advance.

Chinese public holidays (with the adjusted days off) come from the
``holidays`` package by default (another country, or none, by setting); the
shop's own calendar (``shelfpilot import calendar``) adds or cancels
holidays, events (markets, exhibitions, festivals), planned promotions and
discounts, and weather, per day, store and product.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd


@dataclass(frozen=True)
class HolidayCalendar:
    country: str | None = "CN"
    extra_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of_dates(cls, days: Iterable[date]) -> HolidayCalendar:
        """Only the given days are holidays (no country calendar)."""
        return cls(country=None, extra_days=frozenset(days))

    def flags(self, dates: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
        years = sorted({d.year for d in dates})
        official = holidays.country_holidays(self.country, years=years) if self.country else {}
        return np.array(
            [1.0 if (d.date() in official or d.date() in self.extra_days) else 0.0 for d in dates]
        )


#: Drivers that are yes/no: a day without a record is a "no".
FLAGS = ("holiday", "event", "promo")
#: Which records apply to a series, least specific first: everyone, the store,
#: the product in every store, the product in that store. (A product-wide
#: record beats a store-wide one: a planned price is set per product.)
_LEVELS: tuple[tuple[str, ...], ...] = ((), ("location",), ("sku",), ("location", "sku"))


def driver_frame(
    records: pd.DataFrame,
    series: pd.DataFrame,
    dates: pd.DatetimeIndex,
    calendar: HolidayCalendar | None = None,
) -> pd.DataFrame:
    """Drivers per series and day from the shop's calendar: ``unique_id, ds,
    holiday`` and a column per driver the records name.

    ``records``: ``day, location, sku, driver, value`` ("" = every location or
    product). ``series``: ``unique_id, location, sku``. The holiday flag starts
    from ``calendar`` (Chinese public holidays by default; None for none) and a
    record overrides it (value 0 cancels a public holiday). Flags are 0 on days
    without a record; other drivers (discount, weather) are missing there."""
    calendar = calendar if calendar is not None else HolidayCalendar(country=None)
    grid = series[["unique_id", "location", "sku"]].merge(
        pd.DataFrame({"ds": pd.DatetimeIndex(dates).normalize()}), how="cross"
    )
    grid["holiday"] = np.tile(calendar.flags(pd.DatetimeIndex(dates)), len(series))
    if records.empty:
        return grid[["unique_id", "ds", "holiday"]]
    names = sorted(set(records["driver"]))
    for name in names:
        if name not in grid:
            grid[name] = np.nan
    first, last = pd.Timestamp(dates.min()).date(), pd.Timestamp(dates.max()).date()
    records = records[(records["day"] >= first) & (records["day"] <= last)]
    records = records.assign(ds=pd.to_datetime(records["day"]).dt.normalize())
    for keys in _LEVELS:
        chosen = ((records["location"] != "") == ("location" in keys)) & (
            (records["sku"] != "") == ("sku" in keys)
        )
        level = records[chosen]
        if level.empty:
            continue
        wide = level.pivot_table(
            index=[*keys, "ds"], columns="driver", values="value", aggfunc="max"
        ).reset_index()
        joined = grid[[*keys, "ds"]].merge(wide, on=[*keys, "ds"], how="left")
        for name in names:
            if name in joined:
                found = joined[name].to_numpy()
                grid[name] = np.where(np.isnan(found), grid[name].to_numpy(), found)
    for name in FLAGS:
        if name in grid:
            grid[name] = grid[name].fillna(0.0)
    return grid[["unique_id", "ds", "holiday", *[n for n in names if n != "holiday"]]]
