"""An upper bound on what any clearance policy can earn in the simulator.

With the whole future demand known, choose how many units of each lot to sell
in each pricing period at each price, and how many to donate on arrival, by
linear programming (HiGHS through SciPy). The demand constraint is the one
every policy obeys: in a period, the units sold at a price ``r`` or dearer
never exceed the customers willing to pay ``r`` (``D * r ** elasticity``).
Everything else a real policy must respect is relaxed: customers in one period
may pay different prices, lots need no display order, and lots received after
the measured window do not compete. So the bound is true (no policy in the
simulator earns more on the same orders) but not always reachable; "share of
the clairvoyant profit" is therefore a conservative figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

from shelfpilot.simulation.engine import HOURS, Setting

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bound:
    profit: Array  # gross profit per series (revenue + donations - disposal - cost)
    sold: Array
    donated: Array
    wasted: Array


def clairvoyant(
    demand: Array,
    elasticity: Array,
    orders: dict[int, Array],
    setting: Setting,
    ratios: Sequence[float],
) -> Bound:
    """``demand`` (series, days, 24) as the store saw it; ``orders`` the units
    received each day (from a run with the same ordering rule). ``ratios``
    must include every price a compared policy uses (a cheaper one could
    earn more than the bound when demand is elastic)."""
    n = demand.shape[0]
    out = {k: np.zeros(n) for k in ("profit", "sold", "donated", "wasted")}
    window = range(setting.first_day, setting.first_day + setting.days)
    bounds = sorted({0, *setting.decision_hours, HOURS})
    for i in range(n):
        lots = [(a, float(orders[a][i])) for a in window if a in orders and orders[a][i] > 1e-12]
        result = _solve_series(demand[i], float(elasticity[i]), lots, setting, ratios, bounds)
        for k, v in result.items():
            out[k][i] = v
    return Bound(**out)


def _solve_series(
    demand: Array,
    beta: float,
    lots: list[tuple[int, float]],
    setting: Setting,
    ratios: Sequence[float],
    bounds: list[int],
) -> dict[str, float]:
    e = setting.economics
    life = setting.shelf_life_days
    total = sum(q for _, q in lots)
    if not lots:
        return {"profit": 0.0, "sold": 0.0, "donated": 0.0, "wasted": 0.0}
    r = np.asarray(sorted(ratios, reverse=True))
    margin = r * e.list_price  # the reported profit has no dilution term, so neither has the bound
    periods: dict[tuple[int, int], int] = {}
    cols: list[tuple[int, int, int]] = []  # (lot, period, price)
    for li, (a, _) in enumerate(lots):
        for d in range(a, min(a + life, demand.shape[0])):
            for p in range(len(bounds) - 1):
                pi = periods.setdefault((d, p), len(periods))
                cols.extend((li, pi, k) for k in range(len(r)))
    donate = life * HOURS >= setting.guardrails.donation_min_hours
    n_x, n_y = len(cols), len(lots) if donate else 0
    # maximise sum x * (margin + disposal) + y * (donation + disposal)
    c = np.concatenate(
        [
            -(margin[[k for _, _, k in cols]] + e.disposal_cost),
            -np.full(n_y, e.donation_value + e.disposal_cost),
        ]
    )
    rows: list[int] = []
    cidx: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []
    for j, (li, _, _) in enumerate(cols):  # stock of each lot
        rows.append(li)
        cidx.append(j)
        vals.append(1.0)
    for li in range(n_y):
        rows.append(li)
        cidx.append(n_x + li)
        vals.append(1.0)
    rhs.extend(q for _, q in lots)
    base = len(lots)
    for j, (_, pi, k) in enumerate(cols):  # sold at r_k or dearer <= willing at r_k
        for k2 in range(k, len(r)):
            rows.append(base + pi * len(r) + k2)
            cidx.append(j)
            vals.append(1.0)
    for (d, p), _ in sorted(periods.items(), key=lambda kv: kv[1]):
        d_list = float(demand[d, bounds[p] : bounds[p + 1]].sum())
        rhs.extend(d_list * np.power(r, beta))
    a_ub = sparse.csr_array((vals, (rows, cidx)), shape=(base + len(periods) * len(r), n_x + n_y))
    res = linprog(c, A_ub=a_ub, b_ub=np.asarray(rhs), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"clairvoyant bound: {res.message}")
    x, y = res.x[:n_x], res.x[n_x:]
    sold, donated = float(x.sum()), float(y.sum())
    wasted = max(total - sold - donated, 0.0)
    profit = -float(res.fun) - e.disposal_cost * total - e.unit_cost * total
    return {"profit": profit, "sold": sold, "donated": donated, "wasted": wasted}
