"""The cost–benefit table of a clearance, price level by price level."""

from __future__ import annotations

import pytest

from shelfpilot.clearance.costbenefit import best_point, cost_benefit
from shelfpilot.clearance.markdown import Economics, MarkdownProblem, evaluate_path
from shelfpilot.domain.guardrails import Guardrails

ECON = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=1.0, dilution=0.1)


def problem(elasticity: float, stock: float = 20.0, **more: object) -> MarkdownProblem:
    return MarkdownProblem(
        stock=stock, mean=[4.0, 4.0], sd=[2.0, 2.0], elasticity=elasticity, economics=ECON,
        **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_table_adds_up() -> None:
    p = problem(-2.5)
    rows = cost_benefit(p, promotion_cost=2.0, handling_cost=0.1)
    assert [r.ratio for r in rows] == [1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    hold = evaluate_path(p, [1.0, 1.0])
    for row in rows:
        out = evaluate_path(p, [row.ratio] * 2)
        assert row.extra_revenue == pytest.approx(out.revenue - hold.revenue)
        assert row.disposal_saved == pytest.approx((hold.left - out.left) * 1.0)
        assert row.dilution_cost == pytest.approx(0.1 * (1 - row.ratio) * 10 * out.sold)
        assert row.net == pytest.approx(row.direct_gain - row.total_cost)
    assert rows[0].net == 0.0 and rows[0].promotion_cost == 0.0
    assert rows[1].promotion_cost == 2.0
    assert sum(r.marginal_gain for r in rows) == pytest.approx(rows[-1].direct_gain)
    assert sum(r.marginal_cost for r in rows) == pytest.approx(rows[-1].total_cost)


def test_the_best_point_moves_with_price_response() -> None:
    # price does not move demand: every cut only gives money away
    assert best_point(cost_benefit(problem(0.0))).ratio == 1.0
    # strong response and far too much stock: a real cut pays
    strong = best_point(cost_benefit(problem(-3.0, stock=30.0)))
    assert strong.ratio < 1.0 and strong.net > 0
    # never below the floor, never above the current price
    rows = cost_benefit(problem(-3.0, current=0.8, guardrails=Guardrails(floor=0.6)))
    assert [r.ratio for r in rows] == [0.8, 0.7, 0.6]
