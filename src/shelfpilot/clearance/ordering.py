"""Shrink-aware ordering: how much to bake or buy when what is left over must
be cleared, donated or thrown away.

A newsvendor: running short loses the margin (list price − unit cost); a unit
too many costs its waste cost (unit cost + disposal) less what clearance
recovers on average (``salvage``, a share of list price learned from the
shop's own clearance outcomes, a prudent 0.25 before any feedback). With a
life of several days a unit left tonight can still sell tomorrow, so the
overage cost is spread over the life. The order is the critical fractile of
tomorrow's demand, less the stock still sellable tomorrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from shelfpilot.clearance.markdown import Economics
from shelfpilot.domain.errors import InvalidValue

Array = npt.NDArray[np.float64]
#: what clearance recovers on a left-over unit, as a share of list, before feedback
DEFAULT_SALVAGE = 0.25


@dataclass(frozen=True)
class OrderRule:
    economics: Economics
    shelf_life_days: float
    salvage: float = DEFAULT_SALVAGE

    def __post_init__(self) -> None:
        if self.shelf_life_days <= 0:
            raise InvalidValue("the shelf life for an order must be above zero days")
        if not 0 <= self.salvage <= 1:
            raise InvalidValue("clearance recovery is a share of list price between 0 and 1")

    @property
    def underage(self) -> float:
        return max(self.economics.list_price - self.economics.unit_cost, 0.0)

    @property
    def overage(self) -> float:
        e = self.economics
        return max(e.waste_cost - self.salvage * e.list_price, 1e-6) / max(
            self.shelf_life_days, 1.0
        )

    @property
    def fractile(self) -> float:
        """The service level worth paying for: underage / (underage + overage)."""
        under = self.underage
        return under / (under + self.overage) if under > 0 else 0.0

    def target(self, mean: Array | float, sd: Array | float) -> Array:
        """Stock to hold for tomorrow: the fractile of a normal demand, not below 0."""
        z = float(stats.norm.ppf(min(max(self.fractile, 1e-6), 1 - 1e-6)))
        return np.maximum(np.asarray(mean, dtype=np.float64) + z * np.asarray(sd), 0.0)

    def with_reserved(self, mean: float, sd: float, reserved: float) -> float:
        """Stock to hold for a day on which ``reserved`` units are pre-ordered.

        A pre-order locks part of the day's demand and adds none (the forecast
        is of the whole day's demand), so what is known is that the day's
        demand is at least ``reserved``: the stock is the critical fractile of
        the forecast demand given that (a normal truncated below at the
        reservations). Never fewer than the reservations, never less than
        without them, and a day reserved far beyond its forecast holds little
        more than the reservations."""
        if not all(math.isfinite(v) and v >= 0 for v in (mean, sd, reserved)):
            raise InvalidValue("demand, its spread and pre-orders must be numbers, 0 or more")
        plain = float(self.target(mean, sd))
        if reserved == 0:
            return plain
        if sd == 0:
            return max(plain, reserved)
        fractile = min(max(self.fractile, 0.0), 1.0)
        level = float(stats.truncnorm.ppf(fractile, (reserved - mean) / sd, np.inf, mean, sd))
        return max(level if math.isfinite(level) else reserved, reserved, plain)

    def order(self, mean: Array | float, sd: Array | float, on_hand: Array | float) -> Array:
        """What to order on top of the stock still sellable tomorrow."""
        return np.maximum(self.target(mean, sd) - np.asarray(on_hand, dtype=np.float64), 0.0)
