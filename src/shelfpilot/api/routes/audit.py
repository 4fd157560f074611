"""The audit log, read only: no endpoint edits or deletes it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shelfpilot.api.schemas import PLAIN, AuditOut, Limit, Offset, Page
from shelfpilot.api.security import Db, allowed
from shelfpilot.domain.access import Permission, Principal
from shelfpilot.services import plans

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=Page[AuditOut])
def audit_log(
    db: Db,
    principal: Annotated[Principal, allowed(Permission.READ_AUDIT)],
    action: Annotated[str | None, Query(max_length=32, pattern=PLAIN)] = None,
    actor: Annotated[str | None, Query(max_length=100, pattern=PLAIN)] = None,
    since: datetime | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[AuditOut]:
    """Who changed what, when, before and after, newest first: the records
    made at the locations this account covers."""
    records, total = plans.audit_page(
        db, offset=offset, limit=limit, action=action, actor=actor, since=since,
        locations=principal.visible,
    )  # fmt: skip
    items = [
        AuditOut(
            at=r.at,
            actor=r.actor,
            action=r.action,
            subject=r.subject,
            location=r.location,
            before=dict(r.before),
            after=dict(r.after),
        )
        for r in records
    ]
    return Page(items=items, total=total, offset=offset, limit=limit)
