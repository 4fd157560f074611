"""What every page shares: the viewer, the store being looked at, the
business clock, and rendering in the viewer's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from shelfpilot.domain.access import Permission
from shelfpilot.domain.catalog import Location, LocationKind
from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.services import catalog
from shelfpilot.storage import Database
from shelfpilot.web import session
from shelfpilot.web.session import PREFIX as PREFIX
from shelfpilot.web.session import Viewer
from shelfpilot.web.templating import L_, render

#: (path, label, permission needed to see it in the menu)
NAV = (
    ("/", L_("Today"), Permission.READ_STOCK),
    ("/lots", L_("Lots"), Permission.READ_STOCK),
    ("/plan", L_("Clearance plan"), Permission.READ_STOCK),
    ("/forecast", L_("Forecast"), Permission.READ_STOCK),
    ("/results", L_("Results"), Permission.READ_STOCK),
    ("/import", L_("Import"), Permission.RECEIVE),
    ("/settings", L_("Settings"), Permission.READ_STOCK),
    ("/audit", L_("Audit log"), Permission.READ_AUDIT),
)

#: the default ladder's stage codes and actions → labels (a ladder of the
#: shop's own making may use other codes: those are shown as they are)
STAGES = {
    "fresh": L_("Fresh"),
    "remind": L_("Remind"),
    "five_days": L_("Five days left"),
    "warn": L_("Warn"),
    "donation": L_("Donate"),
    "last_day": L_("Last day"),
    "pulled": L_("Pulled off sale"),
    "expired": L_("Expired"),
}
ACTIONS = {
    "none": L_("Nothing yet"),
    "review": L_("Review the order"),
    "bundle": L_("Bundle it"),
    "workshop_or_presale": L_("Workshop or pre-sale"),
    "donate": L_("Donate it"),
    "blind_box": L_("Blind box"),
    "pull_off": L_("Pull it off sale"),
    "dispose": L_("Dispose of it"),
    "markdown": L_("Markdown"),
    "channel": L_("Channel"),
}
IMPORT_KINDS = {
    "products": L_("Products"),
    "locations": L_("Stores and locations"),
    "suppliers": L_("Suppliers"),
    "lots": L_("Lots received"),
    "sales": L_("Sales"),
    "counts": L_("Stock counts"),
    "calendar": L_("Calendar (holidays, events, weather)"),
}
SCOPES = {"default": L_("Every product"), "category": L_("Category"), "sku": L_("Product")}
STATUSES = {
    "proposed": L_("Proposed"),
    "approved": L_("Approved"),
    "adjusted": L_("Adjusted"),
    "rejected": L_("Rejected"),
}
ENTRY_KINDS = {
    "receipt": L_("Received"),
    "sale": L_("Sale"),
    "transfer_out": L_("Sent to another store"),
    "transfer_in": L_("From another store"),
    "price_change": L_("New price"),
    "donation": L_("Donated"),
    "disposal": L_("Thrown away"),
    "adjustment": L_("Stock count"),
    "return": L_("Customer return"),
}

CHANNEL_KINDS = {
    "member_push": L_("Member app push"),
    "corporate": L_("Corporate orders"),
    "group_buy": L_("Community group buy"),
    "livestream": L_("Livestream"),
    "partner": L_("Partner cafés and hotels"),
    "surplus_app": L_("Surplus app"),
    "food_bank": L_("Food bank"),
    "blind_box": L_("Blind box"),
    "workshop": L_("Workshop"),
    "presale": L_("Pre-sale"),
}


def guardrails(request: Request) -> Guardrails:
    """The brand's guardrails the server was started with (the defaults if none)."""
    guard = request.app.state.clearance.get("guardrails")
    return guard if isinstance(guard, Guardrails) else Guardrails()


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Db = Annotated[Database, Depends(database)]


def current_viewer(request: Request, db: Db) -> Viewer:
    return session.viewer(request, db, request.app.state.tokens)


Current = Annotated[Viewer, Depends(current_viewer)]


def now(request: Request) -> datetime:
    """The business clock: the server's ``--as-of`` (a replayed history,
    the demo) or the real time."""
    fixed: datetime | None = request.app.state.as_of
    return fixed or datetime.now(UTC)


def stores(db: Database, viewer: Viewer) -> list[Location]:
    return [
        loc
        for loc in catalog.locations(db)
        if loc.kind is LocationKind.STORE and viewer.principal.sees(loc.code)
    ]


def pick_store(db: Database, viewer: Viewer, code: str | None) -> tuple[Location, list[Location]]:
    """The store asked for (which the viewer must cover), else their own,
    else the first they cover."""
    mine = stores(db, viewer)
    if code:
        viewer.principal.require(Permission.READ_STOCK, code)
        found = next((s for s in mine if s.code == code), None)
        if found is None:
            raise NotFound("{location!r} is not a store", location=code)
        return found, mine
    if not mine:
        raise NotFound("this account covers no store yet; ask an administrator")
    own = next((s for s in mine if s.code == viewer.principal.place), mine[0])
    return own, mine


def page(
    request: Request,
    viewer: Viewer,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    menu = [(PREFIX + path, label) for path, label, need in NAV if viewer.principal.can(need)]
    full = {
        "viewer": viewer,
        "prefix": PREFIX,
        "menu": menu,
        "path": request.url.path,
        "stages": STAGES,
        "actions": ACTIONS,
        "entry_kinds": ENTRY_KINDS,
        "channel_kinds": CHANNEL_KINDS,
        "statuses": STATUSES,
        "import_kinds": IMPORT_KINDS,
        "scopes": SCOPES,
        **context,
    }
    return HTMLResponse(render(viewer.language, template, full), status_code=status)
