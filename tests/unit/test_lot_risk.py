"""Per-lot expiry risk: the FEFO simulation over demand draws."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shelfpilot.forecast.lot_risk import (
    LotSupply,
    demand_position,
    lot_risk,
    remaining_share,
    simulate,
)

DAYS = 10
MEAN = np.full(DAYS, 5.0)
SD = np.full(DAYS, 2.0)
ZONE = ZoneInfo("Asia/Shanghai")


def one(lot: LotSupply, **kw: object) -> float:
    return lot_risk(MEAN, SD, [lot], **kw).lots[0].p_sell_out  # type: ignore[arg-type]


def test_probabilities_are_probabilities() -> None:
    lots = [LotSupply(f"L{i}", 3.0 * i, 1.0 + i) for i in range(6)]
    for risk in lot_risk(MEAN, SD, lots).lots:
        assert 0.0 <= risk.p_sell_out <= 1.0
        assert 0.0 <= risk.expected_left <= risk.on_hand


@pytest.mark.parametrize("days", [1.0, 2.5, 4.0])
def test_more_stock_is_riskier(days: float) -> None:
    risks = [lot_risk(MEAN, SD, [LotSupply("A", s, days)]).lots[0] for s in (2, 5, 10, 20, 40)]
    p = [r.p_sell_out for r in risks]
    left = [r.expected_left for r in risks]
    assert p == sorted(p, reverse=True) and p[0] > p[-1]
    assert left == sorted(left) and left[-1] > left[0]


def test_clear_cases() -> None:
    assert one(LotSupply("small", 1.0, 3.0)) > 0.99
    assert one(LotSupply("huge", 500.0, 3.0)) == 0.0
    # about 5 a day for 4 days: 20 units sell out about half the time
    assert 0.3 < one(LotSupply("even", 20.0, 4.0)) < 0.7


def test_young_lot_behind_an_old_one_is_riskier() -> None:
    young = LotSupply("young", 15.0, 4.0)  # ~20 demand in its 4 days
    alone = lot_risk(MEAN, SD, [young]).lots[0]
    behind = lot_risk(MEAN, SD, [young, LotSupply("old", 10.0, 2.0)]).lots[0]
    assert alone.p_sell_out > 0.8
    assert behind.p_sell_out < alone.p_sell_out - 0.5
    assert behind.expected_left > alone.expected_left + 2


def test_fefo_order_not_input_order() -> None:
    old, young = LotSupply("old", 6.0, 2.0), LotSupply("young", 8.0, 6.0)
    a = lot_risk(MEAN, SD, [old, young]).lots
    b = lot_risk(MEAN, SD, [young, old]).lots
    assert [r.lot for r in a] == ["old", "young"] and [r.lot for r in b] == ["young", "old"]
    assert a[0].p_sell_out == b[1].p_sell_out and a[1].p_sell_out == b[0].p_sell_out
    assert a[0].p_sell_out > 0.9  # old is sold first: 6 units in 2 days of ~10


def test_no_demand_means_nothing_sells() -> None:
    risk = lot_risk(np.zeros(DAYS), np.zeros(DAYS), [LotSupply("A", 7.0, 5.0)]).lots[0]
    assert risk.p_sell_out == 0.0
    assert risk.expected_left == pytest.approx(7.0)
    assert risk.run_out_day is None


def test_lot_already_off_sale_sells_nothing() -> None:
    risk = lot_risk(MEAN, SD, [LotSupply("gone", 4.0, 0.0)]).lots[0]
    assert risk.p_sell_out == 0.0 and risk.expected_left == pytest.approx(4.0)


def test_planned_receipt_with_earlier_expiry_goes_ahead() -> None:
    lot = LotSupply("on-hand", 20.0, 5.0)  # ~25 demand in its 5 days
    alone = lot_risk(MEAN, SD, [lot]).lots[0]
    assert alone.p_sell_out > 0.8
    # arrives on day 1 and leaves before it: sold first from day 1
    ahead = lot_risk(MEAN, SD, [lot, LotSupply("planned", 10.0, 3.0, arrives_day=1)]).lots
    assert ahead[0].p_sell_out < alone.p_sell_out - 0.2
    # a later-expiring receipt queues behind and changes nothing for the lot
    behind = lot_risk(MEAN, SD, [lot, LotSupply("planned", 10.0, 8.0, arrives_day=1)]).lots
    assert behind[0].p_sell_out == alone.p_sell_out
    # a receipt sells nothing before it arrives
    late = lot_risk(MEAN, SD, [LotSupply("late", 5.0, 3.0, arrives_day=3)]).lots[0]
    assert late.p_sell_out == 0.0


def test_run_out_day_is_the_median_day() -> None:
    # 12 units at 5 a day: gone on day 2 (the third day) in most draws
    risk = lot_risk(MEAN, np.full(DAYS, 0.5), [LotSupply("A", 12.0, 9.0)]).lots[0]
    assert risk.p_sell_out > 0.99 and risk.run_out_day == 2


def test_part_of_a_day() -> None:
    draws = np.full((1, 3), 10.0)
    # leaves after 40 % of day 1: days 0 and 0.4 of day 1 = 14 units at most
    left, run_out, sold = simulate(draws, [LotSupply("A", 20.0, 1.4)])
    assert left[0, 0] == pytest.approx(6.0) and sold[0, 0] == 0.0 and run_out[0, 0] == -1
    # the old lot took 3 of day 1's first 40 %: the young one gets the rest of the day
    left, _, _ = simulate(draws, [LotSupply("old", 13.0, 1.4), LotSupply("young", 20.0, 3.0)])
    assert left[0, 0] == pytest.approx(0.0)
    assert left[0, 1] == pytest.approx(20.0 - 7.0 - 10.0)


def test_multiplier_is_a_what_if() -> None:
    lot = LotSupply("A", 20.0, 4.0)
    base = one(lot)
    assert one(lot, multiplier=np.full(DAYS, 1.5)) > base
    assert one(lot, multiplier=np.zeros(DAYS)) == 0.0
    with pytest.raises(ValueError):
        one(lot, multiplier=np.ones(3))


def test_warnings_in_the_window() -> None:
    lots = [
        LotSupply("soon", 50.0, 2.0),  # will not sell, but leaves before the window
        LotSupply("window", 80.0, 7.0),  # will not sell, leaves in the window
        LotSupply("fine", 1.0, 8.0),
        LotSupply("later", 100.0, 12.0),  # after the window
    ]
    result = lot_risk(np.full(14, 5.0), np.full(14, 2.0), lots)
    assert [r.warn for r in result.lots] == [False, True, False, False]
    assert result.warn and result.left_in_window > 10
    assert result.lots[3].beyond_horizon is False
    narrow = lot_risk(np.full(14, 5.0), np.full(14, 2.0), lots, window=(1.0, 3.0))
    assert [r.warn for r in narrow.lots] == [True, False, False, False]
    calm = lot_risk(np.full(14, 5.0), np.full(14, 2.0), [LotSupply("ok", 1.0, 6.0)])
    assert not calm.warn and not calm.lots[0].warn


def test_demand_positions() -> None:
    as_of = datetime(2026, 11, 20, 12, 0, tzinfo=ZONE)
    assert remaining_share(as_of, ZONE) == pytest.approx(0.5)
    assert demand_position(datetime(2026, 11, 20, 18, 0, tzinfo=ZONE), as_of, ZONE) == (
        pytest.approx(0.5)
    )
    assert demand_position(datetime(2026, 11, 22, 6, 0, tzinfo=ZONE), as_of, ZONE) == (
        pytest.approx(2.25)
    )
    assert demand_position(datetime(2026, 11, 19, 6, 0, tzinfo=ZONE), as_of, ZONE) == 0.0
    # all sales between 08:00 and 18:00: at 13:00 half of them are to come
    profile = np.zeros(24)
    profile[8:18] = 1.0
    assert remaining_share(datetime(2026, 11, 20, 13, 0, tzinfo=ZONE), ZONE, profile) == (
        pytest.approx(0.5)
    )
    assert demand_position(
        datetime(2026, 11, 21, 20, 0, tzinfo=ZONE), as_of, ZONE, profile
    ) == pytest.approx(2.0)
