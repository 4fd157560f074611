"""The markdown optimiser: the best price path for one lot over its remaining
life, by dynamic programming over (period, units left, current price).

Each period (a day, or part of one) has a demand distribution at list price
from the forecast; a price ratio ``r`` scales its mean by ``r ** elasticity``
(``pricing.response``). The objective is the one the brand signs up to:
revenue, less brand dilution on discounted units, plus the donation value of
units given away while they still have ``Guardrails.donation_min_hours`` of
life, less the waste cost (unit cost + disposal) of what is left at the end.
Counting the unit cost of waste makes the optimiser prefer a sale, or a
donation, to the bin; the accounting profit (``Outcome.gross_profit``: the
unit cost of every unit, disposal only on waste) is reported beside it. Moves
obey the guardrails: down only, at most one step a period, never under the
floor (a current price outside the ladder may be held). Solved exactly on a
grid of at most ``MAX_LEVELS`` stock levels (whole units when the stock is a
whole number up to that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import special

from shelfpilot.domain.guardrails import Guardrails, PriceLadder

Array = npt.NDArray[np.float64]
MAX_LEVELS = 120
FRESH_CAP = 4 * MAX_LEVELS


@dataclass(frozen=True)
class Economics:
    """Money per unit, in the lot's currency (plain numbers inside the optimiser)."""

    list_price: float
    unit_cost: float = 0.0
    disposal_cost: float = 0.0
    donation_value: float = 0.0
    #: brand-dilution cost per unit sold, as a share of the discount given
    dilution: float = 0.1

    @property
    def waste_cost(self) -> float:
        """What a wasted unit costs in the objective: its cost and its disposal."""
        return self.unit_cost + self.disposal_cost


@dataclass(frozen=True)
class MarkdownProblem:
    stock: float
    mean: Sequence[float]
    sd: Sequence[float]
    elasticity: float
    economics: Economics
    current: float = 1.0
    #: donation is allowed at the start of periods 0 .. donation_periods - 1
    donation_periods: int = 0
    ladder: PriceLadder = field(default_factory=PriceLadder)
    guardrails: Guardrails = field(default_factory=Guardrails)
    #: False when the store's clearance cap holds this lot at its price this period
    may_change_now: bool = True
    #: units of fresher lots of the product on display at list price, per period
    #: (customers prefer them at equal price; a markdown here takes their sales)
    ahead: Sequence[float] | None = None
    #: share of list price lost when a markdown here takes a sale from a fresher
    #: lot (1.0: that unit never sells; less when it will sell later)
    displaced_loss: float = 1.0


@dataclass(frozen=True)
class Outcome:
    sold: float
    revenue: float
    donated: float
    left: float
    objective: float
    gross_profit: float


@dataclass(frozen=True)
class MarkdownPlan:
    ratio_now: float
    donate_now: float
    path: list[float]
    plan: Outcome
    hold: Outcome
    stock: float

    @property
    def gain(self) -> float:
        return self.plan.objective - self.hold.objective


def _pmf(mean: Array, sd: Array, levels: int, unit: float) -> Array:
    """P(demand = k units of ``unit``) for k = 0..levels, the tail lumped at
    ``levels``, one row per (mean, sd) (gamma demand, as in ``forecast.risk``)."""
    mean = np.asarray(mean, dtype=np.float64)[:, None]
    sd = np.maximum(np.asarray(sd, dtype=np.float64), 1e-6)[:, None]
    positive = mean > 1e-12
    safe = np.where(positive, mean, 1.0)
    shape, scale = (safe / sd) ** 2, sd**2 / safe
    cdf = special.gammainc(shape, (np.arange(levels + 1)[None, :] + 0.5) * unit / scale)
    cdf[:, -1] = 1.0
    out = np.diff(cdf, axis=1, prepend=0.0)
    none = np.zeros(levels + 1)
    none[0] = 1.0
    return np.asarray(np.where(positive, out, none[None, :]), dtype=np.float64)


@dataclass
class _Period:
    transition: Array  # [ratio, s, s']
    sales: Array  # [ratio, s]: E[own units sold]
    ahead: Array  # [ratio, s]: E[revenue of the fresher lots]


class _Model:
    def __init__(self, p: MarkdownProblem, extra: Sequence[float] = ()) -> None:
        self.p = p
        # whole units when the stock is a whole number of at most MAX_LEVELS
        self.levels = min(MAX_LEVELS, math.ceil(p.stock - 1e-9)) if p.stock > 0 else 0
        self.unit = p.stock / self.levels if self.levels else 1.0
        ratios = set(p.ladder.ratios) | {p.current} | set(extra)
        self.ratios = sorted(ratios, reverse=True)
        self.start = self.ratios.index(p.current)
        ahead = list(p.ahead) if p.ahead is not None else [0.0] * len(p.mean)
        self.periods = [
            self._period(mean, sd, fresh)
            for mean, sd, fresh in zip(p.mean, p.sd, ahead, strict=True)
        ]
        g = p.guardrails
        self.moves = [
            sorted(set(g.allowed(self.ratios, r)) | {j}) for j, r in enumerate(self.ratios)
        ]

    def _period(self, mean: float, sd: float, fresh: float) -> _Period:
        """Sales of this lot and of the fresher lots (at list) for every stock
        level and price. Customers take the cheapest lot, the fresher one at
        equal price; a discount draws ``r ** elasticity`` times the list-price
        customers, the extra ones buying only at the discount."""
        # fresher stock in grid units; beyond FRESH_CAP units it covers any
        # demand this small lot could see, so more bins would change nothing
        f = min(round(fresh / self.unit), FRESH_CAP)
        n = self.levels + 1
        s = np.arange(n)[None, :, None]
        d = np.arange(self.levels + f + 1)[None, None, :]
        r = np.asarray(self.ratios)[:, None, None]
        mult = r**self.p.elasticity
        pmf = _pmf(mean * mult[:, 0, 0], sd * mult[:, 0, 0], self.levels + f, self.unit)
        discounted = r < 1.0 - 1e-9
        own = np.where(discounted, np.minimum(s, d), np.minimum(s, np.maximum(d - f, 0)))
        other = np.where(
            discounted, np.minimum(f, np.maximum(d / mult - own, 0.0)), np.minimum(f, d) + 0.0 * s
        )
        weights = np.broadcast_to(pmf[:, None, :], own.shape)
        trans = np.zeros((len(self.ratios), n, n))
        ratio_idx = np.broadcast_to(np.arange(len(self.ratios))[:, None, None], own.shape)
        rows = np.broadcast_to(s, own.shape)
        np.add.at(trans, (ratio_idx, rows, rows - own), weights)
        sales = np.einsum("rsd,rd->rs", own, pmf) * self.unit
        ahead = np.einsum("rsd,rd->rs", other, pmf) * self.unit * self.p.economics.list_price
        ahead *= self.p.displaced_loss
        return _Period(trans, sales, ahead)

    @property
    def margins(self) -> Array:
        """Money per unit sold at each ratio, less brand dilution."""
        e, r = self.p.economics, np.asarray(self.ratios)
        return np.asarray(r * e.list_price - e.dilution * (1.0 - r) * e.list_price)


def solve(problem: MarkdownProblem, *, compare: bool = True) -> MarkdownPlan:
    """The optimal plan, and (``compare``) what holding the current price would do."""
    m = _Model(problem)
    periods, n_r, levels = len(m.periods), len(m.ratios), m.levels
    e = problem.economics
    s_units = np.arange(levels + 1) * m.unit
    value = np.tile(-e.waste_cost * s_units, (n_r, 1))  # value[j, s] after the last period
    policy = np.zeros((periods, n_r, levels + 1), dtype=np.int64)
    keep = np.tile(np.arange(levels + 1), (periods, n_r, 1))
    for t in range(periods - 1, -1, -1):
        period = m.periods[t]
        # q[j', s]: choose price j' now
        q = m.margins[:, None] * period.sales + period.ahead
        q += np.einsum("jsk,jk->js", period.transition, value)
        new = np.empty_like(value)
        for j in range(n_r):
            options = m.moves[j] if (t > 0 or problem.may_change_now) else [j]
            best = np.argmax(q[options], axis=0)
            policy[t, j] = np.asarray(options)[best]
            new[j] = q[policy[t, j], np.arange(levels + 1)]
        if t < problem.donation_periods:
            # donate all but k units: s·dv + max over k <= s of (V(k) - k·dv)
            dv = e.donation_value * m.unit
            idx = np.arange(levels + 1)
            for j in range(n_r):
                shifted = new[j] - idx * dv
                best_k = _running_argmax(shifted)
                keep[t, j] = best_k
                new[j] = idx * dv + shifted[best_k]
        value = new
    plan, path = _forward(m, policy, keep)
    hold = plan
    if compare:
        hold_policy = np.tile(np.arange(n_r)[None, :, None], (periods, 1, levels + 1))
        hold, _ = _forward(m, hold_policy, np.tile(np.arange(levels + 1), (periods, n_r, 1)))
    donate_now = float((levels - keep[0, m.start, levels]) * m.unit) if periods else 0.0
    ratio_now = (
        m.ratios[policy[0, m.start, levels - round(donate_now / m.unit)]] if periods else 1.0
    )
    return MarkdownPlan(ratio_now, donate_now, path, plan, hold, problem.stock)


def evaluate_path(problem: MarkdownProblem, ratios: Sequence[float]) -> Outcome:
    """Expected outcome of a fixed price per period (a rule's path, checked by
    no guardrail), with no donation."""
    if len(ratios) != len(problem.mean):
        raise ValueError("one price ratio per period")
    m = _Model(problem, ratios)
    n_r, levels = len(m.ratios), m.levels
    policy = np.empty((len(ratios), n_r, levels + 1), dtype=np.int64)
    for t, r in enumerate(ratios):
        policy[t] = m.ratios.index(r)
    outcome, _ = _forward(m, policy, np.tile(np.arange(levels + 1), (len(ratios), n_r, 1)))
    return outcome


def _running_argmax(values: Array) -> npt.NDArray[np.int64]:
    """For each s, the k <= s with the largest ``values[k]`` (earliest on ties)."""
    out = np.empty(len(values), dtype=np.int64)
    best = 0
    for s in range(len(values)):
        if values[s] > values[best] + 1e-12:
            best = s
        out[s] = best
    return out


def _forward(
    m: _Model, policy: npt.NDArray[np.int64], keep: npt.NDArray[np.int64]
) -> tuple[Outcome, list[float]]:
    """Expected outcome of following ``policy`` from the starting state, and
    the most likely price of each period while stock is left."""
    e = m.p.economics
    n_r, levels = len(m.ratios), m.levels
    dist = np.zeros((n_r, levels + 1))
    dist[m.start, levels] = 1.0
    sold = revenue = donated = objective = 0.0
    idx = np.arange(levels + 1)
    path: list[float] = []
    j_idx = np.broadcast_to(np.arange(n_r)[:, None], dist.shape)
    s_idx = np.broadcast_to(idx[None, :], dist.shape)
    ratios, margins = np.asarray(m.ratios), m.margins
    for t, period in enumerate(m.periods):
        donated += float((dist * (idx[None, :] - keep[t]) * m.unit).sum())
        after = np.zeros_like(dist)
        np.add.at(after, (j_idx, keep[t]), dist)
        moved = np.zeros_like(dist)
        np.add.at(moved, (policy[t], s_idx), after)
        live = moved[:, 1:].sum(axis=1)
        path.append(
            m.ratios[int(np.argmax(live))] if live.sum() > 1e-9 else (path or [m.p.current])[-1]
        )
        units = (moved * period.sales).sum(axis=1)
        sold += float(units.sum())
        revenue += float(units @ ratios) * e.list_price
        objective += float(units @ margins) + float((moved * period.ahead).sum())
        dist = np.einsum("js,jsk->jk", moved, period.transition)
    left = float(dist.sum(axis=0) @ (idx * m.unit))
    objective += donated * e.donation_value - left * e.waste_cost
    gross = revenue + donated * e.donation_value - left * e.disposal_cost - e.unit_cost * m.p.stock
    return Outcome(sold, revenue, donated, left, objective, gross), path


def _units(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or x >= 10 else f"{x:.1f}"


def reason(plan: MarkdownPlan, current: float = 1.0) -> str:
    """The plan in a manager's words, e.g. "70 % of list now: at the current
    price about 12 of 20 would be left at expiry; with this plan about 2"."""
    hold, new = plan.hold, plan.plan
    parts = []
    if plan.donate_now > 0:
        parts.append(f"donate {_units(plan.donate_now)} now")
    if plan.ratio_now < current - 1e-9:
        parts.append(f"{plan.ratio_now:.0%} of list now")
    elif any(r < current - 1e-9 for r in plan.path):
        first = next(i for i, r in enumerate(plan.path) if r < current - 1e-9)
        parts.append(f"hold the price today, {plan.path[first]:.0%} of list in {first} day(s)")
    else:
        parts.append(f"hold {current:.0%} of list")
    head = ", ".join(parts)
    left = (
        f"at the current price about {_units(hold.left)} of {_units(plan.stock)} "
        f"would be left at expiry"
    )
    if new.left < hold.left - 0.05 or new.donated > 0:
        tail = f"; with this plan about {_units(new.left)}"
        if new.donated > 0:
            tail += f" (and {_units(new.donated)} donated)"
        return f"{head}: {left}{tail}, expected gain {plan.gain:.2f}"
    return f"{head}: {left}; a markdown would not earn more"
