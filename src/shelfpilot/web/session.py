"""Who is looking at the dashboard, in which language.

Logging in checks the password exactly as the API does and puts a signed
login token (the API's own ``TokenIssuer``) in an HttpOnly, SameSite=Lax
cookie. Every page looks the user up again from the database, so the same
roles and permissions apply as on the API, and a changed role or a
deactivated account takes effect at the next click.

Every form and htmx request that changes something carries a token derived
from the login cookie (double submit, HMAC with the server's key): a page of
another site cannot forge it, even where a browser sends the cookie along.

The login form carries a nonce, signed with the server's key, that must
match a cookie set with the form (double submit), so another site cannot log
a browser in to an account of its choosing (login CSRF). Logging out ends
the user's dashboard logins on every device: a login issued before the
user's last logout is refused even if its cookie was kept.

The language is the user's own choice, stored on the account (so it follows
them to their phone) and in a cookie (so the login page already speaks it);
before any choice, the browser's ``Accept-Language``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from shelfpilot.api import i18n
from shelfpilot.api.security import TokenIssuer
from shelfpilot.domain.access import Principal
from shelfpilot.domain.errors import Forbidden, Unauthenticated
from shelfpilot.services import identity
from shelfpilot.storage import Database

SESSION, LANGUAGE, LOGIN_NONCE = "sp_session", "sp_lang", "sp_login"
#: where the dashboard is mounted under ``shelfpilot serve``
PREFIX = "/app"
WEB = "web"
CSRF_HEADER, CSRF_FIELD = "x-csrf-token", "csrf"
YEAR = 365 * 24 * 3600


class LoginNeeded(Exception):
    """No valid login cookie: the page sends the browser to the login form."""


@dataclass(frozen=True)
class Viewer:
    username: str
    principal: Principal
    language: str
    csrf: str


def cookie_language(request: Request) -> str:
    picked = request.cookies.get(LANGUAGE)
    if picked in identity.LANGUAGES:
        return picked
    return i18n.negotiate(request.headers.get("accept-language"))


def login_nonce(request: Request, tokens: TokenIssuer) -> str:
    """The login form's nonce: the browser's own while it is one we signed (a
    reload keeps it), else a new one. Another site cannot set the cookie, so
    it cannot post a matching form; the signature stops a made-up cookie, but
    not one a sibling domain able to set cookies here copied from our own
    login page (``__Host-`` cookies would, on HTTPS only)."""
    kept = request.cookies.get(LOGIN_NONCE, "")
    if _signed_nonce(kept, tokens):
        return kept
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_nonce_mac(nonce, tokens)}"


def keep_login_nonce(response: Response, nonce: str, secure: bool) -> None:
    response.set_cookie(
        LOGIN_NONCE, nonce, httponly=True, samesite="strict", secure=secure, path=PREFIX
    )


def check_login_nonce(request: Request, tokens: TokenIssuer, sent: str) -> None:
    kept = request.cookies.get(LOGIN_NONCE, "")
    if not (_signed_nonce(kept, tokens) and hmac.compare_digest(kept.encode(), sent.encode())):
        raise Forbidden("the login form has expired; reload the page and log in again")


def _nonce_mac(nonce: str, tokens: TokenIssuer) -> str:
    return hmac.new(tokens.secret.encode(), f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def _signed_nonce(value: str, tokens: TokenIssuer) -> bool:
    nonce, _, mac = value.partition(".")
    return len(nonce) == 32 and hmac.compare_digest(
        mac.encode(), _nonce_mac(nonce, tokens).encode()
    )


def csrf_token(tokens: TokenIssuer, session: str) -> str:
    return hmac.new(tokens.secret.encode(), f"csrf:{session}".encode(), hashlib.sha256).hexdigest()


def viewer(request: Request, db: Database, tokens: TokenIssuer) -> Viewer:
    session = request.cookies.get(SESSION)
    if not session:
        raise LoginNeeded
    try:
        username, issued = tokens.read(session, WEB)
        principal, picked = identity.web_viewer(db, username, issued)
    except Unauthenticated:
        raise LoginNeeded from None
    return Viewer(
        username, principal, picked or cookie_language(request), csrf_token(tokens, session)
    )


def check_csrf(request: Request, viewer: Viewer, sent: str | None) -> None:
    """``sent``: the form's field; htmx sends the header instead."""
    token = sent or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(token, viewer.csrf):
        raise Forbidden("this form is out of date; reload the page and try again")


def start(response: Response, tokens: TokenIssuer, username: str, secure: bool) -> None:
    response.set_cookie(
        SESSION,
        tokens.issue(username, WEB),
        max_age=int(tokens.refresh.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def end(response: Response) -> None:
    response.delete_cookie(SESSION, path="/")


def remember_language(response: Response, language: str, secure: bool) -> None:
    response.set_cookie(LANGUAGE, language, max_age=YEAR, samesite="lax", secure=secure, path="/")
