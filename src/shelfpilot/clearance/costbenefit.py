"""The seed's cost–benefit model of a clearance, price level by price level.

For a lot, each price the guardrails allow is held from now to the end of
its life and compared with keeping today's price:

    direct gain = extra clearance revenue + disposal cost saved
    total cost  = promotion (a fixed cost per markdown: labels, a push)
                + operations (handling per unit sold on clearance)
                + brand dilution (a share of the discount given)

The marginal columns compare each price with the next dearer one; the best
clearance point is the deepest cut whose marginal gain still covers its
marginal cost (the seed found it at 60–70 % of list for its cakes). This
table explains a decision; the plan itself comes from the dynamic programme,
which may also change the price later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shelfpilot.clearance.markdown import MarkdownProblem, evaluate_path


@dataclass(frozen=True)
class CostBenefitRow:
    ratio: float
    sold: float
    left: float
    revenue: float
    extra_revenue: float
    disposal_saved: float
    promotion_cost: float
    operations_cost: float
    dilution_cost: float
    marginal_gain: float
    marginal_cost: float

    @property
    def direct_gain(self) -> float:
        return self.extra_revenue + self.disposal_saved

    @property
    def total_cost(self) -> float:
        return self.promotion_cost + self.operations_cost + self.dilution_cost

    @property
    def net(self) -> float:
        return self.direct_gain - self.total_cost


def cost_benefit(
    problem: MarkdownProblem,
    *,
    promotion_cost: float = 0.0,
    handling_cost: float = 0.0,
) -> list[CostBenefitRow]:
    """One row per ladder price from the current one down to the floor,
    dearest first (``promotion_cost`` per markdown, ``handling_cost`` per
    unit sold below the current price)."""
    periods = len(problem.mean)
    e = problem.economics
    hold = evaluate_path(problem, [problem.current] * periods)
    ratios = [problem.current] + [
        r
        for r in problem.ladder.ratios
        if r < problem.current - 1e-9 and r >= problem.guardrails.floor - 1e-9
    ]
    rows: list[CostBenefitRow] = []
    for r in ratios:
        out = hold if r == problem.current else evaluate_path(problem, [r] * periods)
        cut = r < problem.current - 1e-9
        row = CostBenefitRow(
            ratio=r,
            sold=out.sold,
            left=out.left,
            revenue=out.revenue,
            extra_revenue=out.revenue - hold.revenue,
            disposal_saved=(hold.left - out.left) * e.disposal_cost,
            promotion_cost=promotion_cost if cut else 0.0,
            operations_cost=handling_cost * out.sold if cut else 0.0,
            dilution_cost=e.dilution * (problem.current - r) * e.list_price * out.sold,
            marginal_gain=0.0,
            marginal_cost=0.0,
        )
        if rows:
            prev = rows[-1]
            row = _with_marginals(row, prev)
        rows.append(row)
    return rows


def _with_marginals(row: CostBenefitRow, prev: CostBenefitRow) -> CostBenefitRow:
    return replace(
        row,
        marginal_gain=row.direct_gain - prev.direct_gain,
        marginal_cost=row.total_cost - prev.total_cost,
    )


def best_point(rows: list[CostBenefitRow]) -> CostBenefitRow:
    """The price with the largest net benefit (where marginal gain stops
    covering marginal cost); the dearer price on a tie."""
    return max(rows, key=lambda row: (round(row.net, 9), row.ratio))
