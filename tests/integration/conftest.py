"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shelfpilot.services.demo import DemoSummary, build_demo
from shelfpilot.storage import Database
from tests.integration.api_setup import serve_shop
from tests.integration.demo_bakery import DEMO_UNTIL


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    """The demo bakery on a SQLite file, built once per test module."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    summary = build_demo(db, until=DEMO_UNTIL)
    yield db, summary
    db.close()


@pytest.fixture
def api(shop: Database) -> Iterator[tuple[httpx.Client, Database]]:
    """The API over real HTTP on the shop (SQLite and PostgreSQL), one user per role."""
    yield from serve_shop(shop)


@pytest.fixture
def own_api(shop: Database) -> Iterator[tuple[httpx.Client, Database]]:
    """The same with one brand only: its admin covers every location."""
    yield from serve_shop(shop, rival=False)
