"""The dashboard as an application mounted under ``/app`` of the API's
server, with its own error pages: a refusal is a page (or, for an htmx
request, a fragment) in the viewer's language, never JSON or a trace."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfpilot.api import i18n
from shelfpilot.api.app import MAX_BODY
from shelfpilot.api.errors import DeclaredSizeLimit, classify
from shelfpilot.domain.errors import DomainError
from shelfpilot.web import session
from shelfpilot.web.pages import ROUTERS
from shelfpilot.web.pages.base import PREFIX
from shelfpilot.web.templating import L_, gettext, render

log = logging.getLogger("shelfpilot.web")
TOO_LARGE = L_("This file is too large: send at most 1 MB at once")


def _language(request: Request) -> str:
    return session.cookie_language(request)


def _error_page(request: Request, status: int, message: str) -> Response:
    language = _language(request)
    context = {"status": status, "message": message, "prefix": PREFIX}
    name = "fragments/error.html" if request.headers.get("hx-request") else "error.html"
    return HTMLResponse(render(language, name, context), status_code=status)


def _login_needed(request: Request, exc: Exception) -> Response:
    target = f"{PREFIX}/login"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status, _ = classify(exc)
    if status == 401:
        return _login_needed(request, exc)
    return _error_page(request, status, i18n.message(exc, _language(request)))


def _unreadable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    language = _language(request)
    message = gettext(language, "This form could not be read")
    errors = exc.errors()
    if errors:
        first = errors[0]
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        detail = i18n.validation_message(first, language)
        message += f" ({field}: {detail})" if field else f" ({detail})"
    return _error_page(request, 422, message)


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    language = _language(request)
    wording = {
        404: L_("This page does not exist"),
        405: L_("This page cannot be used that way"),
        413: TOO_LARGE,
    }.get(exc.status_code, L_("The request was refused"))
    return _error_page(request, exc.status_code, gettext(language, wording))


class PageOnError:
    """An unexpected error becomes the "something went wrong" page here, and
    goes no further: the API's own handler around the mount would answer
    JSON, and Starlette's re-raise would drop the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.exception("unexpected error on a page", exc_info=exc)
            if started:
                return
            request = Request(scope)
            message = gettext(
                _language(request), "Something went wrong on our side; it has been logged"
            )
            await _error_page(request, 500, message)(scope, receive, send)


def _too_large(scope: Scope, limit: int) -> Response:
    request = Request(scope)
    return _error_page(request, 413, gettext(_language(request), TOO_LARGE))


def create_web(state: Any) -> FastAPI:
    """The dashboard over the API's ``state`` (database, token key, job
    board and clearance options): the same accounts and the same services."""
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.db = state.db
    web.state.tokens = state.tokens
    web.state.jobs = state.jobs
    web.state.clearance = state.clearance
    web.state.as_of = getattr(state, "as_of", None)
    static = resources.files("shelfpilot.web") / "static"
    web.mount("/static", StaticFiles(directory=str(static)), name="static")
    web.add_exception_handler(session.LoginNeeded, _login_needed)
    web.add_exception_handler(DomainError, _domain)
    web.add_exception_handler(RequestValidationError, _unreadable)
    web.add_exception_handler(HTTPException, _http)
    web.add_middleware(PageOnError)
    web.add_middleware(DeclaredSizeLimit, limit=MAX_BODY, refuse=_too_large)
    # the limit sits on a router, inside our middleware, so a body declared too
    # large gets our page; one sent without a length is still cut off
    pages = APIRouter(max_body_size=MAX_BODY)
    for router in ROUTERS:
        pages.include_router(router)
    web.include_router(pages)
    return web


def mount(api: FastAPI) -> FastAPI:
    """Serve the dashboard beside the API: ``/app`` (and ``/`` leads there)."""
    api.mount(PREFIX, create_web(api.state))

    @api.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    return api
