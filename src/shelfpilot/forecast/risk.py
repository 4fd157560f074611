"""Will the stock sell in time? Probabilities from the demand forecast.

Daily demand is drawn from a gamma distribution with the forecast's mean and
standard deviation (demand is non-negative and right-skewed); days are drawn
independently. A simulation, not a formula, because the questions asked of it
(FEFO queues, receipts on the way, the day stock runs out) have no closed form.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def demand_samples(mean: Array, sd: Array, samples: int, seed: int = 0) -> Array:
    """``samples`` draws of daily demand, shape (samples, series, days)."""
    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    sd = np.maximum(np.asarray(sd, dtype=np.float64), 1e-9)
    rng = np.random.default_rng(seed)
    positive = mean > 1e-12
    shape = np.where(positive, (mean / sd) ** 2, 1.0)
    scale = np.where(positive, sd**2 / np.where(positive, mean, 1.0), 0.0)
    draws = rng.gamma(shape, scale, size=(samples, *mean.shape))
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
