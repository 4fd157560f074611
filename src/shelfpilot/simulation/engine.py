"""A perishable store, hour by hour, for many store × product series at once.

Every morning (hour 0) a lot arrives: by default ``cover_days`` times the
series' mean demand over the last 7 days (every policy orders the same way,
unless it is the ordering policy). A lot is sold until the end of day
``arrival + shelf_life_days - 1``; what is left then is waste. A policy may
change prices and donate at the decision hours.

**Customers choose.** Each hour, ``D`` customers want the item at list price;
at a price ratio ``r`` (with the series' elasticity ``b``) ``D * r**b`` would
buy. They take the cheapest lot, and at equal price the fresher one. Lots are
served in that order and the customers served up to a lot never exceed those
willing at its price (the keenest buy first): a markdown on an old lot takes
its buyers from the fresh lots before it adds any new ones, and once the
cheap lot is gone the extra customers it drew are gone too. Nothing here
flatters a markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from shelfpilot.clearance.markdown import Economics
from shelfpilot.clearance.ordering import sold_anyway
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.simulation.replay import DemandReplay

Array = npt.NDArray[np.float64]
HOURS = 24
#: a remainder this small is rounding, not stock (it would otherwise linger as a lot)
DUST = 1e-6


@dataclass(frozen=True)
class Setting:
    shelf_life_days: int = 2
    cover_days: float = 1.2
    first_day: int = 28  # days before are history only
    days: int = 28
    decision_hours: tuple[int, ...] = (0, 17)
    economics: Economics = field(
        default_factory=lambda: Economics(
            list_price=1.0, unit_cost=0.5, disposal_cost=0.05, donation_value=0.1
        )
    )
    #: demand is multiplied by this from ``drop_day`` (days after first_day) on
    demand_drop: float = 1.0
    drop_day: int = 0
    #: the brand's guardrails (our policies keep them; rules ignore them)
    guardrails: Guardrails = field(default_factory=Guardrails)


@dataclass
class Tally:
    ordered: Array
    sold: Array
    revenue: Array
    sold_discounted: Array
    discount_given: Array  # sum of (1 - ratio) * units
    donated: Array
    wasted: Array
    lost: Array
    demand: Array
    #: units sold through channels (also in ``sold``) and what the channels cost
    channel_sold: Array
    channel_costs: Array
    exposure: list[float] = field(default_factory=list)
    orders: dict[int, Array] = field(default_factory=dict)  # day -> units received

    @classmethod
    def zeros(cls, n: int) -> Tally:
        z = [np.zeros(n) for _ in range(11)]
        return cls(z[0], z[1], z[2], z[3], z[4], z[5], z[6], z[7], z[8], z[9], z[10])


def demand_seen(replay: DemandReplay, setting: Setting) -> Array:
    """Hourly demand at list price as the store meets it: the replay, times
    ``demand_drop`` from ``drop_day`` of the window on."""
    demand = replay.hourly * 1.0
    if setting.demand_drop != 1.0:
        demand[:, setting.first_day + setting.drop_day :] *= setting.demand_drop
    return demand


class Store:
    """The state a policy sees and changes."""

    def __init__(self, replay: DemandReplay, setting: Setting) -> None:
        self.replay, self.setting = replay, setting
        n, k = len(replay.ids), setting.shelf_life_days
        self.qty = np.zeros((n, k))
        self.expiry = np.full((n, k), -1, dtype=np.int64)
        self.ratio = np.ones((n, k))
        #: lots received inside the measured window (the others are not tallied)
        self.counted = np.zeros((n, k), dtype=bool)
        self.day = 0
        self.hour = 0
        self.tally = Tally.zeros(n)
        #: each lot's own outcome so far (counted or not): units sold below
        #: list and their revenue (channel sales net of the channel's
        #: logistics), how many of the shelf's discounted sales would have
        #: been made at list (``ordering.sold_anyway``), donated, wasted; a
        #: lot's stay until its slot is filled again the next morning
        #: (``expired_yesterday``)
        self.lot_cut = np.zeros((n, k))
        self.lot_cut_revenue = np.zeros((n, k))
        self.lot_cut_anyway = np.zeros((n, k))
        self.lot_donated = np.zeros((n, k))
        self.lot_wasted = np.zeros((n, k))
        self.demand = demand_seen(replay, setting)
        self.daily = self.demand.sum(axis=2)

    def forecast(self, day: int) -> Array:
        """Mean daily demand over the 7 days before ``day`` (what orders and
        plans go by)."""
        return np.asarray(self.daily[:, max(0, day - 7) : day].mean(axis=1), dtype=np.float64)

    def recent_sd(self, day: int) -> Array:
        """Standard deviation of daily demand over the 28 days before ``day``."""
        return np.asarray(self.daily[:, max(0, day - 28) : day].std(axis=1), dtype=np.float64)

    def sellable_today(self) -> Array:
        """Units of each series still sellable today (lots not yet expired)."""
        return np.asarray(
            np.where(self.expiry >= self.day, self.qty, 0.0).sum(axis=1), dtype=np.float64
        )

    def hours_left(self) -> npt.NDArray[np.int64]:
        """Hours each lot may still be sold, from now."""
        return np.asarray((self.expiry - self.day + 1) * HOURS - self.hour, dtype=np.int64)

    def expired_yesterday(self) -> tuple[int, npt.NDArray[np.bool_]]:
        """Before the morning's lot arrives: the slot it will fill, and for
        each series whether that slot holds a lot that expired yesterday
        (its outcome is complete and still readable until the slot is
        refilled)."""
        slot = self.day % self.setting.shelf_life_days
        return slot, np.asarray(self.expiry[:, slot] == self.day - 1)

    def donate(self, units: Array) -> None:
        units = np.minimum(np.maximum(units, 0.0), self.qty)
        self.qty -= units
        self.lot_donated += units
        self.tally.donated += np.where(self.counted, units, 0.0).sum(axis=1)

    def sell_hour(self) -> None:
        d = self.demand[:, self.day, self.hour]
        beta = self.replay.elasticity
        e = self.setting.economics
        live = self.qty > 1e-12
        key = np.where(live, self.ratio * 1e6 - self.expiry, np.inf)
        order = np.argsort(key, axis=1)
        rows = np.arange(len(d))
        served = np.zeros(len(d))
        t = self.tally
        for k in range(order.shape[1]):
            idx = order[:, k]
            r = self.ratio[rows, idx]
            willing = d * np.power(np.maximum(r, 1e-6), beta)
            sold = np.clip(willing - served, 0.0, self.qty[rows, idx])
            left = self.qty[rows, idx] - sold
            self.qty[rows, idx] = np.where(left < DUST, 0.0, left)
            sold += np.where(left < DUST, left, 0.0)
            served += sold
            cut = np.where(r < 1.0 - 1e-9, sold, 0.0)
            self.lot_cut[rows, idx] += cut
            self.lot_cut_revenue[rows, idx] += cut * r * e.list_price
            self.lot_cut_anyway[rows, idx] += sold_anyway(cut, r, beta)
            sold = np.where(self.counted[rows, idx], sold, 0.0)
            t.sold += sold
            t.revenue += sold * r * e.list_price
            t.sold_discounted += np.where(r < 1.0 - 1e-9, sold, 0.0)
            t.discount_given += sold * (1.0 - r)
        if self.in_window:
            t.lost += np.maximum(d - served, 0.0)
            t.demand += d

    @property
    def in_window(self) -> bool:
        s = self.setting
        return s.first_day <= self.day < s.first_day + s.days


class Policy(Protocol):
    name: str

    def order(self, store: Store) -> Array | None:
        """Units to receive this morning (None: the common rule)."""

    def decide(self, store: Store) -> None:
        """Set ``store.ratio`` and call ``store.donate`` at a decision hour."""


def run(replay: DemandReplay, setting: Setting, policy: Policy) -> Tally:
    store = Store(replay, setting)
    k = setting.shelf_life_days
    rows = np.arange(len(replay.ids))
    last = min(setting.first_day + setting.days + k - 1, replay.hourly.shape[1])
    for day in range(setting.first_day, last):
        store.day, store.hour = day, 0
        slot, _ = store.expired_yesterday()  # today's lot takes yesterday's expired one's slot
        qty = policy.order(store)
        if qty is None:
            qty = setting.cover_days * store.forecast(day)
        store.qty[rows, slot] = np.maximum(qty, 0.0)
        outcomes = (store.lot_cut, store.lot_cut_revenue, store.lot_cut_anyway)
        for outcome in (*outcomes, store.lot_donated, store.lot_wasted):
            outcome[:, slot] = 0.0
        store.expiry[rows, slot] = day + k - 1
        store.ratio[rows, slot] = 1.0
        store.counted[rows, slot] = store.in_window
        store.tally.orders[day] = np.maximum(qty, 0.0)
        if store.in_window:
            store.tally.ordered += np.maximum(qty, 0.0)
        for hour in range(HOURS):
            store.hour = hour
            if hour in setting.decision_hours:
                before = store.ratio.copy()
                policy.decide(store)
                _check_no_increase(before, store)
                if store.in_window:
                    store.tally.exposure.append(_exposure(store))
            store.sell_hour()
        ending = store.expiry == day
        store.tally.wasted += np.where(ending & store.counted, store.qty, 0.0).sum(axis=1)
        store.lot_wasted[ending] = store.qty[ending]
        store.qty[ending] = 0.0
    # the run goes on (ordering as usual) until the last counted lot expires;
    # lots received after the window are stocked and sold but not tallied
    return store.tally


def _check_no_increase(before: Array, store: Store) -> None:
    live = store.qty > 1e-12
    if np.any((store.ratio > before + 1e-9) & live):
        raise RuntimeError("a policy raised the price of a lot on clearance")


def _exposure(store: Store) -> float:
    """Share of displayed series (with stock) that have a lot on clearance."""
    live = store.qty > 1e-12
    shown = live.any(axis=1)
    cleared = (live & (store.ratio < 1.0 - 1e-9)).any(axis=1)
    return float(cleared.sum() / max(shown.sum(), 1))
