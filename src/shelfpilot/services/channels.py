"""Clearance channels: set them up, learn from their outcomes and plan what
to send them (sending and recording outcomes: ``services.channel_outcomes``).

A channel's rates are planned with what its outcomes taught
(``channels.learning``, from every outcome recorded), starting from what the
shop set up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from shelfpilot.channels import (
    Allocation,
    AtRiskLot,
    Channel,
    ChannelKind,
    allocate,
    bakery_channels,
)
from shelfpilot.channels.codec import from_spec, to_spec
from shelfpilot.channels.learning import ChannelOutcome, learn
from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.domain.lots import LotKey
from shelfpilot.domain.money import estimate, show
from shelfpilot.domain.plans import PlanAction, PlanLine, as_ratio
from shelfpilot.services.adjustments import audit
from shelfpilot.services.clearance import Proposal
from shelfpilot.storage import Database, UnitOfWork

#: fewer units than this are not worth a channel line
MIN_UNITS = 0.5


@dataclass(frozen=True)
class ChannelStatus:
    configured: Channel
    learned: Channel
    offered: float
    sold: float


#: short weekday names, as phrases (a plan line says "Mon 19:00" or "周一 19:00")
WEEKDAYS = (
    Text("Mon"), Text("Tue"), Text("Wed"), Text("Thu"), Text("Fri"), Text("Sat"), Text("Sun"),
)  # fmt: skip


#: the default channels' names, which are translated (a shop's own are shown as written)
DEFAULT_NAMES = frozenset(c.name for c in bakery_channels())


def channel_name(name: str) -> str:
    """A channel's name as a phrase when it is one of ours, else as written."""
    return Text(name) if name in DEFAULT_NAMES else name


def _moment(when: datetime) -> Text:
    return Text("{day} {time}", day=WEEKDAYS[when.weekday()], time=f"{when:%H:%M}")


def set_up_channels(db: Database, channels: Sequence[Channel], *, actor: str) -> None:
    """Add or replace channels (by code)."""
    with db.transaction() as uow:
        for channel in channels:
            uow.channels.save(to_spec(channel))
            audit(uow, actor, "channel.set", f"channel {channel.code}", {}, {
                "capacity": f"{channel.capacity:g}", "sell_through": f"{channel.sell_through:g}",
                "price_ratio": f"{channel.price_ratio:g}",
            })  # fmt: skip


def install_defaults(db: Database, *, actor: str) -> None:
    """The illustrative bakery catalogue (``channels.bakery_channels``), to edit."""
    set_up_channels(db, bakery_channels(), actor=actor)


def _outcomes(uow: UnitOfWork) -> list[ChannelOutcome]:
    """Recorded outcomes; a row the learning cannot use (revenue above list,
    say, from before that was checked) is left out rather than stop planning."""
    out = []
    for r in uow.channels.outcomes():
        try:
            out.append(
                ChannelOutcome(
                    r.channel,
                    float(r.offered),
                    float(r.sold),
                    float(r.revenue),
                    float(r.list_value),
                    r.at,
                    float(r.logistics) if r.logistics_paid and r.logistics is not None else None,
                )
            )
        except InvalidValue:
            continue
    return out


def logistics_by_lot(uow: UnitOfWork) -> dict[int, float]:
    """Per lot id, what sending its units to channels that sell them cost, as
    kept with each outcome (paid, or as planned); for outcomes from before
    that was kept, units sent times the channel's cost as set up now. A lot's
    clearance revenue counts net of it when the shop learns what clearance
    recovers (``services.feedback``). The food bank's is left out: a
    donation has no revenue to net it from."""
    channels = {c.code: c for c in map(from_spec, uow.channels.specs(active_only=False))}
    cost: dict[int, float] = defaultdict(float)
    for r in uow.channels.outcomes():
        channel = channels.get(r.channel)
        if r.lot_id is None or channel is None or channel.kind is ChannelKind.FOOD_BANK:
            continue
        if r.logistics is None:
            cost[r.lot_id] += float(r.offered) * channel.logistics_cost
        else:
            cost[r.lot_id] += float(r.logistics)
    return dict(cost)


def learned_channels(uow: UnitOfWork) -> list[ChannelStatus]:
    outcomes = _outcomes(uow)
    out = []
    for channel in (from_spec(spec) for spec in uow.channels.specs()):
        mine = [o for o in outcomes if o.channel == channel.code]
        out.append(
            ChannelStatus(
                channel,
                learn(channel, mine),
                sum(o.offered for o in mine),
                sum(o.sold for o in mine),
            )
        )
    return out


def channel_status(db: Database) -> list[ChannelStatus]:
    with db.transaction(readonly=True) as uow:
        return learned_channels(uow)


def channel_lines(
    proposals: Sequence[Proposal], channels: Sequence[Channel], at: datetime, zone: ZoneInfo
) -> list[PlanLine]:
    """Plan lines sending what each lot is still expected to have left (after
    its markdown plan, donations included) to the channels that pay most over
    the next day: one line per lot and channel (a window running now and the
    same window tomorrow become one line).

    A lot waiting for the day's sales (``Proposal.waiting_for_sales``) is
    offered to none: what it will have left is a guess until they are seen,
    and a channel that takes it in the morning sells at its price units the
    shelf would have sold at list (in the simulator, offering such lots to
    the morning channels earned 1.5 % less with a 1-day life, 372 series).
    The day's plan is made once: ``shelfpilot plan --refresh`` after the
    day's first sales of the product proposes it again, channels included
    (the simulator decides again at 17:00)."""
    by_key = {f"{p.sku}|{p.lot_code}": p for p in proposals}
    lots = [
        AtRiskLot(
            key,
            p.sku,
            p.category,
            p.left_with_plan,
            float(p.list_price.amount),
            p.waste_cost,
            p.sellable_until,
            p.product_name,
        )
        for key, p in by_key.items()
        if p.left_with_plan >= MIN_UNITS and not p.waiting_for_sales
    ]
    if not lots or not channels:
        return []
    merged: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for row in allocate(lots, channels, at, days=1, zone=zone).rows:
        merged[(row.lot, row.channel)].append(row)
    lines = []
    left = {key: p.left_with_plan for key, p in by_key.items()}
    logistics = {c.code: c.logistics_cost for c in channels}
    for (key, _), rows in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[1][0].start)):
        p = by_key[key]
        total = sum(r.units for r in rows)
        units = estimate(total, 3)
        if p.unit == "pcs":
            units = units.to_integral_value(rounding=ROUND_FLOOR)
        if units < Decimal(repr(MIN_UNITS)):
            continue
        share = float(units) / total
        sold = sum(r.expected_sold for r in rows) * share
        gain = sum(r.gain for r in rows) * share
        first, last, row = rows[0].start, max(r.end for r in rows), rows[0]
        before, left[key] = left[key], max(left[key] - sold, 0.0)
        lines.append(
            PlanLine(
                lot=LotKey(p.location, p.sku, p.lot_code),
                current_ratio=as_ratio(p.current_ratio),
                proposed_ratio=as_ratio(row.price_ratio),
                donate=Decimal(0),
                left_if_held=estimate(before, 3),
                left_with_plan=estimate(left[key], 3),
                gain=estimate(gain, 4),
                reason=Text(
                    "send {units} to {channel} {start}–{end}: expect {sold:.1f} taken at "
                    "{ratio:.0%} of list, net {gain:+.2f} against keeping them",
                    units=show(units),
                    channel=channel_name(row.channel_label),
                    start=_moment(first.astimezone(zone)),
                    end=_moment(last.astimezone(zone)),
                    sold=sold,
                    ratio=row.price_ratio,
                    gain=gain,
                ),
                action=PlanAction.CHANNEL,
                units=units,
                detail={
                    "channel": row.channel,
                    "kind": row.kind.value,
                    "start": first.isoformat(),
                    "end": last.isoformat(),
                    "expected_sold": f"{sold:.3f}",
                    "price_ratio": f"{row.price_ratio:.4f}",
                    "logistics_cost": f"{logistics[row.channel]:.4f}",
                },
            )
        )
    return lines
