"""Stock-outs censor sales: recover the demand a sold-out day would have had.

A day that was out of stock for part of the trading hours sold less than was
asked for. The hour-of-day profile of sales on fully stocked days tells what
share of a day's demand normally falls in the hours the shelf was stocked;
latent demand is the observed sales divided by that share. When too little
of the day was stocked to scale from (``min_coverage``), the day's demand is
taken from the series' recent stocked days instead: a sold-out day is never
read as a low-demand day.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
HOURS = 24


def intraday_profile(
    hourly_sales: npt.ArrayLike, stockout: npt.ArrayLike, groups: npt.ArrayLike
) -> dict[object, FloatArray]:
    """Share of a day's sales in each hour, per group (e.g. category), learned
    from days with no stock-out at all. Groups with no such day get the overall profile."""
    sales = np.asarray(hourly_sales, dtype=np.float64).reshape(-1, HOURS)
    out = np.asarray(stockout).reshape(-1, HOURS).astype(bool)
    keys = np.asarray(groups)
    clean = ~out.any(axis=1)
    overall = sales[clean].sum(axis=0)
    overall = overall / overall.sum() if overall.sum() > 0 else np.full(HOURS, 1 / HOURS)
    totals = pd.DataFrame(sales[clean]).groupby(keys[clean]).sum()
    profiles: dict[object, FloatArray] = {}
    for key, row in totals.iterrows():
        values = row.to_numpy(dtype=np.float64)
        # shrink thin groups towards the overall profile
        weight = values.sum() / (values.sum() + 20.0)
        share = values / values.sum() if values.sum() > 0 else overall
        profiles[key] = weight * share + (1 - weight) * overall
    profiles["*"] = overall
    return profiles


def stocked_coverage(stockout: npt.ArrayLike, profile_rows: npt.ArrayLike) -> FloatArray:
    """Share of normal daily demand that falls in the hours the item was in stock."""
    out = np.asarray(stockout).reshape(-1, HOURS).astype(bool)
    profile = np.asarray(profile_rows, dtype=np.float64).reshape(-1, HOURS)
    return np.asarray((profile * ~out).sum(axis=1), dtype=np.float64)


def latent_demand(
    frame: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    sales_col: str = "y",
    hourly_sales_col: str = "hours_sale",
    hourly_stock_col: str = "hours_stock_status",
    group_col: str | None = None,
    min_coverage: float = 0.3,
    profiles: dict[object, FloatArray] | None = None,
    scale_partial_days: bool = True,
) -> pd.DataFrame:
    """Return ``frame`` with ``coverage`` (stocked share of normal demand) and
    ``demand`` (latent demand) columns. Rows without hourly stock data are taken
    as fully stocked. With ``scale_partial_days`` off, only days too little
    stocked to scale from are corrected (see the module docstring)."""
    result = frame.sort_values([id_col, time_col]).reset_index(drop=True)
    n = len(result)
    if hourly_stock_col not in result or n == 0:
        result["coverage"] = 1.0
        result["demand"] = result[sales_col].astype(np.float64)
        return result
    stock = np.stack(list(result[hourly_stock_col])).astype(np.int8).reshape(n, HOURS)
    groups = result[group_col].to_numpy() if group_col else np.zeros(n, dtype=np.int8)
    if profiles is None:
        hourly = np.stack(list(result[hourly_sales_col])).reshape(n, HOURS)
        profiles = intraday_profile(hourly, stock, groups)
    overall = profiles["*"]
    rows = np.stack([profiles.get(g, overall) for g in groups])
    coverage = stocked_coverage(stock, rows)
    sales = result[sales_col].to_numpy(dtype=np.float64)
    scaled = sales / np.maximum(coverage, 1e-9) if scale_partial_days else sales
    demand = np.where(coverage >= min_coverage, scaled, np.nan)
    result["coverage"] = coverage
    result["demand"] = demand
    # too little of the day stocked: fall back on the series' recent stocked days
    recent = (
        result.groupby(id_col, sort=False)["demand"]
        .transform(lambda s: s.shift(1).rolling(7, min_periods=1).median())
        .to_numpy()
    )
    missing = np.isnan(demand)
    fallback = np.where(np.isnan(recent), sales, np.maximum(recent, sales))
    result.loc[missing, "demand"] = fallback[missing]
    return result
