"""The markdown optimiser: exact on small cases, guardrails always kept."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.clearance.markdown import (
    Economics,
    MarkdownProblem,
    evaluate_path,
    reason,
    solve,
)
from shelfpilot.domain.guardrails import Guardrails, PriceLadder

ECON = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=0.5, donation_value=0.0)


def problem(**kw: object) -> MarkdownProblem:
    base: dict[str, object] = {
        "stock": 20.0,
        "mean": [5.0, 5.0, 5.0],
        "sd": [2.5, 2.5, 2.5],
        "elasticity": -2.0,
        "economics": ECON,
    }
    base.update(kw)
    return MarkdownProblem(**base)  # type: ignore[arg-type]


def test_expected_sales_match_a_simulation() -> None:
    p = problem()
    out = evaluate_path(p, [1.0, 0.8, 0.7])
    rng = np.random.default_rng(0)
    n = 200_000
    stock = np.full(n, 20.0)
    sold = np.zeros(n)
    for mean, sd, r in zip(p.mean, p.sd, [1.0, 0.8, 0.7], strict=True):
        m, s = mean * r**-2.0, sd * r**-2.0
        demand = rng.gamma((m / s) ** 2, s**2 / m, n)
        units = np.minimum(stock, demand)
        sold += units
        stock -= units
    assert out.sold == pytest.approx(sold.mean(), rel=0.01)
    assert out.left == pytest.approx(stock.mean(), rel=0.02)


def test_fresher_stock_is_served_first_at_list_price() -> None:
    # 1,000 fresh units and demand of 600: nobody reaches this lot at list
    p = problem(stock=10.0, mean=[600.0], sd=[60.0], ahead=[1000.0])
    assert evaluate_path(p, [1.0]).sold < 0.05
    # on a discount it is served first, and the fresh lot keeps the list-price
    # buyers it left: E[min(F, (D - s)+)], checked by simulation
    p = problem(stock=20.0, mean=[30.0], sd=[6.0], ahead=[20.0], elasticity=-2.0)
    rng = np.random.default_rng(1)
    d = rng.gamma(25.0, 30.0 / 25.0, 400_000)
    out = evaluate_path(p, [0.7])
    assert out.sold == pytest.approx(np.minimum(20.0, d * 0.7**-2.0).mean(), rel=0.01)


def test_no_sale_to_customers_who_are_not_there() -> None:
    # 3 buyers a day at list, 3.51 at 90 %: a plan cannot sell the 4th unit
    p = problem(stock=5.0, mean=[3.0], sd=[1e-6], elasticity=-1.5)
    assert evaluate_path(p, [0.9]).sold == pytest.approx(3.0 * 0.9**-1.5, rel=1e-3)


def test_the_plan_beats_every_fixed_path_the_guardrails_allow() -> None:
    p = problem(stock=12.0, mean=[3.0, 3.0, 2.0], sd=[1.5, 1.5, 1.2])
    plan = solve(p)
    g, ratios = p.guardrails, p.ladder.ratios
    best = -np.inf
    for path in itertools.product(ratios, repeat=3):
        steps = [1.0, *path]
        if all(g.violation(a, b) is None for a, b in itertools.pairwise(steps)):
            best = max(best, evaluate_path(p, list(path)).objective)
    assert plan.plan.objective >= best - 1e-9
    # and it is not worse than holding the price
    assert plan.plan.objective >= plan.hold.objective - 1e-9


def test_no_markdown_when_price_does_not_move_demand() -> None:
    plan = solve(problem(elasticity=0.0))
    assert plan.ratio_now == 1.0 and plan.path == [1.0, 1.0, 1.0]


def test_no_markdown_when_demand_far_exceeds_stock() -> None:
    plan = solve(problem(stock=5.0, mean=[30.0] * 3, sd=[8.0] * 3))
    assert plan.path == [1.0, 1.0, 1.0]
    assert plan.plan.left < 0.01


def test_stock_nobody_wants_is_donated_while_it_may_be() -> None:
    econ = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=1.0, donation_value=0.5)
    plan = solve(problem(mean=[0.0] * 3, sd=[0.0] * 3, economics=econ, donation_periods=1))
    assert plan.donate_now == pytest.approx(20.0)
    late = solve(problem(mean=[0.0] * 3, sd=[0.0] * 3, economics=econ, donation_periods=0))
    assert late.donate_now == 0.0 and late.plan.donated == 0.0
    assert late.plan.left == pytest.approx(20.0)


def test_a_full_clearance_cap_ahead_makes_donation_the_better_choice() -> None:
    # today one buyer; tomorrow 100 fresh units are ahead at list, so this lot
    # sells tomorrow only on a markdown, and may be donated only today
    econ = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=1.0, donation_value=0.5)
    p = problem(
        stock=20.0, mean=[1.0, 20.0], sd=[0.5, 4.0], ahead=[0.0, 100.0], displaced_loss=0.0,
        economics=econ, donation_periods=1,
    )  # fmt: skip
    sure = solve(p)  # a place under the cap tomorrow: keep it all and mark it down then
    assert sure.donate_now == 0.0 and sure.path[1] < 1.0
    blocked = solve(replace(p, markdown_odds=0.0))  # no place: only today's buyer is left
    assert blocked.donate_now >= 17.0
    assert blocked.plan.donated == pytest.approx(blocked.donate_now)
    assert blocked.plan.left < 1.0
    # a unit kept sells at 80 % (8 - 0.2 dilution) if it gets a place today or
    # tomorrow, else costs 4 + 1: it beats the 0.5 of a donation while
    # 1 - (1 - p)² > 5.5 / 12.8, i.e. odds above about 0.25
    donated = [solve(replace(p, markdown_odds=o)).donate_now for o in (0.5, 0.3, 0.25, 0.2, 0.1)]
    assert donated == sorted(donated) and donated[:2] == [0.0, 0.0] and donated[3] >= 15.0
    with pytest.raises(ValueError, match="probability"):
        replace(p, markdown_odds=1.5)


def test_over_stock_with_short_life_is_marked_down_and_explained() -> None:
    plan = solve(problem(stock=20.0, mean=[4.0, 4.0], sd=[2.0, 2.0]))
    assert plan.ratio_now < 1.0
    assert plan.plan.left < plan.hold.left
    text = reason(plan)
    assert f"{plan.ratio_now:.0%} of list now" in text
    assert f"about {plan.hold.left:.0f} of 20 would be left" in text


def test_a_held_lot_keeps_its_price_this_period() -> None:
    plan = solve(problem(stock=20.0, mean=[4.0, 4.0], sd=[2.0, 2.0], may_change_now=False))
    assert plan.ratio_now == 1.0


def test_large_and_fractional_stock_is_solved_on_a_grid() -> None:
    plan = solve(problem(stock=1234.5, mean=[300.0] * 4, sd=[90.0] * 4))
    assert 0 <= plan.plan.left <= 1234.5
    assert plan.plan.sold + plan.plan.left == pytest.approx(1234.5, rel=1e-6)


@st.composite
def problems(draw: st.DrawFn) -> MarkdownProblem:
    days = draw(st.integers(1, 5))
    means = draw(st.lists(st.floats(0, 30), min_size=days, max_size=days))
    cv = draw(st.floats(0.1, 1.5))
    ladder = PriceLadder(
        tuple(
            sorted(
                {1.0, *draw(st.lists(st.sampled_from([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])))},
                reverse=True,
            )
        )
    )
    guard = Guardrails(
        floor=draw(st.sampled_from([0.3, 0.5, 0.6])),
        max_step=draw(st.sampled_from([0.1, 0.2, 0.5])),
    )
    econ = Economics(
        list_price=draw(st.floats(1, 100)),
        disposal_cost=draw(st.floats(0, 5)),
        donation_value=draw(st.floats(-1, 5)),
        dilution=draw(st.floats(0, 0.5)),
    )
    return MarkdownProblem(
        stock=draw(st.floats(0, 300)),
        mean=means,
        sd=[max(m * cv, 0.01) for m in means],
        elasticity=draw(st.floats(-4, 0)),
        economics=econ,
        current=draw(st.sampled_from(ladder.ratios)),
        donation_periods=draw(st.integers(0, days)),
        ladder=ladder,
        guardrails=guard,
    )


@settings(max_examples=60, deadline=None)
@given(problems())
def test_every_plan_keeps_the_guardrails(p: MarkdownProblem) -> None:
    plan = solve(p)
    g = p.guardrails
    steps = [p.current, plan.ratio_now, *plan.path[1:]]
    for before, after in itertools.pairwise(steps):
        if after != before:  # a move (holding a price below the floor is allowed)
            assert g.violation(before, after) is None, (before, after)
    assert plan.path[0] == plan.ratio_now
    assert plan.plan.objective >= plan.hold.objective - 1e-6 * max(1.0, abs(plan.hold.objective))
    if p.donation_periods == 0:
        assert plan.plan.donated == 0.0
    total = plan.plan.sold + plan.plan.donated + plan.plan.left
    assert total == pytest.approx(p.stock, rel=1e-6, abs=1e-6)
