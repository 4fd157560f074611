"""What the stock looks like as of a moment: the lifecycle table, lots by
ladder stage, and the daily run that records stage changes (each once, so an
alert fires once) and lists the actions due."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from shelfpilot.domain.ladder import FRESH, LadderPolicy, stage_to_record
from shelfpilot.domain.ledger import EntryKind
from shelfpilot.domain.lifecycle import LifecycleRow, lifecycle_row
from shelfpilot.domain.lots import require_aware
from shelfpilot.storage import Database, LedgerRecord, LotView, UnitOfWork


@dataclass(frozen=True, slots=True)
class StageChange:
    """A lot entered a ladder stage: the alert to raise."""

    row: LifecycleRow
    recorded_at: datetime


@dataclass(frozen=True)
class DailyReport:
    as_of: datetime
    changes: list[StageChange]
    due: list[LifecycleRow]
    by_stage: Counter[str] = field(default_factory=Counter)


def _row(view: LotView, policy: LadderPolicy, at: datetime, language: str) -> LifecycleRow:
    ladder = policy.for_sku(view.lot.sku, view.category)
    name = (view.name_zh or view.name_en) if language == "zh" else (view.name_en or view.name_zh)
    return lifecycle_row(view.lot, name, view.totals, at, ZoneInfo(view.timezone), ladder)


def _rows(
    uow: UnitOfWork,
    at: datetime,
    location: str | None,
    sku: str | None,
    open_only: bool,
    language: str,
) -> tuple[list[LotView], list[LifecycleRow]]:
    views = uow.stock.lots_with_totals(at, location_code=location, sku=sku, open_only=open_only)
    policy = uow.catalog.ladder_policy()
    return views, [_row(v, policy, at, language) for v in views]


def lifecycle_table(
    db: Database,
    as_of: datetime,
    *,
    location: str | None = None,
    sku: str | None = None,
    open_only: bool = True,
    language: str = "en",
) -> list[LifecycleRow]:
    """One row per lot (with stock left, unless ``open_only`` is off) as of ``as_of``."""
    at = require_aware(as_of, "as-of time")
    with db.transaction(readonly=True) as uow:
        return _rows(uow, at, location, sku, open_only, language)[1]


def lots_by_stage(
    db: Database, as_of: datetime, *, location: str | None = None, language: str = "en"
) -> dict[str, list[LifecycleRow]]:
    """Lots with stock, grouped by the ladder stage they are in (fresh ones left out)."""
    grouped: dict[str, list[LifecycleRow]] = {}
    for row in lifecycle_table(db, as_of, location=location, language=language):
        if row.stage != FRESH.code:
            grouped.setdefault(row.stage, []).append(row)
    return grouped


def run_daily(db: Database, as_of: datetime, *, location: str | None = None) -> DailyReport:
    """Evaluate the ladder for every lot with stock, record new stage changes
    and list the lots whose stage calls for an action."""
    at = require_aware(as_of, "as-of time")
    with db.transaction() as uow:
        views, rows = _rows(uow, at, location, None, True, "en")
        recorded = uow.stock.recorded_stages([v.lot_id for v in views])
        policy = uow.catalog.ladder_policy()
        changes: list[StageChange] = []
        for view, row in zip(views, rows, strict=True):
            stage = policy.for_sku(view.lot.sku, view.category).stage_at(view.lot.expires_at, at)
            new = stage_to_record(stage, recorded.get(view.lot_id, set()))
            if new is not None and uow.stock.add_stage_event(view.lot_id, new.code, new.action, at):
                changes.append(StageChange(row, at))
        due = [r for r in rows if r.stage != FRESH.code]
        return DailyReport(at, changes, due, Counter(r.stage for r in rows))


def ledger_page(
    db: Database,
    location: str,
    *,
    sku: str | None = None,
    lot_code: str | None = None,
    kind: EntryKind | None = None,
    newest_first: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[LedgerRecord], int]:
    """One page of a location's ledger (filtered as given) and how many entries match."""
    with db.transaction(readonly=True) as uow:
        uow.catalog.location(location)
        return uow.stock.ledger_page(
            location, sku=sku, lot_code=lot_code, kind=kind, newest_first=newest_first,
            offset=offset, limit=limit,
        )  # fmt: skip
