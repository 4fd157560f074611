"""Learning a channel's rates from what happened when units were sent to it.

The catalogue's sell-through and price ratio are assumptions; outcomes
(units offered, units sold, revenue, list value of the units sold) replace
them gradually, with no jump on a single bad evening.

**Sell-through** is a Beta-Binomial posterior mean. The channel's current
``sell_through`` ``s0`` is the prior, worth ``prior_strength`` (``k``)
pseudo-units offered: Beta(s0·k, (1 − s0)·k). After ``n`` units offered of
which ``m`` sold, the estimate is ``(s0·k + m) / (k + n)``: with the default
k = 20, twenty units of real history weigh as much as the assumption.

**Price ratio** is the realised revenue over the list value of the units
sold, pooled over the outcomes, and weighted by the units sold against the
prior ``r0`` worth ``k`` pseudo-units sold: ``(r0·k + m·revenue / list value)
/ (k + m)``. Outcomes with no list value inform the sell-through only.

**Logistics cost** per unit sent is what the outcomes say it cost, where
they say (``logistics``: the money paid for the units sent, courier and
packing), against the current cost worth ``k`` pseudo-units sent:
``(c0·k + paid) / (k + n)``. Outcomes that do not say inform the rates only.

**Sequential use.** Each call counts the channel's current values as ``k``
pseudo-units, whatever went into them, so learning batch by batch discounts
older history by ``k / (k + n)`` per batch of ``n`` units: the rates follow a
channel that changes. To weigh all history alike, learn once from all of it
against the catalogue's assumption.

**Time-of-day / day-of-week** (``by_window=True``): outcomes stamped with the
start of their window (``at``) also update that ``Window``'s own
sell-through. Its prior is the window's own value if it has one, else the
channel's estimate from the outcomes of its *other* windows (so a window
borrows from the rest without counting its own outcomes twice).

Pure functions: no I/O; a new frozen ``Channel`` comes back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

import pandas as pd

from shelfpilot.channels.model import Channel, Window
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware

#: pseudo-units the current value weighs against real outcomes
PRIOR_STRENGTH = 20.0
REQUIRED_COLUMNS = ("channel", "offered", "sold")
OPTIONAL_COLUMNS = ("revenue", "list_value", "at", "logistics")


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    """What happened to units sent to one channel (in one window)."""

    channel: str
    offered: float
    sold: float
    #: money received for the units sold
    revenue: float = 0.0
    #: list price × units sold (0 when unknown: then no price is learnt)
    list_value: float = 0.0
    #: start of the window the units were offered in (aware), if known
    at: datetime | None = None
    #: money paid to get the units offered to the channel, if known
    logistics: float | None = None

    def __post_init__(self) -> None:
        who = f"outcome of channel {self.channel}"
        for value, what in (
            (self.offered, "units offered"),
            (self.sold, "units sold"),
            (self.revenue, "revenue"),
            (self.list_value, "list value"),
            (0.0 if self.logistics is None else self.logistics, "logistics cost"),
        ):
            if not math.isfinite(value) or value < 0:
                raise InvalidValue(f"{who}: {what} must be 0 or more, got {value!r}")
        if self.sold > self.offered + 1e-9:
            raise InvalidValue(
                f"{who}: {self.sold:g} units sold but only {self.offered:g} were offered"
            )
        if self.revenue > self.list_value * (1 + 1e-9) + 1e-9:
            raise InvalidValue(
                f"{who}: revenue {self.revenue:.2f} is above the list value of the units sold "
                f"({self.list_value:.2f}); give the list value of the units sold"
            )
        if self.at is not None:
            require_aware(self.at, f"{who}: window start")


def _posterior(prior: float, strength: float, successes: float, trials: float) -> float:
    """Posterior mean of a share with prior mean ``prior`` worth ``strength`` trials."""
    if strength + trials <= 0:
        return prior
    return min(max((prior * strength + successes) / (strength + trials), 0.0), 1.0)


def _check_strength(prior_strength: float) -> float:
    if not math.isfinite(prior_strength) or prior_strength <= 0:
        raise InvalidValue(f"the prior strength must be above 0 pseudo-units, got {prior_strength}")
    return float(prior_strength)


def learn(
    channel: Channel,
    outcomes: Iterable[ChannelOutcome],
    *,
    prior_strength: float = PRIOR_STRENGTH,
    by_window: bool = False,
    zone: tzinfo | None = None,
) -> Channel:
    """``channel`` with sell-through, price ratio and logistics cost updated
    from its ``outcomes`` (those of other channels are ignored); unchanged
    when nothing was offered. ``by_window`` also updates each window's
    sell-through from outcomes stamped inside it, read in ``zone`` (default:
    each stamp's own zone)."""
    k = _check_strength(prior_strength)
    mine = [o for o in outcomes if o.channel == channel.code]
    offered = sum(o.offered for o in mine)
    if offered <= 0:
        return channel
    sold = sum(o.sold for o in mine)
    priced = [o for o in mine if o.list_value > 0]
    price_ratio = channel.price_ratio
    if priced:
        seen = sum(o.revenue for o in priced) / sum(o.list_value for o in priced)
        weight = sum(o.sold for o in priced)
        price_ratio = min(max((channel.price_ratio * k + weight * seen) / (k + weight), 0.0), 1.0)
    logistics_cost = channel.logistics_cost
    costed = [o for o in mine if o.logistics is not None]
    if costed:
        paid = sum(o.logistics or 0.0 for o in costed)
        logistics_cost = (logistics_cost * k + paid) / (k + sum(o.offered for o in costed))
    windows = channel.windows
    if by_window:
        windows = _learn_windows(channel, mine, k, zone)
    return replace(
        channel,
        sell_through=_posterior(channel.sell_through, k, sold, offered),
        price_ratio=price_ratio,
        logistics_cost=logistics_cost,
        windows=windows,
    )


def window_of(channel: Channel, at: datetime, zone: tzinfo | None = None) -> int | None:
    """Index of the window of ``channel`` holding the local time ``at`` (windows do not overlap)."""
    local = at.astimezone(zone) if zone is not None else at
    hour = local.hour + local.minute / 60 + local.second / 3600
    return next(
        (i for i, w in enumerate(channel.windows) if w.contains(local.weekday(), hour)), None
    )


def _learn_windows(
    channel: Channel, outcomes: Sequence[ChannelOutcome], k: float, zone: tzinfo | None
) -> tuple[Window, ...]:
    offered = [0.0] * len(channel.windows)
    sold = [0.0] * len(channel.windows)
    for o in outcomes:
        i = window_of(channel, o.at, zone) if o.at is not None else None
        if i is not None:
            offered[i] += o.offered
            sold[i] += o.sold
    all_offered = sum(o.offered for o in outcomes)
    all_sold = sum(o.sold for o in outcomes)
    out = []
    for i, w in enumerate(channel.windows):
        if offered[i] <= 0:
            out.append(w)
            continue
        prior = w.sell_through
        if prior is None:  # the channel's estimate without this window's outcomes
            rest_sold, rest_offered = all_sold - sold[i], all_offered - offered[i]
            prior = _posterior(channel.sell_through, k, rest_sold, rest_offered)
        out.append(replace(w, sell_through=_posterior(prior, k, sold[i], offered[i])))
    return tuple(out)


def outcomes_from_frame(frame: pd.DataFrame) -> list[ChannelOutcome]:
    """Outcomes from a table with columns ``channel``, ``offered``, ``sold``
    and optionally ``revenue``, ``list_value`` (list price × units sold),
    ``at`` (aware start of the window) and ``logistics`` (money paid for the
    units sent; a blank cell is "not known")."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidValue(
            f"the outcomes table lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join(REQUIRED_COLUMNS)} and may have {', '.join(OPTIONAL_COLUMNS)}"
        )
    n = len(frame)
    columns: dict[str, list[float]] = {}
    for name in ("offered", "sold", "revenue", "list_value"):
        if name not in frame.columns:
            columns[name] = [0.0] * n
            continue
        values = pd.to_numeric(frame[name], errors="coerce").astype(float).tolist()
        bad = [str(frame.index[i]) for i, v in enumerate(values) if not math.isfinite(v)]
        if bad:
            raise InvalidValue(f"outcomes column {name}: no number in row(s) {', '.join(bad[:5])}")
        columns[name] = values
    stamps = [_stamp(v) for v in frame["at"].tolist()] if "at" in frame.columns else [None] * n
    paid = _optional_numbers(frame, "logistics")
    codes = frame["channel"].astype(str).str.strip().tolist()
    return [
        ChannelOutcome(
            code,
            columns["offered"][i],
            columns["sold"][i],
            columns["revenue"][i],
            columns["list_value"][i],
            stamps[i],
            paid[i],
        )
        for i, code in enumerate(codes)
    ]


def _optional_numbers(frame: pd.DataFrame, name: str) -> list[float | None]:
    """A column where a blank cell means "not known" (None) and anything
    else must be a number."""
    if name not in frame.columns:
        return [None] * len(frame)
    given = frame[name].notna().tolist()
    values = pd.to_numeric(frame[name], errors="coerce").astype(float).tolist()
    bad = [str(frame.index[i]) for i, v in enumerate(values) if given[i] and not math.isfinite(v)]
    if bad:
        raise InvalidValue(f"outcomes column {name}: no number in row(s) {', '.join(bad[:5])}")
    return [v if given[i] else None for i, v in enumerate(values)]


def _stamp(value: object) -> datetime | None:
    """A window start from the ``at`` column: missing (None, NaT, NaN) is None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        raise InvalidValue(f"outcomes column at: {value!r} is not a date-time")
    return require_aware(value, "outcomes column at: window start")


def learn_all(
    channels: Iterable[Channel],
    outcomes: pd.DataFrame | Iterable[ChannelOutcome],
    *,
    prior_strength: float = PRIOR_STRENGTH,
    by_window: bool = False,
    zone: tzinfo | None = None,
) -> tuple[Channel, ...]:
    """Every channel updated from its outcomes, in the order given. An
    outcome naming no known channel is refused (a typo would be lost)."""
    channels = list(channels)
    rows = outcomes_from_frame(outcomes) if isinstance(outcomes, pd.DataFrame) else list(outcomes)
    unknown = sorted({o.channel for o in rows} - {c.code for c in channels})
    if unknown:
        raise InvalidValue(f"outcomes name unknown channel(s): {', '.join(unknown)}")
    by_code: dict[str, list[ChannelOutcome]] = {c.code: [] for c in channels}
    for o in rows:
        by_code[o.channel].append(o)
    return tuple(
        learn(c, by_code[c.code], prior_strength=prior_strength, by_window=by_window, zone=zone)
        for c in channels
    )
