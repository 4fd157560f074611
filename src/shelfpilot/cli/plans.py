"""Clearance plan commands: make today's plan, approve / adjust / reject its
lines, change a price by hand, and read the audit log."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from shelfpilot.cli.app import At, By, Db, Location, app, who
from shelfpilot.cli.support import (
    Model,
    clearance_options,
    decimal,
    handled,
    moment,
    open_db,
    out,
    print_proposals,
    when,
)
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.money import show
from shelfpilot.domain.plans import Decision, Plan
from shelfpilot.services import clearance, feedback, plans, production
from shelfpilot.storage import Database

Lines = Annotated[list[int], typer.Argument(help="Plan line numbers (see `shelfpilot plan`).")]


def print_plans(report: plans.PlanReport | list[Plan]) -> None:
    found = report.plans if isinstance(report, plans.PlanReport) else report
    if not found:
        out.print("no clearance plan: nothing needs a markdown or a donation now")
    for plan in found:
        table = Table(
            title=f"Clearance plan {plan.location_code} {plan.business_day} "
            f"(made by {plan.made_by}; expected units left at expiry "
            f"{show(plan.expected_left_if_held)} → {show(plan.expected_left_with_plan)}, "
            f"gain from acting today {plan.expected_gain:.2f})"
        )
        for head in ("line", "lot", "action", "now", "proposed", "donate", "status", "why"):
            table.add_column(head)
        for line in plan.lines:
            status = line.status.value
            if not line.is_open:
                status += f" {line.decided_ratio:.0%} by {line.decided_by}"
            action = line.action.value
            if line.detail.get("channel"):
                action = f"{show(line.units)} → {line.detail['channel']}"
            table.add_row(
                str(line.line_id),
                f"{line.lot.sku} {line.lot.lot_code}",
                action,
                f"{line.current_ratio:.0%}",
                f"{line.proposed_ratio:.0%}",
                show(line.donate) if line.donate else "",
                status,
                line.reason,
            )
        out.print(table)
    if isinstance(report, plans.PlanReport):
        for note in report.notes:
            out.print(f"note: {note}")


def make_and_print(
    database: Database, at: datetime, location: str | None, model: Model, db: str, by: str,
    refresh: bool,
) -> None:  # fmt: skip
    report = plans.make_plan(
        database, at, actor=by, location=location, refresh=refresh,
        **clearance_options(model, db),
    )  # fmt: skip
    print_plans(report)


@app.command()
def plan(
    at: At = None,
    location: Location = None,
    model: Model = None,
    refresh: Annotated[
        bool, typer.Option(help="Propose the undecided lines again from current stock.")
    ] = False,
    preview: Annotated[bool, typer.Option(help="Only show the proposals; store nothing.")] = False,
    all_lots: Annotated[
        bool, typer.Option("--all", help="With --preview: also lots whose price stays.")
    ] = False,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Today's clearance plan per store: the price each at-risk lot should have,
    what to donate, and why. Lines wait for `approve`, `adjust` or `reject`."""
    with handled():
        database = open_db(db)
        at_ = moment(at, database, location)
        if preview:
            report = clearance.propose_markdowns(
                database, at_, location=location, **clearance_options(model, db)
            )
            print_proposals(report, all_lots=all_lots)
            return
        make_and_print(database, at_, location, model, db, who(by), refresh)


def _decide(
    lines: list[int], decision: Decision, by: str, db: str, at: str | None,
    ratio: str | None = None,
) -> None:  # fmt: skip
    with handled():
        database = open_db(db)
        for line_id in lines:
            result = plans.decide(
                database, line_id, decision, actor=by, at=when(at, database),
                ratio=None if ratio is None else decimal(ratio, "price ratio"),
            )  # fmt: skip
            done = result.line
            verb = "already " + done.status.value if result.replayed else done.status.value
            out.print(f"line {line_id} ({done.lot}): {verb} at {done.decided_ratio:.0%} of list")
            for entry in result.entries:
                out.print(
                    f"  posted {entry.kind.value} {show(entry.quantity)} {entry.unit_price or ''}"
                )
            for note in result.notes:
                out.print(f"  note: {note}")


@app.command()
def approve(lines: Lines, at: At = None, by: By = None, db: Db = DEFAULT_DB_URL) -> None:
    """Approve plan lines as proposed: the price change and donation are posted."""
    _decide(lines, Decision.APPROVE, who(by), db, at)


@app.command()
def adjust(
    line: Annotated[int, typer.Argument(help="Plan line number.")],
    ratio: Annotated[str, typer.Argument(help="Price as a share of list, e.g. 0.7 for 7折.")],
    at: At = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Approve a plan line at another price, within the guardrails."""
    _decide([line], Decision.ADJUST, who(by), db, at, ratio)


@app.command()
def reject(lines: Lines, at: At = None, by: By = None, db: Db = DEFAULT_DB_URL) -> None:
    """Reject plan lines: nothing is posted."""
    _decide(lines, Decision.REJECT, who(by), db, at)


@app.command()
def audit(
    action: Annotated[str | None, typer.Option(help="e.g. price.change, plan.approve")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this user.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The audit log, newest first: who changed what, when, before and after."""
    with handled():
        records = plans.audit_log(open_db(db), action=action, actor=actor, limit=limit)
        table = Table(title=f"Audit log ({len(records)} records)")
        for head in ("when (UTC)", "who", "action", "subject", "before", "after"):
            table.add_column(head)
        for r in records:
            table.add_row(
                f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.subject,
                ", ".join(f"{k}={v}" for k, v in r.before.items()),
                ", ".join(f"{k}={v}" for k, v in r.after.items() if v),
            )  # fmt: skip
        out.print(table)


@app.command("feedback")
def feedback_(
    at: At = None,
    location: Location = None,
    lookback: Annotated[int, typer.Option(min=1, max=366, help="Days of lots to learn from.")] = 28,
    threshold: Annotated[
        float,
        typer.Option(
            min=0.01, max=1.0, help="Share of lots needing clearance that flags a product."
        ),
    ] = 0.3,
    model: Model = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """What clearance taught: which actions cleared best, and a shrink-aware
    daily quantity for the products that keep needing clearance."""
    with handled():
        database = open_db(db)
        at_ = moment(at, database, location)
        ranking = feedback.action_ranking(database, at_, location=location)
        table = Table(title=f"Clearance actions by result ({len(ranking)} groups)")
        for head in (
            "product",
            "action",
            "segment",
            "lots",
            "offered",
            "sold",
            "sell-through",
            "recovery",
            "wasted",
            "hours to clear",
        ):
            table.add_column(head)
        for r in ranking.to_dict("records"):
            table.add_row(
                str(r["sku"]), str(r["action"]), str(r["segment"]), str(r["lots"]),
                f"{r['offered']:.1f}", f"{r['sold']:.1f}", f"{r['sell_through']:.0%}",
                f"{r['recovery']:.0%}", f"{r['wasted']:.1f}", f"{r['hours_to_clear']:.0f}",
            )  # fmt: skip
        out.print(table)
        advice = production.production_advice(
            database, at_, location=location, lookback_days=lookback, threshold=threshold,
            **clearance_options(model, db),
        )  # fmt: skip
        table = Table(
            title=f"Quantities for products that keep needing clearance (last {lookback} days) "
            "or have pre-orders due"
        )
        for head in (
            "location",
            "product",
            "lots",
            "needed clearance",
            "waste",
            "recovered",
            "received / day",
            "demand / day",
            "order up to (morning)",
            "pre-ordered tomorrow",
            "stock for tomorrow",
            "carried over",
            "of it left over (plan)",
            "to receive tomorrow",
        ):
            table.add_column(head)
        for r in advice.table.to_dict("records"):
            if "recommended_per_day" not in r:
                continue
            table.add_row(
                str(r["location"]), f"{r['sku']} {r['name']}", str(r["lots"]),
                _share(r["cleared_share"]), _share(r["waste_share"]), f"{r['salvage']:.0%} of list",
                f"{r['received_per_day']:.1f}", f"{r['demand_per_day']:.1f}",
                f"{r['recommended_per_day']:.1f}", f"{r['pre_ordered_tomorrow']:g}",
                f"{r['tomorrow']:.1f}", f"{r['carried_over']:.1f}",
                f"{r['expected_left_over']:.1f}", f"{r['to_receive_tomorrow']:.1f}",
            )  # fmt: skip
        out.print(table)
        for note in advice.notes:
            out.print(f"note: {note}")


def _share(value: float) -> str:
    """A share, or a dash for a product with no closed lots to judge by."""
    return "–" if math.isnan(value) else f"{value:.0%}"
