"""The FastAPI application: ``create_app`` wires a database and a token key;
``shelfpilot serve`` runs it under uvicorn."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI

from shelfpilot import __version__
from shelfpilot.api import errors
from shelfpilot.api.jobs import JobBoard
from shelfpilot.api.routes import audit, auth, catalog, movements, plans, stock, work
from shelfpilot.api.schemas import ERRORS
from shelfpilot.api.security import TokenIssuer
from shelfpilot.storage import Database

PREFIX = "/api/v1"
#: a request body larger than this is refused with 413 (a till's sale is a few KB)
MAX_BODY = 1024 * 1024


def create_app(
    db: Database,
    *,
    secret: str | None = None,
    access: timedelta = timedelta(minutes=15),
    refresh: timedelta = timedelta(days=7),
    clearance: Mapping[str, Any] | None = None,
) -> FastAPI:
    """``secret`` signs login tokens; without one a random key is made (logins
    then end when the process does). ``clearance``: the forecast model file
    and costs (``model_path``, ``disposal_cost``, ``donation_value``) that
    risk, forecasts and the daily run use."""
    jobs = JobBoard(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(
        lifespan=lifespan,
        title="ShelfPilot",
        version=__version__,
        description="Lots, expiry ladders, FEFO stock and clearance for goods that do not keep.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
    )
    app.state.db = db
    app.state.jobs = jobs
    app.state.clearance = dict(clearance or {})
    app.state.tokens = TokenIssuer(secret or secrets.token_urlsafe(48), access, refresh)
    errors.install(app)
    app.add_middleware(errors.DeclaredSizeLimit, limit=MAX_BODY, prefix=PREFIX)
    # the limit sits on the router, inside our middleware, so a body declared
    # too large gets our error body; one sent without a length is still cut off
    v1 = APIRouter(prefix=PREFIX, max_body_size=MAX_BODY, responses=ERRORS)
    for router in (
        auth.router, auth.me_router, stock.router, movements.router, catalog.router,
        plans.router, work.router, audit.router,
    ):  # fmt: skip
        v1.include_router(router)
    app.include_router(v1)
    return app
