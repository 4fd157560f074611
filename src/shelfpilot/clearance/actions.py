"""Scenario actions beside a plain markdown, valued on the same scale.

The seed's stages offer more than a price cut: an experience bundle at five
days, a pre-sale or a workshop at three, corporate tea-break packs, a blind
box in the last 24 hours. Each takes some units of a lot now, at its own
realised price, cost and capacity; the rest of the lot follows the markdown
plan (``markdown.solve``). So an action is worth taking when

    value(action on q units) + markdown value of (stock − q)
        ≥ markdown value of the whole stock,

with ``q`` chosen up to the action's capacity. A value-adding action (a
bundle, a workshop, a pre-sale: the brand sells an experience, not a cut)
wins a tie with the plain discount, as the brand asks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from shelfpilot.clearance.markdown import Economics, MarkdownPlan, MarkdownProblem, solve
from shelfpilot.domain.errors import InvalidValue

TIE = 1e-9


class ActionKind(StrEnum):
    BUNDLE = "bundle"
    PRESALE = "presale"
    WORKSHOP = "workshop"
    TEA_BREAK = "tea_break"
    BLIND_BOX = "blind_box"


VALUE_ADDING = frozenset({ActionKind.BUNDLE, ActionKind.PRESALE, ActionKind.WORKSHOP})


@dataclass(frozen=True)
class ActionOffer:
    """What one action can do for one lot now."""

    kind: ActionKind
    name: str
    #: most units of this lot the action is expected to take (capacity × take-up)
    units: float
    #: revenue per unit as a share of list (a 128 → 88 bundle for the cake: ≈ 0.6)
    price_ratio: float
    #: materials, packaging, delivery per unit, in money
    cost_per_unit: float = 0.0
    #: per use: a workshop host, a delivery run
    fixed_cost: float = 0.0
    #: the action needs this much life left (pre-sale: collected within 3 days)
    min_hours_left: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActionKind(self.kind))
        if self.units < 0:
            raise InvalidValue(f"{self.name}: an action cannot take fewer than 0 units")
        if not 0 <= self.price_ratio <= 1.5:
            raise InvalidValue(f"{self.name}: the price ratio must be between 0 and 1.5 of list")
        if self.cost_per_unit < 0 or self.fixed_cost < 0 or self.min_hours_left < 0:
            raise InvalidValue(f"{self.name}: costs and hours cannot be negative")

    @property
    def adds_value(self) -> bool:
        return self.kind in VALUE_ADDING

    def value(self, units: float, economics: Economics) -> float:
        """Money the action makes on ``units``: revenue less costs, less brand
        dilution on the discount (not for value-adding actions: the seed's
        point is that a bundle is not seen as a cut)."""
        if units <= 0:
            return 0.0
        e = economics
        per_unit = self.price_ratio * e.list_price - self.cost_per_unit
        if not self.adds_value:
            per_unit -= e.dilution * max(1.0 - self.price_ratio, 0.0) * e.list_price
        return units * per_unit - self.fixed_cost


@dataclass(frozen=True)
class ActionChoice:
    offer: ActionOffer | None
    units: float
    value: float
    markdown_value: float
    rest: MarkdownPlan

    @property
    def gain(self) -> float:
        """What the action adds over the markdown plan alone."""
        return self.value - self.markdown_value

    def describe(self, currency: str = "") -> str:
        if self.offer is None:
            return "no action beats the markdown plan"
        money = f"{currency} " if currency else ""
        units = (
            f"{self.units:.0f}"
            if abs(self.units - round(self.units)) < 1e-9
            else f"{self.units:.1f}"
        )
        return (
            f"{self.offer.name}: {units} units at {self.offer.price_ratio:.0%} of list, "
            f"the rest on the markdown plan; {money}{self.gain:+.2f} against markdown alone"
        )


def _quantities(top: float, whole: bool, points: int) -> list[float]:
    if top <= 0:
        return []
    if whole:
        n = math.floor(top + 1e-9)
        if n <= points:
            return [float(q) for q in range(1, n + 1)]
        return sorted({float(round(q)) for q in np.linspace(1, n, points)})
    return [float(q) for q in np.linspace(top / points, top, points)]


def choose_action(
    problem: MarkdownProblem,
    offers: Sequence[ActionOffer],
    hours_left: float,
    *,
    points: int = 8,
) -> ActionChoice:
    """The best of: the markdown plan alone, or one action on some units with
    the markdown plan for the rest (``points`` quantities tried per action)."""
    alone = solve(problem, compare=False)
    base = alone.plan.objective
    best = ActionChoice(None, 0.0, base, base, alone)
    whole = abs(problem.stock - round(problem.stock)) < 1e-9
    for offer in offers:
        if hours_left < offer.min_hours_left:
            continue
        for q in _quantities(min(offer.units, problem.stock), whole, points):
            rest = solve(replace(problem, stock=max(problem.stock - q, 0.0)), compare=False)
            value = offer.value(q, problem.economics) + rest.plan.objective
            if _better(value, offer, best, base):
                best = ActionChoice(offer, q, value, base, rest)
    return best


def _better(value: float, offer: ActionOffer, best: ActionChoice, base: float) -> bool:
    if best.offer is None:
        return value > base + TIE or (offer.adds_value and value >= base - TIE)
    if value > best.value + TIE:
        return True
    return abs(value - best.value) <= TIE and offer.adds_value and not best.offer.adds_value
