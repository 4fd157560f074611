"""Engines, sessions and migrations. SQLite file by default, PostgreSQL by URL.

Write transactions on SQLite start with ``BEGIN IMMEDIATE`` so two writers
never both read stock and then both write it; on PostgreSQL the lots a sale
draws from are locked with ``SELECT ... FOR UPDATE`` (see ``stock_repo``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shelfpilot.storage.errors import StorageUnavailable, translate_dbapi
from shelfpilot.storage.unit_of_work import UnitOfWork

MIGRATIONS = Path(__file__).with_name("migrations")
_READONLY = "shelfpilot_readonly"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and pick the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        try:
            self.url = normalise_url(url)
        except ArgumentError:
            raise StorageUnavailable(
                f"{url!r} is not a database URL; use e.g. sqlite:///shop.db or postgresql://user@host/db"
            ) from None
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 60}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite takes one writer at a time; threads of this process queue here
        # rather than in SQLite's busy handler, which sleeps up to 100 ms a try
        self._write_gate = threading.RLock() if self.is_sqlite else None
        self._reader = sessionmaker(
            self.engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    def transaction(self, *, readonly: bool = False) -> UnitOfWork:
        """One unit of work: committed when the block ends, rolled back on any error."""
        if readonly:
            return UnitOfWork(self._reader, self.engine.dialect.name)
        return UnitOfWork(self._writer, self.engine.dialect.name, self._write_gate)

    def session(self) -> Session:
        return self._writer()

    def migrate(self) -> None:
        """Create or upgrade the schema to the latest Alembic revision."""
        try:
            with self.engine.begin() as connection:
                config = alembic_config(self.url)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except DBAPIError as error:
            raise translate_dbapi(error) from error

    def is_initialised(self) -> bool:
        try:
            return inspect(self.engine).has_table("ledger_entries")
        except DBAPIError as error:
            raise translate_dbapi(error) from error

    def close(self) -> None:
        self.engine.dispose()

    def describe(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get(_READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
