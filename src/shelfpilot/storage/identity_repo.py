"""Users and API keys. Passwords and keys arrive already hashed: this layer
never sees a secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfpilot.domain.access import Role
from shelfpilot.domain.errors import Conflict, NotFound
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.models import ApiKeyRow, LocationRow, SupplierRow, UserRow


@dataclass(frozen=True, slots=True)
class UserRecord:
    username: str
    password_hash: str
    role: Role
    location: str | None
    supplier: str | None
    active: bool
    created_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    prefix: str
    digest: str
    name: str
    location: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class IdentityRepository:
    def __init__(self, session: Session, catalog: CatalogRepository) -> None:
        self.session, self.catalog = session, catalog

    # users -------------------------------------------------------------------
    def _user_row(self, username: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.username == username))

    def user(self, username: str) -> UserRecord | None:
        row = self._user_row(username)
        return None if row is None else self._user(row)

    def users(self) -> list[UserRecord]:
        return [
            self._user(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.username))
        ]

    def add_user(self, user: UserRecord) -> None:
        if self._user_row(user.username) is not None:
            raise Conflict("user {user!r} already exists; choose another name", user=user.username)
        self.session.add(
            UserRow(
                username=user.username,
                password_hash=user.password_hash,
                role=user.role.value,
                location_id=self.catalog.location_row(user.location).id if user.location else None,
                supplier_id=self.catalog.supplier_id(user.supplier) if user.supplier else None,
                active=user.active,
                created_at=user.created_at,
                version=1,
            )
        )
        self.session.flush()

    def update_user(self, user: UserRecord, *, expected_version: int) -> None:
        row = self._user_row(user.username)
        if row is None:
            raise NotFound("no user {user!r}", user=user.username)
        if row.version != expected_version:
            raise Conflict(
                "user {user!r} was changed by someone else; reload and retry", user=user.username
            )
        row.password_hash = user.password_hash
        row.role = user.role.value
        row.location_id = self.catalog.location_row(user.location).id if user.location else None
        row.supplier_id = self.catalog.supplier_id(user.supplier) if user.supplier else None
        row.active = user.active
        row.version += 1
        self.session.flush()

    def language(self, username: str) -> str | None:
        row = self._user_row(username)
        return row.language if row is not None else None

    def web_session(self, username: str) -> tuple[UserRecord, str | None, datetime | None] | None:
        """The user, their language and when they last logged out of the dashboard."""
        row = self._user_row(username)
        if row is None:
            return None
        return self._user(row), row.language, row.signed_out_at

    def sign_out(self, username: str, at: datetime) -> None:
        """Not a change of the account: its version stays."""
        self._known_row(username).signed_out_at = at
        self.session.flush()

    def set_language(self, username: str, language: str) -> None:
        """Not a change of the account: its version stays."""
        self._known_row(username).language = language
        self.session.flush()

    def _known_row(self, username: str) -> UserRow:
        row = self._user_row(username)
        if row is None:
            raise NotFound("no user {user!r}", user=username)
        return row

    def _user(self, row: UserRow) -> UserRecord:
        location = self.session.get(LocationRow, row.location_id) if row.location_id else None
        supplier = self.session.get(SupplierRow, row.supplier_id) if row.supplier_id else None
        return UserRecord(
            username=row.username,
            password_hash=row.password_hash,
            role=Role(row.role),
            location=location.code if location else None,
            supplier=supplier.code if supplier else None,
            active=row.active,
            created_at=row.created_at,
            version=row.version,
        )

    # API keys ----------------------------------------------------------------
    def add_key(self, key: ApiKeyRecord) -> None:
        self.session.add(
            ApiKeyRow(
                prefix=key.prefix,
                digest=key.digest,
                name=key.name,
                location_id=self.catalog.location_row(key.location).id,
                created_at=key.created_at,
                created_by=key.created_by,
                revoked_at=key.revoked_at,
            )
        )
        self.session.flush()

    def key(self, prefix: str) -> ApiKeyRecord | None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        if row is None:
            return None
        location = self.session.get(LocationRow, row.location_id)
        assert location is not None
        return ApiKeyRecord(
            row.prefix, row.digest, row.name, location.code, row.created_at, row.created_by,
            row.revoked_at,
        )  # fmt: skip

    def revoke_key(self, prefix: str, at: datetime) -> None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        if row is None:
            raise NotFound("no API key {prefix!r}", prefix=prefix)
        if row.revoked_at is None:
            row.revoked_at = at
            self.session.flush()
