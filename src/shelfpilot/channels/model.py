"""Where at-risk units can go besides the store's own shelf: the channels.

A shop has more outlets for stock it will not sell in time than the markdown
sticker: a push to members, corporate orders, community group-buy leaders, a
livestream clearance hour, partner cafés and hotels, surplus apps and the
food bank. Each is described here by the few numbers the allocation needs:

- **when it runs**: ``Window``s of local weekdays and hours (a livestream on
  Friday 19–21 h, a food-bank pick-up daily 17–18 h). A window may carry its
  own capacity or sell-through where a day or hour differs from the channel's
  usual (that is the time-of-day / day-of-week pattern, learnt by
  ``channels.learning``);
- **how much it takes**: ``capacity`` in units per window;
- **how well it sells**: ``sell_through``, the expected share of the units
  offered that sell (units that do not sell come back and are still at
  risk), and ``price_ratio``, the realised price as a share of list (platform
  fees and commissions belong here, they scale with the price);
- **what it costs**: ``logistics_cost`` per unit sent (packing, courier,
  drop-off), and ``donation_value`` per unit placed that is not revenue (a
  tax receipt for a donation, if the shop counts one);
- **what it accepts**: ``min_hours_left``, the life a unit must still have
  when the window starts (the food bank needs 48 h, the same cut-off as
  ``Guardrails.donation_min_hours``), and ``categories`` (empty: all).

A member push may only reach members who consented to marketing messages, so
its capacity is derived from an ``Audience`` that counts the consenting
members on their own: members who did not consent are carried only so the
count can be checked, and never enter the reach.

``open_windows`` lays the weekly pattern out as concrete ``ChannelWindow``s
(start, end, capacity, sell-through) over the next days in the store's zone;
windows of one channel may not overlap, since capacity is counted per window.

Money is a plain float here, in the lot's currency: these are planning
estimates for an optimiser, not ledger amounts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from shelfpilot.domain.catalog import check_code
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware, utc

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Python's weekdays: Monday is 0.
DAILY = frozenset(range(7))
MON_FRI = frozenset(range(5))


class ChannelKind(StrEnum):
    MEMBER_PUSH = "member_push"
    CORPORATE = "corporate"
    GROUP_BUY = "group_buy"
    LIVESTREAM = "livestream"
    PARTNER = "partner"
    SURPLUS_APP = "surplus_app"
    FOOD_BANK = "food_bank"
    #: the store's own mystery box of near-expiry items (``clearance.blindbox``)
    BLIND_BOX = "blind_box"
    #: a paid workshop that uses the items as material (the seed's 创意再造工作坊)
    WORKSHOP = "workshop"
    #: pre-orders at a discount, collected within days (the seed's 预售式清仓)
    PRESALE = "presale"


def _number(value: float, what: str, low: float = 0.0, high: float = math.inf) -> float:
    if not math.isfinite(value):
        raise InvalidValue(f"{what} must be a number, got {value!r}")
    if not low <= value <= high:
        bounds = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise InvalidValue(f"{what} must be {bounds}, got {value:g}")
    return float(value)


def _clock(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """When a channel runs: these local weekdays (0 = Monday), from
    ``start_hour`` to ``end_hour`` (hours of the day, 19.5 = 19:30). A window
    past midnight is two windows. ``capacity`` and ``sell_through``, when
    set, replace the channel's for this window."""

    weekdays: frozenset[int]
    start_hour: float
    end_hour: float
    capacity: float | None = None
    sell_through: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not self.weekdays or not self.weekdays <= DAILY:
            raise InvalidValue("a channel window needs weekdays from 0 (Monday) to 6 (Sunday)")
        _number(self.start_hour, "a window's start hour", 0.0, 24.0)
        _number(self.end_hour, "a window's end hour", 0.0, 24.0)
        if self.end_hour <= self.start_hour:
            raise InvalidValue(
                f"a window must end after it starts ({_clock(self.start_hour)}–"
                f"{_clock(self.end_hour)}); split a window past midnight in two"
            )
        if self.capacity is not None:
            _number(self.capacity, "a window's capacity (units)")
        if self.sell_through is not None:
            _number(self.sell_through, "a window's sell-through", 0.0, 1.0)

    def overlaps(self, other: Window) -> bool:
        return bool(self.weekdays & other.weekdays) and (
            self.start_hour < other.end_hour and other.start_hour < self.end_hour
        )

    def contains(self, weekday: int, hour: float) -> bool:
        return weekday in self.weekdays and self.start_hour <= hour < self.end_hour

    def __str__(self) -> str:
        days = (
            "daily"
            if self.weekdays == DAILY
            else "/".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        )
        return f"{days} {_clock(self.start_hour)}–{_clock(self.end_hour)}"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a member push may reach. Only ``consented`` members count: the
    others (``members - consented``) are never messaged and add nothing to
    the reach. ``response_rate`` is the share of consenting members who take
    up an offer, each taking ``units_per_response`` units."""

    members: int
    consented: int
    response_rate: float
    units_per_response: float = 1.0

    def __post_init__(self) -> None:
        if self.members < 0 or self.consented < 0:
            raise InvalidValue("member counts cannot be negative")
        if self.consented > self.members:
            raise InvalidValue(
                f"{self.consented} members consented but there are only {self.members} members"
            )
        _number(self.response_rate, "the member response rate", 0.0, 1.0)
        _number(self.units_per_response, "units per member response")

    @classmethod
    def from_consents(
        cls, consents: Sequence[bool], response_rate: float, units_per_response: float = 1.0
    ) -> Audience:
        """The audience of a member list given each member's consent flag."""
        return cls(len(consents), sum(consents), response_rate, units_per_response)

    @property
    def reach(self) -> float:
        """Units a push can move: consenting members only × response × units each."""
        return self.consented * self.response_rate * self.units_per_response


@dataclass(frozen=True, slots=True)
class Channel:
    code: str
    kind: ChannelKind
    #: units per window
    capacity: float
    windows: tuple[Window, ...]
    #: expected share of the units offered that sell (or are taken)
    sell_through: float
    #: realised price as a share of list price, fees and commissions deducted
    price_ratio: float
    #: money per unit sent, in the lot's currency
    logistics_cost: float = 0.0
    #: life a unit must still have when the window starts, in hours
    min_hours_left: float = 0.0
    #: required for a member push: its capacity is what consenting members take
    audience: Audience | None = None
    #: product categories accepted; empty accepts all
    categories: frozenset[str] = field(default_factory=frozenset)
    #: money per unit placed that is not revenue (a donation receipt); mainly the food bank
    donation_value: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", check_code(self.code, "channel code"))
        object.__setattr__(self, "kind", ChannelKind(self.kind))
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "categories", frozenset(self.categories))
        who = f"channel {self.code}"
        _number(self.capacity, f"{who}: capacity per window (units)")
        if not self.windows:
            raise InvalidValue(f"{who}: give at least one time window when it runs")
        for i, a in enumerate(self.windows):
            for b in self.windows[i + 1 :]:
                if a.overlaps(b):
                    raise InvalidValue(
                        f"{who}: windows {a} and {b} overlap (capacity is per window); merge them"
                    )
        _number(self.sell_through, f"{who}: sell-through (share of units offered)", 0.0, 1.0)
        _number(self.price_ratio, f"{who}: price ratio (share of list)", 0.0, 1.0)
        _number(self.logistics_cost, f"{who}: logistics cost per unit")
        _number(self.min_hours_left, f"{who}: hours of life needed")
        _number(self.donation_value, f"{who}: donation value per unit")
        if self.kind is ChannelKind.MEMBER_PUSH and self.audience is None:
            raise InvalidValue(
                f"{who}: a member push needs its audience (members who consented to messages)"
            )
        if self.kind is not ChannelKind.MEMBER_PUSH and self.audience is not None:
            raise InvalidValue(f"{who}: only a member push has an audience; put reach in capacity")

    @property
    def label(self) -> str:
        return self.name or self.code

    def accepts(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def window_capacity(self, window: Window) -> float:
        """Units this channel takes in ``window``; a push is capped by its consenting reach."""
        cap = self.capacity if window.capacity is None else window.capacity
        return min(cap, self.audience.reach) if self.audience is not None else cap

    def window_sell_through(self, window: Window) -> float:
        return self.sell_through if window.sell_through is None else window.sell_through

    def unit_gain(
        self, list_price: float, waste_cost: float, sell_through: float | None = None
    ) -> float:
        """What offering one unit here earns over keeping it at risk. A unit
        kept is wasted (``waste_cost``: unit cost + disposal). Sent, it sells
        with probability ``s`` (price ``price_ratio × list``, plus any donation
        value, and its waste is avoided) or comes back and is still wasted;
        logistics is paid either way: ``s × (r × list + donation + waste) − logistics``."""
        s = self.sell_through if sell_through is None else sell_through
        placed = self.price_ratio * list_price + self.donation_value + waste_cost
        return s * placed - self.logistics_cost


@dataclass(frozen=True, slots=True)
class ChannelWindow:
    """One run of a channel: a concrete start and end in the store's zone."""

    channel: Channel
    start: datetime
    end: datetime
    capacity: float
    sell_through: float


def _local(day: date, hours: float, zone: tzinfo) -> datetime:
    """Wall-clock ``hours`` after local midnight of ``day`` (24 is the next
    midnight), with the zone's offset for that wall time."""
    naive = datetime.combine(day, time(0)) + timedelta(minutes=round(hours * 60))
    return naive.replace(tzinfo=zone)


def open_windows(
    channels: Iterable[Channel], now: datetime, *, days: int = 3, zone: tzinfo | None = None
) -> list[ChannelWindow]:
    """The windows of ``channels`` that end after ``now`` and start within
    ``days`` of it, earliest first. ``zone`` is the store's (default: the
    zone of ``now``); a window in progress starts at ``now`` with the rest
    of its capacity."""
    require_aware(now, "planning time")
    if days < 1:
        raise InvalidValue(f"plan at least one day ahead, got {days}")
    zone = zone or now.tzinfo
    assert zone is not None  # require_aware
    here, horizon = utc(now), utc(now) + timedelta(days=days)
    today = now.astimezone(zone).date()
    out = []
    for channel in channels:
        for window in channel.windows:
            for offset in range(days + 1):
                day = today + timedelta(days=offset)
                if day.weekday() not in window.weekdays:
                    continue
                start = _local(day, window.start_hour, zone)
                end = _local(day, window.end_hour, zone)
                if utc(end) <= here or utc(start) >= horizon:
                    continue
                capacity = channel.window_capacity(window)
                if utc(start) < here:
                    capacity *= (utc(end) - here) / (utc(end) - utc(start))
                    start = now.astimezone(zone)
                st = channel.window_sell_through(window)
                out.append(ChannelWindow(channel, start, end, capacity, st))
    out.sort(key=lambda w: (utc(w.start), w.channel.code))
    return out
