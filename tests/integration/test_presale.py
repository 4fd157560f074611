"""Pre-sale clearance: pre-orders taken once, within the guardrails, and
counted by production (on SQLite and PostgreSQL, and on the demo bakery)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.clearance.ordering import DEFAULT_SALVAGE
from shelfpilot.domain import Conflict, InvalidValue, Money, NotFound
from shelfpilot.services import catalog, plans, presales, production
from shelfpilot.services import inventory as inv
from shelfpilot.services.demo import ZONE, DemoSummary
from shelfpilot.storage import Database
from tests.conftest import T0

SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=SH)


def order(**changes: object) -> presales.TakePreOrder:
    fields: dict[str, object] = {
        "location": "SZ-01",
        "sku": "CAKE",
        "units": Decimal(4),
        "collect_on": MORNING.date() + timedelta(days=3),
        "at": MORNING,
        "idempotency_key": "app-771",
        "actor": "ann",
    }
    fields.update(changes)
    return presales.TakePreOrder(**fields)  # type: ignore[arg-type]


def test_a_pre_order_is_taken_once_at_the_pre_sale_price(shop: Database) -> None:
    first = presales.take_pre_order(shop, order(customer="Ms Li 138****0000"))
    assert not first.replayed and first.order.id is not None
    assert first.order.unit_price.amount == Decimal("19.60")  # 7折 of 28.00, fixed now
    again = presales.take_pre_order(shop, order(customer="Ms Li 138****0000"))
    assert again.replayed and again.order == first.order
    with pytest.raises(Conflict, match="already used"):
        presales.take_pre_order(shop, order(units=Decimal(5)))
    listed = presales.pre_orders(shop, MORNING.date(), MORNING.date() + timedelta(days=7))
    assert [o.id for o in listed] == [first.order.id]
    audit = plans.audit_log(shop, action="presale.take")
    assert [(r.actor, r.after["units"], r.after["unit_price"]) for r in audit] == [
        ("ann", "4.000", "19.60 CNY")
    ]
    # a later list price change does not change what the customer was promised
    product = next(p for p in catalog.products(shop) if p.sku == "CAKE")
    catalog.save_products(shop, [replace(product, list_price=Money.of("30"))])
    assert presales.take_pre_order(shop, order(customer="Ms Li 138****0000")).order == first.order


def test_collecting_posts_the_sale_at_the_promised_price_once(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "OLD", Decimal(3), T0))
    inv.receive_lot(
        shop, inv.ReceiveLot("SZ-01", "CAKE", "NEW", Decimal(5), T0 + timedelta(days=1))
    )
    taken = presales.take_pre_order(shop, order(at=T0 + timedelta(days=1))).order
    assert taken.id is not None
    pickup = T0 + timedelta(days=3)
    sold = presales.collect_pre_order(shop, taken.id, actor="ann", at=pickup)
    assert [(e.lot.lot_code, e.quantity, e.unit_price) for e in sold.entries] == [
        ("OLD", Decimal(-3), Money.of("19.60")),
        ("NEW", Decimal(-1), Money.of("19.60")),
    ]  # oldest first, at the promised price
    again = presales.collect_pre_order(shop, taken.id, actor="ann")
    assert again.replayed and again.operation_id == sold.operation_id
    [done] = presales.pre_orders(shop, taken.collect_on, taken.collect_on)
    assert done.status == "collected" and not done.open
    with pytest.raises(InvalidValue, match="was collected"):
        presales.cancel_pre_order(shop, taken.id, actor="ann")
    # the pre-order's sale is a sale made ahead, not a clearance of the lot
    lots = production.production_advice(shop, T0 + timedelta(days=5), threshold=0.01)
    assert "CAKE" not in set(lots.table.get("sku", []))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"location": "WH"}, "customers collect pre-orders at a store"),
        ({"price_ratio": Decimal("0.4")}, "below the floor"),
        ({"price_ratio": Decimal("1.2")}, "share of list price"),
        ({"units": Decimal(0)}, "above zero"),
        ({"units": Decimal("0.0001")}, "decimal places"),
        ({"collect_on": MORNING.date() - timedelta(days=1)}, "before the day the order is taken"),
        ({"collect_on": MORNING.date() + timedelta(days=31)}, "more than 30 days ahead"),
        ({"customer": "x" * 201}, "at most 200"),
    ],
)
def test_a_bad_pre_order_is_refused_and_nothing_is_written(
    shop: Database, changes: dict[str, object], words: str
) -> None:
    with pytest.raises(InvalidValue, match=words):
        presales.take_pre_order(shop, order(**changes))
    assert presales.pre_orders(shop, MORNING.date() - timedelta(days=1), MORNING.date() + timedelta(days=40)) == []  # fmt: skip


def test_unknown_product_or_store_and_cancelling(shop: Database) -> None:
    with pytest.raises(NotFound):
        presales.take_pre_order(shop, order(sku="NOPE"))
    with pytest.raises(NotFound):
        presales.take_pre_order(shop, order(location="NOPE"))
    taken = presales.take_pre_order(shop, order()).order
    assert taken.id is not None
    with pytest.raises(InvalidValue, match="was taken after"):
        presales.cancel_pre_order(shop, taken.id, actor="bob", at=MORNING - timedelta(hours=1))
    cancelled = presales.cancel_pre_order(shop, taken.id, actor="bob", at=MORNING)
    assert cancelled.cancelled_at is not None and not cancelled.open
    twice = presales.cancel_pre_order(shop, taken.id, actor="bob", at=MORNING + timedelta(hours=1))
    assert twice.cancelled_at == cancelled.cancelled_at  # cancelling again changes nothing
    with pytest.raises(InvalidValue, match="was cancelled"):
        presales.collect_pre_order(shop, taken.id, actor="bob")
    day = taken.collect_on
    assert presales.pre_orders(shop, day, day, open_only=True) == []
    assert [o.id for o in presales.pre_orders(shop, day, day)] == [taken.id]
    with pytest.raises(NotFound, match="no pre-order 999"):
        presales.cancel_pre_order(shop, 999, actor="bob")


def test_production_holds_what_was_reserved_and_what_walk_ins_still_need(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    path = tmp_path / "m.pkl"
    as_of = summary.default_as_of
    before = production.production_advice(db, as_of, model_path=path).table.set_index("sku")
    tomorrow = as_of.astimezone(ZONE).date() + timedelta(days=1)
    sandwich = before.loc["BB-SANDWICH"]  # needs clearance often in the demo
    assert sandwich["pre_ordered_tomorrow"] == 0 and sandwich["flagged"]
    # tomorrow: half a day's sandwiches reserved, and a product that never
    # needed clearance reserved in three days
    half = Decimal(max(int(sandwich["demand_per_day"] / 2), 1))
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", "BB-SANDWICH", half, tomorrow, at=as_of, idempotency_key="ps-1"))  # fmt: skip
    other = next(p.sku for p in catalog.products(db) if p.sku not in before.index)
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", other, Decimal(3), tomorrow + timedelta(days=2), at=as_of,
        idempotency_key="ps-2"))  # fmt: skip
    after = production.production_advice(db, as_of, model_path=path).table.set_index("sku")
    reserved = after.loc["BB-SANDWICH"]
    assert reserved["pre_ordered_tomorrow"] == float(half)
    # the demand is at least what was reserved: never less stock than without
    assert reserved["tomorrow"] >= max(float(half), sandwich["tomorrow"] - 1e-9)
    assert reserved["recommended_per_day"] == pytest.approx(sandwich["recommended_per_day"])
    extra = after.loc[other]
    assert not extra["flagged"] and extra["pre_ordered_week"] == 3
    assert extra["pre_ordered_tomorrow"] == 0
    # a new product, pre-ordered before its first lot, counts on its store's
    # clearance recovery (which lies among its products' own), not the default
    base = next(p for p in catalog.products(db) if p.sku == other)
    catalog.save_products(db, [replace(base, sku="BB-NEW", name_en="New loaf")])
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", "BB-NEW", Decimal(2), tomorrow + timedelta(days=1), at=as_of,
        idempotency_key="ps-new"))  # fmt: skip
    table = production.production_advice(db, as_of, model_path=path).table.set_index("sku")
    new = table.loc["BB-NEW"]
    assert new["lots"] == 0 and new["salvage"] != DEFAULT_SALVAGE
    # every product whose lots had something left over: the pooled figure is a
    # lot-weighted mean of theirs
    cleared = production.production_advice(db, as_of, threshold=1e-9, model_path=path).table
    own = cleared[(cleared["location"] == "BB-EDI") & (cleared["lots"] > 0)]["salvage"]
    assert len(own) > 1 and min(own) <= new["salvage"] <= max(own)
    # reserved far beyond the forecast: the reservations and a margin for
    # walk-ins (the forecast's far tail), never more than a plain day's stock
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", "BB-SANDWICH", Decimal(200), tomorrow, at=as_of, idempotency_key="ps-3"))  # fmt: skip
    full = production.production_advice(db, as_of, model_path=path).table.set_index("sku")
    margin = full.loc["BB-SANDWICH", "tomorrow"] - (200 + float(half))
    assert 0 < margin <= sandwich["tomorrow"] + 1e-9
