"""Logging in (OAuth2 password flow), refreshing, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from shelfpilot.api.schemas import Me, RefreshIn, TokenPair
from shelfpilot.api.security import ACCESS, REFRESH, Current, Db, Issuer, TokenIssuer
from shelfpilot.domain.access import PERMISSIONS
from shelfpilot.services import identity

router = APIRouter(prefix="/auth", tags=["auth"])


def _pair(tokens: TokenIssuer, username: str) -> TokenPair:
    return TokenPair(
        access_token=tokens.issue(username, ACCESS),
        refresh_token=tokens.issue(username, REFRESH),
        expires_in=int(tokens.access.total_seconds()),
    )


@router.post("/token", response_model=TokenPair)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], db: Db, tokens: Issuer
) -> TokenPair:
    principal = identity.authenticate(db, form.username, form.password)
    return _pair(tokens, principal.name)


@router.post("/refresh", response_model=TokenPair)
def refresh(payload: RefreshIn, db: Db, tokens: Issuer) -> TokenPair:
    username = tokens.subject(payload.refresh_token, REFRESH)
    identity.principal(db, username)  # still active
    return _pair(tokens, username)


me_router = APIRouter(tags=["auth"])


@me_router.get("/me", response_model=Me)
def me(principal: Current) -> Me:
    return Me(
        username=principal.name,
        role=principal.role.value,
        location=principal.place,
        locations=sorted(principal.visible),
        permissions=sorted(p.value for p in PERMISSIONS[principal.role]),
    )
