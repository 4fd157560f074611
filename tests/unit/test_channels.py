"""Channel allocation: hand-solvable cases, capacity and life always kept,
and the rates learnt from outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.channels import (
    DAILY,
    AtRiskLot,
    Audience,
    Channel,
    ChannelKind,
    ChannelOutcome,
    Window,
    allocate,
    bakery_channels,
    learn,
    learn_all,
    open_windows,
)
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)  # a Monday
EVENING = Window(DAILY, 19.0, 20.0)


def lot(
    key: str = "L1",
    units: float = 10.0,
    hours: float = 72.0,
    *,
    price: float = 10.0,
    waste: float = 4.0,
    category: str = "pastry",
) -> AtRiskLot:
    return AtRiskLot.with_hours_left(
        key,
        f"SKU-{key}",
        category,
        units,
        price,
        waste,
        now=NOW,
        hours_left=hours,
        name="Croissant",
    )


def channel(code: str, **kw: object) -> Channel:
    base: dict[str, object] = {
        "kind": ChannelKind.PARTNER,
        "capacity": 100.0,
        "windows": (EVENING,),
        "sell_through": 1.0,
        "price_ratio": 0.5,
    }
    base.update(kw)
    return Channel(code, **base)  # type: ignore[arg-type]


def by_channel(plan_rows: object) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in plan_rows:  # type: ignore[attr-defined]
        out[r.channel] = out.get(r.channel, 0.0) + r.units
    return out


def test_the_better_channel_fills_to_capacity_and_the_rest_goes_to_the_second() -> None:
    # gain per unit: a = 1 × (0.6 × 10 + 4) = 10; b = 0.5 × (0.8 × 10 + 4) = 6
    a = channel("a", capacity=6.0, sell_through=1.0, price_ratio=0.6)
    b = channel("b", capacity=20.0, sell_through=0.5, price_ratio=0.8)
    plan = allocate([lot()], [b, a], NOW, days=1)
    assert plan.optimal and plan.status == "optimal"
    assert by_channel(plan.rows) == pytest.approx({"a": 6.0, "b": 4.0})
    assert plan.gain == pytest.approx(6 * 10 + 4 * 6)
    assert plan.unallocated == pytest.approx({"L1": 0.0})
    row_b = next(r for r in plan.rows if r.channel == "b")
    assert row_b.expected_sold == pytest.approx(2.0)
    assert row_b.recovery == pytest.approx(2 * 8.0)
    assert row_b.gain == pytest.approx(4 * b.unit_gain(10.0, 4.0))


def test_a_window_after_the_lot_can_no_longer_be_sold_is_never_used() -> None:
    gone = allocate([lot(hours=5.0)], [channel("a")], NOW, days=3)  # sellable until 15:00
    assert gone.rows == () and gone.status == "no channel pays in time"
    assert gone.unallocated == {"L1": 10.0}
    # sellable until Tuesday 12:00: only Monday's 19:00 window (3 units) can take it
    plan = allocate([lot(hours=26.0)], [channel("a", capacity=3.0)], NOW, days=3)
    assert [(r.start.day, round(r.units, 6)) for r in plan.rows] == [(20, 3.0)]
    assert plan.unallocated["L1"] == pytest.approx(7.0)
    assert "stay at risk" in plan.describe()


def test_the_food_bank_takes_only_lots_with_48_hours_left() -> None:
    bank = next(c for c in bakery_channels() if c.kind is ChannelKind.FOOD_BANK)
    assert bank.min_hours_left == 48.0
    # the bank collects daily 17–18 h; 60 h from Monday 10:00 leaves 53 h at Monday 17:00
    lots = [lot("fresh", hours=60.0), lot("old", hours=40.0)]
    plan = allocate(lots, [bank], NOW, days=3)
    assert {r.lot for r in plan.rows} == {"fresh"}
    assert [r.start.day for r in plan.rows] == [20]
    assert all(utc(lots[0].sellable_until) - utc(r.start) >= timedelta(hours=48) for r in plan.rows)
    assert plan.rows[0].revenue == 0 and plan.rows[0].waste_avoided == pytest.approx(40.0)
    assert plan.describe().splitlines()[1].startswith("give 10 Croissant (lot fresh)")


def test_member_push_capacity_counts_consenting_members_only() -> None:
    audience = Audience(members=1000, consented=100, response_rate=0.05)
    push = channel("push", kind=ChannelKind.MEMBER_PUSH, capacity=50.0, audience=audience)
    assert push.window_capacity(EVENING) == pytest.approx(5.0)
    plan = allocate([lot(units=40.0)], [push], NOW, days=1)
    assert plan.units == pytest.approx(5.0)
    everyone = Audience(members=1000, consented=1000, response_rate=0.05)
    assert Channel.window_capacity(
        channel("p", kind=ChannelKind.MEMBER_PUSH, capacity=50.0, audience=everyone), EVENING
    ) == pytest.approx(50.0)
    flags = Audience.from_consents([True, False, False, True], 0.5, 2.0)
    assert (flags.members, flags.consented, flags.reach) == (4, 2, 2.0)
    with pytest.raises(InvalidValue, match="consented"):
        Audience(members=10, consented=11, response_rate=0.1)
    with pytest.raises(InvalidValue, match="audience"):
        channel("push", kind=ChannelKind.MEMBER_PUSH)


def test_a_channel_that_loses_money_gets_nothing() -> None:
    # 0.1 × (0.5 × 2 + 0.5) − 1 < 0
    loser = channel("loser", sell_through=0.1, price_ratio=0.5, logistics_cost=1.0)
    assert loser.unit_gain(2.0, 0.5) < 0
    alone = allocate([lot(price=2.0, waste=0.5)], [loser], NOW)
    assert alone.rows == () and alone.gain == 0
    plan = allocate([lot(price=2.0, waste=0.5)], [loser, channel("ok", capacity=4.0)], NOW)
    assert set(by_channel(plan.rows)) == {"ok"}


def test_categories_and_whole_units() -> None:
    cakes_only = channel("cakes", categories=frozenset({"cake"}), capacity=2.5)
    assert allocate([lot()], [cakes_only], NOW).rows == ()
    cake = lot(units=7.0, category="cake")
    assert allocate([cake], [cakes_only], NOW, days=2).units == pytest.approx(5.0)
    whole = allocate([cake], [cakes_only], NOW, days=2, integral=True)
    assert whole.optimal and whole.units == pytest.approx(4.0)
    assert all(r.units == round(r.units) for r in whole.rows)


def test_earlier_windows_win_ties_and_running_windows_count_what_is_left() -> None:
    plan = allocate([lot(units=5.0)], [channel("a", capacity=5.0)], NOW, days=3)
    assert [(r.start.day, round(r.units, 6)) for r in plan.rows] == [(20, 5.0)]
    live = Window(DAILY, 19.0, 21.0)
    windows = open_windows(
        [channel("a", capacity=40.0, windows=(live,))], NOW.replace(hour=19, minute=30), days=1
    )
    assert windows[0].capacity == pytest.approx(30.0)
    assert windows[0].start == NOW.replace(hour=19, minute=30)


def test_describe_speaks_in_units_price_and_money() -> None:
    live = channel(
        "livestream", kind=ChannelKind.LIVESTREAM, sell_through=0.8, price_ratio=0.6,
        windows=(Window(frozenset({0}), 19.0, 21.0),), name="livestream", capacity=6.0,
    )  # fmt: skip
    text = allocate([lot()], [live], NOW, days=1).describe()
    assert "send 6 Croissant (lot L1) to livestream, Mon 20 Apr 19:00–21:00" in text
    assert "expect 4.8 sold at 60% of list, net 28.80" in text


def test_bad_inputs_are_refused_in_plain_words() -> None:
    with pytest.raises(InvalidValue, match="sell-through"):
        channel("x", sell_through=1.5)
    with pytest.raises(InvalidValue, match="midnight"):
        Window(DAILY, 22.0, 2.0)
    with pytest.raises(InvalidValue, match="time window"):
        channel("x", windows=())
    with pytest.raises(InvalidValue, match="overlap"):
        channel("x", windows=(Window(DAILY, 19.0, 21.0), Window(frozenset({4}), 20.0, 22.0)))
    with pytest.raises(InvalidValue, match="twice"):
        allocate([lot(), lot()], [channel("a")], NOW)
    with pytest.raises(InvalidValue, match="time zone"):
        allocate([lot()], [channel("a")], NOW.replace(tzinfo=None))


def test_the_bakery_catalogue_plans() -> None:
    channels = bakery_channels()
    assert len({c.kind for c in channels}) == len(ChannelKind)
    lots = [lot("a", 30.0, 20.0, category="savoury"), lot("b", 40.0, 70.0, category="cake")]
    plan = allocate(lots, channels, NOW, days=3)
    assert plan.optimal and plan.gain > 0 and plan.units <= 70.0 + 1e-6


# learning


def test_selling_more_than_expected_raises_sell_through() -> None:
    c = channel("a", sell_through=0.5, price_ratio=0.6)
    after = learn(c, [ChannelOutcome("a", offered=20, sold=18)], prior_strength=20)
    assert after.sell_through == pytest.approx((0.5 * 20 + 18) / 40)
    assert after.price_ratio == 0.6  # no list value: no price learnt
    worse = learn(c, [ChannelOutcome("a", offered=20, sold=2)])
    assert worse.sell_through < 0.5


def test_prior_strength_sets_how_far_outcomes_move_the_rates() -> None:
    c = channel("a", sell_through=0.5, price_ratio=0.6)
    seen = [ChannelOutcome("a", offered=10, sold=9, revenue=40.0, list_value=100.0)]
    strong = learn(c, seen, prior_strength=1e6)
    weak = learn(c, seen, prior_strength=1e-3)
    assert strong.sell_through == pytest.approx(0.5, abs=1e-4)
    assert weak.sell_through == pytest.approx(0.9, abs=1e-3)
    assert weak.price_ratio == pytest.approx(0.4, abs=1e-3)
    assert learn(c, seen, prior_strength=9).price_ratio == pytest.approx((0.6 * 9 + 9 * 0.4) / 18)
    with pytest.raises(InvalidValue):
        learn(c, seen, prior_strength=0)


def test_no_outcomes_leave_the_channel_unchanged() -> None:
    c = channel("a")
    assert learn(c, []) is c
    assert learn(c, [ChannelOutcome("b", offered=5, sold=5)]) is c
    assert learn(c, [ChannelOutcome("a", offered=0, sold=0)]) is c
    with pytest.raises(InvalidValue, match="only"):
        ChannelOutcome("a", offered=2, sold=3)


def test_learning_from_a_table_and_by_window() -> None:
    fri, sat = Window(frozenset({4}), 19.0, 21.0), Window(frozenset({5}), 19.0, 21.0)
    sun = Window(frozenset({6}), 19.0, 21.0)
    live = channel("live", kind=ChannelKind.LIVESTREAM, windows=(fri, sat, sun), sell_through=0.5)
    bank = channel("bank", kind=ChannelKind.FOOD_BANK, price_ratio=0.0)
    frame = pd.DataFrame(
        {
            "channel": ["live", "live"],
            "offered": [20.0, 20.0],
            "sold": [19.0, 4.0],
            "revenue": [60.0, 12.0],
            "list_value": [100.0, 20.0],
            "at": [
                datetime(2026, 4, 24, 19, tzinfo=SHANGHAI),
                datetime(2026, 4, 25, 19, tzinfo=SHANGHAI),
            ],
        }
    )
    new_live, new_bank = learn_all([live, bank], frame, by_window=True)
    assert new_bank is bank
    assert new_live.sell_through == pytest.approx((0.5 * 20 + 23) / 60)
    assert new_live.price_ratio == pytest.approx((0.5 * 20 + 23 * 0.6) / 43)
    w_fri, w_sat, w_sun = new_live.windows
    assert w_fri.sell_through is not None and w_sat.sell_through is not None
    assert w_fri.sell_through > new_live.sell_through > w_sat.sell_through
    # Friday's prior is the channel's estimate from Saturday only
    assert w_fri.sell_through == pytest.approx(((0.5 * 20 + 4) / 40 * 20 + 19) / 40)
    assert w_sun.sell_through is None
    with pytest.raises(InvalidValue, match="unknown channel"):
        learn_all([bank], frame)
    with pytest.raises(InvalidValue, match="sold"):
        learn_all([live], frame.drop(columns=["sold"]))


def test_what_getting_units_there_cost_is_learned_where_outcomes_say() -> None:
    c = channel("a", logistics_cost=0.2)
    seen = [
        ChannelOutcome("a", offered=10, sold=8, logistics=5.0),
        ChannelOutcome("a", offered=30, sold=30),  # cost not known: rates only
    ]
    after = learn(c, seen, prior_strength=20)
    assert after.logistics_cost == pytest.approx((0.2 * 20 + 5.0) / 30)
    assert learn(c, seen[1:]).logistics_cost == 0.2
    with pytest.raises(InvalidValue, match="logistics cost must be 0 or more"):
        ChannelOutcome("a", offered=2, sold=1, logistics=-1.0)
    frame = pd.DataFrame(
        {"channel": ["a", "a"], "offered": [10, 30], "sold": [8, 30], "logistics": [5.0, None]}
    )
    (from_table,) = learn_all([c], frame)
    assert from_table.logistics_cost == pytest.approx(after.logistics_cost)
    with pytest.raises(InvalidValue, match=r"column logistics: no number in row\(s\) 1"):
        learn_all([c], frame.assign(logistics=[5.0, "a courier"]))


# properties

_window = st.builds(
    lambda days, start, length: Window(frozenset(days), float(start), float(start + length)),
    st.sets(st.integers(0, 6), min_size=3),
    st.integers(0, 21),
    st.integers(1, 3),
)


_windows = st.lists(_window, min_size=1, max_size=2).filter(
    lambda ws: len(ws) == 1 or not ws[0].overlaps(ws[1])
)


@st.composite
def _scenario(draw: st.DrawFn) -> tuple[datetime, list[Channel], list[AtRiskLot]]:
    now = NOW.replace(hour=draw(st.integers(0, 23)))
    cats = st.sampled_from(["bread", "cake"])
    channels = [
        Channel(
            f"c{i}",
            ChannelKind.PARTNER,
            capacity=draw(st.floats(0, 20))
            if draw(st.integers(0, 9)) == 0
            else draw(st.floats(0.5, 20)),
            windows=tuple(draw(_windows)),
            sell_through=draw(st.floats(0, 1)),
            price_ratio=draw(st.floats(0, 1)),
            logistics_cost=draw(st.floats(0, 1)),
            min_hours_left=draw(st.floats(0, 36)),
            categories=frozenset(draw(st.sets(cats, max_size=2))),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    lots = [
        AtRiskLot.with_hours_left(
            f"l{i}",
            "S",
            draw(cats),
            draw(st.floats(0, 30)),
            draw(st.floats(0.5, 10)),
            draw(st.floats(0, 5)),
            now=now,
            hours_left=draw(st.integers(-5, 120)),
        )
        for i in range(draw(st.integers(1, 5)))
    ]
    return now, channels, lots


@settings(max_examples=80, deadline=None)
@given(_scenario(), st.booleans())
def test_allocations_keep_capacity_life_and_stock(
    scenario: tuple[datetime, list[Channel], list[AtRiskLot]], whole: bool
) -> None:
    now, channels, lots = scenario
    plan = allocate(lots, channels, now, days=3, integral=whole)
    capacity = {
        (w.channel.code, utc(w.start)): w.capacity for w in open_windows(channels, now, days=3)
    }
    by_lot = {x.key: x for x in lots}
    used: dict[tuple[str, datetime], float] = {}
    sent: dict[str, float] = {}
    for r in plan.rows:
        assert r.units > 0
        key = (r.channel, utc(r.start))
        used[key] = used.get(key, 0.0) + r.units
        sent[r.lot] = sent.get(r.lot, 0.0) + r.units
        need = next(c.min_hours_left for c in channels if c.code == r.channel)
        life = utc(by_lot[r.lot].sellable_until) - utc(r.start)
        assert life > timedelta(0) and life >= timedelta(hours=need)
        if whole:
            assert r.units == round(r.units)
    for window, units in used.items():
        assert units <= capacity[window] + 1e-6
    for code, units in sent.items():
        assert units <= by_lot[code].units + 1e-6
        assert plan.unallocated[code] == pytest.approx(by_lot[code].units - units, abs=1e-6)
    assert plan.gain >= 0
    assert all(r.gain > 0 for r in plan.rows)
