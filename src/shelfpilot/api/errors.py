"""One error body for every failure: ``{"error": {"code", "message", "field"}}``.

Business-rule errors keep their message (written for a shop manager); a
request the API cannot read says which field is wrong; anything unexpected is
a 500 with a fixed message and no internals. Messages are in English or
simplified Chinese by the request's ``Accept-Language`` (``i18n``); the code
and field are the same in either language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from shelfpilot.api import i18n
from shelfpilot.api.i18n import N_
from shelfpilot.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidValue,
    NotFound,
    NotSellable,
    Unauthenticated,
)
from shelfpilot.storage import StorageUnavailable, TransientConflict

log = logging.getLogger("shelfpilot.api")

#: most specific first
STATUS: tuple[tuple[type[DomainError], int, str], ...] = (
    (Unauthenticated, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (TransientConflict, 409, "busy"),
    (Conflict, 409, "conflict"),
    (NotSellable, 409, "not_sellable"),
    (InvalidValue, 422, "invalid"),
    (StorageUnavailable, 503, "unavailable"),
)
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


#: the framework's own refusals (``HTTPException.detail``), translated as written
FRAMEWORK_DETAILS = (
    N_("Bad Request"),
    N_("There was an error parsing the body"),
    N_("Unauthorized"),
    N_("Not authenticated"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Content Too Large"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
)
UNREADABLE = N_("the request could not be read")
REFUSED = N_("the request was refused")
INTERNAL = N_("the server could not complete the request; it has been logged")
TOO_LARGE = N_("the request is larger than {kb} KB; send less at once")
FIELD = N_("{field}: {message}")
MORE = (N_(" (and {n} more problem)"), N_(" (and {n} more problems)"))


def body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def _respond(
    language: str,
    content: dict[str, dict[str, str | None]],
    status: int,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    return JSONResponse(content, status_code=status, headers=headers)


def _language(request: Request) -> str:
    return i18n.negotiate(request.headers.get("accept-language"))


def classify(exc: DomainError) -> tuple[int, str]:
    """The HTTP status and error code of a business-rule error."""
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            return status, code
    return 422, "invalid"


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    language = _language(request)
    status, code = classify(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _respond(language, body(code, i18n.message(exc, language)), status, headers)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = _language(request)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": UNREADABLE}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    if errors:
        message = i18n.validation_message(first, language)
    else:
        message = i18n.text(UNREADABLE, language)
    text = i18n.text(FIELD, language, field=field, message=message) if field else message
    if len(errors) > 1:
        text += i18n.text(MORE[len(errors) > 2], language, n=len(errors) - 1)
    return _respond(language, body("invalid", text, field), 422)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    language = _language(request)
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else REFUSED
    return _respond(
        language,
        body(code, i18n.text(detail, language)),
        exc.status_code,
        getattr(exc, "headers", None),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    language = _language(request)
    return _respond(language, body("internal", i18n.text(INTERNAL, language)), 500)


#: the answer to a body declared too large: (request scope, limit in bytes) → response
Refusal = Callable[[Scope, int], Response]


def too_large(scope: Scope, limit: int) -> Response:
    language = i18n.negotiate(i18n.request_header(scope, b"accept-language"))
    message = i18n.text(TOO_LARGE, language, kb=limit // 1024)
    return _respond(language, body("too_large", message), 413)


class DeclaredSizeLimit:
    """Refuse a body whose declared length is over the limit, for paths under
    ``prefix``, with our own answer (``refuse``: the API's error body by
    default; the framework's own
    limit answers in plain text when it sees the header, and still guards
    bodies sent without one)."""

    def __init__(
        self, app: ASGIApp, limit: int, refuse: Refusal = too_large, prefix: str = ""
    ) -> None:
        self.app, self.limit, self.refuse, self.prefix = app, limit, refuse, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # only under ``prefix``: an application mounted beside it answers its own way
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit:
                await self.refuse(scope, self.limit)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(i18n.ContentLanguage)
