"""The API test setup: a brand with a distributor and stores, a rival
brand, one user per role, served over real HTTP (``api`` fixture in conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx

from shelfpilot.api.app import create_app
from shelfpilot.domain import Location, LocationKind, LotKey
from shelfpilot.domain.plans import Plan, PlanLine
from shelfpilot.services import catalog, identity, inventory
from shelfpilot.services.commands import ReceiveLot
from shelfpilot.storage import Database
from shelfpilot.testing.server import serving
from tests.conftest import T0

PASSWORD = "correct horse battery"
USERS = {
    "admin": ("brand_admin", "SUYUAN"),
    "planner": ("planner", "SUYUAN"),
    "dist": ("distributor", "NORTH"),
    "manager": ("store_manager", "SZ-01"),
    "staff": ("store_staff", "SZ-02"),
    "rival": ("brand_admin", "RIVAL"),
}


def serve_shop(shop: Database, *, rival: bool = True) -> Iterator[tuple[httpx.Client, Database]]:
    """The shop fixture's brand (two stores, a warehouse), a distributor
    owning a third store, and (unless ``rival`` is False) a second brand with
    a store of its own."""
    locations = [
        Location("NORTH", "North distributor", LocationKind.DISTRIBUTOR, "SUYUAN"),
        Location("SZ-03", "Wuxi Nanchang St", LocationKind.STORE, "NORTH", "Asia/Shanghai"),
        Location("RIVAL", "Another brand", LocationKind.BRAND),
        Location("RV-01", "Rival store", LocationKind.STORE, "RIVAL", "Asia/Shanghai"),
    ]
    catalog.save_locations(shop, locations if rival else locations[:2])
    stores = ("SZ-01", "SZ-02", "SZ-03", "RV-01") if rival else ("SZ-01", "SZ-02", "SZ-03")
    for store in stores:
        inventory.receive_lot(
            shop, ReceiveLot(store, "CAKE", "L1", Decimal(10), T0, idempotency_key=f"r-{store}")
        )
    for store in ("SZ-01", "SZ-02", "RV-01") if rival else ("SZ-01", "SZ-02"):
        add_plan(shop, store)
    for name, (role, place) in USERS.items():
        if rival or place != "RIVAL":
            identity.create_user(shop, name, PASSWORD, role, location=place, actor="test")
    with serving(create_app(shop)) as url, httpx.Client(base_url=f"{url}/api/v1") as client:
        yield client, shop


def login(client: httpx.Client, user: str) -> dict[str, str]:
    r = client.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def sale(qty: str = "2", lot: str | None = None, **extra: object) -> dict[str, object]:
    line = {"sku": "CAKE", "quantity": qty} | ({"lot_code": lot} if lot else {})
    return {"lines": [line], "at": T0.isoformat(), **extra}


def on_hand(db: Database, store: str) -> Decimal:
    with db.transaction(readonly=True) as uow:
        return uow.stock.on_hand(LotKey(store, "CAKE", "L1"))


def add_plan(db: Database, store: str) -> None:
    """A plan with one markdown line (lot P1, 7折) at ``store``."""
    lot = LotKey(store, "CAKE", "P1")
    inventory.receive_lot(
        db, ReceiveLot(store, "CAKE", "P1", Decimal(8), T0, expiry=date(2099, 1, 1))
    )
    line = PlanLine(
        lot, Decimal(1), Decimal("0.7"), Decimal(0), Decimal(5), Decimal(1), Decimal(3), "test"
    )
    with db.transaction() as uow:
        plan_id = uow.plans.add_plan(Plan(store, T0.date(), T0, "test", ()))
        uow.plans.add_line(plan_id, line)


def line_id(db: Database, store: str) -> int:
    with db.transaction(readonly=True) as uow:
        found = uow.plans.plans(None, store)[0].lines[0].line_id
    assert found is not None
    return found


def ledger_size(db: Database, store: str) -> int:
    with db.transaction(readonly=True) as uow:
        return len(uow.stock.ledger(location_code=store))
