"""Holidays and local events as day flags.

Chinese public holidays (with the adjusted days off) come from the
``holidays`` package by default; a shop can pass its own dates instead, and
add events (markets, exhibitions, festivals) that move demand.
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


def event_frame(events: pd.DataFrame, ids: Iterable[str]) -> pd.DataFrame:
    """Expand an events table (``start``, ``end``, optional ``unique_id`` prefix
    such as a store code) into ``unique_id, ds, event=1`` rows for the panel."""
    rows: list[dict[str, object]] = []
    ids = list(ids)
    for event in events.itertuples(index=False):
        scope = str(getattr(event, "scope", "") or "")
        targets = [u for u in ids if not scope or u.startswith(scope)]
        for day in pd.date_range(
            pd.Timestamp(str(event.start)), pd.Timestamp(str(event.end)), freq="D"
        ):
            rows.extend({"unique_id": u, "ds": day, "event": 1.0} for u in targets)
    return pd.DataFrame(rows, columns=["unique_id", "ds", "event"])
