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

The store's clearance cap couples its lots: a lot still at list may find no
place when it wants a markdown (this period too: the cap rules after the
plan). ``markdown_odds`` is the chance it will. Donation, the one decision
that cannot wait (it is allowed only while the lot has
``donation_min_hours`` left), is judged by the value that counts on those
odds; the price path assumes a place, because the cap rules on each
period's markdown when it comes (a plan that counted on the odds for its
prices too rushed markdowns into the first period and filled the cap early).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import special

from shelfpilot.domain.errors import Text
from shelfpilot.domain.guardrails import Guardrails, PriceLadder

Array = npt.NDArray[np.float64]
MAX_LEVELS = 120


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
    #: how likely a fresher unit whose sale a markdown here takes is never to
    #: sell (1.0: it is lost, with its waste cost; less when it sells later)
    displaced_loss: float = 1.0
    #: the chance that the store's clearance cap has a place for this lot when
    #: it wants to start a markdown, now or later (1.0: always); donations are
    #: judged by it, the price path and the expected outcome assume a place
    markdown_odds: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.markdown_odds <= 1.0:
            raise ValueError("markdown_odds is a probability")


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


class _Gamma:
    """Gamma demand with a given mean and standard deviation (as in
    ``forecast.risk``); ``cdf`` and ``partial`` (E[D; D <= x]) in closed form."""

    def __init__(self, mean: float, sd: float) -> None:
        self.mean = mean if mean > 1e-9 else 0.0  # less is no demand (and underflows)
        sd = max(sd, 1e-6 * self.mean, 1e-12)
        self.shape = (self.mean / sd) ** 2 if self.mean > 0 else 1.0
        self.scale = sd**2 / self.mean if self.mean > 0 else 1.0

    def cdf(self, x: Array) -> Array:
        if self.mean <= 0:
            return np.asarray(np.where(np.asarray(x) >= 0, 1.0, 0.0), dtype=np.float64)
        return np.asarray(special.gammainc(self.shape, np.maximum(x, 0.0) / self.scale))

    def partial(self, x: Array) -> Array:
        if self.mean <= 0:
            return np.zeros_like(np.asarray(x, dtype=np.float64))
        return np.asarray(
            self.mean * special.gammainc(self.shape + 1, np.maximum(x, 0.0) / self.scale)
        )

    def min_with(self, x: Array) -> Array:
        """E[min(D, x)]."""
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self.partial(x) + x * (1.0 - self.cdf(x)))


def _grid_pmf(cdf: Array, partial: Array, levels: int) -> Array:
    """Probabilities on the points 0..levels of a non-negative amount, given
    its ``cdf`` and ``partial`` expectation at those points (in grid units).
    Each stretch between two points splits its mass between them so that the
    mean is kept (a nearest-point rounding would let a plan sell to half a
    customer who is not there); what lies beyond ``levels`` goes to it. Then
    E[min(s, X)] is exact for every whole ``s``."""
    out = np.zeros(levels + 1)
    out[0] = cdf[0]
    mass = np.diff(cdf)
    moment = np.diff(partial)
    upper = np.clip(moment - np.arange(levels) * mass, 0.0, mass)
    out[1:] += upper
    out[:-1] += mass - upper
    out[-1] += max(1.0 - cdf[-1], 0.0)
    return out


@dataclass
class _Period:
    transition: Array  # [ratio, s, s']
    sales: Array  # [ratio, s]: E[own units sold]
    ahead: Array  # [ratio, s]: E[units the fresher lots sell]


class _Model:
    def __init__(self, p: MarkdownProblem, extra: Sequence[float] = ()) -> None:
        self.p = p
        stock = round(p.stock) if abs(p.stock - round(p.stock)) < 1e-6 else p.stock
        # whole units when the stock is a whole number of at most MAX_LEVELS
        self.levels = min(MAX_LEVELS, math.ceil(stock - 1e-9)) if stock > 0 else 0
        self.unit = stock / self.levels if self.levels else 1.0
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
        level and price. ``D`` customers would buy at list, ``D * m`` at a
        discount (``m = r ** elasticity``). Customers take the cheapest lot,
        the fresher at equal price, the keenest first. At list the fresher
        stock ``F`` is served first: this lot sells min(s, (D - F)+) and they
        min(F, D). On a discount this lot is served first, min(s, D m), and
        they sell to the list-price customers it left: min(F, (D - s)+)."""
        n, u = self.levels + 1, self.unit
        pts = np.arange(n, dtype=np.float64)
        demand = _Gamma(mean, sd)
        trans = np.zeros((len(self.ratios), n, n))
        sales = np.zeros((len(self.ratios), n))
        ahead = np.zeros((len(self.ratios), n))
        s_idx = np.arange(n)[:, None]
        for j, r in enumerate(self.ratios):
            if r < 1.0 - 1e-9:
                m = r**self.p.elasticity
                x = pts * u / m  # own sales of k units need D >= k u / m
                cdf, part = demand.cdf(x), demand.partial(x) * m / u
                ahead[j] = demand.min_with(pts * u + fresh) - demand.min_with(pts * u)
            else:
                x = fresh + pts * u
                base_cdf, base_part = (
                    demand.cdf(np.array([fresh])),
                    demand.partial(np.array([fresh])),
                )
                cdf = demand.cdf(x)
                part = ((demand.partial(x) - base_part) - fresh * (cdf - base_cdf)) / u
                ahead[j] = demand.min_with(np.array([fresh]))[0]
            pmf = _grid_pmf(cdf, part, self.levels)
            sold = np.minimum(s_idx, pts[None, :])  # [s, k]: own units sold
            np.add.at(
                trans[j],
                (np.broadcast_to(s_idx, sold.shape), (s_idx - sold).astype(int)),
                pmf[None, :],
            )
            sales[j] = (sold @ pmf) * u
        return _Period(trans, sales, ahead)

    def odds(self, j: int) -> float:
        """The chance a move from price ``j`` is carried out: a lot still at
        list needs a place under the store's cap to start a markdown; one on
        clearance keeps its place."""
        if self.ratios[j] < 1.0 - 1e-9:
            return 1.0
        return self.p.markdown_odds

    @property
    def ahead_value(self) -> float:
        """What a sale of a fresher unit now is worth: its price and, when it
        would otherwise never sell (``displaced_loss`` = 1), its waste cost."""
        e = self.p.economics
        return self.p.displaced_loss * (e.list_price + e.waste_cost)

    @property
    def margins(self) -> Array:
        """Money per unit sold at each ratio, less brand dilution."""
        e, r = self.p.economics, np.asarray(self.ratios)
        return np.asarray(r * e.list_price - e.dilution * (1.0 - r) * e.list_price)


def fresher_stock(
    on_shelf: float, means: Sequence[float], arrivals: Sequence[float] | None = None
) -> list[float]:
    """The fresher stock at list in each period (``MarkdownProblem.ahead``):
    what is on the shelf now, plus what arrives at the start of a period, less
    the demand it takes in the periods before."""
    out, stock = [], on_shelf
    for k, mean in enumerate(means):
        stock += arrivals[k] if arrivals is not None else 0.0
        out.append(stock)
        stock = max(stock - float(mean), 0.0)
    return out


def solve(problem: MarkdownProblem, *, compare: bool = True) -> MarkdownPlan:
    """The optimal plan, and (``compare``) what holding the current price would do."""
    m = _Model(problem)
    periods, n_r, levels = len(m.periods), len(m.ratios), m.levels
    e = problem.economics
    s_units = np.arange(levels + 1) * m.unit
    value = np.tile(-e.waste_cost * s_units, (n_r, 1))  # value[j, s] after the last period
    # the same, counting on the cap's odds of a place later: it decides donations
    gate = problem.markdown_odds < 1.0 and problem.donation_periods > 0
    gated = value.copy()
    policy = np.zeros((periods, n_r, levels + 1), dtype=np.int64)
    keep = np.tile(np.arange(levels + 1), (periods, n_r, 1))
    idx = np.arange(levels + 1)
    for t in range(periods - 1, -1, -1):
        period = m.periods[t]
        # q[j', s]: choose price j' now
        step = m.margins[:, None] * period.sales + m.ahead_value * period.ahead
        q = step + np.einsum("jsk,jk->js", period.transition, value)
        qg = step + np.einsum("jsk,jk->js", period.transition, gated) if gate else q
        new, new_g = np.empty_like(value), np.empty_like(value)
        for j in range(n_r):
            options = m.moves[j] if (t > 0 or problem.may_change_now) else [j]
            best = np.argmax(q[options], axis=0)
            policy[t, j] = np.asarray(options)[best]
            new[j] = q[policy[t, j], idx]
            odds = m.odds(j)
            new_g[j] = np.max(qg[options], axis=0) if gate else new[j]
            if gate and odds < 1.0:  # the cap may hold the price: then it stays at j
                new_g[j] = odds * new_g[j] + (1.0 - odds) * qg[j]
        if t < problem.donation_periods:
            # donate all but k units: s·dv + max over k <= s of (V(k) - k·dv),
            # judged by the value that counts on the cap's odds
            dv = e.donation_value * m.unit
            for j in range(n_r):
                best_k = _running_argmax(new_g[j] - idx * dv)
                keep[t, j] = best_k
                new[j] = idx * dv + (new[j] - idx * dv)[best_k]
                new_g[j] = idx * dv + (new_g[j] - idx * dv)[best_k]
        value, gated = new, new_g
    plan, path = _forward(m, policy, keep)
    hold = plan
    if compare:
        hold_policy = np.tile(np.arange(n_r)[None, :, None], (periods, 1, levels + 1))
        hold, _ = _forward(m, hold_policy, np.tile(np.arange(levels + 1), (periods, n_r, 1)))
    donate_now = float((levels - keep[0, m.start, levels]) * m.unit) if periods else 0.0
    ratio_now = (
        m.ratios[policy[0, m.start, levels - round(donate_now / m.unit)]]
        if periods
        else problem.current
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
        objective += float(units @ margins) + m.ahead_value * float((moved * period.ahead).sum())
        dist = np.einsum("js,jsk->jk", moved, period.transition)
    left = float(dist.sum(axis=0) @ (idx * m.unit))
    objective += donated * e.donation_value - left * e.waste_cost
    gross = revenue + donated * e.donation_value - left * e.disposal_cost - e.unit_cost * m.p.stock
    return Outcome(sold, revenue, donated, left, objective, gross), path


def _units(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or x >= 10 else f"{x:.1f}"


def reason(plan: MarkdownPlan, current: float = 1.0) -> Text:
    """The plan in a manager's words, e.g. "70 % of list now: at the current
    price about 12 of 20 would be left at expiry; with this plan about 2".
    A ``Text``: its English is ``str()``, and the dashboard and API show it
    in the reader's language."""
    hold, new = plan.hold, plan.plan
    if plan.ratio_now < current - 1e-9:
        move = Text("{ratio:.0%} of list now", ratio=plan.ratio_now)
    elif any(r < current - 1e-9 for r in plan.path):
        first = next(i for i, r in enumerate(plan.path) if r < current - 1e-9)
        move = Text(
            "hold the price today, {ratio:.0%} of list in {days} day(s)",
            ratio=plan.path[first],
            days=first,
        )
    else:
        move = Text("hold {ratio:.0%} of list", ratio=current)
    if plan.donate_now > 0:
        move = Text("donate {units} now, {then}", units=_units(plan.donate_now), then=move)
    held = {"held": _units(hold.left), "stock": _units(plan.stock)}
    if new.left < hold.left - 0.05 or new.donated > 0:
        if new.donated > 0:
            return Text(
                "{move}: at the current price about {held} of {stock} would be left at "
                "expiry; with this plan about {left} (and {donated} donated), expected gain "
                "{gain:.2f}",
                move=move, left=_units(new.left), donated=_units(new.donated), gain=plan.gain,
                **held,
            )  # fmt: skip
        return Text(
            "{move}: at the current price about {held} of {stock} would be left at expiry; "
            "with this plan about {left}, expected gain {gain:.2f}",
            move=move, left=_units(new.left), gain=plan.gain, **held,
        )  # fmt: skip
    return Text(
        "{move}: at the current price about {held} of {stock} would be left at expiry; "
        "a markdown would not earn more",
        move=move, **held,
    )  # fmt: skip
