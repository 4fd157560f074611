"""How demand answers a discount, learned from sales history.

Model: ``log(sales + 0.1) = beta * log(price ratio) + controls + series effect``,
fitted on stock-out-free days only (on a sold-out day sales are not demand).
Promotions and holidays are controls because discount days coincide with them
(on FreshRetailNet 96 % of promotion days are discounted); weekday is a
control too. The series effect is removed by demeaning within each series, so
``beta`` comes from how one store × product sells at different prices, never
from cheap products selling more than dear ones. Standard errors are
clustered by series (days of one series are not independent draws).

``beta`` is the price elasticity: a ratio of 0.7 multiplies demand by
``0.7 ** beta``. Estimates are made for every level of the category hierarchy
and shrunk (empirical Bayes) towards the parent level's shrunk estimate, so a
category with little or no discount history borrows from its parent and one
with plenty keeps its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm

#: 0.1 is FreshRetailNet's sales unit; it keeps zero-sale days in the fit.
LOG_OFFSET = 0.1
#: Ratios outside this range are data errors or giveaways, not price response.
RATIO_RANGE = (0.3, 1.0)
#: Used when nothing can be learned (no discount history at all): the
#: pooled FreshRetailNet estimate, rounded (benchmarks/results/price_response.md).
DEFAULT_ELASTICITY = -1.5
#: Elasticities are capped to this range before use: a discount never lowers
#: demand (a positive estimate is confounding or noise), and no fresh item
#: responds more steeply than this.
ELASTICITY_BOUNDS = (-4.0, 0.0)
#: Clustered standard errors from fewer series than this are not trusted
MIN_CLUSTERS = 10
#: Prior spread (variance) of a category around its parent when a level has
#: too few estimates to measure it
DEFAULT_SPREAD = 0.25


@dataclass(frozen=True)
class Estimate:
    level: str
    key: object
    beta: float
    se: float
    rows: int
    series: int
    shrunk: float = math.nan
    shrunk_se: float = math.nan

    @property
    def learned(self) -> bool:
        """False when the rows held no price variation to learn from (``beta``
        is then NaN and ``shrunk`` the fallback)."""
        return math.isfinite(self.beta)


@dataclass
class PriceResponse:
    """Fitted elasticities per hierarchy level, finest level last."""

    levels: list[str]
    estimates: dict[tuple[str, object], Estimate] = field(default_factory=dict)
    pooled: Estimate | None = None

    def elasticity(self, path: dict[str, object] | None = None) -> float:
        """The shrunk elasticity of the finest level of ``path`` (e.g.
        ``{"first_category_id": 3, "third_category_id": 41}``) that has an
        estimate, capped to ``ELASTICITY_BOUNDS``."""
        beta = self.pooled.shrunk if self.pooled is not None else DEFAULT_ELASTICITY
        for level in self.levels:
            if path and level in path and (level, path[level]) in self.estimates:
                beta = self.estimates[(level, path[level])].shrunk
        return float(np.clip(beta, *ELASTICITY_BOUNDS))

    def table(self) -> pd.DataFrame:
        rows = [e.__dict__ for e in ([self.pooled] if self.pooled else [])]
        rows += [e.__dict__ for e in self.estimates.values()]
        return pd.DataFrame(rows)


def demand_multiplier(ratio: float | np.ndarray, elasticity: float | np.ndarray) -> np.ndarray:
    """Demand at ``ratio`` of list price relative to demand at list price."""
    r = np.clip(np.asarray(ratio, dtype=np.float64), 1e-6, None)
    return np.asarray(r**elasticity, dtype=np.float64)


def estimation_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows price response is learned from: stocked all day, a sane ratio."""
    ok = frame["discount"].between(*RATIO_RANGE) & frame["y"].notna()
    if "stock_hour6_22_cnt" in frame:
        ok &= frame["stock_hour6_22_cnt"] == 0
    elif "stockout" in frame:
        ok &= ~frame["stockout"].fillna(0).astype(bool)
    return frame.loc[ok]


def _fit_one(rows: pd.DataFrame, level: str, key: object, controls: Sequence[str]) -> Estimate:
    """Within-series OLS with series-clustered errors; NaN when the rows hold
    no usable price variation."""
    series = rows["unique_id"].to_numpy()
    y = np.log(rows["y"].to_numpy(dtype=np.float64) + LOG_OFFSET)
    parts = {"log_ratio": np.log(rows["discount"].to_numpy(dtype=np.float64))}
    for c in controls:
        if c in rows:
            parts[c] = rows[c].fillna(0).to_numpy(dtype=np.float64)
    dow = pd.to_datetime(rows["ds"]).dt.dayofweek.to_numpy()
    for d in range(1, 7):
        parts[f"dow{d}"] = (dow == d).astype(np.float64)
    x = pd.DataFrame(parts)
    data = x.assign(_y=y, _s=series)
    demeaned = data.drop(columns="_s") - data.groupby("_s").transform("mean")
    X = demeaned.drop(columns="_y")
    X = X.loc[:, X.std() > 1e-9]
    n_series = int(pd.unique(series).size)
    nan = Estimate(level, key, math.nan, math.nan, len(rows), n_series)
    if "log_ratio" not in X or n_series < MIN_CLUSTERS or float(X["log_ratio"].std()) < 0.01:
        return nan
    fit = sm.OLS(demeaned["_y"].to_numpy(), X.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(series)[0]}
    )
    i = list(X.columns).index("log_ratio")
    beta, se = float(fit.params[i]), float(fit.bse[i])
    if not (math.isfinite(beta) and math.isfinite(se)) or se <= 0:
        return nan
    return Estimate(level, key, beta, se, len(rows), n_series)


def _between_variance(children: list[Estimate], level_spread: float) -> float:
    """Method-of-moments spread of the true elasticities around their parent;
    with fewer than three siblings, the spread across the whole level."""
    if len(children) < 3:
        return level_spread
    betas = np.array([c.beta for c in children])
    ses = np.array([c.se for c in children])
    return float(max(np.var(betas, ddof=1) - np.mean(ses**2), 1e-4))


def fit_price_response(
    frame: pd.DataFrame,
    levels: Sequence[str],
    *,
    controls: Sequence[str] = ("promo", "holiday"),
    min_rows: int = 200,
    prior: tuple[float, float] | None = None,
) -> PriceResponse:
    """Fit elasticities on ``frame`` (long format: ``unique_id``, ``ds``, ``y``,
    ``discount`` and the ``levels`` columns, coarsest first). ``prior``
    (mean, standard error) shrinks the pooled estimate too: a shop with a
    few discount days learns from them without betting its plans on them."""
    rows = estimation_rows(frame)
    result = PriceResponse(list(levels))
    pooled = _fit_one(rows, "all", "*", controls)
    fallback = prior or (DEFAULT_ELASTICITY, 1.0)
    if not pooled.learned:  # nothing to learn from: the fallback, marked as such
        result.pooled = replace(pooled, shrunk=fallback[0], shrunk_se=fallback[1])
    elif prior is not None:
        result.pooled = _shrunk(pooled, prior[0], prior[1], 0.0)
    else:
        result.pooled = replace(pooled, shrunk=pooled.beta, shrunk_se=pooled.se)
    by_path: dict[tuple[object, ...], Estimate] = {(): result.pooled}
    path_cols: list[str] = []
    for level in levels:
        fitted: dict[tuple[object, ...], Estimate] = {}
        if len(rows):
            for key, part in rows.groupby([*path_cols, level], sort=True):
                if len(part) >= min_rows:
                    est = _fit_one(part, level, key[-1], controls)
                    if math.isfinite(est.beta):
                        fitted[key] = est
        siblings: dict[tuple[object, ...], list[Estimate]] = {}
        for key, est in fitted.items():
            siblings.setdefault(key[:-1], []).append(est)
        everyone = list(fitted.values())
        level_spread = _between_variance(everyone, 1.0) if len(everyone) >= 3 else DEFAULT_SPREAD
        for key, est in fitted.items():
            # nearest ancestor with an estimate (a category without one is skipped)
            parent = next(
                by_path[key[:i]] for i in range(len(key) - 1, -1, -1) if key[:i] in by_path
            )
            shrunk = _shrunk(
                est,
                parent.shrunk,
                parent.shrunk_se,
                _between_variance(siblings[key[:-1]], level_spread),
            )
            by_path[key] = shrunk
            result.estimates[(level, key[-1])] = shrunk
        path_cols.append(level)
    return result


def _shrunk(est: Estimate, prior: float, prior_se: float, tau2: float) -> Estimate:
    """Precision-weighted mean of the estimate and its parent (the parent's
    own uncertainty widens the prior)."""
    prior_var = tau2 + prior_se**2
    w = prior_var / (prior_var + est.se**2)
    mean = w * est.beta + (1 - w) * prior
    var = 1.0 / (1.0 / est.se**2 + 1.0 / prior_var)
    return replace(est, shrunk=mean, shrunk_se=math.sqrt(var))
