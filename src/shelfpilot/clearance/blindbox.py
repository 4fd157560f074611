"""The blind box composer: near-expiry lots packed into surprise boxes sold at
one fixed price, chosen by integer programming.

A blind box is a fair deal when the list value of what is inside is its
price over the target ratio (the seed's 40 %: a 29.90 box holds about 74.75
of list value). Less shortchanges the customer, more gives value away, so
every box made must

- hold a list value within ``tolerance`` of that target,
- hold ``min_items`` to ``max_items`` units, (min, max) units of each
  category named in ``mix`` (other categories are free) and at least
  ``min_categories`` different categories,
- hold at most ``max_per_sku`` units of one product (five identical
  croissants are no surprise),
- hold no unit carrying an ``exclude``d allergen (a nut-free box), none
  expired and none with more than ``max_hours_left`` of life;

and all boxes together use no more units of a lot than it has.

The objective is the money the manager cares about, against leaving all the
stock on the shelf: the price of every box made plus, for each unit packed,
the waste cost it no longer risks less the shelf value it gives up
(``BoxItem.waste_cost`` and ``shelf_value``, expected figures, e.g. from
``forecast.risk`` and the markdown plan). So the composer makes as many boxes
as the stock allows, fills them with the stock most likely to end in the
bin, packs a unit that would probably sell anyway only when a box needs it,
and makes fewer boxes than asked (or none) when a box earns less than the
shelf would. Within the value band it packs as much at-risk stock as it can,
so boxes of stock bound for the bin sit near the top of the band: the
tolerance is what the store is prepared to give away.

The joint model has integer x[i, b] (units of lot i in box b) and binary y[b]
(box b is made); every per-box bound is multiplied by y[b], so a box not
made is empty, and boxes are made in order (y[b] >= y[b+1]). Its boxes are
interchangeable, which makes HiGHS slow to find and prove good plans (200
lots × 30 boxes: 5-10 s to a 1 % gap; scipy's ``milp`` takes no starting
plan). So the composer first packs boxes one
at a time, each the best single box from the stock left (a small integer
programme, solved exactly in milliseconds), and compares that plan with the
joint model's linear relaxation, a bound on every plan. On store-sized
stock it is within the gap (``gap``, 1 %) in about a second; when it is not
(a scarce category spent by the first boxes, say), the joint integer
programme is solved with the time left and the better plan kept. Quick
bounds catch the usual reasons no box can be made before any solving, so the
plan names the rule to relax; every box is re-checked by ``check_box``, the
independent checker the tests use, before it is returned.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from shelfpilot.clearance.boxes import (
    EPS,
    BlindBoxPlan,
    Box,
    BoxItem,
    BoxSpec,
    Status,
    _span,
    check_box,
    make_box,
    violations,
)
from shelfpilot.domain.errors import InvalidValue

__all__ = [
    "BlindBoxPlan",
    "Box",
    "BoxItem",
    "BoxSpec",
    "Status",
    "check_box",
    "compose",
    "make_box",
    "violations",
]


def compose(
    items: Sequence[BoxItem], spec: BoxSpec, *, time_limit: float = 2.0, gap: float = 0.01
) -> BlindBoxPlan:
    """The best boxes to make from ``items``, within ``gap`` of the best
    possible when time allows (see the module docstring). Never raises
    because no box can be made: the plan is then empty and says why."""
    if twice := sorted(k for k, n in Counter(i.key for i in items).items() if n > 1):
        raise InvalidValue(f"lot {twice[0]} is listed twice: give each lot once with all its units")
    if not (time_limit > 0 and 0 <= gap < 1):
        raise InvalidValue("the time limit must be above 0 s and the gap from 0 to below 1")
    deadline = time.monotonic() + time_limit
    eligible = [i for i in items if i.units > 0 and spec.eligible(i)]
    excluded = tuple(i.key for i in items if i.units > 0 and not spec.eligible(i))
    at_risk = sum(i.units for i in eligible)

    def plan(status: Status, boxes: list[Box], bound: float, note: str = "") -> BlindBoxPlan:
        packed: Counter[str] = Counter()
        for box in boxes:
            packed.update(dict(box.contents))
        packs = MappingProxyType(dict(sorted(packed.items())))
        gain = _gain(boxes, eligible, spec)
        return BlindBoxPlan(spec, status, tuple(boxes), packs, at_risk, excluded, gain, bound, note)

    if obstacle := _obstacle(eligible, spec, len(excluded)):
        return plan(Status.INFEASIBLE, [], 0.0, obstacle)
    boxes, finished = _one_by_one(eligible, spec, deadline)
    if not boxes and finished:
        if all(i.gain >= 0 for i in eligible) or not _read(
            _solve(eligible, spec, 1, _left(deadline), gap, force=True), eligible, spec, 1
        ):
            return plan(Status.INFEASIBLE, [], 0.0, _no_fit(spec))
        note = "a box can be made, but it would earn less than leaving its stock on the shelf"
        return plan(Status.OPTIMAL, [], 0.0, note)
    n_boxes, bound, proven = _box_cap(eligible, spec), math.inf, False
    if finished and _left(deadline) > 0:
        relaxed = _solve(eligible, spec, n_boxes, _left(deadline), gap, relax=True)
        bound = -relaxed.fun if relaxed.status == 0 else math.inf
        proven = _gain(boxes, eligible, spec) >= bound * (1 - gap) - EPS
    if finished and not proven and _left(deadline) > 0:
        joint = _solve(eligible, spec, n_boxes, _left(deadline), gap)
        better = _read(joint, eligible, spec, n_boxes)
        if _gain(better, eligible, spec) > _gain(boxes, eligible, spec) + EPS:
            boxes = better
        if joint.mip_dual_bound is not None and math.isfinite(joint.mip_dual_bound):
            bound = min(bound, -joint.mip_dual_bound)
        proven = joint.status == 0
    if proven:
        return plan(Status.OPTIMAL, boxes, bound)
    note = f"the best found within the {time_limit:g} s limit"
    if not boxes:
        note = f"no box found within the {time_limit:g} s limit"
    elif math.isfinite(bound) and bound > 0:
        note += f", at most {1 - _gain(boxes, eligible, spec) / bound:.1%} below the best possible"
    return plan(Status.TIME_LIMIT, boxes, bound, note)


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


def _gain(boxes: Sequence[Box], items: Sequence[BoxItem], spec: BoxSpec) -> float:
    gains = {i.key: i.gain for i in items}
    units = sum(gains[key] * n for box in boxes for key, n in box.contents)
    return spec.price * len(boxes) + units


def _one_by_one(items: Sequence[BoxItem], spec: BoxSpec, deadline: float) -> tuple[list[Box], bool]:
    """Boxes made one at a time, each the best single box from the stock
    left, until none is possible or worth making; and whether that finished
    in time (each box solved to optimality)."""
    stock, boxes = list(items), list[Box]()
    while len(boxes) < spec.boxes and _left(deadline) > 0:
        res = _solve(stock, spec, 1, _left(deadline), 1e-4)
        box = _read(res, stock, spec, 1)
        if res.status != 0 or not box:
            return boxes + box, res.status == 0
        used = dict(box[0].contents)
        stock = [replace(i, units=i.units - used.get(i.key, 0)) for i in stock]
        boxes += box
    return boxes, len(boxes) == spec.boxes


def _no_fit(spec: BoxSpec) -> str:
    low, high = spec.value_band
    rules = [f"{_span(spec.min_items, spec.max_items, 'd')} items"]
    rules += [f"{_span(lo, hi, 'd')} {cat}" for cat, (lo, hi) in sorted(spec.mix.items())]
    rules.append(f"at most {spec.max_per_sku} of a product")
    if spec.min_categories > 1:
        rules.append(f"at least {spec.min_categories} categories")
    if spec.exclude:
        rules.append("free of " + ", ".join(sorted(spec.exclude)))
    return (
        f"no mix of the at-risk stock is worth {low:.2f}–{high:.2f} at list (a box at "
        f"{spec.price:.2f}, {spec.ratio:.0%} of list, ±{spec.tolerance:.0%}) with "
        f"{', '.join(rules)}: change the box price, the tolerance or the mix"
    )


def _one_box(items: Sequence[BoxItem], cap: int, dearest: bool) -> list[float]:
    """Prices of the units one box could hold with at most ``cap`` of a
    product, dearest (or cheapest) first for each product, then overall."""
    by_sku: dict[str, list[float]] = {}
    for item in items:
        by_sku.setdefault(item.sku, []).extend([item.list_price] * min(item.units, cap))
    out = [p for prices in by_sku.values() for p in sorted(prices, reverse=dearest)[:cap]]
    return sorted(out, reverse=dearest)


def _obstacle(items: Sequence[BoxItem], spec: BoxSpec, n_excluded: int) -> str | None:
    """A reason no box can be made, from bounds that are quick to check."""
    low, high = spec.value_band
    if not items:
        why = (
            f" ({n_excluded} lot(s) left out by the allergen, life or mix rules;"
            " when allergens are excluded, a product whose allergens are not recorded is too)"
        )
        return "no at-risk stock may go into a box" + (why if n_excluded else "")
    dear = _one_box(items, spec.max_per_sku, dearest=True)
    if len(dear) < spec.min_items:
        return (
            f"a box needs {spec.min_items} items but only {len(dear)} at-risk unit(s) can "
            f"go into one (at most {spec.max_per_sku} of a product)"
        )
    for cat, (need, _) in sorted(spec.mix.items()):
        have = len(_one_box([i for i in items if i.category == cat], spec.max_per_sku, True))
        if have < need:
            return f"each box needs {need} {cat} but only {have} at-risk {cat} can go into one"
    if (best := sum(dear[: spec.max_items])) < low - EPS:
        return (
            f"the dearest box of at most {spec.max_items} items is worth {best:.2f} at list, "
            f"below the {low:.2f} a box at {spec.price:.2f} must hold: lower the box price, "
            "allow more items or add stock"
        )
    if (least := sum(_one_box(items, spec.max_per_sku, False)[: spec.min_items])) > high + EPS:
        return (
            f"the cheapest {spec.min_items} items are worth {least:.2f} at list, above the "
            f"{high:.2f} a box at {spec.price:.2f} may hold: raise the box price or allow "
            "fewer items"
        )
    if (n_cats := len({i.category for i in items})) < spec.min_categories:
        return f"each box needs {spec.min_categories} categories but the stock has {n_cats}"
    return None


def _box_cap(items: Sequence[BoxItem], spec: BoxSpec) -> int:
    """The most boxes the stock could fill (fewer variables for the solver)."""
    value = sum(i.units * i.list_price for i in items)
    cap = min(spec.boxes, sum(i.units for i in items) // spec.min_items)
    cap = min(cap, math.floor(value / spec.value_band[0] + EPS))
    for cat, (need, _) in spec.mix.items():
        if need > 0:
            cap = min(cap, sum(i.units for i in items if i.category == cat) // need)
    return max(cap, 1)


class _Rows:
    """A sparse constraint matrix built row by row: low <= row @ x <= high."""

    def __init__(self) -> None:
        self.cols: list[npt.NDArray[np.int64]] = []
        self.vals: list[npt.NDArray[np.float64]] = []
        self.bounds: list[tuple[float, float]] = []

    def add(self, cols: Iterable[Any], vals: Iterable[float], low: float, high: float) -> None:
        self.cols.append(np.fromiter(cols, dtype=np.int64))
        self.vals.append(np.fromiter(vals, dtype=np.float64))
        self.bounds.append((low, high))

    def constraint(self, n_vars: int) -> LinearConstraint:
        rows = np.repeat(np.arange(len(self.cols)), [len(c) for c in self.cols])
        matrix = sparse.csr_array(
            (np.concatenate(self.vals), (rows, np.concatenate(self.cols))),
            shape=(len(self.cols), n_vars),
        )
        low, high = np.array(self.bounds).T
        return LinearConstraint(matrix, low, high)


def _solve(
    items: Sequence[BoxItem],
    spec: BoxSpec,
    n_boxes: int,
    time_limit: float,
    gap: float,
    *,
    force: bool = False,
    relax: bool = False,
) -> Any:
    """Solve the joint model for ``n_boxes`` boxes (``force``: box 0 must be
    made; ``relax``: its linear relaxation). Variables: x[i, b] at b·n + i,
    then y[b], then (``min_categories``) z[c, b] = category c is in box b."""
    n, inf = len(items), np.inf
    cats = sorted({i.category for i in items})
    use_z = spec.min_categories > 1
    n_x, n_z = n * n_boxes, len(cats) * n_boxes * use_z
    price, ones = [i.list_price for i in items], [1.0] * n
    members = {c: [k for k, i in enumerate(items) if i.category == c] for c in cats}
    by_sku: dict[str, list[int]] = {}
    for k, item in enumerate(items):
        by_sku.setdefault(item.sku, []).append(k)
    low, high = spec.value_band
    rows = _Rows()
    for b in range(n_boxes):
        xs, y = range(b * n, b * n + n), n_x + b
        rows.add([*xs, y], [*price, -low], 0.0, inf)
        rows.add([*xs, y], [*price, -high], -inf, 0.0)
        rows.add([*xs, y], [*ones, -spec.min_items], 0.0, inf)
        rows.add([*xs, y], [*ones, -spec.max_items], -inf, 0.0)
        for cat, (need, most) in spec.mix.items():
            ks = [b * n + k for k in members.get(cat, [])]
            if ks and need > 0:
                rows.add([*ks, y], [1.0] * len(ks) + [-need], 0.0, inf)
            if ks and most < spec.max_items:
                rows.add(ks, [1.0] * len(ks), -inf, most)
        for lots in (lots for lots in by_sku.values() if len(lots) > 1):
            rows.add([b * n + k for k in lots], [1.0] * len(lots), -inf, spec.max_per_sku)
        if use_z:  # z[c, b] <= units of c in box b; sum over c of z >= min_categories y
            zs = range(n_x + n_boxes + b * len(cats), n_x + n_boxes + (b + 1) * len(cats))
            for z, cat in zip(zs, cats, strict=True):
                ks = [b * n + k for k in members[cat]]
                rows.add([*ks, z], [1.0] * len(ks) + [-1.0], 0.0, inf)
            rows.add([*zs, y], [1.0] * len(cats) + [-spec.min_categories], 0.0, inf)
        if b + 1 < n_boxes:
            rows.add([y, y + 1], [1.0, -1.0], 0.0, inf)
    for k, item in enumerate(items):
        rows.add(range(k, n_x, n), [1.0] * n_boxes, -inf, item.units)
    caps = [
        min(i.units, spec.max_per_sku, spec.max_items, spec.mix.get(i.category, (0, inf))[1])
        for i in items
    ]
    n_vars = n_x + n_boxes + n_z
    lower, upper = (
        np.zeros(n_vars),
        np.concatenate([np.tile(caps, n_boxes), np.ones(n_boxes + n_z)]),
    )
    lower[n_x] = float(force)
    gains = np.tile([i.gain for i in items], n_boxes)
    cost = -np.concatenate([gains, np.full(n_boxes, spec.price), np.zeros(n_z)])
    return milp(
        cost,
        integrality=np.full(n_vars, 0 if relax else 1),
        bounds=Bounds(lower, upper),
        constraints=rows.constraint(n_vars),
        options={"time_limit": max(time_limit, 1e-3), "mip_rel_gap": gap},
    )


def _read(res: Any, items: Sequence[BoxItem], spec: BoxSpec, n_boxes: int) -> list[Box]:
    """The boxes in a solver answer, each re-checked (a box that fails,
    which rounding should never cause, is dropped rather than sold)."""
    if res.x is None:
        return []
    units = np.rint(res.x[: len(items) * n_boxes]).astype(int).reshape(n_boxes, len(items))
    boxes = []
    for row in units:
        contents = [(items[k].key, int(row[k])) for k in np.flatnonzero(row > 0)]
        if contents and not check_box(contents, items, spec):
            boxes.append(make_box(contents, items))
    return sorted(boxes, key=lambda box: -box.list_value)
