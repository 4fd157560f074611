"""Sending a channel line's units and recording what the channel sold.

Approving a channel line takes its units off the shelf (a transfer out, so
the till cannot sell them meanwhile; a food bank's for good, as a
donation). The outcome brings back what did not sell and posts what did as
a sale of the lot at the price the channel realised, so the ledger stays
the one place stock is counted; the outcome, with what getting the units
there cost, is kept for learning (``services.channels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from shelfpilot.channels import ChannelKind
from shelfpilot.channels.codec import from_spec
from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.ledger import CHANNEL_REFERENCE, EntryKind, LedgerEntry
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import quantity, show, to_decimal
from shelfpilot.domain.plans import PlanAction, PlanLine
from shelfpilot.services.adjustments import apply_removal, audit
from shelfpilot.services.commands import RecordSale, RemoveStock, SaleLine
from shelfpilot.services.inventory import apply_sale
from shelfpilot.services.operations import execute
from shelfpilot.storage import Database, UnitOfWork

DONATION_HOURS = Guardrails().donation_min_hours
CENT = Decimal("0.01")


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
        offered=units, sold=units, revenue=Decimal(0), list_value=units * list_price,
        logistics=_planned_logistics(uow, line, units), logistics_paid=False, at=at, by=actor,
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
    logistics: Decimal | None = None,
    at: datetime | None = None,
) -> OutcomeResult:
    """What an approved channel line sold. The units sent come back to the lot
    and the ones sold leave it as a sale at the channel's price (so the ledger
    shows sent, returned and sold); the outcome is kept for learning. The
    default time is the end of the channel's window (or now, if earlier).
    ``logistics`` is what getting the units there cost, if the shop knows
    (the channel's logistics cost is learned from it); else the plan's
    expected cost is kept. Recording the same outcome again is a no-op."""
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
        paid = None if logistics is None else to_decimal(logistics, "logistics cost").quantize(CENT)
        if paid is not None and paid < 0:
            raise InvalidValue("logistics cost {cost} must be 0 or more", cost=f"{paid:.2f}")
        found = uow.channels.outcome_for_line(line_id)
        if found is not None:
            if found[:2] != (sent, sold) or (paid is not None and found[2] != paid):
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
                when, reference=f"{CHANNEL_REFERENCE} {line.detail['channel']}, plan line {line_id}",
                idempotency_key=f"plan-line-{line_id}-sold",
            )  # fmt: skip
            entries += apply_sale(uow, cmd).entries
        uow.channels.add_outcome(
            line.detail["channel"], plan_line_id=line_id, lot_id=uow.stock.lot_id(line.lot),
            offered=sent, sold=sold, revenue=money, list_value=sold * list_price,
            logistics=_planned_logistics(uow, line, sent) if paid is None else paid,
            logistics_paid=paid is not None, at=when, by=actor,
        )  # fmt: skip
        after = {"sold": show(sold), "revenue": f"{money:.2f}", "channel": line.detail["channel"]}
        if paid is not None:
            after["logistics"] = f"{paid:.2f}"
        audit(uow, actor, "channel.outcome", line.lot, {"sent": show(sent)}, after)
        return OutcomeResult(line, entries)


def _planned_logistics(uow: UnitOfWork, line: PlanLine, units: Decimal) -> Decimal:
    """What the plan expected sending ``units`` to cost: its per-unit cost
    (lines planned before that was kept: the channel's as set up now)."""
    per_unit = line.detail.get("logistics_cost")
    if per_unit is None:
        spec = next(
            (
                s
                for s in uow.channels.specs(active_only=False)
                if s["code"] == line.detail["channel"]
            ),
            None,
        )
        per_unit = "0" if spec is None else repr(from_spec(spec).logistics_cost)
    return (units * Decimal(per_unit)).quantize(CENT)


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
        reference=f"{CHANNEL_REFERENCE} {line.detail['channel']}, plan line {back.line_id}",
        note="back from the channel",
    )  # fmt: skip
    uow.stock.add_entries(operation_id, [entry])
    return [entry]
