"""Logging in and out, and picking the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shelfpilot.api import i18n
from shelfpilot.domain.errors import Forbidden, Unauthenticated
from shelfpilot.services import identity
from shelfpilot.web import session
from shelfpilot.web.pages.base import PREFIX, Current, Db
from shelfpilot.web.templating import render

router = APIRouter()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_form(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    language = session.cookie_language(request)
    nonce = session.login_nonce(request, request.app.state.tokens)
    context = {
        "prefix": PREFIX,
        "error": error,
        "username": request.query_params.get("u", ""),
        "nonce": nonce,
    }
    response = HTMLResponse(render(language, "login.html", context), status_code=status)
    session.keep_login_nonce(response, nonce, _secure(request))
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    nonce: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse | RedirectResponse:
    try:
        session.check_login_nonce(request, request.app.state.tokens, nonce)
    except Forbidden as error:
        return _login_form(request, 403, i18n.message(error, session.cookie_language(request)))
    try:
        identity.authenticate(db, username, password)
    except Unauthenticated as error:
        message = i18n.message(error, session.cookie_language(request))
        return _login_form(request, 401, message)
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    session.start(response, request.app.state.tokens, username, _secure(request))
    picked = identity.language(db, username)
    if picked:
        session.remember_language(response, picked, _secure(request))
    return response


@router.post("/logout")
def logout(
    request: Request, db: Db, viewer: Current, csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    session.check_csrf(request, viewer, csrf)
    identity.sign_out(db, viewer.username)  # the cookie may be kept elsewhere: end it
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    session.end(response)
    return response


@router.post("/language")
def language(
    request: Request,
    db: Db,
    language: Annotated[str, Form(max_length=8)],
    back: Annotated[str, Form(max_length=500)] = f"{PREFIX}/",
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Switch the language: remembered on the account when logged in, and in
    a cookie (the login page speaks it too)."""
    try:
        viewer = session.viewer(request, db, request.app.state.tokens)
    except session.LoginNeeded:
        viewer = None
    identity.check_language(language)
    if viewer is not None and csrf:  # the login page's switch sends no token: cookie only
        session.check_csrf(request, viewer, csrf)
        identity.set_language(db, viewer.username, language)
    # only a path of this dashboard: never a redirect to another site
    target = back if back.startswith(PREFIX + "/") and "//" not in back else f"{PREFIX}/"
    response = RedirectResponse(target, status_code=303)
    session.remember_language(response, language, _secure(request))
    return response
