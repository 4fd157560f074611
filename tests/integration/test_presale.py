"""Pre-sale clearance: pre-orders taken once, within the guardrails, and
counted by production (on SQLite and PostgreSQL, and on the demo bakery)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.domain import Conflict, InvalidValue, NotFound
from shelfpilot.services import catalog, feedback, plans, presales
from shelfpilot.services.demo import ZONE, DemoSummary
from shelfpilot.storage import Database

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
    assert first.unit_price.amount == Decimal("19.60")  # 7折 of 28.00
    again = presales.take_pre_order(shop, order(customer="Ms Li 138****0000"))
    assert again.replayed and again.order == first.order
    with pytest.raises(Conflict, match="already used"):
        presales.take_pre_order(shop, order(units=Decimal(5)))
    listed = presales.pre_orders(shop, MORNING.date(), MORNING.date() + timedelta(days=7))
    assert [o.id for o in listed] == [first.order.id]
    audit = plans.audit_log(shop, action="presale.take")
    assert [(r.actor, r.after["units"]) for r in audit] == [("ann", "4.000")]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"location": "WH"}, "customers collect pre-orders at a store"),
        ({"price_ratio": Decimal("0.4")}, "below CAKE's floor"),
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
    cancelled = presales.cancel_pre_order(shop, taken.id, actor="bob", at=MORNING)
    assert cancelled.cancelled_at is not None and not cancelled.open
    twice = presales.cancel_pre_order(shop, taken.id, actor="bob", at=MORNING + timedelta(hours=1))
    assert twice.cancelled_at == cancelled.cancelled_at  # cancelling again changes nothing
    day = taken.collect_on
    assert presales.pre_orders(shop, day, day, open_only=True) == []
    assert [o.id for o in presales.pre_orders(shop, day, day)] == [taken.id]
    with pytest.raises(NotFound, match="no pre-order 999"):
        presales.cancel_pre_order(shop, 999, actor="bob")


def test_production_makes_what_was_reserved_plus_the_walk_in_demand_left(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    path = tmp_path / "m.pkl"
    as_of = summary.default_as_of
    before = feedback.production_advice(db, as_of, model_path=path).table.set_index("sku")
    tomorrow = as_of.astimezone(ZONE).date() + timedelta(days=1)
    sandwich = before.loc["BB-SANDWICH"]  # needs clearance often in the demo
    assert sandwich["pre_ordered_tomorrow"] == 0 and sandwich["flagged"]
    # tomorrow: half a day's sandwiches reserved (less safety stock), and a
    # product that never needed clearance reserved in three days
    half = Decimal(max(int(sandwich["demand_per_day"] / 2), 1))
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", "BB-SANDWICH", half, tomorrow, at=as_of, idempotency_key="ps-1"))  # fmt: skip
    other = next(p.sku for p in catalog.products(db) if p.sku not in before.index)
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", other, Decimal(3), tomorrow + timedelta(days=2), at=as_of,
        idempotency_key="ps-2"))  # fmt: skip
    after = feedback.production_advice(db, as_of, model_path=path).table.set_index("sku")
    reserved = after.loc["BB-SANDWICH"]
    assert reserved["pre_ordered_tomorrow"] == float(half)
    assert float(half) <= reserved["tomorrow"] <= sandwich["tomorrow"] + 1e-9
    assert reserved["recommended_per_day"] == pytest.approx(sandwich["recommended_per_day"])
    extra = after.loc[other]
    assert not extra["flagged"] and extra["pre_ordered_week"] == 3
    assert extra["pre_ordered_tomorrow"] == 0
    # a whole day reserved: exactly that is made
    presales.take_pre_order(db, presales.TakePreOrder(
        "BB-EDI", "BB-SANDWICH", Decimal(200), tomorrow, at=as_of, idempotency_key="ps-3"))  # fmt: skip
    full = feedback.production_advice(db, as_of, model_path=path).table.set_index("sku")
    assert full.loc["BB-SANDWICH", "tomorrow"] == pytest.approx(200 + float(half))
