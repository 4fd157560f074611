"""One error body for every failure: ``{"error": {"code", "message", "field"}}``.

Business-rule errors keep their message (written for a shop manager); a
request the API cannot read says which field is wrong; anything unexpected is
a 500 with a fixed message and no internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

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


def body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def _domain(_: Request, exc: Exception) -> JSONResponse:
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(body(code, str(exc)), status_code=status, headers=headers)
    return JSONResponse(body("invalid", str(exc)), status_code=422)


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "the request could not be read"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    message = str(first.get("msg", "invalid value"))
    text = f"{field}: {message}" if field else message
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return JSONResponse(body("invalid", text, field), status_code=422)


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
    return JSONResponse(
        body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(
        body("internal", "the server could not complete the request; it has been logged"),
        status_code=500,
    )


class DeclaredSizeLimit:
    """Refuse a body whose declared length is over the limit with our error
    body (the framework's own limit answers in plain text when it sees the
    header, and still guards bodies sent without one)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit:
                message = f"the request is larger than {self.limit // 1024} KB; send less at once"
                await JSONResponse(body("too_large", message), status_code=413)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
