"""Series as a dense panel (series × days) and the features a forecast of one
day sees: only what was known the evening before, plus that day's drivers.

Long-format frames (``unique_id``, ``ds``, ``y`` and driver columns) go in;
days a series has no row for count as zero sales (a shop's ledger has no row
for a day nothing sold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from shelfpilot.forecast.calendar import HolidayCalendar

Array = npt.NDArray[np.float64]

#: Drivers a frame may carry, and how a missing future value is filled:
#: "recent" = the series' recent level, a number = that constant, "calendar" = the holiday calendar.
DRIVERS: dict[str, str | float] = {
    "discount": "recent",
    "promo": 0.0,
    "holiday": "calendar",
    "event": 0.0,
    "temperature": "recent",
    "precipitation": "recent",
    "humidity": "recent",
    "wind": "recent",
}
LAGS = (1, 2, 3, 4, 5, 6, 7, 14, 21, 28)
WINDOWS = (7, 14, 28)
MIN_HISTORY = 14


@dataclass
class Panel:
    ids: npt.NDArray[np.object_]
    dates: pd.DatetimeIndex
    demand: Array
    sales: Array
    drivers: dict[str, Array]
    statics: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def days(self) -> int:
        return len(self.dates)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, static_cols: Sequence[str] = ()) -> Panel:
        """``frame`` has ``unique_id``, ``ds``, ``y``, ``demand`` (latent) and any drivers."""
        ids, rows = np.unique(frame["unique_id"].astype(str).to_numpy(), return_inverse=True)
        ds = pd.to_datetime(frame["ds"]).dt.normalize()
        start, end = ds.min(), ds.max()
        dates = pd.date_range(start, end, freq="D")
        cols = ((ds - start).dt.days).to_numpy()
        shape = (len(ids), len(dates))

        def grid(column: str, fill: float) -> Array:
            out = np.full(shape, fill, dtype=np.float64)
            out[rows, cols] = frame[column].to_numpy(dtype=np.float64)
            return out

        drivers = {name: grid(name, np.nan) for name in DRIVERS if name in frame}
        statics = pd.DataFrame(index=range(len(ids)))
        for col in static_cols:
            values = pd.Series(frame[col].to_numpy(), index=rows)
            statics[col] = values.groupby(level=0).first().reindex(range(len(ids))).to_numpy()
        return cls(ids.astype(object), dates, grid("demand", 0.0), grid("y", 0.0), drivers, statics)

    def extend(self, horizon: int, future: pd.DataFrame | None, calendar: HolidayCalendar) -> Panel:
        """Add ``horizon`` days of unknown demand, with drivers from ``future``
        where given and filled by the rules in ``DRIVERS`` where not."""
        new_dates = pd.date_range(self.dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
        n = len(self.ids)
        pad = np.full((n, horizon), np.nan)
        drivers: dict[str, Array] = {}
        index = {uid: i for i, uid in enumerate(self.ids)}
        names = set(self.drivers) | ({c for c in DRIVERS if future is not None and c in future})
        for name in names:
            known = self.drivers.get(name, np.full((n, self.days), np.nan))
            block = pad.copy()
            if future is not None and name in future:
                sub = future[future["unique_id"].astype(str).isin(index)]
                r = sub["unique_id"].astype(str).map(index).to_numpy()
                c = (pd.to_datetime(sub["ds"]).dt.normalize() - new_dates[0]).dt.days.to_numpy()
                ok = (c >= 0) & (c < horizon)
                block[r[ok], c[ok]] = sub[name].to_numpy(dtype=np.float64)[ok]
            rule = DRIVERS[name]
            if rule == "calendar":
                flags = calendar.flags(new_dates)
                block = np.where(np.isnan(block), flags[None, :], block)
            elif rule == "recent":
                level = recent_level(known, 14)
                block = np.where(np.isnan(block), level[:, None], block)
            else:
                block = np.where(np.isnan(block), float(rule), block)
            drivers[name] = np.concatenate([known, block], axis=1)
        return replace(
            self,
            dates=pd.DatetimeIndex(self.dates.append(new_dates)),
            demand=np.concatenate([self.demand, pad], axis=1),
            sales=np.concatenate([self.sales, pad], axis=1),
            drivers=drivers,
        )

    def append(self, newer: Panel) -> Panel:
        """Days observed after this panel ends (same series; new series are ignored)."""
        if newer.dates[0] <= self.dates[-1]:
            newer = newer.slice_from(self.dates[-1] + pd.Timedelta(days=1))
        gap = (newer.dates[0] - self.dates[-1]).days - 1
        aligned = newer.align(self.ids)
        filler = np.zeros((len(self.ids), gap))
        drivers = {
            k: np.concatenate(
                [
                    v,
                    np.full((len(self.ids), gap), np.nan),
                    aligned.drivers.get(k, np.full(aligned.demand.shape, np.nan)),
                ],
                axis=1,
            )
            for k, v in self.drivers.items()
        }
        return replace(
            self,
            dates=pd.DatetimeIndex(
                self.dates.append(
                    pd.date_range(self.dates[-1] + pd.Timedelta(days=1), newer.dates[-1], freq="D")
                )
            ),
            demand=np.concatenate([self.demand, filler, aligned.demand], axis=1),
            sales=np.concatenate([self.sales, filler, aligned.sales], axis=1),
            drivers=drivers,
        )

    def slice_from(self, start: pd.Timestamp) -> Panel:
        keep = self.dates >= start
        return replace(
            self,
            dates=self.dates[keep],
            demand=self.demand[:, keep],
            sales=self.sales[:, keep],
            drivers={k: v[:, keep] for k, v in self.drivers.items()},
        )

    def align(self, ids: npt.NDArray[np.object_]) -> Panel:
        """Rows reordered to ``ids``; series missing here get zero sales."""
        index = {uid: i for i, uid in enumerate(self.ids)}
        pick = np.array([index.get(uid, -1) for uid in ids])
        have = pick >= 0

        def take(a: Array, fill: float) -> Array:
            out = np.full((len(ids), a.shape[1]), fill)
            out[have] = a[pick[have]]
            return out

        return replace(
            self,
            ids=ids,
            demand=take(self.demand, 0.0),
            sales=take(self.sales, 0.0),
            drivers={k: take(v, np.nan) for k, v in self.drivers.items()},
        )


def recent_level(values: Array, window: int) -> Array:
    tail = values[:, -window:]
    count = np.sum(~np.isnan(tail), axis=1)
    total = np.nansum(tail, axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _window_mean(values: Array, t: int, window: int) -> Array:
    return recent_level(values[:, max(0, t - window) : t], window)


def feature_names(panel: Panel) -> list[str]:
    names = [f"lag{k}" for k in LAGS]
    names += [f"mean{w}" for w in WINDOWS] + [
        "std7",
        "dow_mean",
        "zero_share14",
        "level",
        "coverage7",
        "stocked",
    ]
    names += ["dow", "day_of_month", "holiday_next"]
    names += sorted(panel.drivers) + ["discount_rel"] * ("discount" in panel.drivers)
    names += list(panel.statics.columns)
    return names


def features_at(
    panel: Panel, t: int, coverage: Array | None = None, stocked: float | None = None
) -> Array:
    """Feature rows (one per series) for forecasting column ``t`` of the panel.

    ``stocked`` is the share of the day's normal demand that falls in stocked
    hours: in training the day's own coverage (so the model learns what a
    partly stocked day sells), in a forecast 1.0 (demand when the shelf is
    stocked all day, which is what ordering and expiry risk need)."""
    d = panel.demand
    n = len(panel.ids)
    cols: list[Array] = []
    for k in LAGS:
        cols.append(d[:, t - k] if t - k >= 0 else np.full(n, np.nan))
    for w in WINDOWS:
        cols.append(_window_mean(d, t, w))
    window = d[:, max(0, t - 7) : t]
    mean7 = recent_level(window, 7)
    sq = recent_level(window**2, 7)
    cols.append(np.sqrt(np.maximum(sq - mean7**2, 0.0)))
    same_day = [d[:, t - k] for k in (7, 14, 21, 28) if t - k >= 0]
    cols.append(recent_level(np.stack(same_day, axis=1), 4) if same_day else np.full(n, np.nan))
    recent_sales = panel.sales[:, max(0, t - 14) : t]
    zero = np.where(np.isnan(recent_sales), np.nan, (recent_sales == 0).astype(np.float64))
    cols.append(recent_level(zero, 14))
    cols.append(recent_level(d[:, :t], t) if t > 0 else np.full(n, np.nan))
    cols.append(_window_mean(coverage, t, 7) if coverage is not None else np.full(n, np.nan))
    if stocked is not None:
        cols.append(np.full(n, stocked))
    elif coverage is not None and t < coverage.shape[1]:
        cols.append(coverage[:, t])
    else:
        cols.append(np.full(n, np.nan))
    day = panel.dates[t]
    cols.append(np.full(n, float(day.dayofweek)))
    cols.append(np.full(n, float(day.day)))
    holiday = panel.drivers.get("holiday")
    nxt = holiday[:, t + 1] if holiday is not None and t + 1 < panel.days else np.full(n, np.nan)
    cols.append(nxt)
    for name in sorted(panel.drivers):
        cols.append(panel.drivers[name][:, t])
    if "discount" in panel.drivers:
        usual = _window_mean(panel.drivers["discount"], t, 28)
        cols.append(panel.drivers["discount"][:, t] / np.where(usual > 0, usual, np.nan))
    for col in panel.statics.columns:
        cols.append(panel.statics[col].to_numpy(dtype=np.float64))
    return np.column_stack(cols)
