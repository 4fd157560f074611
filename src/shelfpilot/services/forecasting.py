"""Demand forecasts: the use cases over ``forecast``.

``sales_history`` turns the ledger into the daily series the model learns
from; ``train_forecaster`` fits and saves the model; ``demand_forecast`` (and
``expiry_risk.expiry_risk``) load (or train) it, bring it up to the as-of day
and answer.

How the ledger becomes series (and stock-outs are approximated) is in
``sales_history``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.lots import require_aware
from shelfpilot.forecast.risk import demand_samples
from shelfpilot.services.demand_drivers import Drivers, load_drivers
from shelfpilot.services.sales_history import History, load_history, sales_history
from shelfpilot.storage import Database

if TYPE_CHECKING:  # LightGBM takes ~1.5 s to import: only when a model is used
    from shelfpilot.forecast.model import GlobalDemandModel

#: The model's first lags need 14 days (``forecast.panel.MIN_HISTORY``).
MIN_HISTORY = 14
#: Days of history the model needs at least (its lags need 14, then a week to learn from).
MIN_DAYS = MIN_HISTORY + 7
CALIBRATION_DAYS = 14
#: Settings for a shop's few dozen series and weeks of history. One thread: on
#: so little data LightGBM's threads mostly wait for each other (200 rounds took
#: 34 s with 2 threads on a busy 2-core machine, 0.5 s with one).
SHOP_MODEL: dict[str, int | float] = {
    "threads": 1,
    "n_estimators": 200,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "learning_rate": 0.05,
    # 60 % (the default) was chosen on 40k FreshRetailNet series; one shop's few
    # dozen series keep the 80 % they were tested with
    "feature_fraction": 0.8,
}
_FAR = datetime(2999, 1, 1, tzinfo=UTC)
UNITS = Decimal("0.1")


__all__ = [
    "ForecastReport",
    "Forecaster",
    "NotEnoughHistory",
    "demand_forecast",
    "sales_history",
    "train_forecaster",
]


class NotEnoughHistory(InvalidValue):
    """Too few days of sales to learn a forecast from."""


# the model ------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecaster:
    model: GlobalDemandModel
    series: int
    first_day: date
    last_day: date
    calibrated: bool
    path: Path | None = None


def _fit(frame: pd.DataFrame, *, seed: int = 0) -> GlobalDemandModel:
    if frame.empty:
        raise NotEnoughHistory("no sales are recorded yet, so there is nothing to forecast from")
    days = (frame["ds"].max() - frame["ds"].min()).days + 1
    if days < MIN_DAYS:
        raise NotEnoughHistory(
            f"only {days} day(s) of sales history; the forecast needs at least {MIN_DAYS}"
        )
    from shelfpilot.forecast.model import GlobalDemandModel

    calibration = CALIBRATION_DAYS if days - CALIBRATION_DAYS > MIN_HISTORY + 7 else 0
    model = GlobalDemandModel(
        calibration_days=calibration,
        seed=seed,
        n_estimators=int(SHOP_MODEL["n_estimators"]),
        num_leaves=int(SHOP_MODEL["num_leaves"]),
        min_data_in_leaf=int(SHOP_MODEL["min_data_in_leaf"]),
        learning_rate=float(SHOP_MODEL["learning_rate"]),
        feature_fraction=float(SHOP_MODEL["feature_fraction"]),
        threads=int(SHOP_MODEL["threads"]),
    )
    return model.fit(frame.drop(columns=["location", "sku"]))


def _describe(model: GlobalDemandModel, path: Path | None) -> Forecaster:
    dates = model.panel_.dates
    return Forecaster(
        model,
        len(model.panel_.ids),
        dates[0].date(),
        dates[-1].date(),
        bool(getattr(model, "z_", {})),
        path,
    )


def train_forecaster(
    db: Database, path: Path | None, *, until: date | None = None, seed: int = 0
) -> Forecaster:
    """Fit the demand model on every location's sales (up to ``until``) and
    save it to ``path`` (when given). Raises ``NotEnoughHistory``."""
    drivers = load_drivers(db)
    model = _fit(drivers.for_history(load_history(db, location=None, until=until).frame), seed=seed)
    if path is not None:
        model.save(path)
    return _describe(model, path)


def _load(path: Path) -> GlobalDemandModel:
    from shelfpilot.forecast.model import GlobalDemandModel

    try:
        return GlobalDemandModel.load(path)
    except ValueError as error:  # readable, but not a model this version can use
        raise InvalidValue(
            "{problem}; train a new one with --retrain", problem=str(error)
        ) from None
    except (AssertionError, pickle.UnpicklingError, EOFError, AttributeError) as error:
        raise InvalidValue(
            "{path} is not a ShelfPilot demand model ({problem}); train a new one with --retrain",
            path=str(path),
            problem=str(error),
        ) from None


@dataclass
class _Ready:
    model: GlobalDemandModel
    history: History
    notes: list[str]
    drivers: Drivers


def model_for(
    db: Database, until: date, model_path: Path | None, retrain: bool, *, train: bool = True
) -> _Ready:
    """A model whose history ends on ``until``: loaded and brought up to date
    with the days since it was trained, or trained now (and saved). With
    ``train`` False (a read over the API) nothing is trained or saved: no
    usable model file is a ``Conflict`` saying how to make one."""
    history = load_history(db, location=None, until=until)
    drivers = load_drivers(db)
    frame = drivers.for_history(history.frame)
    notes: list[str] = []
    if model_path is not None and model_path.exists() and not retrain:
        model = _load(model_path)
        last = model.panel_.dates[-1].date()
        if last < until:
            newer = frame[frame["ds"] > pd.Timestamp(last)]
            if not newer.empty:
                model.update(newer.drop(columns=["location", "sku"]))
                notes.append(f"model updated with the sales of {(until - last).days} day(s)")
        elif last > until:
            if not train:
                raise Conflict(
                    "the demand model knows sales up to {last}, after {until}: "
                    "ask as of a later time",
                    last=last,
                    until=until,
                )
            model = _fit(frame)
            notes.append(
                f"the saved model has sales up to {last}, after the as-of day; "
                "a model up to the day before was trained for this run (not saved)"
            )
        unused = drivers.unknown_to(set(model.panel_.drivers))
        if unused:
            notes.append(
                f"the saved model was trained without {', '.join(unused)}; "
                "retrain it (--retrain) to use the calendar's"
            )
        return _Ready(model, history, notes, drivers)
    if not train:
        raise Conflict(
            "there is no demand model yet: start the daily run once (it trains one), "
            "or run `shelfpilot forecast`"
        )
    model = _fit(frame)
    if model_path is not None:
        model.save(model_path)
        notes.append(f"model trained and saved to {model_path}")
    return _Ready(model, history, notes, drivers)


def predict_days(ready: _Ready, first: date, days: int) -> pd.DataFrame:
    """Forecast rows for the ``days`` days from ``first``, with the calendar's
    drivers (holidays, events, planned discounts, weather) for those days."""
    model = ready.model
    last_known = model.panel_.dates[-1].date()
    ahead = max((first - last_known).days - 1 + days, 1)
    places = _series_places(ready.history.frame)
    future = ready.drivers.for_days(
        {str(i): places.get(str(i), _split(str(i))) for i in model.panel_.ids},
        last_known + timedelta(days=1),
        ahead,
        set(model.panel_.drivers),
    )
    result = model.predict(ahead, future=future)
    keep = (result["ds"] >= pd.Timestamp(first)) & (
        result["ds"] < pd.Timestamp(first + timedelta(days=days))
    )
    return result[keep].sort_values(["unique_id", "ds"])


def local_today(
    db: Database, as_of: datetime, location: str | None
) -> tuple[date, dict[str, ZoneInfo]]:
    with db.transaction(readonly=True) as uow:
        if location is not None:
            places = [uow.catalog.location(location)]
        else:
            places = [loc for loc in uow.catalog.locations() if loc.holds_stock]
    zones = {p.code: p.zone for p in places}
    days = [as_of.astimezone(z).date() for z in zones.values()] or [as_of.date()]
    return min(days), zones


# forecast -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DayForecast:
    day: date
    mean: float
    q10: float
    q90: float


@dataclass(frozen=True, slots=True)
class SeriesForecast:
    location: str
    sku: str
    product_name: str
    days: list[DayForecast]
    total_mean: float
    total_q10: float
    total_q90: float


@dataclass(frozen=True)
class ForecastReport:
    first_day: date
    series: list[SeriesForecast]
    notes: list[str] = field(default_factory=list)


def demand_forecast(
    db: Database,
    as_of: datetime,
    *,
    days: int = 14,
    location: str | None = None,
    sku: str | None = None,
    model_path: Path | None = None,
    retrain: bool = False,
    train: bool = True,
) -> ForecastReport:
    """Daily demand per product × location for ``days`` days from the as-of
    day (whole days, from the sales up to the day before). Totals over the
    days come from simulated demand, not from adding quantiles."""
    at = require_aware(as_of, "as-of time")
    if days < 1:
        raise InvalidValue("forecast at least one day")
    first, _ = local_today(db, at, location)
    ready = model_for(db, first - timedelta(days=1), model_path, retrain, train=train)
    forecast = predict_days(ready, first, days)
    names = _names(db)
    places = _series_places(ready.history.frame)
    out: list[SeriesForecast] = []
    for uid, rows in forecast.groupby("unique_id", sort=True):
        loc, item = places.get(str(uid), _split(str(uid)))
        if (location is not None and loc != location) or (sku is not None and item != sku):
            continue
        mean = rows["mean"].to_numpy(dtype=np.float64)
        totals = demand_samples(mean, rows["sd"].to_numpy(dtype=np.float64), 2000).sum(axis=1)
        out.append(
            SeriesForecast(
                loc,
                item,
                names.get(item, item),
                [
                    DayForecast(d.date(), float(m), float(lo), float(hi))
                    for d, m, lo, hi in zip(
                        rows["ds"], rows["mean"], rows["q10"], rows["q90"], strict=True
                    )
                ],
                float(mean.sum()),
                float(np.quantile(totals, 0.1)),
                float(np.quantile(totals, 0.9)),
            )
        )
    return ForecastReport(first, out, ready.notes)


def _names(db: Database) -> dict[str, str]:
    with db.transaction(readonly=True) as uow:
        return {p.sku: p.name_en or p.name_zh for p in uow.catalog.products()}


def _series_places(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    pairs = frame[["unique_id", "location", "sku"]].drop_duplicates("unique_id")
    return {str(u): (str(loc), str(s)) for u, loc, s in pairs.itertuples(index=False)}


def _split(uid: str) -> tuple[str, str]:
    loc, _, sku = uid.partition("/")
    return loc, sku
