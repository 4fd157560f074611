"""Scenario actions valued against the markdown plan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.clearance.actions import ActionKind, ActionOffer, choose_action
from shelfpilot.clearance.markdown import Economics, MarkdownProblem, solve
from shelfpilot.domain.errors import InvalidValue

ECON = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=0.5)


def problem(stock: float = 20.0, mean: float = 3.0) -> MarkdownProblem:
    return MarkdownProblem(
        stock=stock, mean=[mean, mean], sd=[mean / 2, mean / 2], elasticity=-2.0, economics=ECON
    )


def offer(
    kind: str = "tea_break", units: float = 6, ratio: float = 0.6, **more: float
) -> ActionOffer:
    return ActionOffer(ActionKind(kind), kind, units, ratio, **more)


def test_an_outlet_at_a_fair_price_takes_what_would_be_wasted() -> None:
    p = problem()  # 20 units, about 6 of demand: most would be wasted
    choice = choose_action(p, [offer(units=6, ratio=0.6, cost_per_unit=0.5)], hours_left=40)
    assert choice.offer is not None and choice.units == 6
    expected = (
        6 * (6.0 - 0.5 - 0.1 * 0.4 * 10)
        + solve(
            MarkdownProblem(14.0, p.mean, p.sd, p.elasticity, ECON), compare=False
        ).plan.objective
    )
    assert choice.value == pytest.approx(expected)
    assert choice.gain > 0
    assert "6 units at 60% of list" in choice.describe()


def test_an_action_that_loses_money_is_never_taken() -> None:
    # costs more per unit than a wasted unit does (4.5): better to let it go
    bad = offer(units=10, ratio=0.1, cost_per_unit=6.0)
    choice = choose_action(problem(), [bad], hours_left=40)
    assert choice.offer is None and choice.gain == 0.0
    # nor when stock sells anyway at list: the action only gives margin away
    assert choose_action(problem(stock=2, mean=20), [offer(ratio=0.6)], 40).offer is None


def test_a_value_adding_action_wins_a_tie_with_the_discount() -> None:
    scarce = problem(stock=2, mean=50)  # everything sells at list either way
    same = {"units": 2.0, "ratio": 1.0}
    assert choose_action(scarce, [offer("tea_break", **same)], 40).offer is None
    chosen = choose_action(scarce, [offer("tea_break", **same), offer("bundle", **same)], 40)
    assert chosen.offer is not None and chosen.offer.kind is ActionKind.BUNDLE
    assert chosen.gain == pytest.approx(0.0, abs=1e-6)


def test_an_action_needs_its_hours_of_life() -> None:
    presale = offer("presale", units=6, ratio=0.7, min_hours_left=72)
    assert choose_action(problem(), [presale], hours_left=48).offer is None
    assert choose_action(problem(), [presale], hours_left=80).offer is presale


def test_bad_actions_are_refused() -> None:
    with pytest.raises(InvalidValue, match="fewer than 0 units"):
        offer(units=-1)
    with pytest.raises(InvalidValue, match="price ratio"):
        offer(ratio=2)
    with pytest.raises(InvalidValue, match="cannot be negative"):
        offer(cost_per_unit=-1)


@settings(max_examples=40, deadline=None)
@given(
    stock=st.integers(1, 30),
    mean=st.floats(0.5, 15),
    units=st.floats(0, 30),
    ratio=st.floats(0, 1),
    cost=st.floats(0, 5),
    kind=st.sampled_from(list(ActionKind)),
)
def test_the_choice_never_does_worse_than_markdown_alone(
    stock: int, mean: float, units: float, ratio: float, cost: float, kind: ActionKind
) -> None:
    p = problem(float(stock), mean)
    choice = choose_action(p, [offer(kind.value, units, ratio, cost_per_unit=cost)], 100)
    assert choice.value >= choice.markdown_value - 1e-9
    assert 0 <= choice.units <= min(units, stock) + 1e-9
    assert choice.rest.stock == pytest.approx(stock - choice.units)
