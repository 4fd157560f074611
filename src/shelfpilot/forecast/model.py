"""The default demand model: one LightGBM model over all series.

It forecasts demand day by day, feeding each day's forecast back as the next
day's lags. The target is sales with sold-out days replaced by an estimate of
their latent demand (``censoring``; scaling every partly stocked day up too
over-forecasts the fully stocked days on FreshRetailNet by 13-24 %, so that is
an option, not the default). Quantiles come from the
model's own errors on the last ``calibration_days`` of history, forecast from
that earlier origin exactly as a real forecast would be (so they include the
growth of error with the horizon), standardised by ``sqrt(mean + c)`` and
taken per horizon band and demand level. The model is then refitted on all
days. ``update`` appends newly observed days without refitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from shelfpilot.forecast.calendar import HolidayCalendar
from shelfpilot.forecast.censoring import intraday_profile, latent_demand
from shelfpilot.forecast.panel import (
    MIN_HISTORY,
    Array,
    Panel,
    feature_names,
    features_at,
    recent_level,
)
from shelfpilot.forecast.persistence import load_tagged, save_tagged

HORIZON_BANDS = ((1, 3), (4, 7), (8, 14), (15, 10_000))
LEVEL_BUCKETS = 5
FORMAT = "shelfpilot-demand-model/2"


CENSORING = ("full", "sold_out_days", "none")


def prepare(
    frame: pd.DataFrame,
    *,
    group_col: str | None = None,
    profiles: Any = None,
    censoring: str = "full",
) -> pd.DataFrame:
    """Add ``demand`` (the training target) and ``coverage`` from hourly stock
    status, or from an explicit ``stockout`` flag (a flagged day counts as half
    stocked). ``censoring``: "full" scales every partly stocked day up to its
    latent demand; "sold_out_days" corrects only days too little stocked to
    read (under 30 % of normal demand covered); "none" trains on sales."""
    if censoring not in CENSORING:
        raise ValueError(f"censoring must be one of {CENSORING}")
    if "hours_stock_status" in frame and "hours_sale" in frame and censoring != "none":
        return latent_demand(
            frame, group_col=group_col, profiles=profiles, scale_partial_days=censoring == "full"
        )
    result = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    flagged = (
        result["stockout"].fillna(0).astype(bool).to_numpy()
        if "stockout" in result and censoring != "none"
        else None
    )
    result["coverage"] = np.where(flagged, 0.5, 1.0) if flagged is not None else 1.0
    result["demand"] = result["y"].astype(np.float64)
    if flagged is not None:
        recent = result.groupby("unique_id")["y"].transform(
            lambda s: s.shift(1).rolling(7, min_periods=1).median()
        )
        result.loc[flagged, "demand"] = np.fmax(result.loc[flagged, "y"], recent[flagged])
    return result


class GlobalDemandModel:
    alias = "ShelfPilot-LGBM"

    def __init__(
        self,
        *,
        static_cols: Sequence[str] = (),
        group_col: str | None = None,
        censoring: str = "sold_out_days",
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
        objectives: Sequence[str] = ("regression_l1", "tweedie"),
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        min_data_in_leaf: int = 100,
        feature_fraction: float = 0.6,
        calibration_days: int = 14,
        train_days: int | None = None,
        calendar: HolidayCalendar | None = None,
        threads: int = 2,
        seed: int = 0,
    ) -> None:
        self.static_cols = list(static_cols)
        self.group_col = group_col
        self.censoring = censoring
        self.quantiles = tuple(quantiles)
        # The mean of an L1 (median) and a tweedie model: WAPE is an absolute-error
        # measure and L1 alone beat tweedie or L2 alone by 1-2 points on
        # FreshRetailNet, but the two err on different days and their mean beat
        # either by about 0.4 points (docs/forecasting.md).
        self.objectives = tuple(objectives)
        self.params: dict[str, Any] = {
            "tweedie_variance_power": 1.2,
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_data_in_leaf": min_data_in_leaf,
            "feature_fraction": feature_fraction,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "num_threads": threads,
            "seed": seed,
            "verbosity": -1,
        }
        self.n_estimators = n_estimators
        self.calibration_days = calibration_days
        self.train_days = train_days
        self.calendar = calendar or HolidayCalendar()
        self.booster_: Blend | None = None

    # training ---------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> GlobalDemandModel:
        prepared = prepare(frame, group_col=self.group_col, censoring=self.censoring)
        self.profiles_ = _profiles_of(prepared, self.group_col)
        self.panel_ = Panel.from_frame(prepared, self.static_cols)
        self.coverage_ = Panel.from_frame(prepared.assign(demand=prepared["coverage"]), ()).demand
        self.names_ = feature_names(self.panel_)
        self.offset_ = 0.05 * float(np.nanmean(self.panel_.demand)) + 1e-6
        days = self.panel_.days
        if self.calibration_days and days - self.calibration_days > MIN_HISTORY + 7:
            origin = days - self.calibration_days
            booster = self._train(origin)
            forecast = self._recursive(booster, self.panel_, origin, self.calibration_days)
            self._calibrate(forecast, self.panel_.demand[:, origin:days])
        else:
            self.z_: dict[tuple[int, int], dict[str, float]] = {}
        self.booster_ = self._train(days)
        return self

    def _train(self, end: int) -> Blend:
        start = MIN_HISTORY if self.train_days is None else max(MIN_HISTORY, end - self.train_days)
        blocks, targets = [], []
        for t in range(start, end):
            y = self.panel_.demand[:, t]
            keep = ~np.isnan(y)
            blocks.append(features_at(self.panel_, t, self.coverage_)[keep].astype(np.float32))
            targets.append(y[keep])
        data = lgb.Dataset(
            np.concatenate(blocks),
            np.concatenate(targets),
            feature_name=self.names_,
            categorical_feature=[c for c in self.static_cols if c in self.names_] + ["dow"],
            free_raw_data=True,
        )
        return Blend(
            [
                lgb.train({**self.params, "objective": objective}, data, self.n_estimators)
                for objective in self.objectives
            ]
        )

    def _recursive(self, booster: Blend, panel: Panel, origin: int, horizon: int) -> Array:
        """Forecast day by day from ``origin``. Every feature window must look as
        it did in training, where nothing was ever missing: a forecast day
        stands in for its own sales, and stocking is taken to go on as over the
        last week (left missing, the 8th day onwards would see an all-missing
        coverage window, which the model never saw, and fall apart). The day
        forecast is always stocked all day (``stocked=1``): the forecast is
        demand, not what a short shelf would sell."""
        demand = panel.demand.copy()
        demand[:, origin:] = np.nan
        sales = panel.sales.copy()
        sales[:, origin:] = np.nan
        work = Panel(panel.ids, panel.dates, demand, sales, panel.drivers, panel.statics)
        known = self.coverage_[:, : min(origin, self.coverage_.shape[1])]
        coverage = np.empty((len(panel.ids), panel.days))
        coverage[:, : known.shape[1]] = known
        recent = recent_level(known, 7)
        coverage[:, known.shape[1] :] = np.where(np.isnan(recent), 1.0, recent)[:, None]
        out = np.empty((len(panel.ids), horizon))
        for step in range(horizon):
            t = origin + step
            pred = np.maximum(
                booster.predict(features_at(work, t, coverage, stocked=1.0).astype(np.float32)),
                0.0,
            )
            demand[:, t] = pred
            sales[:, t] = pred
            out[:, step] = pred
        return out

    def _scale(self, mean: Array) -> Array:
        return np.sqrt(np.maximum(mean, 0.0) + self.offset_)

    def _calibrate(self, forecast: Array, actual: Array) -> None:
        """Standardised errors per horizon band and demand level → quantiles."""
        z = (actual - forecast) / self._scale(forecast)
        edges = np.nanquantile(forecast, np.linspace(0, 1, LEVEL_BUCKETS + 1)[1:-1])
        self.level_edges_ = edges
        self.z_ = {}
        steps = np.arange(1, forecast.shape[1] + 1)
        for band, (lo, hi) in enumerate(HORIZON_BANDS):
            cols = (steps >= lo) & (steps <= hi)
            if not cols.any():
                continue
            zb, fb = z[:, cols].ravel(), forecast[:, cols].ravel()
            level = np.searchsorted(edges, fb)
            for bucket in range(LEVEL_BUCKETS):
                sample = zb[(level == bucket) & ~np.isnan(zb)]
                if len(sample) < 30:
                    sample = zb[~np.isnan(zb)]
                stats = {f"q{q}": float(np.quantile(sample, q)) for q in self.quantiles}
                stats["sd"] = float(np.std(sample))
                stats["bias"] = float(np.mean(sample))
                self.z_[(band, bucket)] = stats

    # forecasting ------------------------------------------------------------------
    def predict(self, h: int, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``h`` days after the last observed day: ``unique_id, ds, mean,
        sd`` and one column per quantile (``q10``, ``q50``, ``q90``)."""
        if self.booster_ is None:
            raise RuntimeError("fit the model before predicting")
        extended = self.panel_.extend(h, future, self.calendar)
        origin = self.panel_.days
        mean = self._recursive(self.booster_, extended, origin, h)
        n = len(extended.ids)
        result = pd.DataFrame(
            {
                "unique_id": np.repeat(extended.ids, h),
                "ds": np.tile(extended.dates[origin:].to_numpy(), n),
                "mean": mean.ravel(),
            }
        )
        steps = np.tile(np.arange(1, h + 1), n)
        scale = self._scale(result["mean"].to_numpy())
        level = np.searchsorted(
            getattr(self, "level_edges_", np.array([])), result["mean"].to_numpy()
        )
        band = np.searchsorted([hi for _, hi in HORIZON_BANDS], steps)
        for name in [f"q{q}" for q in self.quantiles] + ["sd"]:
            z = np.array(
                [
                    self.z_.get((b, lv), {}).get(name, np.nan)
                    for b, lv in zip(band, level, strict=True)
                ]
            )
            if name == "sd":
                result["sd"] = np.where(np.isnan(z), scale, z * scale)
            else:
                fallback = np.nan_to_num(z, nan=0.0)
                result[f"q{round(float(name[1:]) * 100)}"] = np.maximum(
                    result["mean"] + fallback * scale, 0.0
                )
        return result

    def intraday(self, group: object = "*") -> Array:
        """Share of a day's demand in each hour (for same-day decisions)."""
        return self.profiles_.get(group, self.profiles_["*"])

    def update(self, frame: pd.DataFrame) -> GlobalDemandModel:
        """Add newly observed days (same columns as for ``fit``) without retraining."""
        prepared = prepare(
            frame,
            group_col=self.group_col,
            profiles=self.profiles_ or None,
            censoring=self.censoring,
        )
        newer = Panel.from_frame(prepared, self.static_cols)
        cov = Panel.from_frame(prepared.assign(demand=prepared["coverage"]), ())
        before = self.panel_.days
        self.panel_ = self.panel_.append(newer)
        grown = Panel(
            self.panel_.ids,
            self.panel_.dates[:before],
            self.coverage_,
            self.coverage_,
            {},
            pd.DataFrame(),
        )
        self.coverage_ = grown.append(cov).demand
        return self

    # persistence ------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Pickle the model (load only files you made: pickle runs code)."""
        save_tagged(self, path, FORMAT)

    @classmethod
    def load(cls, path: Path) -> GlobalDemandModel:
        return load_tagged(path, FORMAT, cls, "demand model")


class Blend:
    """The mean of several boosters' predictions."""

    def __init__(self, boosters: Sequence[lgb.Booster]) -> None:
        self.boosters = list(boosters)

    def predict(self, features: npt.NDArray[np.float32]) -> Array:
        return np.asarray(
            np.mean([b.predict(features) for b in self.boosters], axis=0), dtype=np.float64
        )


def _profiles_of(prepared: pd.DataFrame, group_col: str | None) -> dict[object, Array]:
    if "hours_sale" not in prepared or "hours_stock_status" not in prepared:
        return {"*": np.full(24, 1 / 24)}
    n = len(prepared)
    groups = prepared[group_col].to_numpy() if group_col else np.zeros(n)
    return intraday_profile(
        np.stack(list(prepared["hours_sale"])).reshape(n, 24),
        np.stack(list(prepared["hours_stock_status"])).reshape(n, 24),
        groups,
    )
