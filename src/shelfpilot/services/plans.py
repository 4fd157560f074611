"""Clearance plans: made from the markdown proposals, stored, and decided
line by line by a manager. An approved or adjusted line posts its price
change (and its donation) to the ledger; every decision is audited.

Making the plan twice on one business day returns the stored plan; with
``refresh`` the undecided lines are proposed again from today's stock while
decided lines stay as they were.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from shelfpilot.domain.errors import Conflict, InvalidValue, LotNotSellable, NotFound
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.ledger import EntryKind, LedgerEntry
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.money import estimate, show
from shelfpilot.domain.plans import (
    DECIDED,
    Decision,
    LineStatus,
    Plan,
    PlanAction,
    PlanLine,
    as_ratio,
    settle,
)
from shelfpilot.services.adjustments import (
    apply_price_change,
    apply_removal,
    audit,
    changes_that_day,
)
from shelfpilot.services.bundling import bundle_line, choose_bundles, shop_pairs, with_bundles
from shelfpilot.services.channel_outcomes import send_to_channel, too_late_to_donate
from shelfpilot.services.channels import channel_lines, learned_channels
from shelfpilot.services.clearance import Proposal, ProposalReport, propose_markdowns
from shelfpilot.services.commands import ChangePrice, RemoveStock
from shelfpilot.storage import Database, UnitOfWork

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PlanReport:
    plans: list[Plan]
    made: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionResult:
    line: PlanLine
    entries: list[LedgerEntry]
    replayed: bool = False
    notes: list[str] = field(default_factory=list)


def _line(p: Proposal) -> PlanLine:
    return PlanLine(
        lot=LotKey(p.location, p.sku, p.lot_code),
        current_ratio=as_ratio(p.current_ratio),
        proposed_ratio=as_ratio(p.ratio_now),
        donate=p.donate_now,
        left_if_held=estimate(p.left_if_held, 3),
        left_with_plan=estimate(p.left_with_plan, 3),
        gain=estimate(p.gain, 4),
        reason=p.reason,
        held_by_cap=p.held_by_cap,
    )


def make_plan(
    db: Database,
    as_of: datetime,
    *,
    actor: str,
    location: str | None = None,
    refresh: bool = False,
    **options: Any,
) -> PlanReport:
    """Today's plan for each store with something to change (``options`` go to
    ``propose_markdowns``: model path, guardrails, ladder, costs)."""
    at = require_aware(as_of, "as-of time")
    if not actor.strip():
        raise InvalidValue("say who makes the plan (a user name)")
    report = propose_markdowns(db, at, location=location, **options)
    with db.transaction(readonly=True) as uow:
        channels = [status.learned for status in learned_channels(uow)]
        stores = set(_stores(report))
        if refresh:  # a store whose lots need nothing now still has its open lines dropped
            days = {(at + timedelta(days=d)).date() for d in (-1, 0, 1)}  # "today" in any zone
            stores |= {
                p.location_code
                for day in days
                for p in uow.plans.plans(day, location_code=location)
            }
        zones = {code: uow.catalog.location(code).zone for code in sorted(stores)}
        products = {p.sku: p for p in uow.catalog.products()}
        pairs = {code: shop_pairs(uow, code, at) for code in zones}
    bundles = {code: choose_bundles(report, pairs[code], products, code) for code in zones}
    bundled = {
        (c.proposal.location, c.proposal.lot_code, c.proposal.sku)
        for b in bundles.values()
        for c in b
    }
    by_store: dict[str, list[PlanLine]] = defaultdict(list)
    for proposal in report.proposals:
        if proposal.changes and (proposal.location, proposal.lot_code, proposal.sku) not in bundled:
            by_store[proposal.location].append(_line(proposal))
    for code, zone in zones.items():
        by_store[code] += [bundle_line(choice) for choice in bundles[code]]
        mine = with_bundles([p for p in report.proposals if p.location == code], bundles[code])
        by_store[code] += channel_lines(mine, channels, at, zone)
    plans: list[Plan] = []
    made = 0
    with db.transaction() as uow:
        for code, zone in zones.items():
            day = at.astimezone(zone).date()
            found = uow.plans.find_plan(code, day)
            lines = by_store.get(code, [])
            if found is not None and found.lines and not refresh:
                plans.append(found)
                continue
            if found is None and not lines:
                continue  # nothing to propose: no plan is stored
            if found is not None and found.plan_id is not None:
                kept = uow.plans.drop_open_lines(found.plan_id)
                priced = {lot for lot, action, _ in kept if action is not PlanAction.CHANNEL}
                for line in lines:
                    if (line.lot, line.action, line.detail.get("channel", "")) in kept:
                        continue
                    if line.action is not PlanAction.CHANNEL and line.lot in priced:
                        continue  # a lot's markdown or bundle was decided already
                    uow.plans.add_line(found.plan_id, line)
                action = "plan.refresh"
            else:
                uow.plans.add_plan(Plan(code, day, datetime.now(UTC), actor.strip(), tuple(lines)))
                action = "plan.make"
            made += 1
            stored = uow.plans.find_plan(code, day)
            assert stored is not None
            audit(
                uow,
                actor,
                action,
                f"{code} {day.isoformat()}",
                {},
                {"lines": str(len(stored.lines)), "gain": f"{stored.expected_gain:.2f}"},
                location=code,
            )
            plans.append(stored)
    return PlanReport(plans, made, report.notes)


def _stores(report: ProposalReport) -> list[str]:
    """Stores with open lots that have a forecast (never a brand or an empty store)."""
    return sorted({p.location for p in report.proposals})


def plans(db: Database, *, day: Any = None, location: str | None = None) -> list[Plan]:
    with db.transaction(readonly=True) as uow:
        return uow.plans.plans(day, location)


def decide(
    db: Database,
    line_id: int,
    decision: Decision | str,
    *,
    actor: str,
    ratio: Decimal | float | None = None,
    at: datetime | None = None,
    location: str | None = None,
    expected_version: int | None = None,
    guardrails: Guardrails | None = None,
) -> DecisionResult:
    """Approve, adjust or reject one plan line. Repeating the same decision by
    the same person is a no-op that returns the first result. ``guardrails``
    are the ones the plan was made with (the product's floor applies). ``location``
    (the store the caller acts for) and ``expected_version`` (the version the
    caller saw) refuse a line of another store, or one someone else changed."""
    decision = Decision(decision)
    when = datetime.now(UTC) if at is None else require_aware(at, "decision time")
    with db.transaction() as uow:
        line, store, _ = uow.plans.line(line_id)
        if decision is not Decision.REJECT:
            # lines of two plans for one lot, approved at once, must not both
            # see the old price and the old count of changes today; and the
            # line is read again as it is once the lot is ours
            uow.stock.lock_lot(line.lot)
            line, store, _ = uow.plans.line(line_id)
        if location is not None and store != location:
            raise NotFound(
                "there is no plan line {line} at {location}", line=line_id, location=location
            )
        if _repeats(line, decision, actor, ratio):
            return DecisionResult(line, [], replayed=True)
        if expected_version is not None and line.version != expected_version:
            raise Conflict(
                "plan line {line} was changed by someone else since you saw it "
                "(version {seen}, now {now}); reload the plan",
                line=line_id,
                seen=expected_version,
                now=line.version,
            )
        product = uow.catalog.product(line.lot.sku)
        if decision is not Decision.REJECT:
            _still_as_planned(uow, line, product.list_price.amount, when)
        rules = replace(guardrails or Guardrails(), floor=float(product.price_floor_ratio))
        made = 0
        if decision is not Decision.REJECT and line.action is PlanAction.MARKDOWN:
            made = changes_that_day(uow, line.lot, when)
        done = settle(line, decision, rules, by=actor, at=when, ratio=ratio, changes_today=made)
        uow.plans.save_decision(done)
        entries: list[LedgerEntry] = []
        notes: list[str] = []
        if done.status is LineStatus.REJECTED:
            pass
        elif done.action is PlanAction.CHANNEL:
            entries, notes = send_to_channel(uow, done, actor, when)
        elif done.action is PlanAction.BUNDLE:
            notes = [
                f"{done.lot}: offer it with {done.detail.get('partner')} at "
                f"{done.detail.get('bundle_price')} the pair; the sales post at the till"
            ]
        else:
            entries, notes = _apply(
                uow, done, product.list_price.amount, product.price_floor.amount, actor, when
            )
        audit(
            uow,
            actor,
            f"plan.{decision.value}",
            line.lot,
            {"ratio": str(line.current_ratio), "proposed": str(line.proposed_ratio)},
            {
                "ratio": str(done.decided_ratio),
                "donated": show(
                    -sum((e.quantity for e in entries if e.kind is EntryKind.DONATION), Decimal(0))
                ),
                "line": str(line_id),
            },
        )
        return DecisionResult(done, entries, notes=notes)


def _still_as_planned(uow: UnitOfWork, line: PlanLine, list_price: Decimal, at: datetime) -> None:
    """A line is decided on the lot as the plan saw it: not expired, and at the
    price it had then (a price changed by hand since makes the line stale)."""
    lot = uow.stock.lot(line.lot)
    if lot.is_expired(at):
        raise LotNotSellable("{lot} has expired; its plan line can only be rejected", lot=line.lot)
    end = line.detail.get("end")
    if line.action is PlanAction.CHANNEL and end and datetime.fromisoformat(end) <= at:
        raise Conflict(
            "the {channel} window for {lot} has passed; make the plan again with --refresh",
            channel=line.detail.get("channel"),
            lot=line.lot,
        )
    if line.action is not PlanAction.MARKDOWN:
        return  # a channel or a bundle has its own price
    price = uow.stock.price_at(line.lot, at)
    now = Decimal(1) if price is None else min(price / list_price, Decimal(1))
    if abs(now - line.current_ratio) > Decimal("0.005"):
        raise Conflict(
            "the price of {lot} changed since the plan was made ({now:.0%} of list "
            "now, {then:.0%} then); make the plan again with --refresh",
            lot=line.lot,
            now=float(now),
            then=float(line.current_ratio),
        )


def _repeats(line: PlanLine, decision: Decision, actor: str, ratio: Decimal | float | None) -> bool:
    return (
        not line.is_open
        and line.status is DECIDED[decision]
        and line.decided_by == actor.strip()
        and (ratio is None or as_ratio(ratio) == line.decided_ratio)
    )


def _apply(
    uow: UnitOfWork, line: PlanLine, list_price: Decimal, floor: Decimal, actor: str, at: datetime
) -> tuple[list[LedgerEntry], list[str]]:
    """Post the decided price and the donation, each as its own operation
    keyed by the line so it can never be posted twice."""
    entries: list[LedgerEntry] = []
    notes: list[str] = []
    assert line.decided_ratio is not None and line.line_id is not None
    lot = line.lot
    if line.decided_ratio < line.current_ratio:
        price = max(
            (list_price * line.decided_ratio).quantize(CENT, rounding=ROUND_HALF_UP),
            floor.quantize(CENT, rounding=ROUND_CEILING),
        )
        cmd = ChangePrice(
            lot.location_code, lot.sku, lot.lot_code, price, at,
            reference=f"plan line {line.line_id}",
            idempotency_key=f"plan-line-{line.line_id}-price", actor=actor,
        )  # fmt: skip
        entries += apply_price_change(uow, cmd).entries
    if line.donate > 0:
        have = uow.stock.balance_at(lot, at)
        if late := too_late_to_donate(uow, lot, at):
            notes.append(late)
        elif have > 0:
            qty = min(line.donate, have)
            removal = RemoveStock(
                lot.location_code, lot.sku, lot.lot_code, EntryKind.DONATION, qty, at,
                note=f"plan line {line.line_id}",
                idempotency_key=f"plan-line-{line.line_id}-donation", actor=actor,
            )  # fmt: skip
            entries += apply_removal(uow, removal).entries
    return entries, notes


def audit_log(db: Database, **filters: Any) -> list[Any]:
    with db.transaction(readonly=True) as uow:
        return uow.audit.records(**filters)


def audit_page(
    db: Database, *, offset: int = 0, limit: int = 50, **filters: Any
) -> tuple[list[Any], int]:
    """One page of the audit log (newest first) and how many records match."""
    with db.transaction(readonly=True) as uow:
        return uow.audit.records(offset=offset, limit=limit, **filters), uow.audit.count(**filters)
