"""The audit log. Append and read; there is deliberately no update or delete."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shelfpilot.domain.audit import AuditRecord
from shelfpilot.storage.models import AuditRow


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, record: AuditRecord) -> None:
        self.session.add(
            AuditRow(
                recorded_at=record.at,
                actor=record.actor,
                action=record.action,
                subject=record.subject,
                before=json.dumps(dict(record.before), ensure_ascii=False, sort_keys=True),
                after=json.dumps(dict(record.after), ensure_ascii=False, sort_keys=True),
                location=record.location,
            )
        )

    def records(
        self,
        *,
        since: datetime | None = None,
        action: str | None = None,
        actor: str | None = None,
        locations: Collection[str] | None = None,
        limit: int | None = 200,
        offset: int = 0,
    ) -> list[AuditRecord]:
        """Newest first; with ``locations``, only records made at one of them;
        ``limit`` None reads them all."""
        query = self._filtered(select(AuditRow), since, action, actor, locations)
        query = query.order_by(AuditRow.recorded_at.desc(), AuditRow.id.desc())
        return [
            AuditRecord(
                at=row.recorded_at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                before=json.loads(row.before),
                after=json.loads(row.after),
                record_id=row.id,
                location=row.location,
            )
            for row in self.session.scalars(query.offset(offset).limit(limit))
        ]

    def count(
        self,
        *,
        since: datetime | None = None,
        action: str | None = None,
        actor: str | None = None,
        locations: Collection[str] | None = None,
    ) -> int:
        query = self._filtered(select(func.count(AuditRow.id)), since, action, actor, locations)
        return int(self.session.scalar(query) or 0)

    @staticmethod
    def _filtered(
        query: Select[Any],
        since: datetime | None,
        action: str | None,
        actor: str | None,
        locations: Collection[str] | None,
    ) -> Select[Any]:
        if since is not None:
            query = query.where(AuditRow.recorded_at >= since)
        if action is not None:
            query = query.where(AuditRow.action == action)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if locations is not None:
            query = query.where(AuditRow.location.in_(sorted(locations)))
        return query
