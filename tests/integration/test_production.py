"""What clearance teaches production: tomorrow's quantities on the demo
bakery, net of the stock today's lots carry over and of what today's plan
expects them to have left (``services.production``), in the service and
over HTTP."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from shelfpilot.api.app import create_app
from shelfpilot.domain import Location, LocationKind
from shelfpilot.domain.lots import LotKey
from shelfpilot.services import catalog, identity, inventory, plans, presales, production
from shelfpilot.services.commands import ReceiveLot
from shelfpilot.services.demo import ZONE, DemoSummary
from shelfpilot.storage import Database
from shelfpilot.testing.server import serving
from tests.integration.api_setup import PASSWORD, login


def _carried(
    db: Database, at: datetime, left_by_lot: Mapping[LotKey, Decimal]
) -> tuple[dict[str, float], dict[str, float]]:
    """Per product, units on hand at ``at`` in lots the ladder keeps on sale
    after today, and of them what ``left_by_lot`` expects to be left."""
    policy = catalog.ladder_policy(db)
    end = datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    held: dict[str, float] = defaultdict(float)
    left: dict[str, float] = defaultdict(float)
    with db.transaction(readonly=True) as uow:
        for view in uow.stock.lots_with_totals(at):
            units = float(view.on_hand)
            until = policy.for_sku(view.lot.sku, view.category).sellable_until(view.lot.expires_at)
            if units > 0 and until > end:
                held[view.lot.sku] += units
                left[view.lot.sku] += min(float(left_by_lot.get(view.lot.key, 0)), units)
    return held, left


def test_what_to_receive_tomorrow_nets_what_is_carried_over_and_the_plans_leftovers(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    """Tomorrow's stock, less what today's lots carry over to the opening and
    less what today's plan expects those lots to have left when they leave
    sale; after close, what is carried over is what the lots still sellable
    tomorrow hold."""
    db, summary = demo
    path = tmp_path / "m.pkl"
    at = summary.default_as_of.replace(hour=15, minute=0)
    expected = plans.make_plan(db, at, actor="ann", model_path=path).plans[0].left_by_lot()
    table = production.production_advice(db, at, model_path=path).table
    left, carried = table["expected_left_over"], table["carried_over"]
    assert ((left >= 0) & (left <= carried + 1e-9)).all()
    gap = table["tomorrow"] - carried - left
    assert table["to_receive_tomorrow"].to_numpy() == pytest.approx(gap.clip(lower=0).to_numpy())
    assert ((left > 0) & (gap > 0)).any(), "the plan's leftovers lower some order"
    night = at.replace(hour=23, minute=30)
    late = production.production_advice(db, night, model_path=path).table.set_index("sku")
    held, plan_left = _carried(db, night, expected)
    assert late["carried_over"].sum() > 0 and late["expected_left_over"].sum() > 0
    for sku, row in late.iterrows():
        assert row["carried_over"] == pytest.approx(held[str(sku)])
        assert row["expected_left_over"] == pytest.approx(plan_left[str(sku)])


def test_the_production_advice_over_http_is_the_services_and_trains_nothing(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    path = tmp_path / "m.pkl"
    at = {"at": summary.default_as_of.replace(hour=15, minute=0).isoformat()}
    identity.create_user(db, "baker", PASSWORD, "store_manager", location="BB-EDI", actor="t")
    app = create_app(db, clearance={"model_path": path})
    with serving(app) as url, httpx.Client(base_url=f"{url}/api/v1") as client:
        baker = login(client, "baker")
        where = "/locations/BB-EDI/production-advice"
        r = client.get(where, params=at, headers=baker)
        assert r.status_code == 409 and "daily" in r.json()["error"]["message"], r.text
        assert not path.exists()  # a read trains no model
        table = production.production_advice(
            db, datetime.fromisoformat(at["at"]), location="BB-EDI", model_path=path
        ).table
        r = client.get(where, params=at, headers=baker)
        assert r.status_code == 200, r.text
        rows = {row["sku"]: row for row in r.json()["rows"]}
        assert set(rows) == set(table["sku"]) and rows
        for mine in table.to_dict("records"):
            row = rows[mine["sku"]]
            for field, column in (
                ("to_receive_tomorrow", "to_receive_tomorrow"), ("carried_over", "carried_over"),
                ("expected_left_over", "expected_left_over"), ("stock_for_tomorrow", "tomorrow"),
                ("order_up_to", "recommended_per_day"),
            ):  # fmt: skip
                assert float(row[field]) == pytest.approx(mine[column], abs=1e-3), field
        r = client.get(where, params=at | {"lookback_days": "0"}, headers=baker)
        assert r.status_code == 422 and r.json()["error"]["field"] == "lookback_days"


def test_a_lot_the_ladder_pulls_off_sale_today_is_not_carried_over(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    """A lot leaves sale when its expiry ladder pulls it, not at its expiry:
    with a product pulled a day early, its lots best before tomorrow leave
    sale tonight and are not counted for tomorrow."""
    db, summary = demo
    path = tmp_path / "m.pkl"
    night = summary.default_as_of.replace(hour=23, minute=30)
    before = production.production_advice(db, night, model_path=path).table.set_index("sku")
    tomorrow = night.date() + timedelta(days=1)
    with db.transaction(readonly=True) as uow:
        views = [v for v in uow.stock.lots_with_totals(night) if v.lot.sku in before.index]
    ending = {
        v.lot.sku: float(v.on_hand)
        for v in views
        if v.on_hand > 0 and v.lot.expiry_date(ZONE) == tomorrow
    }
    assert ending, "some product has a lot best before tomorrow"
    sku = max(ending, key=lambda k: ending[k])
    catalog.set_ladder(db, "sku", sku, "pulled=1d:pull_off!", actor="ann")
    after = production.production_advice(db, night, model_path=path).table.set_index("sku")
    held, _ = _carried(db, night, {})
    assert after.loc[sku, "carried_over"] == pytest.approx(held[sku])
    lost = sum(float(v.on_hand) for v in views if v.lot.sku == sku and v.on_hand > 0
               and v.lot.expiry_date(ZONE) == tomorrow)  # fmt: skip
    assert after.loc[sku, "carried_over"] == pytest.approx(before.loc[sku, "carried_over"] - lost)
    assert after.loc[sku, "to_receive_tomorrow"] >= before.loc[sku, "to_receive_tomorrow"]


def test_without_todays_plan_the_advice_says_leftovers_are_not_counted(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    earlier = summary.default_as_of.replace(hour=15, minute=0) - timedelta(days=2)
    advice = production.production_advice(db, earlier, model_path=tmp_path / "m.pkl")
    assert (advice.table["expected_left_over"] == 0).all()
    assert any("no clearance plan for today at BB-EDI" in note for note in advice.notes)


def test_each_store_in_a_chain_across_zones_plans_its_own_tomorrow(shop: Database) -> None:
    """At 18:00 UTC Shanghai is already on the next day and Los Angeles is
    not: each store's advice reads the pre-orders for its own tomorrow and
    carries over what its own lots still hold then (no demand history here,
    so the stock for tomorrow is what is pre-ordered for it)."""
    la = ZoneInfo("America/Los_Angeles")
    sh = ZoneInfo("Asia/Shanghai")
    catalog.save_locations(shop, [Location("LA-01", "Los Angeles", LocationKind.STORE,
                                           "SUYUAN", "America/Los_Angeles")])  # fmt: skip
    at = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    sh_today, la_today = at.astimezone(sh).date(), at.astimezone(la).date()
    assert sh_today == la_today + timedelta(days=1)
    for key, (store, collect, units) in enumerate(
        (("SZ-01", sh_today, 7), ("SZ-01", sh_today + timedelta(days=1), 4),
         ("LA-01", la_today + timedelta(days=1), 3))
    ):  # fmt: skip
        presales.take_pre_order(shop, presales.TakePreOrder(
            store, "CAKE", Decimal(units), collect, at=at, idempotency_key=f"p{key}", actor="ann"
        ))  # fmt: skip
    received = at - timedelta(hours=12)
    for code, expiry in (("LEAVING", sh_today + timedelta(days=1)),  # sold until tonight
                         ("STAYING", sh_today + timedelta(days=3))):  # fmt: skip
        inventory.receive_lot(shop, ReceiveLot("SZ-01", "CAKE", code, Decimal(2), received,
                                               expiry=datetime.combine(expiry, time(), sh)))  # fmt: skip
    table = production.production_advice(shop, at).table.set_index("location")
    assert table.loc["SZ-01", "pre_ordered_tomorrow"] == 4
    assert table.loc["LA-01", "pre_ordered_tomorrow"] == 3
    assert table.loc["SZ-01", "carried_over"] == 2 and table.loc["LA-01", "carried_over"] == 0
    assert table.loc["SZ-01", "to_receive_tomorrow"] == pytest.approx(2)
    assert table.loc["LA-01", "to_receive_tomorrow"] == pytest.approx(3)
