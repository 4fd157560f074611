"""The audit log. Append and read; there is deliberately no update or delete."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
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
            )
        )

    def records(
        self,
        *,
        since: datetime | None = None,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        """Newest first."""
        query = select(AuditRow).order_by(AuditRow.recorded_at.desc(), AuditRow.id.desc())
        if since is not None:
            query = query.where(AuditRow.recorded_at >= since)
        if action is not None:
            query = query.where(AuditRow.action == action)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        return [
            AuditRecord(
                at=row.recorded_at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                before=json.loads(row.before),
                after=json.loads(row.after),
                record_id=row.id,
            )
            for row in self.session.scalars(query.limit(limit))
        ]
