"""Shared fixtures: a real SQLite file per test, and a real PostgreSQL server
started once per session on 127.0.0.1 with a fresh database per test.

PostgreSQL tests skip with a message when no server binaries are installed,
except when SHELFPILOT_REQUIRE_POSTGRES=1 (set by CI), where they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.domain import Location, LocationKind, Money, Product
from shelfpilot.services import catalog
from shelfpilot.storage import Database
from shelfpilot.testing.postgres import PostgresUnavailable, TemporaryPostgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)
_names = itertools.count()


def postgres_required() -> bool:
    return os.environ.get("SHELFPILOT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    try:
        server = TemporaryPostgres().start()
    except PostgresUnavailable as error:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required here but could not start: {error}")
        pytest.skip(f"PostgreSQL not available: {error}")
    yield server
    server.stop()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'shelfpilot.db'}")
    db.migrate()
    yield db
    db.close()


@pytest.fixture
def postgres_db(postgres_server: TemporaryPostgres) -> Iterator[Database]:
    db = Database(postgres_server.create_database(f"t{next(_names)}"))
    db.migrate()
    yield db
    db.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """Each test using it runs on a SQLite file and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")  # type: ignore[no-any-return]


def cake(**changes: object) -> Product:
    fields: dict[str, object] = {
        "sku": "CAKE",
        "name_en": "Mung bean cake",
        "name_zh": "绿豆糕",
        "category": "cake",
        "unit": "pcs",
        "list_price": Money.of("28"),
        "unit_cost": Money.of("9.5"),
        "shelf_life": timedelta(days=12),
        "gtin": "5901234123457",
    }
    fields.update(changes)
    return Product(**fields)  # type: ignore[arg-type]


def cherries() -> Product:
    return Product(
        "CHERRY",
        "Cherries",
        "樱桃",
        "fruit",
        "kg",
        Money.of("68"),
        Money.of("30"),
        timedelta(days=5),
    )


@pytest.fixture
def shop(db: Database) -> Database:
    """A brand with two stores and a warehouse, a cake and cherries by weight."""
    catalog.save_locations(
        db,
        [
            Location("SUYUAN", "苏园雅点", LocationKind.BRAND),
            Location("SZ-01", "Suzhou Pingjiang Rd", LocationKind.STORE, "SUYUAN", "Asia/Shanghai"),
            Location("SZ-02", "Suzhou Guanqian St", LocationKind.STORE, "SUYUAN", "Asia/Shanghai"),
            Location("WH", "Central kitchen", LocationKind.WAREHOUSE, "SUYUAN", "Asia/Shanghai"),
        ],
    )
    catalog.save_products(db, [cake(), cherries()])
    return db


def qty(text: str) -> Decimal:
    return Decimal(text)
