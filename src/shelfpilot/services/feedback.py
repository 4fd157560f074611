"""Feedback from clearance into production and purchasing.

``action_outcomes`` reads, for every decided plan line, what the ledger says
happened to the lot after the decision (a rejected line is the control: the
lot kept its price), and ``action_ranking`` ranks products × actions ×
segments by it. What the outcomes teach production and purchasing is
``services.production``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from shelfpilot.clearance.feedback import OUTCOME_COLUMNS, rank_actions
from shelfpilot.domain.ledger import (
    BUNDLE_REFERENCE,
    CHANNEL_REFERENCE,
    EntryKind,
    LedgerEntry,
    referenced_as,
)
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.plans import LineStatus, PlanAction, PlanLine
from shelfpilot.storage import Database, UnitOfWork


def _action(line: PlanLine) -> str:
    if line.status is LineStatus.REJECTED:
        return "hold"
    assert line.decided_ratio is not None
    cut = line.decided_ratio < line.current_ratio
    if cut and line.donate > 0:
        return "markdown+donation"
    return "markdown" if cut else "donation"


def _entries_by_lot(uow: UnitOfWork, keys: set[LotKey]) -> dict[LotKey, list[LedgerEntry]]:
    found: dict[LotKey, list[LedgerEntry]] = defaultdict(list)
    for loc, sku in sorted({(k.location_code, k.sku) for k in keys}):
        for record in uow.stock.ledger(location_code=loc, sku=sku):
            if record.entry.lot in keys:
                found[record.entry.lot].append(record.entry)
    return found


def _removed(entries: list[LedgerEntry], kind: EntryKind) -> float:
    return -float(sum(e.quantity for e in entries if e.kind is kind))


def _other_line(entry: LedgerEntry, line_id: int | None) -> bool:
    """An entry another plan line posted (a channel's dispatch, return or
    sales, another line's donation): not this line's doing."""
    tags = f"{entry.reference or ''} {entry.note or ''}"
    found = re.findall(r"plan line (\d+)", tags)
    return bool(found) and str(line_id) not in found


def _via_channel(entry: LedgerEntry) -> bool:
    return referenced_as(entry.reference, CHANNEL_REFERENCE)


def _sales(entries: list[LedgerEntry]) -> tuple[float, float]:
    sales = [e for e in entries if e.kind in (EntryKind.SALE, EntryKind.RETURN)]
    revenue = -sum(
        (e.quantity * e.unit_price.amount for e in sales if e.unit_price is not None), Decimal(0)
    )
    return -float(sum(e.quantity for e in sales)), float(revenue)


def _row(line: PlanLine, action: str, segment: str, **figures: object) -> dict[str, object]:
    return {
        "location": line.lot.location_code, "sku": line.lot.sku, "lot": line.lot.lot_code,
        "action": action, "segment": segment, **figures,
    }  # fmt: skip


def action_outcomes(db: Database, as_of: datetime, *, location: str | None = None) -> pd.DataFrame:
    """One row per decided plan line up to ``as_of`` (columns ``OUTCOME_COLUMNS``).

    A markdown (or a rejected line, the control) counts the lot's store sales
    from its decision to the lot's next markdown decision; a channel line
    counts what was sent and what that channel sold (its sales carry the
    line in their reference); a bundle line counts the lot's till sales made
    as that bundle (``bundling.sell_bundles``), the partner being the segment."""
    at = require_aware(as_of, "as-of time")
    with db.transaction(readonly=True) as uow:
        lines = [
            line
            for plan in uow.plans.plans(location_code=location)
            for line in plan.lines
            if not line.is_open and line.decided_at is not None and line.decided_at <= at
        ]
        entries = _entries_by_lot(uow, {line.lot for line in lines})
        lots = {line.lot: uow.stock.lot(line.lot) for line in lines}
        prices = {
            line.lot.sku: float(uow.catalog.product(line.lot.sku).list_price.amount)
            for line in lines
        }
    rows = []
    markdowns: dict[LotKey, list[PlanLine]] = defaultdict(list)
    for line in lines:
        if line.action is PlanAction.MARKDOWN:
            markdowns[line.lot].append(line)
        elif line.action is PlanAction.CHANNEL and line.status is not LineStatus.REJECTED:
            own = [e for e in entries[line.lot] if e.occurred_at <= at]
            rows.append(_channel_row(line, own, prices[line.lot.sku]))
        elif line.action is PlanAction.BUNDLE and line.status is not LineStatus.REJECTED:
            own = [e for e in entries[line.lot] if e.occurred_at <= at]
            closed = lots[line.lot].expires_at <= at
            rows.append(_bundle_row(line, own, prices[line.lot.sku], closed))
    for lot, decided in markdowns.items():
        decided.sort(key=lambda x: x.decided_at or at)
        for k, line in enumerate(decided):
            assert line.decided_at is not None
            start = line.decided_at
            nxt = decided[k + 1].decided_at if k + 1 < len(decided) else None
            own = [e for e in entries[lot] if not _other_line(e, line.line_id)]
            before = [e for e in entries[lot] if e.occurred_at < start]
            after = [
                e for e in own
                if start <= e.occurred_at <= at and (nxt is None or e.occurred_at < nxt)
            ]  # fmt: skip
            offered = float(sum(e.quantity for e in before))
            sold, revenue = _sales([e for e in after if not _via_channel(e)])
            left = offered + float(sum(e.quantity for e in after))
            last = max((e.occurred_at for e in after if e.quantity < 0), default=None)
            rows.append(
                _row(
                    line,
                    _action(line),
                    "in store",
                    offered=offered,
                    sold=sold,
                    revenue=revenue,
                    list_value=offered * prices[lot.sku],
                    donated=_removed(after, EntryKind.DONATION),
                    wasted=_removed(after, EntryKind.DISPOSAL),
                    hours_to_clear=(last - start) / timedelta(hours=1)
                    if left <= 0 and last
                    else np.nan,
                    closed=left <= 0 or lots[lot].expires_at <= at,
                )
            )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def _bundle_row(
    line: PlanLine, own: list[LedgerEntry], list_price: float, expired: bool
) -> dict[str, object]:
    """What the till sold of the lot as this bundle (``bundling.sell_bundles``)."""
    start = line.decided_at or datetime.max.replace(tzinfo=UTC)
    tag = f"{BUNDLE_REFERENCE} {line.line_id}"
    offered = float(sum(e.quantity for e in own if e.occurred_at < start))
    after = [e for e in own if e.occurred_at >= start]
    mine = [e for e in after if e.reference == tag]
    sold, revenue = _sales(mine)
    last = max((e.occurred_at for e in mine if e.kind is EntryKind.SALE), default=None)
    left = float(sum(e.quantity for e in own))
    return _row(
        line, "bundle", f"with {line.detail.get('partner', '?')}", offered=offered, sold=sold,
        revenue=revenue, list_value=offered * list_price,
        donated=_removed(after, EntryKind.DONATION), wasted=_removed(after, EntryKind.DISPOSAL),
        hours_to_clear=(last - start) / timedelta(hours=1) if left <= 0 and last else np.nan,
        closed=left <= 0 or expired,
    )  # fmt: skip


def _channel_row(line: PlanLine, own: list[LedgerEntry], list_price: float) -> dict[str, object]:
    channel = line.detail.get("channel", "")
    tag = f"plan line {line.line_id}"
    sent = [e for e in own if e.note and e.note.endswith(tag) and e.quantity < 0]
    mine = [e for e in own if (e.reference or "").endswith(tag) and _via_channel(e)]
    offered = -float(sum(e.quantity for e in sent))
    sold, revenue = _sales(mine)
    donated = _removed(sent, EntryKind.DONATION)
    last = max((e.occurred_at for e in mine if e.kind is EntryKind.SALE), default=None)
    start = line.decided_at
    settled = donated > 0 or any(e.kind is EntryKind.TRANSFER_IN for e in mine)
    return _row(
        line, "channel", channel, offered=offered, sold=sold, revenue=revenue,
        list_value=offered * list_price, donated=donated, wasted=0.0,
        hours_to_clear=(last - start) / timedelta(hours=1) if last and start else np.nan,
        closed=settled,
    )  # fmt: skip


def action_ranking(
    db: Database,
    as_of: datetime,
    *,
    location: str | None = None,
    by: Sequence[str] = ("sku", "action", "segment"),
) -> pd.DataFrame:
    """Products × actions × segments (or the groups ``by`` names), what
    clears best first (``rank_actions``)."""
    return rank_actions(action_outcomes(db, as_of, location=location), by)
