"""Ranking clearance outcomes, clearance pressure and the shrink-aware order."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from shelfpilot.clearance.feedback import (
    OUTCOME_COLUMNS,
    clearance_pressure,
    rank_actions,
    store_salvage,
)
from shelfpilot.clearance.markdown import Economics
from shelfpilot.clearance.ordering import (
    DEFAULT_SALVAGE,
    OrderRule,
    carried_over,
    learned_salvage,
    lot_recovery,
    marginal_recovery,
    sold_anyway,
    within_a_days_order,
)
from shelfpilot.domain.errors import InvalidValue


def outcome(
    sku: str, action: str, offered: float, sold: float, revenue: float
) -> dict[str, object]:
    return {
        "location": "S1", "sku": sku, "lot": f"{sku}-{action}-{offered}", "action": action,
        "segment": "in store", "offered": offered, "sold": sold, "revenue": revenue,
        "list_value": offered * 10.0, "donated": 0.0, "wasted": offered - sold,
        "hours_to_clear": 5.0, "closed": True,
    }  # fmt: skip


def test_ranking_shrinks_one_lucky_lot_towards_its_action() -> None:
    rows = [outcome("A", "markdown", 1, 1, 8)]  # one unit, sold: raw sell-through 100 %
    rows += [outcome("B", "markdown", 10, 9, 72) for _ in range(5)]  # 45 of 50
    rows += [outcome("C", "hold", 10, 2, 20) for _ in range(3)]
    table = rank_actions(pd.DataFrame(rows, columns=OUTCOME_COLUMNS))
    by = {(r["sku"], r["action"]): r for r in table.to_dict("records")}
    pooled = 46 / 51
    assert by[("A", "markdown")]["sell_through"] == pytest.approx((1 + 10 * pooled) / 11)
    assert by[("B", "markdown")]["sell_through"] > by[("A", "markdown")]["sell_through"] - 0.05
    assert by[("B", "markdown")]["recovery"] == pytest.approx(360 / 500)
    assert by[("C", "hold")]["sell_through"] == pytest.approx(0.2)  # its own pooled rate
    assert list(table["recovery"]) == sorted(table["recovery"], reverse=True)
    with pytest.raises(InvalidValue, match="lack the columns"):
        rank_actions(pd.DataFrame({"sku": ["A"]}))
    assert rank_actions(pd.DataFrame(columns=OUTCOME_COLUMNS)).empty


def test_clearance_pressure_and_what_clearance_recovered() -> None:
    lots = pd.DataFrame(
        {
            "location": ["S1"] * 4, "sku": ["A", "A", "A", "B"],
            "received": [10.0, 10.0, 10.0, 5.0], "sold_full": [10.0, 7.0, 7.0, 5.0],
            "sold_discounted": [0.0, 2.0, 0.0, 0.0], "revenue_discounted": [0.0, 14.0, 0.0, 0.0],
            "list_price": [10.0] * 4, "donated": [0.0, 1.0, 0.0, 0.0],
            "wasted": [0.0, 0.0, 3.0, 0.0],
        }
    )  # fmt: skip
    table = clearance_pressure(lots, threshold=0.5).set_index("sku")
    assert table.loc["A", "cleared_share"] == pytest.approx(2 / 3)
    assert table.loc["A", "waste_share"] == pytest.approx(3 / 30)
    # one more unit of A's second lot would have recovered 14 / 30 of list
    # (its three left over went at 70 % and to a food bank), of its third
    # nothing (some was thrown away); B had nothing left over, so it has its
    # store's figure, which is A's
    assert table.loc["A", "salvage"] == pytest.approx(14 / 30 / 2)
    assert table.loc["B", "salvage"] == pytest.approx(14 / 30 / 2)
    assert bool(table.loc["A", "flagged"]) and not bool(table.loc["B", "flagged"])
    # if 1.2 of the second lot's two sales at 70 % would have sold at list,
    # 1.8 were left over and the markdown recovered 14 less 12 given up
    anyway = clearance_pressure(lots.assign(sold_anyway=[0.0, 1.2, 0.0, 0.0]), threshold=0.5)
    assert anyway.set_index("sku").loc["A", "salvage"] == pytest.approx(2 / 18 / 2)
    # a product with no lots at S1 yet counts on the store's figure; a store
    # whose lots never had anything left over, on the prudent default
    quiet = lots.assign(location="S2", wasted=0.0, donated=0.0, sold_discounted=0.0)
    pooled = store_salvage(pd.concat([lots, quiet.iloc[:1]]))
    assert pooled == pytest.approx({"S1": 14 / 30 / 2, "S2": DEFAULT_SALVAGE})
    assert store_salvage(lots.iloc[:0]) == {}


def test_the_last_units_recovery_is_nothing_where_some_was_thrown_away() -> None:
    got = marginal_recovery(
        np.array([14.0, 14.0, 0.0, 0.0]), np.array([20.0, 20.0, 0.0, 10.0]),
        np.array([0.0, 1.0, 0.0, 0.0]),
    )  # fmt: skip
    assert got[0] == pytest.approx(0.7) and got[1] == 0.0 and np.isnan(got[2]) and got[3] == 0.0


def test_discounted_sales_that_would_have_sold_at_list_were_not_left_over() -> None:
    # 10 sold at 80 % of list where demand answers price with elasticity -2:
    # 0.8 ** -2 = 1.5625 times as many buy, so 6.4 of them would have paid list
    anyway = sold_anyway(10.0, 0.8, -2.0)
    assert float(anyway) == pytest.approx(6.4)
    got = lot_recovery(
        np.array([10.0]), np.array([8.0]), np.array([0.0]), np.array([0.0]), 1.0, anyway
    )
    # 3.6 were left over; the markdown earned 8 and gave up 6.4 at list
    assert got[0] == pytest.approx((8.0 - 6.4) / 3.6)
    plain = lot_recovery(np.array([10.0]), np.array([8.0]), np.array([0.0]), np.array([0.0]), 1.0)
    assert plain[0] == pytest.approx(0.8)
    # demand that does not answer price: every discounted sale would have
    # been made at list, nothing was left over, and the lot says nothing
    assert float(sold_anyway(10.0, 0.8, 0.0)) == pytest.approx(10.0)
    none = lot_recovery(
        np.array([10.0]), np.array([8.0]), np.array([0.0]), np.array([0.0]), 1.0,
        sold_anyway(10.0, 0.8, 0.0),
    )  # fmt: skip
    assert np.isnan(none[0])
    # a donation beside it is still left over, and the markdown's loss counts
    mixed = lot_recovery(
        np.array([10.0]), np.array([8.0]), np.array([2.0]), np.array([0.0]), 1.0,
        sold_anyway(10.0, 0.8, 0.0),
    )  # fmt: skip
    assert mixed[0] == pytest.approx((8.0 - 10.0) / 2.0)


def test_a_products_recovery_is_shrunk_toward_its_stores() -> None:
    # store 1: A recovered 0.1 a lot over 10 lots, B 0.8 in 1 lot, C had
    # nothing left over; store 2 has had nothing left over at all
    recoveries = np.array([1.0, 0.8, 0.0, 0.0])
    lots = np.array([10.0, 1.0, 0.0, 0.0])
    got = learned_salvage(recoveries, lots, np.array([1, 1, 1, 2]), weight=5)
    pooled = 1.8 / 11
    assert got[0] == pytest.approx((1.0 + 5 * pooled) / 15)
    assert got[1] == pytest.approx((0.8 + 5 * pooled) / 6)
    assert got[2] == pytest.approx(pooled) and got[3] == pytest.approx(DEFAULT_SALVAGE)
    with pytest.raises(InvalidValue, match="above zero lots"):
        learned_salvage(recoveries, lots, np.ones(4), weight=0)


@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 50), st.integers(0, 2)),
        min_size=1,
        max_size=12,
    )
)
def test_a_learned_recovery_lies_between_the_products_own_and_its_stores(
    rows: list[tuple[float, int, int]],
) -> None:
    lots = np.array([float(r[1]) for r in rows])
    recoveries = np.array([r[0] for r in rows]) * lots  # a mean of shares of list
    stores = np.array([r[2] for r in rows])
    got = learned_salvage(recoveries, lots, stores)
    assert np.all((got >= 0) & (got <= 1))
    for k in range(len(rows)):
        mine = stores == stores[k]
        pooled = recoveries[mine].sum() / lots[mine].sum() if lots[mine].sum() > 0 else 0.25
        own = recoveries[k] / lots[k] if lots[k] > 0 else pooled
        assert min(own, pooled) - 1e-9 <= got[k] <= max(own, pooled) + 1e-9


def test_the_order_is_the_critical_fractile_of_demand() -> None:
    e = Economics(list_price=10.0, unit_cost=4.0, disposal_cost=1.0)
    rule = OrderRule(e, shelf_life_days=1, salvage=0.2)
    # short 6, over 4 + 1 − 2 = 3: fractile 6 / 9
    assert rule.fractile == pytest.approx(6 / 9)
    # of a gamma demand with mean 20 and sd 5: shape 16, scale 1.25
    level = stats.gamma.ppf(6 / 9, 16, scale=1.25)
    assert rule.target(20.0, 5.0) == pytest.approx(level)
    assert rule.order(20.0, 5.0, on_hand=8.0) == pytest.approx(level - 8)
    assert rule.order(20.0, 5.0, on_hand=100.0) == 0.0
    # what the plans expect the older stock to have left counts against the order too
    assert rule.order(20.0, 5.0, on_hand=8.0, left_over=3.0) == pytest.approx(level - 11)
    assert rule.order(20.0, 5.0, on_hand=8.0, left_over=level) == 0.0
    # dearer waste or less recovered → hold less; a longer life → hold more
    dearer = OrderRule(Economics(10.0, 4.0, disposal_cost=4.0), 1, 0.2)
    assert dearer.target(20.0, 5.0) < rule.target(20.0, 5.0)
    assert OrderRule(e, 3, 0.2).target(20.0, 5.0) > rule.target(20.0, 5.0)
    assert OrderRule(e, 1, 0.1).target(20.0, 5.0) < rule.target(20.0, 5.0)
    # clearance is counted on for at most half the unit cost: over 4 + 1 − 2
    assert OrderRule(e, 1, 0.9).fractile == pytest.approx(6 / 9)
    assert OrderRule(e, 1, 0.9).fractile == OrderRule(e, 1, 0.2).fractile
    # so with nothing to pay for disposal a unit too many still costs something
    free = OrderRule(Economics(10.0, 4.0, disposal_cost=0.0), 1, 0.9)
    assert free.fractile == pytest.approx(6 / 8)
    assert free.target(20.0, 5.0) < 20 + 1.0 * 5
    np.testing.assert_array_equal(rule.target(np.array([0.0]), np.array([0.0])), [0.0])
    with pytest.raises(InvalidValue):
        OrderRule(e, 0)
    with pytest.raises(InvalidValue):
        OrderRule(e, 1, salvage=1.5)


@given(
    mean=st.floats(0, 200),
    sd=st.floats(0, 50),
    salvage=st.floats(0, 1),
    cost=st.floats(0.5, 9.5),
    life=st.floats(0.5, 30),
)
def test_any_order_our_advice_sizes_is_within_a_days_order(
    mean: float, sd: float, salvage: float, cost: float, life: float
) -> None:
    """Whatever recovery the advice learned, the stock it holds for a day is
    within the limit, and a unit beyond what an order counting on clearance
    for the most it may would hold is not."""
    e = Economics(list_price=10.0, unit_cost=cost, disposal_cost=0.5)
    advised = float(OrderRule(e, life, salvage).target(mean, sd))
    assert within_a_days_order(advised, mean, sd, e, life)
    limit = float(OrderRule(e, life, salvage=1.0).target(mean, sd))
    assert not within_a_days_order(limit + 1.0, mean, sd, e, life)
    np.testing.assert_array_equal(
        within_a_days_order(np.array([0.0, limit + 1.0]), mean, sd, e, life), [True, False]
    )


@given(
    mean=st.floats(0, 200),
    sd=st.floats(0, 50),
    reserved=st.floats(0, 300),
    more=st.floats(0, 50),
    cost=st.floats(0.5, 9.5),
)
def test_pre_orders_are_always_made_and_never_lower_the_stock(
    mean: float, sd: float, reserved: float, more: float, cost: float
) -> None:
    rule = OrderRule(Economics(list_price=10.0, unit_cost=cost), shelf_life_days=1)
    make = rule.with_reserved(mean, sd, reserved)
    assert make >= reserved  # every reserved unit is there
    assert make >= float(rule.target(mean, sd)) - 1e-9  # a reservation adds no risk of waste
    assert make <= reserved + float(rule.target(mean, sd)) + 1e-6  # nor more than itself
    assert rule.with_reserved(mean, sd, 0.0) == pytest.approx(float(rule.target(mean, sd)))
    assert rule.with_reserved(mean, sd, reserved + more) >= make - 1e-6


def test_a_slow_seller_is_not_stocked_to_its_mean() -> None:
    """Demand of one a day on average, most days none or one: with a unit
    too many costing about what a sale earns, the order is near the median
    of a skewed demand (ln 2 for an exponential), not near the mean as a
    normal's is."""
    rule = OrderRule(Economics(list_price=1.0, unit_cost=0.5, disposal_cost=0.05), 1, 0.0)
    assert rule.fractile == pytest.approx(0.5 / 1.05)
    assert float(rule.target(1.0, 1.0)) == pytest.approx(-np.log(1 - rule.fractile))
    assert float(rule.target(1.0, 1.0)) < 0.7
    # a steady seller's demand is near normal, and so is its order
    assert float(rule.target(100.0, 5.0)) == pytest.approx(
        100 + stats.norm.ppf(rule.fractile) * 5, abs=0.1
    )


def test_a_day_reserved_far_beyond_its_forecast_holds_little_more() -> None:
    rule = OrderRule(Economics(list_price=10.0, unit_cost=4.0), shelf_life_days=1)
    # a gamma's far tail is exponential with its scale (sd² / mean = 1.6): the
    # margin above the reservations tends to 1.6 ln(1 / (1 - fractile))
    margin = 1.6 * np.log(1 / (1 - rule.fractile))
    assert 40.0 < rule.with_reserved(10.0, 4.0, 40.0) < 40.0 + 2 * margin
    assert rule.with_reserved(10.0, 4.0, 400.0) == pytest.approx(400 + margin, abs=0.1)
    # more reserved, never less held, however far out (where P(D < r) rounds to 1)
    held = [rule.with_reserved(10.0, 4.0, r) for r in np.linspace(0, 400, 801)]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(held))
    assert rule.with_reserved(0.0, 3.0, 2.0) == pytest.approx(rule.with_reserved(1e-9, 3.0, 2.0))
    # the demand is known to be at least 5: the fractile of what is left above that
    demand = stats.gamma(6.25, scale=1.6)  # mean 10, sd 4
    truncated = demand.ppf(demand.cdf(5) + rule.fractile * demand.sf(5))
    assert rule.with_reserved(10.0, 4.0, 5.0) == pytest.approx(truncated)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidValue):
            rule.with_reserved(20.0, 6.0, bad)


def test_what_is_carried_over_to_tomorrow_is_what_todays_demand_leaves() -> None:
    """The rest of today's demand takes the lots leaving sale today first."""
    assert carried_over(leaving_today=4, staying=10, rest_of_today=3) == 10
    assert carried_over(leaving_today=4, staying=10, rest_of_today=6) == 8
    assert carried_over(leaving_today=0, staying=10, rest_of_today=25) == 0
    assert carried_over(leaving_today=0, staying=10, rest_of_today=0) == 10
