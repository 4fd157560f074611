"""The blind box composer: hand-checked packings, clear refusals, and every
box of every plan fair under an independent check (hypothesis)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.clearance.blindbox import (
    BlindBoxPlan,
    BoxItem,
    BoxSpec,
    Status,
    check_box,
    compose,
    make_box,
    violations,
)
from shelfpilot.domain.errors import InvalidValue


def item(key: str, category: str, price: float, units: int = 1, **kw: object) -> BoxItem:
    return BoxItem(key, kw.pop("sku", key), category, price, units, **kw)  # type: ignore[arg-type]


def test_the_only_fair_packing_is_found() -> None:
    # a 10.00 box at 40 % holds exactly 25.00 of list value (no tolerance):
    # with one unit of a product per box only bread + pastry adds up to 25,
    # and there is one bread, so one box can be made of the three asked for
    items = [
        item("bread", "bread", 10.0),
        item("pastry", "pastry", 15.0, units=2),
        item("cake", "pastry", 30.0),
        item("milk", "dairy", 5.0, units=3),
    ]
    spec = BoxSpec(boxes=3, price=10.0, tolerance=0.0)
    plan = compose(items, spec)
    assert plan.status is Status.OPTIMAL
    assert [b.contents for b in plan.boxes] == [(("bread", 1), ("pastry", 1))]
    assert plan.boxes[0].list_value == pytest.approx(25.0)
    assert dict(plan.packed) == {"bread": 1, "pastry": 1}
    assert plan.at_risk == 7 and violations(plan, items) == []
    text = plan.describe()
    assert text.startswith("1 box at 10.00 (of 3 asked for): each holds 25.00 of list value")
    assert "packs 2 of 7 at-risk units" in text


def test_an_item_with_an_excluded_allergen_is_never_packed() -> None:
    # the walnut loaf is the riskiest stock, so it goes in first unless the
    # box is nut-free (allergen names match whatever their case)
    items = [
        item("walnut", "bread", 10.0, units=3, allergens=frozenset({"Nuts"}), waste_cost=9.0),
        item("rye", "bread", 10.0, units=3, waste_cost=1.0),
        item("bun", "pastry", 10.0, units=3, waste_cost=1.0),
    ]
    spec = BoxSpec(boxes=2, price=8.0, tolerance=0.0, min_items=2, max_items=2)
    assert "walnut" in compose(items, spec).packed
    nut_free = replace(spec, exclude=frozenset({" nuts"}))
    plan = compose(items, nut_free)
    assert len(plan.boxes) == 2 and plan.excluded == ("walnut",)
    assert all(key != "walnut" for box in plan.boxes for key, _ in box.contents)
    assert "free of nuts" in plan.describe() and violations(plan, items) == []
    assert check_box([("walnut", 1), ("rye", 1)], items, nut_free) == ["lot walnut carries nuts"]


def test_category_mix_is_kept_in_every_box() -> None:
    rng = np.random.default_rng(3)
    cats = ["bread", "pastry", "dairy", "deli"]
    items = [
        item(f"L{k}", cats[k % 4], float(rng.integers(3, 15)), int(rng.integers(1, 4)))
        for k in range(24)
    ]
    spec = BoxSpec(
        boxes=5, price=16.0, min_items=3, max_items=6, mix={"bread": (1, 1), "pastry": (1, 2)}
    )
    plan = compose(items, spec)
    assert len(plan.boxes) == 5 and violations(plan, items) == []
    for box in plan.boxes:
        cats_in = dict(box.categories)
        assert cats_in["bread"] == 1 and 1 <= cats_in["pastry"] <= 2
        assert 40 * 0.9 - 1e-6 <= box.list_value <= 40 * 1.1 + 1e-6
    assert "1 bread" in plan.describe()


def test_a_scarce_category_is_shared_between_boxes() -> None:
    # the best single box takes both breads (they are the riskiest stock);
    # boxes made one at a time would then leave the second box without
    # bread, and the joint programme makes two boxes of one bread each
    items = [
        item("bread1", "bread", 10.0, waste_cost=9.0),
        item("bread2", "bread", 10.0, waste_cost=9.0),
        *[item(f"bun{k}", "pastry", 10.0, waste_cost=1.0) for k in range(4)],
    ]
    spec = BoxSpec(
        boxes=2, price=8.0, tolerance=0.0, min_items=2, max_items=2, mix={"bread": (1, 2)}
    )
    plan = compose(items, spec)
    assert plan.status is Status.OPTIMAL and violations(plan, items) == []
    assert [dict(b.categories) for b in plan.boxes] == [{"bread": 1, "pastry": 1}] * 2
    assert plan.gain == pytest.approx(2 * 8.0 + 2 * 9.0 + 2 * 1.0)


def test_the_riskiest_stock_goes_in_first() -> None:
    items = [
        item("fresh", "bread", 10.0, units=2, waste_cost=1.0),
        item("old", "bread", 10.0, units=2, waste_cost=5.0),
        item("sells", "bread", 10.0, units=2, waste_cost=5.0, shelf_value=4.5),
    ]
    plan = compose(items, BoxSpec(boxes=2, price=4.0, tolerance=0.0))
    assert [b.contents for b in plan.boxes] == [(("old", 1),)] * 2
    assert plan.gain == pytest.approx(2 * (4.0 + 5.0))


def test_no_box_when_it_earns_less_than_the_shelf() -> None:
    items = [item("croissant", "pastry", 10.0, units=4, waste_cost=1.0, shelf_value=6.0)]
    plan = compose(items, BoxSpec(boxes=2, price=4.0))
    assert plan.status is Status.OPTIMAL and plan.boxes == () and plan.gain == 0.0
    assert "earn less than leaving its stock on the shelf" in plan.describe()


def test_product_and_category_limits_and_life_left() -> None:
    items = [
        item("a1", "bread", 10.0, units=3, sku="baguette"),
        item("a2", "bread", 10.0, units=3, sku="baguette", hours_left=5.0),
        item("b", "pastry", 10.0, units=3, hours_left=30.0),
        item("c", "dairy", 10.0, units=3, hours_left=0.0),  # expired
        item("d", "deli", 10.0, units=3, hours_left=12.0),
    ]
    spec = BoxSpec(
        boxes=3,
        price=8.0,
        tolerance=0.0,
        min_items=2,
        max_items=2,
        min_categories=2,
        max_hours_left=24,
    )
    plan = compose(items, spec)
    assert plan.excluded == ("b", "c") and violations(plan, items) == []
    assert len(plan.boxes) == 3
    for box in plan.boxes:  # one baguette (whichever lot) and one deli
        assert dict(box.categories) == {"bread": 1, "deli": 1}
    assert check_box([("a1", 1), ("a2", 1)], items, spec) == [
        "2 units of baguette",
        "1 categories, not at least 2",
    ]


def test_when_no_box_can_be_made_the_plan_says_why() -> None:
    items = [
        item("bread", "bread", 10.0, units=2),
        item("bun", "pastry", 15.0, allergens=frozenset({"nuts"})),
    ]
    too_dear = compose(items, BoxSpec(boxes=2, price=100.0))
    assert too_dear.status is Status.INFEASIBLE and too_dear.boxes == ()
    assert "dearest box of at most 10 items is worth 25.00" in too_dear.describe()
    assert "lower the box price" in too_dear.note
    no_fit = compose(items, BoxSpec(boxes=2, price=8.0))  # 18-22: 10 or 25 only
    assert no_fit.status is Status.INFEASIBLE
    assert no_fit.describe().startswith(
        "No blind box: no mix of the at-risk stock is worth 18.00–22.00"
    )
    nut_free = compose(items[1:], BoxSpec(boxes=1, price=6.0, exclude=frozenset({"nuts"})))
    assert "no at-risk stock may go into a box (1 lot(s) left out" in nut_free.note
    two_items = compose(items[:1], BoxSpec(boxes=1, price=8.0, min_items=2))
    assert "only 1 at-risk unit(s) can go into one" in two_items.note
    need_dairy = compose(items, BoxSpec(boxes=1, price=4.0, mix={"dairy": (1, 1)}))
    assert "each box needs 1 dairy but only 0" in need_dairy.note
    varied = compose(items[:1], BoxSpec(boxes=1, price=4.0, min_categories=2, max_items=2))
    assert "each box needs 2 categories but the stock has 1" in varied.note


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"price": -1.0}, "box price must be above 0"),
        ({"ratio": 0.0}, "target ratio"),
        ({"ratio": 1.5}, "target ratio"),
        ({"tolerance": 1.0}, "tolerance"),
        ({"boxes": 0}, "at least one box"),
        ({"min_items": 5, "max_items": 3}, "fewest items a box holds (5)"),
        ({"mix": {"bread": (2, 1)}}, "category bread"),
        ({"mix": {"bread": (6, 6), "pastry": (6, 6)}}, "minimums add up"),
        ({"max_per_sku": 0}, "at least 1 unit of a product"),
        ({"max_hours_left": 0.0}, "life-left"),
    ],
)
def test_a_bad_spec_is_refused_in_plain_words(kw: dict[str, object], words: str) -> None:
    base: dict[str, object] = {"boxes": 2, "price": 10.0}
    with pytest.raises(InvalidValue, match=words.replace("(", r"\(").replace(")", r"\)")):
        BoxSpec(**{**base, **kw})  # type: ignore[arg-type]


def test_bad_items_are_refused() -> None:
    with pytest.raises(InvalidValue, match="lot L1: the list price"):
        item("L1", "bread", 0.0)
    with pytest.raises(InvalidValue, match="units must be a whole number"):
        item("L1", "bread", 1.0, units=-1)
    with pytest.raises(InvalidValue, match="cannot be negative"):
        item("L1", "bread", 1.0, waste_cost=-2.0)
    with pytest.raises(InvalidValue, match="lot L1 is listed twice"):
        compose([item("L1", "bread", 1.0), item("L1", "bread", 2.0)], BoxSpec(boxes=1, price=1.0))


def test_the_checker_finds_what_is_wrong() -> None:
    items = [item("a", "bread", 10.0), item("b", "pastry", 15.0, allergens=frozenset({"nuts"}))]
    spec = BoxSpec(boxes=1, price=10.0, tolerance=0.0)
    good = compose(items, spec)
    assert violations(good, items) == [] and len(good.boxes) == 1
    nut_free = replace(spec, exclude=frozenset({"nuts"}))
    assert violations(good, items, nut_free) == ["box 1: lot b carries nuts"]
    greedy = replace(good, boxes=good.boxes * 2)
    assert violations(greedy, items) == [
        "2 boxes, 1 asked for",
        "lot a: 2 units packed in all, 1 available",
        "lot b: 2 units packed in all, 1 available",
        "the units packed per lot do not add up to the boxes",
    ]
    cheap = replace(good, boxes=(make_box([("a", 1)], items),), packed={"a": 1})
    assert violations(cheap, items) == [
        "box 1: list value 10.00 is outside 25.00–25.00",
    ]
    wrong_value = replace(good.boxes[0], list_value=30.0)
    assert violations(replace(good, boxes=(wrong_value,)), items) == [
        "box 1: its recorded list value or categories are wrong"
    ]
    assert check_box([("x", 1), ("a", 0), ("a", 2)], items, spec)[:4] == [
        "lot a is listed 2 times",
        "lot x: 1 units of a lot not in the stock",
        "lot a: 0 units of a lot not in the stock",
        "lot a: 2 units packed but only 1 available",
    ]


def store() -> tuple[list[BoxItem], BoxSpec]:
    """200 lots of a store's at-risk stock, 30 boxes wanted."""
    rng = np.random.default_rng(0)
    cats = ["bread", "pastry", "dairy", "deli", "fruit"]
    items = [
        item(
            f"L{k}",
            cats[k % 5],
            float(rng.integers(3, 30)),
            int(rng.integers(1, 6)),
            sku=f"S{k // 2}",
            allergens=frozenset({"nuts"}) if k % 7 == 0 else frozenset(),
            waste_cost=float(rng.uniform(1, 10)),
        )
        for k in range(200)
    ]
    mix = {"bread": (1, 2), "pastry": (1, 3)}
    spec = BoxSpec(30, 29.9, min_items=3, max_items=8, mix=mix, exclude=frozenset({"nuts"}))
    return items, spec


def test_a_store_sized_problem_is_solved_to_optimality() -> None:
    items, spec = store()
    plan = compose(items, spec, time_limit=120.0)  # about a second on a laptop; not timed here
    assert plan.status is Status.OPTIMAL and len(plan.boxes) == 30
    assert plan.gain >= 0.99 * plan.bound and violations(plan, items) == []
    assert all(3 <= box.units <= 8 for box in plan.boxes)


def test_a_plan_cut_short_by_the_time_limit_still_keeps_every_rule() -> None:
    items, spec = store()
    plan = compose(items, spec, time_limit=0.05)
    assert plan.status is Status.TIME_LIMIT and len(plan.boxes) < 30
    assert violations(plan, items) == []
    assert "within the 0.05 s limit" in plan.describe()
    with pytest.raises(InvalidValue, match="time limit"):
        compose(items, spec, time_limit=0.0)


# --- properties -------------------------------------------------------------

CATS = ("bread", "pastry", "dairy")


@st.composite
def items_and_spec(draw: st.DrawFn) -> tuple[list[BoxItem], BoxSpec]:
    """2 to 5 lots and a spec; most specs are priced for some mix of the
    lots and most lots are allowed, so that many (not all) plans have boxes."""
    some = st.sampled_from
    n = draw(st.integers(2, 5))
    items = [
        BoxItem(
            key=f"L{k}",
            sku=draw(some(["s0", "s1", "s2", "s3"])),
            category=draw(some(CATS)),
            list_price=float(draw(st.integers(1, 20))),
            units=draw(some([0, 1, 1, 2, 3])),
            allergens=draw(some([frozenset(), frozenset(), {"nuts"}, {"milk", "nuts"}])),
            waste_cost=float(draw(st.integers(0, 5))),
            shelf_value=float(draw(some([0, 0, 1, 4]))),
            hours_left=draw(some([None, None, 6.0, 30.0])),
        )
        for k in range(n)
    ]
    max_items = draw(st.integers(1, 5))
    mix: dict[str, tuple[int, int]] = {}
    for cat in draw(st.lists(some(CATS), max_size=2, unique=True)):
        low = draw(st.integers(0, min(1, max_items - sum(lo for lo, _ in mix.values()))))
        mix[cat] = (low, draw(st.integers(low, max_items)))
    ratio = draw(some([0.3, 0.4, 0.5, 1.0]))
    chosen = draw(
        st.lists(st.integers(0, n - 1), min_size=1, max_size=min(3, max_items), unique=True)
    )
    price = round(ratio * sum(items[k].list_price for k in chosen), 2)
    spec = BoxSpec(
        boxes=draw(st.integers(1, 3)),
        price=price if draw(some([True, True, True, False])) else float(draw(st.integers(2, 30))),
        ratio=ratio,
        tolerance=draw(some([0.0, 0.1, 0.25])),
        min_items=draw(st.integers(1, len(chosen))),
        max_items=max_items,
        mix=mix,
        max_per_sku=draw(st.integers(1, 2)),
        exclude=draw(some([frozenset(), frozenset(), frozenset({"nuts"})])),
        min_categories=draw(some([0, 0, 1, 2])) if max_items > 1 else 0,
        max_hours_left=draw(some([None, 24.0])),
    )
    return items, spec


def best_by_hand(items: list[BoxItem], spec: BoxSpec) -> tuple[float, bool]:
    """The best gain over every plan, by enumeration (tiny cases only), and
    whether any fair box can be made at all."""
    ranges = [range(min(i.units, spec.max_per_sku) + 1) for i in items]
    boxes = []
    for units in itertools.product(*ranges):
        contents = [(i.key, n) for i, n in zip(items, units, strict=True) if n > 0]
        if contents and not check_box(contents, items, spec):
            boxes.append(np.array(units))
    gains = np.array([i.gain for i in items])
    stock = np.array([i.units for i in items])
    best = 0.0
    for count in range(1, spec.boxes + 1):
        for combo in itertools.combinations_with_replacement(range(len(boxes)), count):
            used = sum((boxes[k] for k in combo), np.zeros(len(items)))
            if np.all(used <= stock):
                best = max(best, count * spec.price + float(gains @ used))
    return best, bool(boxes)


@settings(max_examples=50, deadline=None)
@given(items_and_spec())
def test_every_box_of_every_plan_is_fair(case: tuple[list[BoxItem], BoxSpec]) -> None:
    items, spec = case
    plan = compose(items, spec, time_limit=5.0)
    assert isinstance(plan, BlindBoxPlan)
    assert violations(plan, items) == []
    for i in items:
        assert plan.packed.get(i.key, 0) <= i.units
        if i.allergens & spec.exclude:
            assert i.key not in plan.packed
    if not plan.boxes:
        assert plan.note and plan.describe().startswith("No blind box: ")


@settings(max_examples=40, deadline=None)
@given(items_and_spec())
def test_the_plan_is_the_best_there_is(case: tuple[list[BoxItem], BoxSpec]) -> None:
    items, spec = case
    spec = replace(spec, boxes=min(spec.boxes, 2))
    plan = compose(items, spec, time_limit=5.0, gap=0.0)
    assert plan.status is not Status.TIME_LIMIT
    best, possible = best_by_hand(items, spec)
    assert plan.gain == pytest.approx(best, abs=1e-6)
    assert (plan.status is Status.INFEASIBLE) == (not possible)
