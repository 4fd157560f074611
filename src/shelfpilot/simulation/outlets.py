"""Our optimiser with actions and channels, in the simulator.

At every decision hour, after the markdown plan, the units each lot is
expected to have left at its end (``Optimiser.expected_left``) are offered to
the store's channels with the product's allocation programme
(``channels.allocate``); the windows that open before the next decision are
carried out. Of ``x`` units sent with sell-through ``s``, ``s·x`` sell at the
channel's price ratio and leave the shelf; logistics is paid on all ``x``;
the rest stay on the shelf, still at risk. The food bank takes what it is
sent (a donation, needs ``Guardrails.donation_min_hours`` of life).

**Nothing from nothing.** Channel buyers are other customers, but some of
them would have come to the shop anyway: a share ``CANNIBALISED`` of every
unit a channel sells is taken from the same product's demand in the store,
from the hour of the decision on (the rest of the day, then the next days). Capacities are shares of the store's daily unit
sales (``OUTLETS``) so a small store gets small channels. Every figure is an
assumption (FreshRetailNet has no channel data), written here and in the
results; the policy is reported beside the others, never in their place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from shelfpilot.channels import Allocation, AtRiskLot, Channel, ChannelKind, allocate
from shelfpilot.channels.model import DAILY, MON_FRI, Audience, Window
from shelfpilot.simulation.engine import HOURS, Array, Store
from shelfpilot.simulation.policies import Optimiser

#: share of a channel's sales that would otherwise have been bought in the store
CANNIBALISED = 0.3


@dataclass(frozen=True)
class Outlet:
    """A channel as a share of the store's daily unit sales (list = 1.0)."""

    code: str
    kind: ChannelKind
    share: float
    window: Window
    sell_through: float
    price_ratio: float
    logistics: float = 0.0
    min_hours_left: float = 0.0

    def channel(self, store_volume: float) -> Channel:
        capacity = max(self.share * store_volume, 0.0)
        audience = None
        if self.kind is ChannelKind.MEMBER_PUSH:  # consenting reach sized to the capacity
            audience = Audience(1, 1, 1.0, max(capacity, 1e-9))
        return Channel(
            self.code, self.kind, capacity, (self.window,), self.sell_through,
            self.price_ratio, self.logistics, self.min_hours_left, audience,
        )  # fmt: skip


#: the bakery catalogue (``channels.bakery_channels``) scaled to a store;
#: logistics in list-price units (the catalogue's costs over a list of about 3)
OUTLETS = (
    Outlet("member-push", ChannelKind.MEMBER_PUSH, 0.02, Window(DAILY, 17, 18), 0.6, 0.7, 0.0, 3),
    Outlet("corporate", ChannelKind.CORPORATE, 0.02, Window(MON_FRI, 7, 9), 0.95, 0.6, 0.1, 12),
    Outlet("group-buy", ChannelKind.GROUP_BUY, 0.02, Window(DAILY, 20, 21), 0.8, 0.55, 0.07, 18),
    Outlet(
        "livestream",
        ChannelKind.LIVESTREAM,
        0.04,
        Window(frozenset({4}), 19, 21),
        0.7,
        0.6,
        0.17,
        36,
    ),
    Outlet("partners", ChannelKind.PARTNER, 0.01, Window(DAILY, 7, 8), 0.95, 0.45, 0.08, 12),
    Outlet("surplus-app", ChannelKind.SURPLUS_APP, 0.02, Window(DAILY, 18, 21), 0.85, 0.3, 0.0, 1),
    Outlet("blind-box", ChannelKind.BLIND_BOX, 0.02, Window(DAILY, 18, 20), 0.7, 0.4, 0.03, 0),
    Outlet("food-bank", ChannelKind.FOOD_BANK, 0.5, Window(DAILY, 17, 18), 1.0, 0.0, 0.02, 48),
)


@dataclass
class WithChannels:
    """``Optimiser`` for prices and donations, then channels for what is left."""

    inner: Optimiser = field(default_factory=Optimiser)
    outlets: tuple[Outlet, ...] = OUTLETS
    name: str = "our optimiser + actions + channels"

    def order(self, store: Store) -> Array | None:
        return self.inner.order(store)

    def decide(self, store: Store) -> None:
        self.inner.decide(store)
        hours = store.setting.decision_hours
        later = [h for h in hours if h > store.hour]
        until = later[0] if later else HOURS
        now = datetime.combine(store.replay.dates[store.day].date(), datetime.min.time(), UTC)
        now += timedelta(hours=store.hour)
        volume = store.forecast(store.day)
        left = store.hours_left()
        by_store: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for (i, slot), units in self.inner.expected_left.items():
            if units > 1e-6 and store.qty[i, slot] > 1e-9:
                by_store[int(store.replay.stores[i])].append((i, slot))
        e = store.setting.economics
        for st, lots in by_store.items():
            members = store.replay.stores == st
            channels = [o.channel(float(volume[members].sum())) for o in self.outlets]
            at_risk = [
                AtRiskLot.with_hours_left(
                    f"{i}:{slot}",
                    str(i),
                    "all",
                    min(self.inner.expected_left[(i, slot)], float(store.qty[i, slot])),
                    e.list_price,
                    e.waste_cost,
                    now=now,
                    hours_left=float(left[i, slot]),
                )
                for i, slot in lots
            ]
            plan = allocate(at_risk, channels, now, days=1)
            for row in plan.rows:
                if (row.start - now) / timedelta(hours=1) < until - store.hour:
                    i, slot = (int(k) for k in row.lot.split(":"))
                    _send(store, i, slot, row)


def _send(store: Store, i: int, slot: int, row: Allocation) -> None:
    """Carry out one row of the channel plan on the shelf and in the books."""
    units = min(row.units, float(store.qty[i, slot]))
    if units <= 1e-9:
        return
    t, e = store.tally, store.setting.economics
    counted = bool(store.counted[i, slot])
    cost = row.logistics * units / row.units
    if row.kind is ChannelKind.FOOD_BANK:
        gift = np.zeros_like(store.qty)
        gift[i, slot] = units
        store.donate(gift)
        t.channel_costs[i] += cost if counted else 0.0
        return
    sold = units * row.expected_sold / row.units
    store.qty[i, slot] -= sold
    _cannibalise(store, i, CANNIBALISED * sold)
    if row.price_ratio < 1.0 - 1e-9:  # the lot's own outcome nets the logistics
        store.lot_cut[i, slot] += sold
        store.lot_cut_revenue[i, slot] += sold * row.price_ratio * e.list_price - cost
    if counted:
        t.sold[i] += sold
        t.channel_sold[i] += sold
        t.revenue[i] += sold * row.price_ratio * e.list_price
        t.sold_discounted[i] += sold if row.price_ratio < 1.0 - 1e-9 else 0.0
        t.discount_given[i] += sold * (1.0 - row.price_ratio)
        t.channel_costs[i] += cost


def _cannibalise(store: Store, i: int, units: float) -> None:
    """Take ``units`` of the series' store demand, from this hour on (the rest
    of today first, then the next days): those customers bought through the
    channel instead. They count as demand served, not lost."""
    days = store.demand.shape[1]
    day, hour, left = store.day, store.hour, units
    while left > 1e-12 and day < days:
        rest = store.demand[i, day, hour:]
        total = float(rest.sum())
        if total > 1e-12:
            taken = min(left, total)
            rest *= 1.0 - taken / total
            left -= taken
        day, hour = day + 1, 0
    if store.in_window:
        store.tally.demand[i] += units - left
