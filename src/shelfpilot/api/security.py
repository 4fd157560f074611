"""Login tokens (JWT, HS256, PyJWT) and the request's principal.

An access token lives minutes and a refresh token days; each names its user
and its kind, and the user is looked up again on every request, so a role
change or a deactivated account takes effect at once. Tills send their
store's key in ``X-API-Key`` instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from shelfpilot.domain.access import Permission, Principal
from shelfpilot.domain.errors import Text, Unauthenticated
from shelfpilot.services import identity
from shelfpilot.storage import Database

ALGORITHM = "HS256"
ACCESS, REFRESH = "access", "refresh"


@dataclass(frozen=True)
class TokenIssuer:
    secret: str
    access: timedelta
    refresh: timedelta

    def issue(self, username: str, kind: str) -> str:
        now = datetime.now(UTC)
        life = self.access if kind == ACCESS else self.refresh
        # "iat" counts whole seconds; "t" is the moment to the microsecond, so a
        # login just after a logout is told from one just before it
        claims = {"sub": username, "typ": kind, "iat": now, "exp": now + life, "t": now.timestamp()}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def subject(self, token: str, kind: str) -> str:
        return self.read(token, kind)[0]

    def read(self, token: str, kind: str) -> tuple[str, datetime]:
        """The token's subject and when it was issued."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the login has expired; log in again") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the login token is not valid; log in again") from None
        if claims.get("typ") != kind:
            raise Unauthenticated("this is not an {kind} token", kind=Text(kind))
        issued = claims.get("t", claims.get("iat"))
        if not isinstance(issued, int | float) or not math.isfinite(issued):
            raise Unauthenticated("the login token is not valid; log in again")
        return str(claims["sub"]), datetime.fromtimestamp(issued, UTC)


_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def issuer(request: Request) -> TokenIssuer:
    tokens: TokenIssuer = request.app.state.tokens
    return tokens


Db = Annotated[Database, Depends(database)]
Issuer = Annotated[TokenIssuer, Depends(issuer)]


def current_principal(
    db: Db,
    tokens: Issuer,
    token: Annotated[str | None, Depends(_bearer)],
    key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    if token:
        return identity.principal(db, tokens.subject(token, ACCESS))
    if key:
        return identity.principal_for_key(db, key)
    raise Unauthenticated("log in first (a bearer token) or send the store's X-API-Key")


Current = Annotated[Principal, Depends(current_principal)]


def allowed(permission: Permission) -> Any:
    """A dependency that lets the request through only when the principal
    holds ``permission`` at the path's ``location`` (if the path names one).
    Every endpoint declares its permission this way, so the rules stay in
    ``domain.access`` and the route table says who may call what."""

    async def check(request: Request, principal: Current) -> Principal:
        principal.require(permission, request.path_params.get("location"))
        return principal

    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)
