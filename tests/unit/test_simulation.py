"""The perishable simulator keeps its books and does not flatter markdowns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.clearance.markdown import Economics
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.simulation.clairvoyant import clairvoyant
from shelfpilot.simulation.engine import Setting, Store, Tally, run
from shelfpilot.simulation.outlets import CANNIBALISED, WithChannels, _cannibalise
from shelfpilot.simulation.policies import (
    NoMarkdown,
    Optimiser,
    last_day_sticker,
    seed_tiers,
)
from shelfpilot.simulation.replay import DemandReplay


def replay(hourly: np.ndarray, beta: float = -2.0) -> DemandReplay:
    n, days, _ = hourly.shape
    return DemandReplay(
        ids=np.array([f"s{i}" for i in range(n)], dtype=object),
        stores=np.arange(n) // 3,
        dates=pd.date_range("2024-01-01", periods=days),
        hourly=hourly,
        elasticity=np.full(n, beta),
    )


def random_replay(seed: int, n: int = 4, days: int = 20) -> DemandReplay:
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.0, 3.0, size=(n, 1, 1))
    shape = np.r_[np.zeros(7), np.full(14, 1.0), np.zeros(3)] / 14
    return replay(rng.gamma(2.0, level * shape / 2.0 + 1e-9, size=(n, days, 24)))


class Watch:
    """Wraps a policy and checks the shelf at every decision."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = "watched"

    def order(self, store: Store) -> np.ndarray | None:
        return self.inner.order(store)  # type: ignore[attr-defined,no-any-return]

    def decide(self, store: Store) -> None:
        assert (store.qty >= 0).all()
        assert not ((store.expiry < store.day) & (store.qty > 0)).any()  # nothing expired on sale
        self.inner.decide(store)  # type: ignore[attr-defined]


POLICIES = [
    NoMarkdown, last_day_sticker, seed_tiers, Optimiser, lambda: Optimiser(ordering=True),
    WithChannels,
]  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    life=st.integers(1, 3),
    cover=st.sampled_from([0.8, 1.2, 2.0]),
    which=st.integers(0, len(POLICIES) - 1),
)
def test_every_unit_received_is_sold_donated_or_wasted(
    seed: int, life: int, cover: float, which: int
) -> None:
    rep = random_replay(seed)
    setting = Setting(shelf_life_days=life, cover_days=cover, first_day=8, days=6)
    tally = run(rep, setting, Watch(POLICIES[which]()))
    total = tally.sold + tally.donated + tally.wasted
    np.testing.assert_allclose(total, tally.ordered, rtol=1e-9, atol=1e-6)
    assert (tally.sold >= 0).all() and (tally.wasted >= -1e-12).all()
    # nobody buys what nobody wanted: sales never exceed demand at the deepest price
    wanted = rep.hourly[:, setting.first_day :].sum(axis=(1, 2))
    in_store = tally.sold - tally.channel_sold
    assert (in_store <= wanted * 0.4**-2.0 + 1e-9).all()
    assert (tally.channel_sold <= tally.sold + 1e-9).all() and (tally.channel_costs >= 0).all()


class LotOutcomes:
    """Reads each counted lot's own outcome the morning after it expired,
    as the ordering policy learns from it."""

    def __init__(self, inner: object) -> None:
        self.inner, self.name = inner, "read"
        #: sold below list, their revenue, donated, wasted, of those sold
        #: below list the ones that would have sold at list; per series
        self.seen = np.zeros((5, 4))
        self.store: Store | None = None

    def read(self, store: Store, lots: np.ndarray) -> None:
        outcomes = (
            store.lot_cut, store.lot_cut_revenue, store.lot_donated, store.lot_wasted,
            store.lot_cut_anyway,
        )  # fmt: skip
        for k, outcome in enumerate(outcomes):
            self.seen[k] += np.where(lots & store.counted, outcome, 0.0).sum(axis=1)

    def order(self, store: Store) -> np.ndarray | None:
        self.store, (slot, ended_there) = store, store.expired_yesterday()
        ended = np.zeros_like(store.counted)
        ended[:, slot] = ended_there
        self.read(store, ended)
        return self.inner.order(store)  # type: ignore[attr-defined,no-any-return]

    def decide(self, store: Store) -> None:
        self.inner.decide(store)  # type: ignore[attr-defined]


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    life=st.integers(1, 3),
    inner=st.sampled_from(["sticker", "ours", "ours_all"]),
)
def test_each_lots_own_outcome_adds_up_to_the_tally(seed: int, life: int, inner: str) -> None:
    rep = random_replay(seed)
    setting = Setting(shelf_life_days=life, cover_days=2.0, first_day=8, days=6)
    policy = LotOutcomes(
        {
            "sticker": last_day_sticker,
            "ours": lambda: Optimiser(ordering=True),
            "ours_all": lambda: WithChannels(inner=Optimiser(ordering=True)),
        }[inner]()
    )
    tally = run(rep, setting, policy)
    assert policy.store is not None  # the last lots were never read by an order: read them now
    policy.read(policy.store, policy.store.expiry == policy.store.day)
    cut, revenue, donated, wasted, anyway = policy.seen
    np.testing.assert_allclose(
        np.stack([cut, donated, wasted]),
        np.stack([tally.sold_discounted, tally.donated, tally.wasted]),
        rtol=1e-9, atol=1e-9,
    )  # fmt: skip
    # revenue below list: channel sales count net of their logistics (the
    # food bank's too are in the channel costs, but not in any lot's revenue)
    at_list = (tally.sold - tally.sold_discounted) * setting.economics.list_price
    below_list = tally.revenue - at_list
    assert (revenue <= below_list + 1e-9).all()
    assert (revenue >= below_list - tally.channel_costs - 1e-9).all()
    if inner != "ours_all":
        np.testing.assert_allclose(revenue, below_list, rtol=1e-9, atol=1e-9)
    # of the sales below list, those that would have been made at list: at
    # the sticker's 70 %, a share 0.7 ** -elasticity of them; never more than all
    assert (anyway >= 0).all() and (anyway <= cut + 1e-9).all()
    if inner == "sticker":
        np.testing.assert_allclose(anyway, cut * 0.7**-rep.elasticity, rtol=1e-9, atol=1e-9)


class Learning(Optimiser):
    def __init__(self) -> None:
        super().__init__(ordering=True)
        self.learned: list[np.ndarray] = []

    def salvage(self, store: Store) -> np.ndarray:
        self.learned.append(super().salvage(store))
        return self.learned[-1]


@pytest.mark.parametrize("life", [1, 2, 3])
def test_ordering_learns_that_clearance_recovers_nothing_when_lots_are_thrown_away(
    life: int,
) -> None:
    """Demand does not answer price, so no markdown helps: every left-over
    unit is thrown away and the order stops counting on clearance."""
    rng = np.random.default_rng(3)
    hourly = rng.gamma(2.0, 0.5, size=(3, 40, 24))
    policy = Learning()
    run(replay(hourly, beta=0.0), Setting(shelf_life_days=life, first_day=28, days=8), policy)
    np.testing.assert_allclose(policy.learned[0], 0.25)  # before any lot: the prudent default
    np.testing.assert_allclose(policy.learned[-1], 0.0)
    # the same policy run again starts from the default, not from what it learned
    before = len(policy.learned)
    run(replay(hourly, beta=0.0), Setting(shelf_life_days=life, first_day=28, days=2), policy)
    np.testing.assert_allclose(policy.learned[before], 0.25)


@pytest.mark.parametrize("life", [1, 2, 3])
def test_ordering_learns_what_clearance_recovered(life: int) -> None:
    """Demand answers price strongly and the cap leaves room: the evening
    markdown clears what is left, and the order counts on that."""
    rng = np.random.default_rng(4)
    hourly = rng.gamma(2.0, 0.5, size=(3, 40, 24))
    policy = Learning()
    roomy = Guardrails(exposure_cap=1.0)
    setting = Setting(shelf_life_days=life, first_day=28, days=8, guardrails=roomy)
    run(replay(hourly, beta=-4.0), setting, policy)
    assert (policy.learned[-1] > 0.25).all(), policy.learned


def _two_lots(ratio_old: float) -> Store:
    hourly = np.zeros((1, 3, 24))
    hourly[0, 1, 10] = 4.0
    store = Store(replay(hourly), Setting(shelf_life_days=2, first_day=1, days=1))
    store.day, store.hour = 1, 10
    store.counted[:] = True
    store.qty[0] = [5.0, 5.0]
    store.expiry[0] = [1, 2]  # slot 0 expires today, slot 1 tomorrow
    store.ratio[0] = [ratio_old, 1.0]
    store.sell_hour()
    return store


def test_at_equal_price_customers_take_the_fresher_lot() -> None:
    store = _two_lots(1.0)
    assert store.qty[0].tolist() == [5.0, 1.0]


def test_a_markdown_takes_buyers_from_the_fresh_lot_before_adding_new_ones() -> None:
    store = _two_lots(0.8)
    sold_old = 5.0 - store.qty[0, 0]
    # 6.25 would buy at 0.8: the old lot of 5 sells out ...
    assert sold_old == pytest.approx(5.0)
    # ... and the 4 who would have paid list were among its buyers: the fresh lot sells nothing
    assert store.qty[0, 1] == pytest.approx(5.0)
    assert store.tally.sold.sum() == pytest.approx(5.0)


def test_no_demand_no_sale_at_any_price() -> None:
    store = Store(replay(np.zeros((1, 3, 24))), Setting(shelf_life_days=2, first_day=1, days=1))
    store.day, store.qty[0], store.expiry[0], store.ratio[0] = 1, [5.0, 0.0], [2, -1], [0.3, 1.0]
    store.sell_hour()
    assert store.qty[0, 0] == 5.0


def test_a_policy_may_not_raise_a_clearance_price() -> None:
    class Up:
        name = "up"

        def order(self, store: Store) -> None:
            return None

        def decide(self, store: Store) -> None:
            if store.hour == 0:
                store.ratio[:] = 0.7
            else:
                store.ratio[:] = 0.9

    with pytest.raises(RuntimeError, match="raised the price"):
        run(random_replay(1), Setting(first_day=8, days=3), Up())


def test_more_decision_hours_than_daily_price_changes_are_refused() -> None:
    """At most one change a lot per decision hour: more hours a day than the
    daily limit of changes are refused, not silently exceeded."""
    busy = Setting(first_day=8, days=2, decision_hours=(0, 9, 17))
    with pytest.raises(ValueError, match="more decision hours"):
        run(random_replay(1), busy, Optimiser())
    allowed = replace(busy, guardrails=Guardrails(max_changes_per_day=3))
    assert run(random_replay(1), allowed, Optimiser()).ordered.sum() > 0


def _profit(t: Tally, setting: Setting) -> np.ndarray:
    e = setting.economics
    return (  # type: ignore[no-any-return]
        t.revenue + e.donation_value * t.donated - e.disposal_cost * t.wasted
    ) - e.unit_cost * t.ordered


def test_the_clairvoyant_bound_is_above_every_policy() -> None:
    rep = random_replay(3, n=6, days=20)
    setting = Setting(shelf_life_days=2, cover_days=1.6, first_day=8, days=6)
    base = run(rep, setting, NoMarkdown())
    ratios = [1.0, 0.95, 0.9, 0.8, 0.7, 0.69, 0.6, 0.5, 0.4]
    bound = clairvoyant(rep.hourly, rep.elasticity, base.orders, setting, ratios)
    for make in (NoMarkdown, last_day_sticker, seed_tiers, Optimiser):
        t = run(rep, setting, make())
        assert (_profit(t, setting) <= bound.profit + 1e-6).all(), make


@pytest.mark.parametrize("life", [1, 2, 3])
def test_the_bound_within_the_guardrails_is_above_our_policy_and_below_the_free_one(
    life: int,
) -> None:
    rep = random_replay(5, n=10, days=20)
    rep = DemandReplay(rep.ids, np.arange(10) // 5, rep.dates, rep.hourly, rep.elasticity)
    setting = Setting(shelf_life_days=life, cover_days=2.0, first_day=8, days=6)
    ladder = [1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    for ordering in (False, True):
        ours = run(rep, setting, Optimiser(ordering=ordering))
        free = clairvoyant(rep.hourly, rep.elasticity, ours.orders, setting, ladder)
        kept = clairvoyant(
            rep.hourly, rep.elasticity, ours.orders, setting, ladder,
            stores=rep.stores, exposure_cap=setting.guardrails.exposure_cap,
        )  # fmt: skip
        # the cap couples a store's series: the bound holds for the store, not each series
        for store in (0, 1):
            rows = rep.stores == store
            assert _profit(ours, setting)[rows].sum() <= kept.profit[rows].sum() + 1e-6
        assert kept.profit.sum() <= free.profit.sum() + 1e-6
        if life == 1:  # on clearance for a whole period or not at all: tighter still
            whole = clairvoyant(
                rep.hourly, rep.elasticity, ours.orders, setting, ladder,
                stores=rep.stores, exposure_cap=setting.guardrails.exposure_cap,
                whole_periods=True,
            )  # fmt: skip
            assert _profit(ours, setting).sum() <= whole.profit.sum() + 1e-6
            assert whole.profit.sum() <= kept.profit.sum() + 1e-6
        np.testing.assert_allclose(kept.sold + kept.donated + kept.wasted, ours.ordered, atol=1e-6)


def test_the_bound_does_not_sell_to_the_same_customers_at_two_prices() -> None:
    """20 units, 10 customers at list, 40 at half price (elasticity -2), one
    pricing period. List sells 10 (10.0), half price sells 20 (10.0); a mix
    of the period at each price earns at most 13.33 (all 20 sold, 6.67 of
    them at list). Selling 10 at list and 10 more at half price (15.0) would
    need two prices for the same customers."""
    hourly = np.zeros((1, 3, 24))
    hourly[0, 1, :] = 10 / 24
    setting = Setting(
        shelf_life_days=1, first_day=1, days=1, decision_hours=(0,),
        economics=Economics(list_price=1.0),
    )  # fmt: skip
    lot = {1: np.array([20.0])}
    bound = clairvoyant(hourly, np.array([-2.0]), lot, setting, [1.0, 0.5])
    assert bound.profit[0] == pytest.approx(40 / 3)
    assert bound.sold[0] == pytest.approx(20.0)
    # one series in its store: a 20 % cap leaves no place on clearance
    capped = clairvoyant(
        hourly, np.array([-2.0]), lot, setting, [1.0, 0.5], stores=np.array([0]), exposure_cap=0.2
    )
    assert capped.profit[0] == pytest.approx(10.0)
    assert capped.wasted[0] == pytest.approx(10.0)
    # two series in a store of five: one place on clearance, and it goes to the
    # series that gains more from it
    hourly = np.zeros((5, 3, 24))
    hourly[:2, 1, :] = np.array([[10 / 24], [20 / 24]])
    lots = {1: np.array([20.0, 40.0, 0.0, 0.0, 0.0])}
    two = clairvoyant(
        hourly, np.full(5, -2.0), lots, setting, [1.0, 0.5],
        stores=np.zeros(5, dtype=np.int64), exposure_cap=0.2, whole_periods=True,
    )  # fmt: skip
    assert two.profit[:2] == pytest.approx([10.0, 80 / 3])


def test_the_bound_sells_each_lot_only_while_it_lasts_and_donates_the_rest() -> None:
    """Life 2 days, two decision hours a day, 6 customers on day 1 only
    (elasticity -2, list price only). A lot of 10 arriving on day 1 sells 6
    and donates the rest on arrival (48 h left): 6 + 0.4 - 5 = 1.4 with unit
    cost 0.5 and donation value 0.1. A lot arriving on day 2 meets no demand
    and is all donated: 1.0 - 5 = -4.0. Without donation the 4 and the 10
    units are waste (disposal 0.05): 6 - 0.2 - 5 = 0.8 and -0.5 - 5 = -5.5."""
    hourly = np.zeros((1, 4, 24))
    hourly[0, 1, :] = 6 / 24
    for arrival, (donating, wasting) in {1: (1.4, 0.8), 2: (-4.0, -5.5)}.items():
        lots = {arrival: np.array([10.0])}
        for hours, expected in ((48.0, donating), (72.0, wasting)):
            setting = Setting(
                shelf_life_days=2, first_day=arrival, days=1,
                guardrails=Guardrails(donation_min_hours=hours),
            )  # fmt: skip
            bound = clairvoyant(hourly, np.array([-2.0]), lots, setting, [1.0])
            assert bound.profit[0] == pytest.approx(expected)


def test_the_bound_needs_demand_until_the_last_lot_expires_and_always_has_list_price() -> None:
    hourly = np.full((1, 4, 24), 0.5)
    with pytest.raises(ValueError, match="demand ends"):
        clairvoyant(hourly, np.array([-2.0]), {3: np.array([5.0])},
                    Setting(shelf_life_days=2, first_day=3, days=1), [1.0])  # fmt: skip
    setting = Setting(shelf_life_days=1, first_day=1, days=1)
    bound = clairvoyant(hourly, np.array([-2.0]), {1: np.array([12.0])}, setting, [0.5])
    assert bound.sold[0] == pytest.approx(12.0)  # all at list: 12 customers
    assert bound.profit[0] == pytest.approx(12.0 - 6.0)


def test_channel_buyers_partly_come_from_the_store() -> None:
    hourly = np.zeros((1, 3, 24))
    hourly[0, 1, 18:] = 1.0  # 6 customers left today from 18 h
    hourly[0, 2, :] = 0.5  # 12 tomorrow
    store = Store(replay(hourly), Setting(shelf_life_days=2, first_day=1, days=2))
    store.day, store.hour = 1, 17
    _cannibalise(store, 0, 10.0)  # more than today's rest: the remainder comes off tomorrow
    assert store.demand[0, 1].sum() == pytest.approx(0.0)
    assert store.demand[0, 2].sum() == pytest.approx(12.0 - 4.0)
    assert store.tally.demand[0] == pytest.approx(10.0)  # served by the channel, not lost
    assert 0 < CANNIBALISED < 1


def test_channels_sell_what_the_plan_expects_to_be_left() -> None:
    rep = random_replay(3, n=6, days=20)
    setting = Setting(shelf_life_days=2, cover_days=2.0, first_day=8, days=6)
    plain, sent = run(rep, setting, Optimiser()), run(rep, setting, WithChannels())
    assert sent.channel_sold.sum() > 0 and sent.channel_costs.sum() > 0
    assert sent.wasted.sum() < plain.wasted.sum()
    np.testing.assert_allclose(sent.sold + sent.donated + sent.wasted, sent.ordered, atol=1e-6)


def test_counting_on_the_cap_donates_what_could_not_be_marked_down() -> None:
    # ten over-stocked products in one store: the 20 % cap lets two of them
    # clear at a time, so the others' lots are better donated while they may be
    # (the option is off by default: on real demand it donated too much)
    rng = np.random.default_rng(5)
    shape = np.r_[np.zeros(7), np.full(14, 1.0), np.zeros(3)] / 14
    hourly = rng.gamma(4.0, np.full((10, 1, 1), 3.0) * shape / 4.0 + 1e-9, size=(10, 24, 24))
    rep = DemandReplay(
        ids=np.array([f"s{i}" for i in range(10)], dtype=object),
        stores=np.zeros(10, dtype=np.int64),
        dates=pd.date_range("2024-01-01", periods=24),
        hourly=hourly,
        elasticity=np.full(10, -2.0),
    )
    setting = Setting(shelf_life_days=3, cover_days=2.0, first_day=10, days=8)
    learning, blind = Optimiser(cap_odds=True), Optimiser()
    with_odds, without = run(rep, setting, learning), run(rep, setting, blind)
    assert learning.odds[0] < 0.9  # the store's running share of markdowns let through
    assert with_odds.donated.sum() > without.donated.sum()
    assert with_odds.wasted.sum() < without.wasted.sum()
    assert _profit(with_odds, setting).sum() > _profit(without, setting).sum()


class Opening(Optimiser):
    """Our ordering policy, recording each morning's lot's price after the
    first decision of the day and after the evening one; ``extra`` times the
    order is received (a shop taking in more than recommended)."""

    def __init__(self, extra: float = 1.0) -> None:
        super().__init__(ordering=True)
        self.extra = extra
        self.morning: list[float] = []
        self.evening: list[float] = []

    def order(self, store: Store) -> np.ndarray | None:
        qty = super().order(store)
        return None if qty is None else qty * self.extra

    def decide(self, store: Store) -> None:
        super().decide(store)
        fresh = store.expiry == store.day + store.setting.shelf_life_days - 1
        prices = store.ratio[fresh & (store.qty > 1e-9)].tolist()
        (self.morning if store.hour == 0 else self.evening).extend(prices)


def test_a_lot_sized_by_our_order_keeps_list_price_until_the_days_sales_are_seen() -> None:
    """Demand answers price (a markdown raises revenue), varies from day to
    day, and the cap leaves room: the optimiser alone would mark a morning's
    lot down at opening, but one our order sized keeps list price until the
    evening decision; a lot beyond what the order was sized to hold does not."""
    rng = np.random.default_rng(5)
    hourly = rng.gamma(1.0, 1.0, size=(6, 40, 1)) * rng.gamma(2.0, 0.05, size=(6, 40, 24))
    setting = Setting(
        shelf_life_days=1, first_day=28, days=8, guardrails=Guardrails(exposure_cap=1.0)
    )
    sized = Opening()
    run(replay(hourly, beta=-2.0), setting, sized)
    assert sized.morning and all(r == 1.0 for r in sized.morning)
    assert any(r < 1.0 for r in sized.evening)
    over = Opening(extra=2.0)
    run(replay(hourly, beta=-2.0), setting, over)
    assert any(r < 1.0 for r in over.morning)


class Offers(Opening):
    """``Opening``, also recording how many units of each morning's lot the
    channels are offered at each decision."""

    def __init__(self, extra: float = 1.0) -> None:
        super().__init__(extra)
        self.offered = {0: 0.0, 17: 0.0}

    def decide(self, store: Store) -> None:
        super().decide(store)
        fresh = store.expiry == store.day + store.setting.shelf_life_days - 1
        self.offered[store.hour] += sum(
            units for (i, slot), units in self.expected_left.items() if fresh[i, slot]
        )


def test_a_held_lot_is_offered_to_no_channel_until_the_days_sales_are_seen() -> None:
    """As its price, a lot our order sized waits for the day's sales before
    any channel is offered what it may have left (the morning channels would
    sell at their price units the shelf sells at list); the evening decision
    offers it, and a lot beyond the order is offered in the morning."""
    rng = np.random.default_rng(5)
    hourly = rng.gamma(1.0, 1.0, size=(6, 40, 1)) * rng.gamma(2.0, 0.05, size=(6, 40, 24))
    setting = Setting(
        shelf_life_days=1, first_day=28, days=8, guardrails=Guardrails(exposure_cap=1.0)
    )
    sized = Offers()
    run(replay(hourly, beta=-2.0), setting, WithChannels(inner=sized))
    assert sized.offered[0] == 0.0
    assert sized.offered[17] > 0.0
    over = Offers(extra=2.0)
    run(replay(hourly, beta=-2.0), setting, WithChannels(inner=over))
    assert over.offered[0] > 0.0


class Ordering(Optimiser):
    """Our ordering policy, recording each morning's stock still sellable,
    what the last plans expect of it to be left, the target and the order."""

    def __init__(self) -> None:
        super().__init__(ordering=True)
        self.mornings: list[tuple[float, float, float, float]] = []
        self.targets: np.ndarray = np.zeros(0)

    def target(self, store: Store) -> np.ndarray:
        self.targets = super().target(store)
        return self.targets

    def order(self, store: Store) -> np.ndarray | None:
        qty = super().order(store)
        assert qty is not None
        sellable, left = store.sellable_today(), self.left_over(store)
        self.mornings.extend(zip(sellable, left, self.targets, qty, strict=True))
        return qty


def test_what_older_lots_are_expected_to_have_left_is_ordered_less() -> None:
    """Demand falls by 70 % while 3-day lots are on the shelf: on some mornings
    the evening plans expect older lots to be left over, and the order is the
    target less the sellable stock and less those units (never below zero,
    never counting more than the stock holds)."""
    rng = np.random.default_rng(11)
    hourly = rng.gamma(0.5, 1.0, size=(8, 44, 24))
    setting = Setting(shelf_life_days=3, first_day=28, days=10, demand_drop=0.3)
    policy = Ordering()
    run(replay(hourly), setting, policy)
    assert any(left > 0.1 for _, left, _, q in policy.mornings if q > 0)
    for sellable, left, target, qty in policy.mornings:
        assert 0.0 <= left <= sellable + 1e-9
        assert qty == pytest.approx(max(target - sellable - left, 0.0))
