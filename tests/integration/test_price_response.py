"""The shop learns how its customers answer a markdown from its own till
sales, and its plans use what it learned (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
import pytest

from shelfpilot.services import catalog, clearance, price_response
from shelfpilot.services import inventory as inv
from shelfpilot.services.sales_history import sales_history
from shelfpilot.storage import Database
from tests.conftest import T0, cake
from tests.integration.api_setup import login

BREADS = [f"BREAD-{i}" for i in range(12)]
TRUE_ELASTICITY = -2.5
DAYS = 30


def _sell_at_varied_prices(shop: Database) -> None:
    """Twelve breads, each sold once a day for 30 days at list, 0.8 or 0.7
    of it, in the quantities an elasticity of −2.5 gives (never sold out)."""
    catalog.save_products(
        shop,
        [
            cake(sku=sku, name_en=sku, category="bread", gtin=None, shelf_life=timedelta(days=90))
            for sku in BREADS
        ],
    )
    start = T0 - timedelta(days=DAYS)
    for sku in BREADS:
        inv.receive_lot(shop, inv.ReceiveLot("SZ-01", sku, "BIG", Decimal(5000), start))
    rng = np.random.default_rng(7)
    levels = rng.uniform(6, 14, len(BREADS))
    for day in range(DAYS):
        ratios = rng.choice([1.0, 1.0, 0.8, 0.7], len(BREADS))
        lines = tuple(
            inv.SaleLine(
                quantity=Decimal(max(1, round(level * r**TRUE_ELASTICITY * rng.uniform(0.9, 1.1)))),
                sku=sku,
                unit_price=(Decimal(28) * Decimal(str(r))).quantize(Decimal("0.01")),
            )
            for sku, level, r in zip(BREADS, levels, ratios, strict=True)
        )
        at = start + timedelta(days=day, hours=4)
        inv.record_sale(shop, inv.RecordSale("SZ-01", lines, at))


def test_the_elasticity_is_learned_from_the_shops_sales_and_planned_with(
    shop: Database, tmp_path: Path
) -> None:
    # before any discounted sale: the default, and nothing claimed as learned
    untaught = price_response.elasticity_table(price_response.price_response(shop, T0))
    assert untaught[0].estimate is None and untaught[0].used == pytest.approx(-1.5)
    _sell_at_varied_prices(shop)
    table = price_response.elasticity_table(price_response.price_response(shop, T0))
    pooled, bread = table[0], next(r for r in table if r.key == "bread")
    assert pooled.estimate is not None and pooled.series == len(BREADS)
    assert bread.estimate == pytest.approx(TRUE_ELASTICITY, abs=0.3)
    # shrunk toward the default −1.5, but the shop's own 360 days weigh most
    assert TRUE_ELASTICITY - 0.3 < bread.used < -2.0
    report = clearance.propose_markdowns(shop, T0, model_path=tmp_path / "m.pkl")
    planned = {p.sku: p.problem.elasticity for p in report.proposals if p.problem is not None}
    assert set(planned) == set(BREADS)
    assert all(b == pytest.approx(bread.used) for b in planned.values())
    # a figure given by hand still wins
    fixed = clearance.propose_markdowns(shop, T0, model_path=tmp_path / "m.pkl", elasticity=-1.0)
    assert {p.problem.elasticity for p in fixed.proposals if p.problem is not None} == {-1.0}


def test_sales_off_the_shelf_do_not_set_the_days_price(shop: Database) -> None:
    """A channel's sale at 0.5 of list the same day as a shelf sale at list:
    the day's units count both, its price ratio only the shelf's."""
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(50), T0))
    shelf = inv.SaleLine(quantity=Decimal(3), sku="CAKE", unit_price=Decimal(28))
    inv.record_sale(shop, inv.RecordSale("SZ-01", (shelf,), T0 + timedelta(hours=1)))
    for reference in ("channel group-buy, plan line 7", "pre-order 3", "bundle plan line 4"):
        cut = inv.SaleLine(quantity=Decimal(2), sku="CAKE", unit_price=Decimal(14))
        at = T0 + timedelta(hours=2)
        inv.record_sale(shop, inv.RecordSale("SZ-01", (cut,), at, reference=reference))
    day = sales_history(shop).set_index("sku").loc["CAKE"]
    assert float(day["y"]) == 9.0
    assert float(day["discount"]) == pytest.approx(1.0)


def test_the_api_reports_what_was_learned_to_whoever_covers_every_store(
    own_api: tuple[httpx.Client, Database],
) -> None:
    client, db = own_api
    _sell_at_varied_prices(db)
    admin = login(client, "admin")
    r = client.get("/elasticities", params={"at": T0.isoformat()}, headers=admin)
    assert r.status_code == 200, r.text
    rows = {row["key"]: row for row in r.json()}
    assert rows["bread"]["level"] == "category" and rows["bread"]["series"] == len(BREADS)
    assert rows["bread"]["used"] == pytest.approx(TRUE_ELASTICITY, abs=0.1)
    assert rows["bread"]["estimate"] is not None and rows["bread"]["se"] > 0
    # before any of those sales: the default, nothing claimed as learned
    early = T0 - timedelta(days=DAYS + 1)
    r = client.get("/elasticities", params={"at": early.isoformat()}, headers=admin)
    assert [(x["key"], x["estimate"], x["used"]) for x in r.json()] == [("*", None, -1.5)]
    # what every brand's customers taught is not for one store's manager
    manager = login(client, "manager")
    refused = client.get("/elasticities", headers=manager)
    message = refused.json()["error"]["message"]
    assert refused.status_code == 403 and "elasticities" in message and "may read" in message
    zh = client.get("/elasticities", headers=manager | {"Accept-Language": "zh-CN"})
    assert zh.status_code == 403 and "价格弹性" in zh.json()["error"]["message"]
    naive = client.get("/elasticities", params={"at": "2026-11-20T08:00:00"}, headers=admin)
    assert naive.status_code == 422 and "zone" in naive.json()["error"]["message"]
