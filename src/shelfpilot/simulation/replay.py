"""Real hourly demand to replay in the perishable simulator.

From FreshRetailNet-style frames (``hours_sale``, ``hours_stock_status``,
``discount``): an hour that was in stock keeps its observed sales; an hour that
was out of stock gets the day's latent demand (``forecast.censoring``, every
partly stocked day scaled up) times that hour's share of the category's
intraday profile. The data's own discounts are then taken out: each hour is
divided by ``discount ** elasticity`` of its category, so the replay is demand
at list price and every policy sets its own prices on top. Days a series has
no row for are zero demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from shelfpilot.forecast.censoring import HOURS, intraday_profile, latent_demand
from shelfpilot.pricing.response import PriceResponse, demand_multiplier

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DemandReplay:
    ids: npt.NDArray[np.object_]
    stores: npt.NDArray[np.int64]
    dates: pd.DatetimeIndex
    hourly: Array  # (series, days, 24), demand at list price
    elasticity: Array  # (series,)

    @property
    def daily(self) -> Array:
        return np.asarray(self.hourly.sum(axis=2), dtype=np.float64)

    def take(self, rows: npt.NDArray[np.int64]) -> DemandReplay:
        return DemandReplay(
            self.ids[rows], self.stores[rows], self.dates, self.hourly[rows], self.elasticity[rows]
        )


def build_replay(
    frame: pd.DataFrame,
    response: PriceResponse,
    *,
    group_col: str = "third_category_id",
) -> DemandReplay:
    """``frame`` in the long format of ``forecast.frames.load_freshretail``."""
    prepared = latent_demand(frame, group_col=group_col, scale_partial_days=True)
    n = len(prepared)
    sales = np.stack(list(prepared["hours_sale"])).astype(np.float64).reshape(n, HOURS)
    out = np.stack(list(prepared["hours_stock_status"])).astype(bool).reshape(n, HOURS)
    groups = prepared[group_col].to_numpy()
    profile = _profiles(sales, out, groups)
    day_demand = prepared["demand"].to_numpy(dtype=np.float64)
    hourly = np.where(out, profile * day_demand[:, None], sales)
    levels = [c for c in response.levels if c in prepared]
    paths = prepared[levels].drop_duplicates()
    beta_of = {
        tuple(row): response.elasticity(dict(zip(levels, row, strict=True)))
        for row in paths.itertuples(index=False)
    }
    beta = np.array([beta_of[tuple(r)] for r in prepared[levels].itertuples(index=False)])
    ratio = prepared["discount"].clip(0.3, 1.0).to_numpy(dtype=np.float64)
    hourly = hourly / demand_multiplier(ratio, beta)[:, None]

    ids, rows = np.unique(prepared["unique_id"].astype(str).to_numpy(), return_inverse=True)
    ds = pd.to_datetime(prepared["ds"]).dt.normalize()
    dates = pd.date_range(ds.min(), ds.max(), freq="D")
    cols = (ds - dates[0]).dt.days.to_numpy()
    grid = np.zeros((len(ids), len(dates), HOURS))
    grid[rows, cols] = hourly
    series_beta = np.zeros(len(ids))
    series_beta[rows] = beta
    stores = np.zeros(len(ids), dtype=np.int64)
    stores[rows] = prepared["store_id"].to_numpy() if "store_id" in prepared else 0
    return DemandReplay(ids.astype(object), stores, dates, grid, series_beta)


def _profiles(sales: Array, out: npt.NDArray[np.bool_], groups: npt.NDArray[np.object_]) -> Array:
    """Each row's intraday profile: its group's share of sales by hour on
    fully stocked days."""
    profiles = intraday_profile(sales, out, groups)
    overall = profiles["*"]
    return np.stack([profiles.get(g, overall) for g in groups])
