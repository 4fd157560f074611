"""Channel lines of a clearance plan on a real SQLite file and PostgreSQL:
approval, the outcome posted as a sale, and what the channel learns."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shelfpilot.channels import bakery_channels
from shelfpilot.domain import Conflict, EntryKind, InvalidValue, LotKey
from shelfpilot.domain.plans import Plan, PlanAction, PlanLine
from shelfpilot.pricing.response import DEFAULT_ELASTICITY
from shelfpilot.services import bundling, channel_outcomes, feedback, plans, production
from shelfpilot.services import channels as channel_service
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import T0

LOT = LotKey("SZ-01", "CAKE", "L1")


def _channel_line(
    shop: Database, channel: str, kind: str, ratio: str, units: str = "5", **detail: str
) -> int:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(12), T0))
    channel_service.set_up_channels(shop, bakery_channels(), actor="admin")
    line = PlanLine(
        LOT, Decimal(1), Decimal(ratio), Decimal(0), Decimal(6), Decimal(2), Decimal("9.5"),
        f"send {units} to {channel}", action=PlanAction.CHANNEL, units=Decimal(units),
        detail={"channel": channel, "kind": kind, "price_ratio": ratio, **detail},
    )  # fmt: skip
    with shop.transaction() as uow:
        uow.plans.add_plan(Plan("SZ-01", date(2026, 11, 20), T0, "planner", (line,)))
        found = uow.plans.find_plan("SZ-01", date(2026, 11, 20))
    assert found is not None and found.lines[0].line_id is not None
    return found.lines[0].line_id


def test_a_channel_outcome_is_posted_as_a_sale_and_learned(shop: Database) -> None:
    line_id = _channel_line(shop, "group-buy", "group_buy", "0.55")
    with pytest.raises(InvalidValue, match="approve it before"):
        channel_outcomes.record_outcome(shop, line_id, Decimal(3), actor="ann")
    with pytest.raises(InvalidValue, match="approved or rejected as a whole"):
        plans.decide(shop, line_id, "adjust", actor="ann", ratio=Decimal("0.5"))
    approved = plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    assert [e.kind for e in approved.entries] == [EntryKind.TRANSFER_OUT]
    assert "shelfpilot outcome" in approved.notes[0]
    with shop.transaction(readonly=True) as uow:  # the till cannot sell what was sent
        assert uow.stock.on_hand(LOT) == Decimal(7)
    with pytest.raises(InvalidValue, match="between 0 and that"):
        channel_outcomes.record_outcome(shop, line_id, Decimal(6), actor="ann")
    with pytest.raises(InvalidValue, match="between 0 and the list value"):
        channel_outcomes.record_outcome(shop, line_id, Decimal(0), actor="ann", revenue=Decimal(9))
    at = T0 + timedelta(hours=13)
    done = channel_outcomes.record_outcome(shop, line_id, Decimal(2), actor="ann", at=at)
    assert [e.kind for e in done.entries] == [EntryKind.TRANSFER_IN, EntryKind.SALE]
    assert done.entries[0].quantity == Decimal(5)
    sale = done.entries[1]
    assert sale.quantity == Decimal(-2) and sale.unit_price is not None
    assert sale.unit_price.amount == Decimal("15.40")  # 28 × 0.55
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(10)
    # the same outcome again is a no-op; a different one a conflict
    assert channel_outcomes.record_outcome(shop, line_id, Decimal(2), actor="ann", at=at).replayed
    with pytest.raises(Conflict, match="already has an outcome"):
        channel_outcomes.record_outcome(shop, line_id, Decimal(4), actor="ann")
    # 2 of 5 sold against an expected 80 %: the planned sell-through falls
    status = {s.configured.code: s for s in channel_service.channel_status(shop)}["group-buy"]
    assert (status.offered, status.sold) == (5.0, 2.0)
    assert status.learned.sell_through == pytest.approx((0.8 * 20 + 2) / 25)
    assert status.learned.price_ratio == pytest.approx(0.55)
    assert ("ann", "channel.outcome") in [(r.actor, r.action) for r in plans.audit_log(shop)]


def test_a_food_bank_line_donates_on_approval(shop: Database) -> None:
    line_id = _channel_line(shop, "food-bank", "food_bank", "0", units="4")
    result = plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=2))
    assert [e.kind for e in result.entries] == [EntryKind.DONATION]
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(8)
    status = {s.configured.code: s for s in channel_service.channel_status(shop)}["food-bank"]
    assert (status.offered, status.sold) == (4.0, 4.0)
    # a rejected channel line posts nothing
    other = _second_line(shop)
    assert plans.decide(shop, other, "reject", actor="ann").entries == []


def _second_line(shop: Database, **detail: str) -> int:
    line = PlanLine(
        LOT, Decimal(1), Decimal("0.3"), Decimal(0), Decimal(6), Decimal(2), Decimal("1"),
        "send 2 to surplus-app", action=PlanAction.CHANNEL, units=Decimal(2),
        detail={"channel": "surplus-app", "kind": "surplus_app", "price_ratio": "0.3", **detail},
    )  # fmt: skip
    with shop.transaction() as uow:
        found = uow.plans.find_plan("SZ-01", date(2026, 11, 20))
        assert found is not None and found.plan_id is not None
        uow.plans.add_line(found.plan_id, line)
        again = uow.plans.find_plan("SZ-01", date(2026, 11, 20))
    assert again is not None
    line_id = again.lines[-1].line_id
    assert line_id is not None
    return line_id


def test_an_approved_bundle_posts_nothing_until_the_till_sells_it(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(12), T0))
    line = PlanLine(
        LOT, Decimal(1), Decimal("0.8"), Decimal(0), Decimal(6), Decimal(3), Decimal("4.2"),
        "Pair the cake with cherries", action=PlanAction.BUNDLE, units=Decimal("3.5"),
        detail={"partner": "CHERRY", "bundle_price": "90.40"},
    )  # fmt: skip
    with shop.transaction() as uow:
        uow.plans.add_plan(Plan("SZ-01", date(2026, 11, 20), T0, "planner", (line,)))
        found = uow.plans.find_plan("SZ-01", date(2026, 11, 20))
    assert found is not None and found.lines[0].line_id is not None
    result = plans.decide(
        shop, found.lines[0].line_id, "approve", actor="ann", at=T0 + timedelta(hours=1)
    )
    assert result.entries == [] and "CHERRY at 90.40" in result.notes[0]
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(12)
        assert uow.stock.price_at(LOT, T0 + timedelta(days=1)) is None
    # the till sells two bundles: the cake at 80 % of 28.00, the cherries the rest
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CHERRY", "C1", Decimal(5), T0))
    line_id = found.lines[0].line_id
    at = T0 + timedelta(hours=3)
    sold = bundling.sell_bundles(shop, line_id, Decimal(2), at=at, idempotency_key="till-9")
    assert [(e.lot.sku, e.quantity, e.unit_price.amount if e.unit_price else None)
            for e in sold.entries] == [("CAKE", Decimal(-2), Decimal("22.40")),
                                      ("CHERRY", Decimal(-2), Decimal("68.00"))]  # fmt: skip
    again = bundling.sell_bundles(shop, line_id, Decimal(2), at=at, idempotency_key="till-9")
    assert again.replayed and again.operation_id == sold.operation_id
    for bad, words in ((Decimal("1.5"), "whole number"), (Decimal(0), "whole number")):
        with pytest.raises(InvalidValue, match=words):
            bundling.sell_bundles(shop, line_id, bad)
    inv.record_sale(shop, inv.RecordSale("SZ-01", (inv.SaleLine(Decimal(1), "CAKE"),), at))
    table = feedback.action_outcomes(shop, T0 + timedelta(days=1))
    row = table[table["action"] == "bundle"].iloc[0]
    assert (row["segment"], row["offered"], row["sold"]) == ("with CHERRY", 12, 2)
    assert row["revenue"] == pytest.approx(44.80)  # the plain sale is not the bundle's


def test_only_an_approved_bundle_line_sells_as_a_bundle(shop: Database) -> None:
    line_id = _channel_line(shop, "group-buy", "group_buy", "0.55")
    with pytest.raises(InvalidValue, match="not a bundle"):
        bundling.sell_bundles(shop, line_id, Decimal(1))


def test_the_food_bank_needs_48_hours_at_approval(shop: Database) -> None:
    line_id = _channel_line(shop, "food-bank", "food_bank", "0", units="4")
    late = T0 + timedelta(days=11)  # the lot (12 days) has a day left
    result = plans.decide(shop, line_id, "approve", actor="ann", at=late)
    assert result.entries == [] and "a food bank needs 48 h" in result.notes[0]
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(12)


def test_feedback_reads_a_channel_line_from_its_own_entries(shop: Database) -> None:
    line_id = _channel_line(shop, "group-buy", "group_buy", "0.55")
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    channel_outcomes.record_outcome(
        shop, line_id, Decimal(4), actor="ann", at=T0 + timedelta(hours=5)
    )
    table = feedback.action_outcomes(shop, T0 + timedelta(days=1))
    row = table[table["action"] == "channel"].iloc[0]
    assert (row["segment"], row["offered"], row["sold"]) == ("group-buy", 5, 4)
    assert row["revenue"] == pytest.approx(4 * 15.40) and row["hours_to_clear"] == pytest.approx(4)


def test_what_clearance_recovers_is_net_of_logistics_and_of_sales_made_anyway(
    shop: Database,
) -> None:
    # 5 of 12 cakes go to group-buy leaders at 55 % of list; 4 sell there and
    # one comes back; the till sells 4 at list and 4 at 80 % of list. The
    # channel's 4 recovered their revenue less the sending of all 5; of the
    # till's 4 at 80 %, some would have sold at list anyway (the price
    # response), so they were not left over and their lost margin counts
    line_id = _channel_line(shop, "group-buy", "group_buy", "0.55")
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    channel_outcomes.record_outcome(
        shop, line_id, Decimal(4), actor="ann", at=T0 + timedelta(hours=5)
    )
    at = T0 + timedelta(hours=6)
    lines = (inv.SaleLine(Decimal(4), "CAKE"), inv.SaleLine(Decimal(4), "CAKE", Decimal("22.40")))
    inv.record_sale(shop, inv.RecordSale("SZ-01", lines, at))
    logistics = next(c for c in bakery_channels() if c.code == "group-buy").logistics_cost
    assert logistics > 0
    anyway = 4 * 0.8**-DEFAULT_ELASTICITY
    recovered = 4 * 15.40 - 5 * logistics + 4 * 22.40 - anyway * 28
    advice = production.production_advice(shop, T0 + timedelta(days=1), threshold=0.01)
    row = advice.table.set_index("sku").loc["CAKE"]
    assert row["salvage"] == pytest.approx(recovered / ((8 - anyway) * 28))
    # with demand that does not answer price, all 4 would have sold at list
    flat = production.production_advice(shop, T0 + timedelta(days=1), threshold=0.01, elasticity=0)
    row = flat.table.set_index("sku").loc["CAKE"]
    assert row["salvage"] == pytest.approx((4 * 15.40 - 5 * logistics - 4 * 28 * 0.2) / (4 * 28))
    with pytest.raises(InvalidValue, match="elasticity"):
        production.production_advice(shop, T0 + timedelta(days=1), elasticity=1.5)


def test_what_sending_cost_is_kept_with_the_outcome_and_learned(shop: Database) -> None:
    # both lines' plans expected 0.40 a unit; the shop says the courier took
    # 3.50 for the 2 cakes sent to the surplus app and says nothing for the
    # group buy: clearance recovery nets what was paid or expected then (not
    # the channels' costs as set up now), and only the surplus app learns
    first = _channel_line(shop, "group-buy", "group_buy", "0.55", logistics_cost="0.4000")
    second = _second_line(shop, logistics_cost="0.4000")
    for line_id in (first, second):
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=5)
    channel_outcomes.record_outcome(shop, first, Decimal(4), actor="ann", at=at)
    with pytest.raises(InvalidValue, match=r"logistics cost -1\.00 must be 0 or more"):
        channel_outcomes.record_outcome(
            shop, second, Decimal(2), actor="ann", logistics=Decimal(-1), at=at
        )
    for _ in range(2):  # a retried write changes nothing; a different bill is a conflict
        channel_outcomes.record_outcome(
            shop, second, Decimal(2), actor="ann", logistics=Decimal("3.50"), at=at
        )
    with pytest.raises(Conflict, match="already has an outcome"):
        channel_outcomes.record_outcome(shop, second, Decimal(2), actor="ann", logistics=Decimal(4))
    with shop.transaction(readonly=True) as uow:
        assert channel_service.logistics_by_lot(uow) == {
            uow.stock.lot_id(LOT): pytest.approx(5 * 0.40 + 3.50)
        }
    status = {s.configured.code: s for s in channel_service.channel_status(shop)}
    group_buy, surplus = status["group-buy"], status["surplus-app"]
    assert group_buy.learned.logistics_cost == group_buy.configured.logistics_cost != 0.40
    set_up = surplus.configured.logistics_cost
    assert surplus.learned.logistics_cost == pytest.approx((set_up * 20 + 3.50) / 22)
    log = [r for r in plans.audit_log(shop) if r.action == "channel.outcome"]
    assert [r.after.get("logistics") for r in log] == ["3.50", None]


def test_an_outcome_is_booked_while_the_lot_may_still_be_sold(shop: Database) -> None:
    # the lot (12 days from T0) leaves sale 2 h before it expires; the window ends after that
    end = T0 + timedelta(days=12, hours=1)
    line_id = _channel_line(shop, "surplus-app", "surplus_app", "0.3", end=end.isoformat())
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(days=11))
    with pytest.raises(InvalidValue, match="before its units were sent"):
        channel_outcomes.record_outcome(shop, line_id, Decimal(3), actor="ann", at=T0)
    done = channel_outcomes.record_outcome(shop, line_id, Decimal(3), actor="ann")
    sale = done.entries[-1]
    assert sale.kind is EntryKind.SALE and sale.occurred_at < T0 + timedelta(days=12, hours=-2)
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(9)


def test_a_channel_line_whose_window_passed_is_stale(shop: Database) -> None:
    end = T0 + timedelta(hours=3)
    line_id = _channel_line(shop, "group-buy", "group_buy", "0.55", end=end.isoformat())
    with pytest.raises(Conflict, match=r"window for .* has passed"):
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=4))
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    with pytest.raises(InvalidValue, match="revenue"):
        channel_outcomes.record_outcome(
            shop, line_id, Decimal(2), actor="ann", revenue=Decimal("NaN"), at=end
        )
