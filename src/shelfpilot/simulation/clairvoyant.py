"""An upper bound on what any clearance policy can earn in the simulator.

With the whole future demand known, choose, for each pricing period (the
hours between two decision hours), how to sell each series' stock, and how
much of each lot to donate on arrival, by linear programming (HiGHS through
SciPy). The demand side is the simulator's own: in an hour, whatever lots are
on sale, the units sold never exceed the customers willing to pay the dearest
price that sold (``D * r ** elasticity``), and none was sold dearer than that.
So an hour's sales are worth at most ``r * D_h * r ** b`` for one price ``r``.
Summed over a period, the hours that sold at ``r`` had a share ``u_r`` of the
period's demand: the bound sells ``u_r * D * r ** b`` at ``r`` with ``sum u_r
<= 1``. Any policy's outcome is one such choice, so the bound is true.

The LP is looser than the simulator where a policy is more constrained: one
price a lot per period rather than a mix of prices, a period's demand shared
out by totals rather than hour by hour, lots taken freshest-first at equal
price (the LP picks which lot sells), no rule against raising a price or on
the largest step, lots received before or after the measured window ignored,
donation of whole lots at arrival. Customers are not price-discriminated: an
earlier version let the same period sell to the keen customers at list and
to the rest at a discount, which no shelf can do, and came out 1.0 to 3.2
times as high in the benchmark's cells.

**Within the brand's guardrails** (``exposure_cap`` given, ``ratios`` no
cheaper than the floor): a series whose period sold any unit below list was on
clearance for it, and at most ``floor(cap * series)`` of a store's series may
be at once (``series`` counts every series of the store, at least those shown).
The LP relaxes "on clearance" to a share ``m`` of the period (``sum of the
discounted u <= m``, ``sum m <= cap * series``), so it bounds every policy
that keeps the cap, on the same orders, store by store (how the profit splits
between a store's series is then arbitrary); ``whole_periods`` makes ``m`` a
yes or no (a MILP solved to optimality: tighter, but minutes a store where
the LP takes a fraction of a second). The difference between the free and the
guardrail bound is about what the guardrails cost (the relaxed cap understates
it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from shelfpilot.simulation.engine import HOURS, Setting

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bound:
    #: gross profit per series (revenue + donations - disposal - cost); with
    #: an exposure cap only a store's total is a bound
    profit: Array
    sold: Array
    donated: Array
    wasted: Array


def clairvoyant(
    demand: Array,
    elasticity: Array,
    orders: dict[int, Array],
    setting: Setting,
    ratios: Sequence[float],
    *,
    stores: npt.NDArray[np.int64] | None = None,
    exposure_cap: float | None = None,
    whole_periods: bool = False,
) -> Bound:
    """``demand`` (series, days, 24) as the store saw it; ``orders`` the units
    received each day (from a run with the same ordering rule). ``ratios``
    must include every price a compared policy uses (a cheaper one could
    earn more than the bound when demand is elastic). With ``exposure_cap``,
    series are grouped by ``stores`` and at most that share of a store's
    series is on clearance in a period; ``whole_periods`` makes "on
    clearance" a yes or no per period (a MILP: tighter, far slower)."""
    n = demand.shape[0]
    if setting.first_day + setting.days + setting.shelf_life_days - 1 > demand.shape[1]:
        raise ValueError("the demand ends before the last lot of the window expires")
    ratios = sorted({1.0, *ratios}, reverse=True)  # list price is always allowed
    if exposure_cap is not None and stores is None:
        raise ValueError("an exposure cap needs the store of each series")
    groups = np.zeros(n, dtype=np.int64) if stores is None else np.asarray(stores)
    if exposure_cap is None:  # series are independent: one small LP each
        groups = np.arange(n)
    out = {k: np.zeros(n) for k in ("profit", "sold", "donated", "wasted")}
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        lp = _StoreLP(demand, elasticity, orders, setting, ratios, rows, exposure_cap)
        lp.integral = whole_periods
        lp.solve(out)
    return Bound(**out)


class _StoreLP:
    """One store's LP. Variables: ``u`` (series, period, price) the share of
    the period's demand served at that price; ``x`` (lot, period) units of a
    lot sold in the period; ``y`` (lot) units donated on arrival; ``m``
    (series, period) the share of the period on clearance (with a cap)."""

    def __init__(
        self,
        demand: Array,
        elasticity: Array,
        orders: dict[int, Array],
        setting: Setting,
        ratios: Sequence[float],
        rows: npt.NDArray[np.int64],
        cap: float | None,
    ) -> None:
        self.setting, self.rows, self.cap = setting, rows, cap
        self.integral = False
        self.r = np.asarray(sorted(ratios, reverse=True), dtype=np.float64)
        e = setting.economics
        life = setting.shelf_life_days
        window = range(setting.first_day, setting.first_day + setting.days)
        bounds = sorted({0, *setting.decision_hours, HOURS})
        n_days = demand.shape[1]
        self.lots = [
            (int(i), a, float(orders[a][i]))
            for i in rows
            for a in window
            if a in orders and orders[a][i] > 1e-12
        ]
        self.periods = [
            (d, bounds[p], bounds[p + 1])
            for d in range(
                setting.first_day, min(setting.first_day + setting.days + life - 1, n_days)
            )
            for p in range(len(bounds) - 1)
        ]
        self.donate = life * HOURS >= setting.guardrails.donation_min_hours
        self.cols: list[tuple[str, int, int, int]] = []  # kind, series or lot, period, price
        self.cost: list[float] = []
        self.width: list[float] = []  # units one unit of u stands for
        self._a: list[tuple[str, object, int, float]] = []  # (row kind, row key, column, value)
        self.beta = elasticity
        self.demand = demand
        self.margin = self.r * e.list_price + e.disposal_cost

    def _col(self, key: tuple[str, int, int, int], cost: float, width: float = 0.0) -> int:
        self.cols.append(key)
        self.cost.append(cost)
        self.width.append(width)
        return len(self.cols) - 1

    def _build(self) -> None:
        e, life = self.setting.economics, self.setting.shelf_life_days
        a = self._a
        alive: dict[tuple[int, int], list[int]] = {}  # (series, period) -> lot indexes
        for li, (i, arrival, _) in enumerate(self.lots):
            for t, (d, _, _) in enumerate(self.periods):
                if arrival <= d < arrival + life:
                    alive.setdefault((i, t), []).append(li)
            if self.donate:
                a.append(
                    (
                        "stock",
                        li,
                        self._col(("y", li, 0, 0), -(e.donation_value + e.disposal_cost)),
                        1.0,
                    )
                )
        discounted = self.r < 1.0 - 1e-9
        for (i, t), lots in alive.items():
            d, start, end = self.periods[t]
            volume = float(self.demand[i, d, start:end].sum())
            for li in lots:
                a.append(("stock", li, self._col(("x", li, t, 0), 0.0), 1.0))
                a.append(("flow", (i, t), len(self.cols) - 1, 1.0))
            if volume <= 1e-12:
                continue
            willing = volume * np.power(self.r, float(self.beta[i]))
            for k, w in enumerate(willing):
                j = self._col(("u", int(i), t, k), -float(self.margin[k] * w), float(w))
                a.append(("flow", (i, t), j, -float(w)))
                a.append(("share", (i, t), j, 1.0))
                if self.cap is not None and discounted[k]:
                    a.append(("clear", (i, t), j, 1.0))
            if self.cap is not None and discounted.any():
                j = self._col(("m", int(i), t, 0), 0.0)
                a.append(("clear", (i, t), j, -1.0))
                a.append(("cap", t, j, 1.0))

    def solve(self, out: dict[str, Array]) -> None:
        if not self.lots:
            return
        self._build()
        e = self.setting.economics
        ub_keys: dict[tuple[str, object], int] = {}
        eq_keys: dict[tuple[str, object], int] = {}
        ub: tuple[list[int], list[int], list[float]] = ([], [], [])
        eq: tuple[list[int], list[int], list[float]] = ([], [], [])
        for kind, key, j, v in self._a:
            table, target = (eq_keys, eq) if kind == "flow" else (ub_keys, ub)
            r = table.setdefault((kind, key), len(table))
            target[0].append(r)
            target[1].append(j)
            target[2].append(v)
        rhs = np.zeros(len(ub_keys))
        places = math.floor((self.cap or 0.0) * len(self.rows) + 1e-9)
        for (kind, key), r in ub_keys.items():
            if kind == "stock":
                rhs[r] = self.lots[int(key)][2]  # type: ignore[call-overload]
            elif kind == "share":
                rhs[r] = 1.0
            elif kind == "cap":
                rhs[r] = places
        n = len(self.cols)
        kinds = [kind for kind, *_ in self.cols]
        res = milp(
            np.asarray(self.cost),
            integrality=[1 if k == "m" and self.integral else 0 for k in kinds],
            bounds=Bounds(0.0, [1.0 if k in ("u", "m") else np.inf for k in kinds]),
            constraints=[
                LinearConstraint(
                    sparse.csr_array((ub[2], (ub[0], ub[1])), shape=(len(ub_keys), n)), -np.inf, rhs
                ),
                LinearConstraint(
                    sparse.csr_array((eq[2], (eq[0], eq[1])), shape=(len(eq_keys), n)), 0.0, 0.0
                ),
            ],
            options={"mip_rel_gap": 0.0},
        )
        if res.status != 0:
            raise RuntimeError(f"clairvoyant bound: {res.message}")
        sold: dict[int, float] = {}
        donated: dict[int, float] = {}
        revenue: dict[int, float] = {}
        for (kind, idx, _, k), v, w in zip(self.cols, res.x, self.width, strict=True):
            if kind == "u":
                sold[idx] = sold.get(idx, 0.0) + v * w
                revenue[idx] = revenue.get(idx, 0.0) + v * w * float(self.r[k]) * e.list_price
            elif kind == "y":
                i = self.lots[idx][0]
                donated[i] = donated.get(i, 0.0) + v
        total: dict[int, float] = {}
        for i, _, q in self.lots:
            total[i] = total.get(i, 0.0) + q
        for i, q in total.items():
            s, g = sold.get(i, 0.0), donated.get(i, 0.0)
            waste = max(q - s - g, 0.0)
            out["sold"][i], out["donated"][i], out["wasted"][i] = s, g, waste
            out["profit"][i] = (
                revenue.get(i, 0.0)
                + e.donation_value * g
                - e.disposal_cost * waste
                - e.unit_cost * q
            )
