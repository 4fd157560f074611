"""What our policies expect demand to be: the engine's own forecast, made each
morning as the app makes it.

The rule policies and the common orders go by the store's 7-day mean
(``Store.forecast``): that is what the benchmark's stocking levels are days of
cover of. Our policies plan and order with an ``Outlook`` when they are given
one: for every morning, a forecast of each of the next days with its spread.
``model_outlook`` makes it with ``forecast.model.GlobalDemandModel``, fitted on
the days before the measured window and then, every morning, told the day
before (``update``) and asked for the days ahead (``predict``), the daily
cycle's own calls. It sees the demand the store meets (the replay, with the
setting's drop), the promotions and public holidays known ahead, and nothing
of the day it forecasts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from shelfpilot.forecast.model import GlobalDemandModel
from shelfpilot.simulation.engine import Setting, Store, demand_seen
from shelfpilot.simulation.replay import DemandReplay

Array = npt.NDArray[np.float64]
#: drivers known ahead that the simulator's forecast may use (the replay is
#: demand at list price, so the data's discounts are not among them, and the
#: weather is not known ahead)
KNOWN_AHEAD = ("promo", "holiday")


@dataclass(frozen=True)
class Outlook:
    """``mean[i, d - first_day, h]``: the forecast, made on the morning of
    day ``d``, of series ``i``'s demand on day ``d + h``; ``sd`` its spread."""

    first_day: int
    mean: Array
    sd: Array

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[2])

    def covers(self, day: int) -> bool:
        return bool(self.first_day <= day < self.first_day + self.mean.shape[1])

    def of(self, day: int, ahead: int) -> tuple[Array, Array]:
        """Mean and spread of demand on ``day + ahead`` as forecast on the
        morning of ``day`` (beyond the horizon, its last day)."""
        k, h = day - self.first_day, min(ahead, self.horizon - 1)
        return self.mean[:, k, h], self.sd[:, k, h]


def expected(store: Store, outlook: Outlook | None, days: int = 1) -> list[tuple[Array, Array]]:
    """What a policy with ``outlook`` expects of each of the ``days`` days
    from ``store.day`` on: the outlook's forecasts on days it covers, else the
    store's 7-day mean and 28-day spread (the same for every day ahead)."""
    if outlook is not None and outlook.covers(store.day):
        return [outlook.of(store.day, k) for k in range(days)]
    return [(store.forecast(store.day), store.recent_sd(store.day))] * days


def model_outlook(
    replay: DemandReplay,
    setting: Setting,
    drivers: pd.DataFrame | None = None,
    *,
    horizon: int | None = None,
    model: GlobalDemandModel | None = None,
) -> Outlook:
    """Forecasts for every morning from ``setting.first_day`` to the end of
    the replay. ``drivers``: ``unique_id``, ``ds`` and any of
    ``KNOWN_AHEAD`` (missing: none). ``model`` is fitted on the days before
    the window (default: ``GlobalDemandModel(censoring="none")``: the replay
    is already latent demand)."""
    daily = demand_seen(replay, setting).sum(axis=2)
    frame = _long(replay, daily, drivers)
    dates = replay.dates
    first = setting.first_day
    if first < 1:
        raise ValueError("the outlook needs history before the first day")
    horizon = horizon or setting.shelf_life_days + 1
    model = copy.deepcopy(model) if model is not None else GlobalDemandModel(censoring="none")
    model.fit(frame[frame["ds"] < dates[first]])
    order = _rows(model, replay)
    days = len(dates) - first
    mean = np.zeros((len(replay.ids), days, horizon))
    sd = np.zeros_like(mean)
    ahead = [c for c in KNOWN_AHEAD if c in frame]
    for k in range(days):
        day = first + k
        if k:
            model.update(frame[frame["ds"] == dates[day - 1]])
        future = frame[(frame["ds"] >= dates[day])][["unique_id", "ds", *ahead]]
        pred = model.predict(horizon, future=future)
        m = pred["mean"].to_numpy().reshape(-1, horizon)[order]
        s = pred["sd"].to_numpy().reshape(-1, horizon)[order]
        mean[:, k] = np.nan_to_num(np.maximum(m, 0.0))
        sd[:, k] = np.nan_to_num(np.maximum(s, 0.0))
    return Outlook(first, mean, sd)


def _long(replay: DemandReplay, daily: Array, drivers: pd.DataFrame | None) -> pd.DataFrame:
    ids = replay.ids.astype(str)
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, len(replay.dates)),
            "ds": np.tile(replay.dates.to_numpy(), len(ids)),
            "y": daily.ravel(),
        }
    )
    if drivers is None:
        return frame
    known = [c for c in KNOWN_AHEAD if c in drivers]
    extra = drivers[["unique_id", "ds", *known]].copy()
    extra["unique_id"] = extra["unique_id"].astype(str)
    extra["ds"] = pd.to_datetime(extra["ds"]).dt.normalize()
    frame = frame.merge(
        extra.drop_duplicates(["unique_id", "ds"]), on=["unique_id", "ds"], how="left"
    )
    if "promo" in frame:  # a day a series has no row for had no promotion
        frame["promo"] = frame["promo"].fillna(0.0)
    if "holiday" in frame:  # a public holiday is the same for every series
        frame["holiday"] = frame.groupby("ds")["holiday"].transform("max").fillna(0.0)
    return frame


def _rows(model: GlobalDemandModel, replay: DemandReplay) -> npt.NDArray[np.int64]:
    """Where each of the replay's series is among the model's."""
    index = {str(uid): i for i, uid in enumerate(model.panel_.ids)}
    try:
        return np.array([index[str(uid)] for uid in replay.ids], dtype=np.int64)
    except KeyError as missing:
        raise ValueError(f"series {missing} has no history before the first day") from None
