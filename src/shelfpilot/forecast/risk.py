"""Will the stock sell in time? Probabilities from the demand forecast.

Daily demand is drawn from a gamma distribution with the forecast's mean and
standard deviation (demand is non-negative and right-skewed); days are drawn
independently. A simulation, not a formula, because the questions asked of it
(FEFO queues, receipts on the way, the day stock runs out) have no closed form.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

Array = npt.NDArray[np.float64]


def gamma_parameters(
    mean: Array | float, sd: Array | float
) -> tuple[Array, Array, npt.NDArray[np.bool_]]:
    """Shape and scale of the gamma demand with this ``mean`` and ``sd``, and
    where demand is positive at all (elsewhere it is nothing)."""
    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    sd = np.maximum(np.asarray(sd, dtype=np.float64), 1e-9)
    positive = mean > 1e-12
    shape = np.where(positive, (mean / sd) ** 2, 1.0)
    scale = np.where(positive, sd**2 / np.where(positive, mean, 1.0), 0.0)
    return shape, scale, positive


def demand_quantile(level: float, mean: Array | float, sd: Array | float) -> Array:
    """The ``level`` quantile of daily demand with this ``mean`` and ``sd``
    (``level`` 1 is unbounded; an unknown mean or sd gives an unknown quantile).

    Why gamma and not normal: slow sellers' demand is skewed (most days one
    or none, now and then several), so its median lies well below its mean;
    a normal quantile near the middle orders close to the mean and leaves
    such products over-stocked day after day."""
    shape, scale, positive = gamma_parameters(mean, sd)
    level = min(max(level, 0.0), 1.0)
    quantile = stats.gamma.ppf(level, shape, scale=np.where(positive, scale, 1.0))
    unknown = np.isnan(np.asarray(mean, dtype=np.float64)) | np.isnan(np.asarray(sd, dtype=float))
    return np.asarray(
        np.where(unknown, np.nan, np.where(positive, quantile, 0.0)), dtype=np.float64
    )


def demand_samples(mean: Array, sd: Array, samples: int, seed: int = 0) -> Array:
    """``samples`` draws of daily demand, shape (samples, series, days)."""
    shape, scale, positive = gamma_parameters(mean, sd)
    draws = np.random.default_rng(seed).gamma(shape, scale, size=(samples, *shape.shape))
    return np.where(positive, draws, 0.0)


def sellout_probability(
    mean: Array,
    sd: Array,
    stock: Array,
    days: npt.NDArray[np.int64],
    *,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[Array, Array]:
    """For each series: the probability that ``stock`` sells out within its
    first ``days`` forecast days, and the expected units left after them."""
    draws = demand_samples(mean, sd, samples, seed)
    horizon = draws.shape[2]
    mask = np.arange(horizon)[None, :] < np.asarray(days)[:, None]
    total = (draws * mask[None, :, :]).sum(axis=2)
    stock = np.asarray(stock, dtype=np.float64)
    sold_out = (total >= stock[None, :]).mean(axis=0)
    left = np.maximum(stock[None, :] - total, 0.0).mean(axis=0)
    return sold_out, left
