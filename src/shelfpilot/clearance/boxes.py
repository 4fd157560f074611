"""What a blind box is and whether it is fair: the lots that may go in
(``BoxItem``), the store's rules (``BoxSpec``), a box and a plan of boxes,
and an independent checker (``check_box``, ``violations``) that works from
the items alone, not from the solver. The composer is ``clearance.blindbox``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from shelfpilot.domain.catalog import allergen_tags
from shelfpilot.domain.errors import InvalidValue

#: slack in money comparisons (the solver works to about 1e-7)
EPS = 1e-6


class Status(StrEnum):
    OPTIMAL = "optimal"  # the best plan there is, within the gap
    TIME_LIMIT = "time_limit"  # the best plan found in time; it keeps every rule
    INFEASIBLE = "infeasible"  # no box can be made under these rules


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidValue(message)


def _whole(value: object, least: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


@dataclass(frozen=True)
class BoxItem:
    """The units of one lot that may go into blind boxes (money per unit)."""

    key: str
    sku: str
    category: str
    list_price: float
    units: int
    #: None: not recorded, so the lot never goes into a box that excludes any
    allergens: frozenset[str] | None = frozenset()
    #: expected cost of a unit left out of the boxes: unit cost + disposal
    #: times the chance it goes unsold (all of it for stock nobody buys)
    waste_cost: float = 0.0
    #: expected money a unit left out still brings: its chance to sell times
    #: its shelf price (0 for stock that will not sell)
    shelf_value: float = 0.0
    hours_left: float | None = None

    def __post_init__(self) -> None:
        money = (self.waste_cost, self.shelf_value)
        _require(
            math.isfinite(self.list_price) and self.list_price > 0,
            f"lot {self.key}: the list price must be above 0",
        )
        _require(_whole(self.units), f"lot {self.key}: units must be a whole number, 0 or more")
        _require(
            all(math.isfinite(v) and v >= 0 for v in money),
            f"lot {self.key}: the waste cost and shelf value cannot be negative",
        )
        if self.allergens is not None:
            object.__setattr__(self, "allergens", allergen_tags(self.allergens))

    @property
    def gain(self) -> float:
        """Expected money a unit packed brings besides the box price."""
        return self.waste_cost - self.shelf_value


@dataclass(frozen=True)
class BoxSpec:
    """What every blind box must be; see the module docstring."""

    boxes: int  # the most boxes to make
    price: float
    ratio: float = 0.4
    tolerance: float = 0.1
    min_items: int = 1
    max_items: int = 10
    #: category -> (min, max) units per box
    mix: Mapping[str, tuple[int, int]] = field(default_factory=dict, hash=False)
    max_per_sku: int = 1
    exclude: frozenset[str] = frozenset()
    min_categories: int = 0
    max_hours_left: float | None = None

    def __post_init__(self) -> None:
        mix = {cat: (low, high) for cat, (low, high) in self.mix.items()}
        _require(_whole(self.boxes, 1), "ask for at least one box")
        _require(math.isfinite(self.price) and self.price > 0, "the box price must be above 0")
        _require(
            0 < self.ratio <= 1,
            "the target ratio (box price over the list value inside) must be above 0 "
            "and at most 1, e.g. 0.4",
        )
        _require(0 <= self.tolerance < 1, "the value tolerance must be from 0 to below 1, e.g. 0.1")
        _require(_whole(self.min_items, 1) and _whole(self.max_items, 1), "a box holds an item")
        _require(
            self.min_items <= self.max_items,
            f"the fewest items a box holds ({self.min_items}) cannot be more than the most "
            f"({self.max_items})",
        )
        for cat, (low, high) in mix.items():
            _require(
                _whole(low) and _whole(high) and low <= high,
                f"category {cat}: give whole numbers with the minimum ({low}) not above "
                f"the maximum ({high})",
            )
        _require(
            sum(low for low, _ in mix.values()) <= self.max_items,
            f"the category minimums add up to more than the {self.max_items} items a box holds",
        )
        _require(_whole(self.max_per_sku, 1), "allow at least 1 unit of a product per box")
        _require(
            _whole(self.min_categories) and self.min_categories <= self.max_items,
            "the categories a box needs must be from 0 to its most items",
        )
        _require(
            self.max_hours_left is None or self.max_hours_left > 0,
            "the life-left limit must be above 0 hours",
        )
        object.__setattr__(self, "mix", MappingProxyType(mix))
        object.__setattr__(self, "exclude", allergen_tags(self.exclude))

    @property
    def target_value(self) -> float:
        return self.price / self.ratio

    @property
    def value_band(self) -> tuple[float, float]:
        """The list value a box may hold, low and high."""
        return self.target_value * (1 - self.tolerance), self.target_value * (1 + self.tolerance)

    def eligible(self, item: BoxItem) -> bool:
        """May a unit of this lot go into a box at all?"""
        if self.exclude and (item.allergens is None or item.allergens & self.exclude):
            return False
        if self.mix.get(item.category, (0, 1))[1] == 0:
            return False
        life = item.hours_left
        return life is None or 0 < life <= (self.max_hours_left or math.inf)


@dataclass(frozen=True)
class Box:
    contents: tuple[tuple[str, int], ...]  # (lot key, units), by key
    list_value: float
    categories: tuple[tuple[str, int], ...]  # (category, units), by name

    @property
    def units(self) -> int:
        return sum(n for _, n in self.contents)


@dataclass(frozen=True)
class BlindBoxPlan:
    spec: BoxSpec
    status: Status
    boxes: tuple[Box, ...]
    #: units packed per lot key (lots with none packed are absent)
    packed: Mapping[str, int] = field(hash=False)
    at_risk: int  # units of the lots that may go into a box
    excluded: tuple[str, ...]  # lots that may not (allergen, life left, mix)
    gain: float  # expected money against leaving all the stock on the shelf
    bound: float  # no plan gains more than this (inf: unknown)
    note: str = ""  # why there is no box, or why the plan may not be the best

    def describe(self) -> str:
        """The plan in a manager's words, e.g. "3 boxes at 29.90: each holds
        70.10–78.00 of list value (target 74.75 at 40%), 1 bread, 1–2 pastry,
        free of nuts; packs 14 of 20 at-risk units, expected gain 112.40"."""
        s, n = self.spec, len(self.boxes)
        if not n:
            return f"No blind box: {self.note}"
        head = f"{n} box{'es' if n > 1 else ''} at {s.price:.2f}"
        head += f" (of {s.boxes} asked for)" if n < s.boxes else ""
        values = [b.list_value for b in self.boxes]
        parts = [
            f"each holds {_span(min(values), max(values), '.2f')} of list value "
            f"(target {s.target_value:.2f} at {s.ratio:.0%})"
        ]
        for cat in sorted({c for b in self.boxes for c, _ in b.categories} | set(s.mix)):
            counts = [dict(b.categories).get(cat, 0) for b in self.boxes]
            parts.append(f"{_span(min(counts), max(counts), 'd')} {cat}")
        if s.exclude:
            parts.append("free of " + ", ".join(sorted(s.exclude)))
        text = (
            f"{head}: {', '.join(parts)}; packs {sum(self.packed.values())} of "
            f"{self.at_risk} at-risk units, expected gain {self.gain:.2f}"
        )
        return f"{text} ({self.note})" if self.note else text


def _span(low: float, high: float, fmt: str) -> str:
    return format(low, fmt) if low == high else f"{low:{fmt}}–{high:{fmt}}"


def make_box(contents: Sequence[tuple[str, int]], items: Sequence[BoxItem]) -> Box:
    """A ``Box`` of (lot key, units), with its list value and categories."""
    by_key, cats = {i.key: i for i in items}, Counter[str]()
    for key, n in contents:
        cats[by_key[key].category] += n
    value = sum(by_key[key].list_price * n for key, n in contents)
    return Box(tuple(sorted(contents)), value, tuple(sorted(cats.items())))


def check_box(
    contents: Sequence[tuple[str, int]], items: Sequence[BoxItem], spec: BoxSpec
) -> list[str]:
    """What is wrong with one box of (lot key, units), in words; [] when it is
    a fair box under ``spec``. Works from the items alone, not the solver."""
    by_key = {i.key: i for i in items}
    out = [
        f"lot {k} is listed {n} times" for k, n in Counter(k for k, _ in contents).items() if n > 1
    ]
    value, cats, skus = 0.0, Counter[str](), Counter[str]()
    for key, n in contents:
        item = by_key.get(key)
        if item is None or not _whole(n, 1):
            out.append(f"lot {key}: {n} units of a lot not in the stock")
            continue
        if n > item.units:
            out.append(f"lot {key}: {n} units packed but only {item.units} available")
        if spec.exclude and item.allergens is None:
            out.append(f"lot {key}: its allergens are not recorded")
        elif bad := (item.allergens or frozenset()) & spec.exclude:
            out.append(f"lot {key} carries {', '.join(sorted(bad))}")
        elif not spec.eligible(item):
            out.append(f"lot {key} may not go into a box (life left or category mix)")
        value += n * item.list_price
        cats[item.category] += n
        skus[item.sku] += n
    low, high = spec.value_band
    if not low - EPS <= value <= high + EPS:
        out.append(f"list value {value:.2f} is outside {low:.2f}–{high:.2f}")
    if not spec.min_items <= cats.total() <= spec.max_items:
        out.append(f"{cats.total()} items, not {_span(spec.min_items, spec.max_items, 'd')}")
    for cat, (need, most) in sorted(spec.mix.items()):
        if not need <= cats[cat] <= most:
            out.append(f"{cats[cat]} {cat}, not {_span(need, most, 'd')}")
    out += [f"{n} units of {sku}" for sku, n in sorted(skus.items()) if n > spec.max_per_sku]
    if len(+cats) < spec.min_categories:
        out.append(f"{len(+cats)} categories, not at least {spec.min_categories}")
    return out


def violations(
    plan: BlindBoxPlan, items: Sequence[BoxItem], spec: BoxSpec | None = None
) -> list[str]:
    """Every rule ``plan`` breaks against ``items`` and ``spec`` (by default
    the plan's own), box by box and across boxes; [] when it keeps them all."""
    spec, by_key = spec or plan.spec, {i.key: i for i in items}
    out = [f"{len(plan.boxes)} boxes, {spec.boxes} asked for"] * (len(plan.boxes) > spec.boxes)
    used: Counter[str] = Counter()
    for k, box in enumerate(plan.boxes, 1):
        out += [f"box {k}: {why}" for why in check_box(box.contents, items, spec)]
        used.update(dict(box.contents))
        if all(key in by_key for key, _ in box.contents):
            again = make_box(box.contents, items)
            if abs(again.list_value - box.list_value) > EPS or again.categories != box.categories:
                out.append(f"box {k}: its recorded list value or categories are wrong")
    for key, n in sorted(used.items()):
        if key in by_key and n > by_key[key].units:
            out.append(f"lot {key}: {n} units packed in all, {by_key[key].units} available")
    if dict(used) != dict(plan.packed):
        out.append("the units packed per lot do not add up to the boxes")
    return out
