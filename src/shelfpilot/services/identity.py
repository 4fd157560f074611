"""Accounts: users with a role and a place, tills with a store's API key, and
turning either into the ``Principal`` every other use case is checked against.

Passwords are hashed with Argon2 (argon2-cffi); an API key is a long random
secret, so a SHA-256 digest of it is enough and keeps a till's request cheap.
User and role changes go to the audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shelfpilot.domain.access import Principal, Role, check_assignment, subtree
from shelfpilot.domain.catalog import check_code
from shelfpilot.domain.errors import InvalidValue, NotFound, Unauthenticated
from shelfpilot.services.adjustments import audit
from shelfpilot.storage import ApiKeyRecord, Database, UnitOfWork, UserRecord

_HASHER = PasswordHasher()
#: verified against when the user does not exist, so both answers take as long
_DUMMY = _HASHER.hash("not a real password")
MIN_PASSWORD = 8
KEY_PREFIX = "sp"
BAD_LOGIN = "wrong user name or password"


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidValue("a password needs at least {n} characters", n=MIN_PASSWORD)
    return password


def create_user(
    db: Database,
    username: str,
    password: str,
    role: Role | str,
    *,
    location: str | None = None,
    supplier: str | None = None,
    actor: str,
) -> UserRecord:
    role = _role(role)
    user = UserRecord(
        username=check_code(username, "user name"),
        password_hash=_HASHER.hash(_check_password(password)),
        role=role,
        location=location,
        supplier=supplier,
        active=True,
        created_at=datetime.now(UTC),
        version=1,
    )
    with db.transaction() as uow:
        check_assignment(role, uow.catalog.location(location) if location else None, supplier)
        uow.identity.add_user(user)
        audit(
            uow, actor, "user.create", f"user {user.username}", {}, _shown(user),
            location=user.location,
        )  # fmt: skip
    return user


def change_user(
    db: Database,
    username: str,
    *,
    expected_version: int,
    actor: str,
    role: Role | str | None = None,
    location: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> UserRecord:
    """Change a user's role, place, password or whether they may log in;
    refused if someone else changed the user since ``expected_version``."""
    with db.transaction() as uow:
        before = _user(uow, username)
        after = replace(
            before,
            role=before.role if role is None else _role(role),
            location=before.location if location is None else location,
            active=before.active if active is None else active,
            password_hash=(
                before.password_hash
                if password is None
                else _HASHER.hash(_check_password(password))
            ),
        )
        place = uow.catalog.location(after.location) if after.location else None
        check_assignment(after.role, place, after.supplier)
        uow.identity.update_user(after, expected_version=expected_version)
        shown_before, shown_after = _shown(before), _shown(after)
        if password is not None:
            shown_after["password"] = "changed"
        audit(
            uow, actor, "user.change", f"user {username}", shown_before, shown_after,
            location=after.location,
        )  # fmt: skip
        return replace(after, version=before.version + 1)


def users(db: Database) -> list[UserRecord]:
    with db.transaction(readonly=True) as uow:
        return uow.identity.users()


def authenticate(db: Database, username: str, password: str) -> Principal:
    """The principal for a correct user name and password; the same answer
    for an unknown user as for a wrong password."""
    with db.transaction() as uow:
        # no stored name holds a NUL (PostgreSQL cannot even be asked for one)
        user = uow.identity.user(username) if "\x00" not in username else None
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated(BAD_LOGIN) from None
        if user is None or not user.active:
            raise Unauthenticated(BAD_LOGIN)
        if _HASHER.check_needs_rehash(user.password_hash):
            rehashed = replace(user, password_hash=_HASHER.hash(password))
            uow.identity.update_user(rehashed, expected_version=user.version)
        return _principal(uow, user)


def principal(db: Database, username: str) -> Principal:
    """The principal of an already authenticated user (a token's subject), as
    the user stands now: a role change or deactivation takes effect at once."""
    with db.transaction(readonly=True) as uow:
        user = uow.identity.user(username)
        if user is None or not user.active:
            raise Unauthenticated("this login is no longer valid; log in again")
        return _principal(uow, user)


def web_viewer(db: Database, username: str, issued_at: datetime) -> tuple[Principal, str | None]:
    """The principal and language of a dashboard login issued at
    ``issued_at``, in one read. A login issued before the user last logged
    out is over, on every device."""
    gone = Unauthenticated("this login is no longer valid; log in again")
    with db.transaction(readonly=True) as uow:
        found = uow.identity.web_session(username)
        if found is None or not found[0].active:
            raise gone
        user, picked, signed_out = found
        if signed_out is not None and issued_at <= signed_out:
            raise gone
        return _principal(uow, user), picked if picked in LANGUAGES else None


def sign_out(db: Database, username: str) -> None:
    """End the user's dashboard logins: every one issued up to now stops working."""
    with db.transaction() as uow:
        uow.identity.sign_out(username, datetime.now(UTC))


def create_api_key(db: Database, location: str, name: str, *, actor: str) -> str:
    """A new key for the tills of one store; the key itself is shown once."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with db.transaction() as uow:
        place = uow.catalog.location(location)
        check_assignment(Role.TILL, place, None)
        record = ApiKeyRecord(prefix, _digest(key), name, location, datetime.now(UTC), actor, None)
        uow.identity.add_key(record)
        audit(
            uow, actor, "api_key.create", f"api key {prefix}", {}, {"store": location, "name": name},
            location=location,
        )  # fmt: skip
    return key


def revoke_api_key(db: Database, prefix: str, *, actor: str) -> None:
    with db.transaction() as uow:
        uow.identity.revoke_key(prefix, datetime.now(UTC))
        record = uow.identity.key(prefix)
        audit(
            uow, actor, "api_key.revoke", f"api key {prefix}", {"revoked": "no"}, {"revoked": "yes"},
            location=record.location if record else None,
        )  # fmt: skip


def principal_for_key(db: Database, key: str) -> Principal:
    parts = key.split("_", 2)
    invalid = Unauthenticated("the API key is not valid or was revoked; ask for a new one")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise invalid
    with db.transaction(readonly=True) as uow:
        record = uow.identity.key(parts[1])
        if record is None or record.revoked_at is not None:
            raise invalid
        if not hmac.compare_digest(record.digest, _digest(key)):
            raise invalid
        return Principal(
            f"till {record.name} ({record.prefix})",
            Role.TILL,
            record.location,
            frozenset({record.location}),
        )


#: the languages the dashboard speaks
LANGUAGES = ("en", "zh-CN")


def language(db: Database, username: str) -> str | None:
    """The language the user picked, if any."""
    with db.transaction(readonly=True) as uow:
        picked = uow.identity.language(username)
    return picked if picked in LANGUAGES else None


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidValue(
            "{language!r} is not a language ShelfPilot speaks; pick one of {choices}",
            language=language,
            choices=", ".join(LANGUAGES),
        )
    return language


def set_language(db: Database, username: str, language: str) -> None:
    """Remember the user's language for every device they log in from."""
    check_language(language)
    with db.transaction() as uow:
        uow.identity.set_language(username, language)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role if r is not Role.TILL)
        raise InvalidValue(
            "unknown role {role!r}; one of {known}", role=role, known=known
        ) from None


def _user(uow: UnitOfWork, username: str) -> UserRecord:
    user = uow.identity.user(username)
    if user is None:
        raise NotFound("no user {user!r}", user=username)
    return user


def _principal(uow: UnitOfWork, user: UserRecord) -> Principal:
    visible = subtree(uow.catalog.locations(), user.location) if user.location else frozenset[str]()
    return Principal(user.username, user.role, user.location, visible, user.supplier)


def _shown(user: UserRecord) -> dict[str, str]:
    return {
        "role": user.role.value,
        "location": user.location or "",
        "supplier": user.supplier or "",
        "active": "yes" if user.active else "no",
    }
