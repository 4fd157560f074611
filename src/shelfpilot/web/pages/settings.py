"""Settings: the expiry ladder per category (editable by whoever may change
what every brand shares), the clearance guardrails and the channels; and the
audit log for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shelfpilot.domain.access import Permission
from shelfpilot.services import catalog, channels, plans
from shelfpilot.web import session
from shelfpilot.web.pages.base import PREFIX, Current, Db, guardrails, page

router = APIRouter()
PAGE = 50


def _may_edit(db: Db, viewer: session.Viewer) -> bool:
    codes = {loc.code for loc in catalog.locations(db)}
    return viewer.principal.can(Permission.MANAGE_CATALOG) and codes <= viewer.principal.visible


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request, db: Db, viewer: Current) -> HTMLResponse:
    rules, tag = catalog.ladders(db)
    categories = sorted({p.category for p in catalog.products(db)})
    may_edit = _may_edit(db, viewer)
    return page(
        request, viewer, "settings.html", rules=rules, tag=tag, categories=categories,
        guardrails=guardrails(request),
        channels=channels.channel_status(db) if may_edit else None,
        may_edit=may_edit, channel_name=channels.channel_name,
    )  # fmt: skip


@router.post("/settings/ladder")
def set_ladder(
    request: Request,
    db: Db,
    viewer: Current,
    scope: Annotated[str, Form(pattern="^(default|category|sku)$")],
    key: Annotated[str, Form(max_length=64)],
    spec: Annotated[str, Form(max_length=500)],
    tag: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Refused (with the page saying why) when the viewer may not change
    shared settings, the ladder text is wrong, or someone changed the
    ladders since the page was loaded."""
    session.check_csrf(request, viewer, csrf)
    codes = [loc.code for loc in catalog.locations(db)]
    viewer.principal.require_everywhere(Permission.MANAGE_CATALOG, codes, "expiry ladders")
    catalog.set_ladder(db, scope, key, spec, actor=viewer.principal.name, expected_tags={tag})
    return RedirectResponse(f"{PREFIX}/settings?saved=1", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request, db: Db, viewer: Current, action: str = "", offset: int = 0
) -> HTMLResponse:
    viewer.principal.require(Permission.READ_AUDIT)
    offset = min(max(offset, 0), 10**9)
    records, total = plans.audit_page(
        db, offset=offset, limit=PAGE, action=action[:32] or None,
        locations=viewer.principal.visible,
    )  # fmt: skip
    return page(
        request, viewer, "audit.html", records=records, total=total, offset=offset, size=PAGE,
        action=action[:32],
    )  # fmt: skip
