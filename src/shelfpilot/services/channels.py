"""Clearance channels: set them up, plan what to send them, and record what
they sold.

A channel's rates are planned with what its outcomes taught
(``channels.learning``, from every outcome recorded), starting from what the
shop set up. Recording an outcome posts the units sold to the ledger as a
sale of the lot at the price the channel realised, so the ledger stays the
one place stock is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from shelfpilot.channels import AtRiskLot, Channel, ChannelKind, allocate, bakery_channels
from shelfpilot.channels.codec import from_spec, to_spec
from shelfpilot.channels.learning import ChannelOutcome, learn
from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.ledger import EntryKind, LedgerEntry
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import quantity, show
from shelfpilot.domain.plans import LineStatus, PlanAction, PlanLine, as_ratio
from shelfpilot.services.adjustments import apply_removal, audit
from shelfpilot.services.clearance import Proposal
from shelfpilot.services.commands import RecordSale, RemoveStock, SaleLine
from shelfpilot.services.inventory import apply_sale
from shelfpilot.storage import Database, UnitOfWork

#: fewer units than this are not worth a channel line
MIN_UNITS = 0.5


@dataclass(frozen=True)
class ChannelStatus:
    configured: Channel
    learned: Channel
    offered: float
    sold: float


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
    return [
        ChannelOutcome(
            r.channel, float(r.offered), float(r.sold), float(r.revenue), float(r.list_value), r.at
        )
        for r in uow.channels.outcomes()
    ]


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
    its markdown plan) to the channels that pay most, over the next day."""
    by_key = {f"{p.sku}|{p.lot_code}": p for p in proposals}
    lots = [
        AtRiskLot(
            key,
            p.sku,
            p.category,
            max(p.left_with_plan - float(p.donate_now), 0.0),
            float(p.list_price.amount),
            p.waste_cost,
            p.sellable_until,
            p.product_name,
        )
        for key, p in by_key.items()
        if p.left_with_plan - float(p.donate_now) >= MIN_UNITS
    ]
    if not lots or not channels:
        return []
    plan = allocate(lots, channels, at, days=1, zone=zone)
    lines = []
    for row in plan.rows:
        p = by_key[row.lot]
        units = Decimal(repr(round(row.units, 3)))
        if p.unit == "pcs":
            units = units.to_integral_value(rounding=ROUND_FLOOR)
        if units < Decimal(repr(MIN_UNITS)):
            continue
        share = float(units) / row.units
        sold = row.expected_sold * share
        lines.append(
            PlanLine(
                lot=LotKey(p.location, p.sku, p.lot_code),
                current_ratio=as_ratio(p.current_ratio),
                proposed_ratio=as_ratio(row.price_ratio),
                donate=Decimal(0),
                left_if_held=Decimal(repr(round(p.left_with_plan, 3))),
                left_with_plan=Decimal(repr(round(max(p.left_with_plan - sold, 0.0), 3))),
                gain=Decimal(repr(round(row.gain * share, 4))),
                reason=(
                    f"send {show(units)} to {row.channel_label} "
                    f"{row.start.astimezone(zone):%a %H:%M}–{row.end.astimezone(zone):%H:%M}: "
                    f"expect {sold:.1f} taken at {row.price_ratio:.0%} of list, "
                    f"net {row.gain * share:+.2f} against keeping them"
                ),
                action=PlanAction.CHANNEL,
                units=units,
                detail={
                    "channel": row.channel,
                    "kind": row.kind.value,
                    "start": row.start.isoformat(),
                    "end": row.end.isoformat(),
                    "expected_sold": f"{sold:.3f}",
                    "price_ratio": f"{row.price_ratio:.4f}",
                },
            )
        )
    return lines


def send_to_channel(
    uow: UnitOfWork, line: PlanLine, actor: str, at: datetime
) -> tuple[list[LedgerEntry], list[str]]:
    """What approving a channel line posts now: a food bank takes its units
    (a donation); other channels post their sales when the outcome is recorded."""
    if line.detail.get("kind") != ChannelKind.FOOD_BANK.value:
        return [], [
            f"{line.lot}: record what {line.detail.get('channel')} sold with `shelfpilot outcome {line.line_id}`"
        ]
    have = uow.stock.balance_at(line.lot, at)
    units = min(line.units, have)
    if units <= 0:
        return [], [f"{line.lot}: nothing left to donate"]
    removal = RemoveStock(
        line.lot.location_code, line.lot.sku, line.lot.lot_code, EntryKind.DONATION, units, at,
        note=f"food bank, plan line {line.line_id}",
        idempotency_key=f"plan-line-{line.line_id}-donation", actor=actor,
    )  # fmt: skip
    entries = apply_removal(uow, removal).entries
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


def record_outcome(
    db: Database,
    line_id: int,
    sold: Decimal,
    *,
    actor: str,
    revenue: Decimal | None = None,
    at: datetime | None = None,
) -> OutcomeResult:
    """What an approved channel line sold: the sale is posted to the lot, the
    outcome kept for learning. Recording the same outcome again is a no-op."""
    sold = quantity(sold, "units sold")
    when = datetime.now(UTC) if at is None else require_aware(at, "outcome time")
    with db.transaction() as uow:
        line, _, _ = uow.plans.line(line_id)
        if line.action is not PlanAction.CHANNEL:
            raise InvalidValue(f"plan line {line_id} is a {line.action.value}, not a channel line")
        if line.status is not LineStatus.APPROVED:
            raise InvalidValue(
                f"plan line {line_id} is {line.status.value}; approve it before its outcome"
            )
        if not 0 <= sold <= line.units:
            raise InvalidValue(
                f"plan line {line_id} sent {show(line.units)}; units sold must be between 0 and that"
            )
        found = uow.channels.outcome_for_line(line_id)
        if found is not None:
            if found != (line.units, sold):
                raise Conflict(
                    f"plan line {line_id} already has an outcome ({show(found[1])} sold)"
                )
            return OutcomeResult(line, [], replayed=True)
        list_price = uow.catalog.product(line.lot.sku).list_price.amount
        ratio = Decimal(line.detail.get("price_ratio", "1"))
        money = (sold * list_price * ratio) if revenue is None else revenue
        if money < 0:
            raise InvalidValue("revenue cannot be negative")
        entries: list[LedgerEntry] = []
        if sold > 0:
            price = (money / sold).quantize(Decimal("0.01"))
            cmd = RecordSale(
                line.lot.location_code,
                (SaleLine(sold, line.lot.sku, price, line.lot.lot_code),),
                when, reference=f"channel {line.detail['channel']}, plan line {line_id}",
                idempotency_key=f"plan-line-{line_id}-sold",
            )  # fmt: skip
            entries = apply_sale(uow, cmd).entries
        uow.channels.add_outcome(
            line.detail["channel"], plan_line_id=line_id, lot_id=uow.stock.lot_id(line.lot),
            offered=line.units, sold=sold, revenue=money, list_value=sold * list_price, at=when,
            by=actor,
        )  # fmt: skip
        audit(uow, actor, "channel.outcome", line.lot, {"sent": show(line.units)},
              {"sold": show(sold), "revenue": f"{money:.2f}", "channel": line.detail["channel"]})  # fmt: skip
        return OutcomeResult(line, entries)


def window_end(line: PlanLine) -> datetime | None:
    end = line.detail.get("end")
    return datetime.fromisoformat(end) + timedelta(0) if end else None
