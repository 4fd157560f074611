"""Clearance channels: set them up, plan what to send them, and record what
they sold.

A channel's rates are planned with what its outcomes taught
(``channels.learning``, from every outcome recorded), starting from what the
shop set up. Recording an outcome posts the units sold to the ledger as a
sale of the lot at the price the channel realised, so the ledger stays the
one place stock is counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import partial
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
from shelfpilot.domain.errors import Conflict, InvalidValue, Text
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.ledger import EntryKind, LedgerEntry
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import estimate, quantity, show, to_decimal
from shelfpilot.domain.plans import PlanAction, PlanLine, as_ratio
from shelfpilot.services.adjustments import apply_removal, audit
from shelfpilot.services.clearance import Proposal
from shelfpilot.services.commands import RecordSale, RemoveStock, SaleLine
from shelfpilot.services.inventory import apply_sale
from shelfpilot.services.operations import execute
from shelfpilot.storage import Database, UnitOfWork

#: fewer units than this are not worth a channel line
MIN_UNITS = 0.5
DONATION_HOURS = Guardrails().donation_min_hours


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
                )
            )
        except InvalidValue:
            continue
    return out


def logistics_by_lot(uow: UnitOfWork) -> dict[int, float]:
    """Per lot id, what sending its units to channels that sell them cost:
    units sent times the channel's logistics cost per unit (as the channel is
    set up now). A lot's clearance revenue counts net of it when the shop
    learns what clearance recovers (``services.feedback``). The food bank's
    is left out: a donation has no revenue to net it from."""
    channels = {c.code: c for c in map(from_spec, uow.channels.specs(active_only=False))}
    cost: dict[int, float] = defaultdict(float)
    for r in uow.channels.outcomes():
        channel = channels.get(r.channel)
        if r.lot_id is None or channel is None or channel.kind is ChannelKind.FOOD_BANK:
            continue
        cost[r.lot_id] += float(r.offered) * channel.logistics_cost
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
    same window tomorrow become one line)."""
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
        if p.left_with_plan >= MIN_UNITS
    ]
    if not lots or not channels:
        return []
    merged: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for row in allocate(lots, channels, at, days=1, zone=zone).rows:
        merged[(row.lot, row.channel)].append(row)
    lines = []
    left = {key: p.left_with_plan for key, p in by_key.items()}
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
                },
            )
        )
    return lines


def _sent_key(line_id: int | None) -> str:
    return f"plan-line-{line_id}-sent"


def too_late_to_donate(uow: UnitOfWork, key: LotKey, at: datetime) -> str | None:
    """Why a lot can no longer go to a food bank (less than the guardrail's
    hours of life left), or None."""
    hours = (uow.stock.lot(key).expires_at - at) / timedelta(hours=1)
    if hours >= DONATION_HOURS:
        return None
    return (
        f"{key}: not donated, only {hours:.0f} h of life left (a food bank needs "
        f"{DONATION_HOURS:.0f} h); sell or dispose of it"
    )


def send_to_channel(
    uow: UnitOfWork, line: PlanLine, actor: str, at: datetime
) -> tuple[list[LedgerEntry], list[str]]:
    """What approving a channel line posts now. The units leave the shelf (a
    transfer out, so the till cannot sell them meanwhile); a food bank takes
    them for good (a donation, only with 48 h of life left); for the other
    channels the outcome brings back what did not sell and posts the sales."""
    have = uow.stock.balance_at(line.lot, at)
    units = min(line.units, have)
    if units <= 0:
        return [], [f"{line.lot}: nothing left to send to {line.detail.get('channel')}"]
    food_bank = line.detail.get("kind") == ChannelKind.FOOD_BANK.value
    if food_bank and (late := too_late_to_donate(uow, line.lot, at)):
        return [], [late]
    removal = RemoveStock(
        line.lot.location_code, line.lot.sku, line.lot.lot_code,
        EntryKind.DONATION if food_bank else EntryKind.TRANSFER_OUT, units, at,
        note=f"to {line.detail.get('channel')}, plan line {line.line_id}",
        idempotency_key=_sent_key(line.line_id), actor=actor,
        recipient=str(line.detail.get("channel")) if food_bank else None,
    )  # fmt: skip
    entries = apply_removal(uow, removal).entries
    if not food_bank:
        note = f"{line.lot}: {show(units)} sent; record what {line.detail.get('channel')} sold "
        return entries, [note + f"with `shelfpilot outcome {line.line_id}`"]
    list_price = uow.catalog.product(line.lot.sku).list_price.amount
    uow.channels.add_outcome(
        line.detail["channel"], plan_line_id=line.line_id, lot_id=uow.stock.lot_id(line.lot),
        offered=units, sold=units, revenue=Decimal(0), list_value=units * list_price, at=at,
        by=actor,
    )  # fmt: skip
    return entries, []


@dataclass(frozen=True)
class OutcomeResult:
    line: PlanLine
    entries: list[LedgerEntry]
    replayed: bool = False


@dataclass(frozen=True)
class _Return:
    """The units a channel brings back to the lot when its outcome is settled."""

    line_id: int
    units: Decimal
    at: datetime
    idempotency_key: str


def record_outcome(
    db: Database,
    line_id: int,
    sold: Decimal,
    *,
    actor: str,
    revenue: Decimal | None = None,
    at: datetime | None = None,
) -> OutcomeResult:
    """What an approved channel line sold. The units sent come back to the lot
    and the ones sold leave it as a sale at the channel's price (so the ledger
    shows sent, returned and sold); the outcome is kept for learning. The
    default time is the end of the channel's window (or now, if earlier).
    Recording the same outcome again is a no-op."""
    sold = quantity(sold, "units sold")
    with db.transaction() as uow:
        line, _, _ = uow.plans.line(line_id)
        line.require_approved(PlanAction.CHANNEL, "its outcome")
        if line.detail.get("kind") == ChannelKind.FOOD_BANK.value:
            raise InvalidValue(
                "plan line {line} went to the food bank; nothing to record", line=line_id
            )
        sent_op = uow.stock.find_operation(_sent_key(line_id))
        if sent_op is None:
            raise InvalidValue(
                "plan line {line} sent nothing (no stock was left to send)", line=line_id
            )
        sent_entries = [r.entry for r in uow.stock.ledger(operation_id=sent_op.id)]
        sent = -sum((e.quantity for e in sent_entries), Decimal(0))
        if not 0 <= sold <= sent:
            raise InvalidValue(
                "plan line {line} sent {sent}; units sold must be between 0 and that",
                line=line_id,
                sent=show(sent),
            )
        found = uow.channels.outcome_for_line(line_id)
        if found is not None:
            if found != (sent, sold):
                raise Conflict(
                    "plan line {line} already has an outcome ({sold} sold)",
                    line=line_id,
                    sold=show(found[1]),
                )
            return OutcomeResult(line, [], replayed=True)
        list_price = uow.catalog.product(line.lot.sku).list_price.amount
        ratio = Decimal(line.detail.get("price_ratio", "1"))
        money = (sold * list_price * ratio) if revenue is None else to_decimal(revenue, "revenue")
        if money < 0 or money > sold * list_price:
            raise InvalidValue(
                "revenue {revenue} must be between 0 and the list value of the units sold ({most})",
                revenue=f"{money:.2f}",
                most=f"{sold * list_price:.2f}",
            )
        when = _outcome_time(uow, line, at, min(e.occurred_at for e in sent_entries))
        back = _Return(line_id, sent, when, f"plan-line-{line_id}-returned")
        entries = execute(uow, "channel_return", back, partial(_bring_back, line, back)).entries
        if sold > 0:
            price = (money / sold).quantize(Decimal("0.01"))
            cmd = RecordSale(
                line.lot.location_code,
                (SaleLine(sold, line.lot.sku, price, line.lot.lot_code),),
                when, reference=f"channel {line.detail['channel']}, plan line {line_id}",
                idempotency_key=f"plan-line-{line_id}-sold",
            )  # fmt: skip
            entries += apply_sale(uow, cmd).entries
        uow.channels.add_outcome(
            line.detail["channel"], plan_line_id=line_id, lot_id=uow.stock.lot_id(line.lot),
            offered=sent, sold=sold, revenue=money, list_value=sold * list_price, at=when,
            by=actor,
        )  # fmt: skip
        audit(uow, actor, "channel.outcome", line.lot, {"sent": show(sent)},
              {"sold": show(sold), "revenue": f"{money:.2f}", "channel": line.detail["channel"]})  # fmt: skip
        return OutcomeResult(line, entries)


def _outcome_time(uow: UnitOfWork, line: PlanLine, at: datetime | None, sent: datetime) -> datetime:
    """When the channel's sales are booked: as given (not before the units
    were sent), else the end of its window or now if earlier, and never after
    the lot left sale (a channel sells a lot while it may still be sold)."""
    if at is not None:
        when = require_aware(at, "outcome time")
        if when < sent:
            raise InvalidValue(
                "the outcome of plan line {line} cannot be before its units were sent ({sent} UTC)",
                line=line.line_id,
                sent=f"{sent:%Y-%m-%d %H:%M}",
            )
        return when
    end = line.detail.get("end")
    when = min(datetime.now(UTC), datetime.fromisoformat(end)) if end else datetime.now(UTC)
    lot = uow.stock.lot(line.lot)
    category = uow.catalog.product(line.lot.sku).category
    until = (
        uow.catalog.ladder_policy().for_sku(line.lot.sku, category).sellable_until(lot.expires_at)
    )
    return max(min(when, until - timedelta(seconds=1)), sent)


def _bring_back(
    line: PlanLine, back: _Return, uow: UnitOfWork, operation_id: int
) -> list[LedgerEntry]:
    entry = LedgerEntry(
        line.lot, EntryKind.TRANSFER_IN, back.units, back.at,
        reference=f"channel {line.detail['channel']}, plan line {back.line_id}",
        note="back from the channel",
    )  # fmt: skip
    uow.stock.add_entries(operation_id, [entry])
    return [entry]
