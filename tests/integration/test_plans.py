"""Clearance plans on a real SQLite file and a real PostgreSQL server: the
decision posts to the ledger once, is audited, and two managers cannot both
decide one line."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from shelfpilot.api import i18n
from shelfpilot.domain import (
    Conflict,
    DomainError,
    EntryKind,
    InvalidValue,
    LotKey,
    LotNotSellable,
    Money,
)
from shelfpilot.domain.errors import Text
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.plans import LineStatus, Plan, PlanAction, PlanLine
from shelfpilot.services import adjustments, catalog, feedback, plans
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import T0, cake

LOT = LotKey("SZ-01", "CAKE", "L1")


def _plan(shop: Database, donate: str = "0", now: str = "1", proposed: str = "0.8") -> int:
    """A stored plan with one line for lot L1 (12 cakes at list price 28)."""
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(12), T0))
    line = PlanLine(
        LOT, Decimal(now), Decimal(proposed), Decimal(donate), Decimal(6), Decimal(2),
        Decimal("20.5"), "80% of list now: at the current price about 6 of 12 would be left",
    )  # fmt: skip
    with shop.transaction() as uow:
        uow.plans.add_plan(Plan("SZ-01", date(2026, 11, 20), T0, "planner", (line,)))
    with shop.transaction(readonly=True) as uow:
        found = uow.plans.find_plan("SZ-01", date(2026, 11, 20))
    assert found is not None and found.lines[0].line_id is not None
    return found.lines[0].line_id


def _price(shop: Database) -> Decimal | None:
    with shop.transaction(readonly=True) as uow:
        return uow.stock.price_at(LOT, T0 + timedelta(days=400))


def _audit(shop: Database) -> list[tuple[str, str]]:
    return [(r.actor, r.action) for r in plans.audit_log(shop)]


def test_approval_posts_the_price_once_with_an_audit_record(shop: Database) -> None:
    line_id = _plan(shop)
    result = plans.decide(shop, line_id, "approve", actor="alice", at=T0 + timedelta(hours=6))
    assert result.line.status is LineStatus.APPROVED and not result.replayed
    assert [e.kind for e in result.entries] == [EntryKind.PRICE_CHANGE]
    assert _price(shop) == Decimal("22.40")  # 28 × 0.8
    records = plans.audit_log(shop)
    assert [(r.actor, r.action) for r in records] == [
        ("alice", "plan.approve"), ("alice", "price.change"),
    ]  # fmt: skip
    change = records[1]
    assert (change.before["price"], change.after["price"]) == ("28.0000", "22.4000")
    assert change.subject == str(LOT)
    # the same decision again by the same person: nothing new
    again = plans.decide(shop, line_id, "approve", actor="alice")
    assert again.replayed and again.entries == []
    assert len(plans.audit_log(shop)) == 2
    with shop.transaction(readonly=True) as uow:
        assert len([r for r in uow.stock.ledger() if r.entry.kind is EntryKind.PRICE_CHANGE]) == 1
    # somebody else cannot overrule it
    with pytest.raises(Conflict, match="already approved by alice"):
        plans.decide(shop, line_id, "reject", actor="bob")


def test_a_bad_adjustment_writes_nothing(shop: Database) -> None:
    line_id = _plan(shop)
    with pytest.raises(InvalidValue, match="largest step of 20%"):
        plans.decide(shop, line_id, "adjust", actor="bob", ratio=Decimal("0.5"))
    with pytest.raises(InvalidValue, match="below the floor"):
        plans.decide(shop, line_id, "adjust", actor="bob", ratio=Decimal("0.45"))
    assert _audit(shop) == [] and _price(shop) is None
    done = plans.decide(shop, line_id, "adjust", actor="bob", ratio=Decimal("0.85"))
    assert done.line.decided_ratio == Decimal("0.85") and _price(shop) == Decimal("23.80")


def test_rejection_posts_nothing_and_approval_donates(shop: Database) -> None:
    line_id = _plan(shop, donate="3")
    plans.decide(shop, line_id, "approve", actor="carol", at=T0 + timedelta(hours=1))
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.on_hand(LOT) == Decimal(9)
        assert uow.stock.totals_by_kind(LOT)[EntryKind.DONATION] == Decimal(-3)
    assert ("carol", "stock.donation") in _audit(shop)


def test_two_managers_deciding_one_line_at_once(shop: Database) -> None:
    line_id = _plan(shop)
    clients = [Database(shop.url) for _ in range(4)]
    barrier = threading.Barrier(len(clients))

    def attempt(k: int) -> object:
        barrier.wait()
        try:
            return plans.decide(
                clients[k], line_id, "approve" if k % 2 else "reject", actor=f"m{k}"
            )
        except DomainError as error:
            return error

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(attempt, range(len(clients))))
    finally:
        for client in clients:
            client.close()
    won = [r for r in results if isinstance(r, plans.DecisionResult)]
    assert len(won) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in won)
    decisions = [a for _, a in _audit(shop) if a.startswith("plan.")]
    assert len(decisions) == 1
    expected = Decimal("22.40") if won[0].line.status is LineStatus.APPROVED else None
    assert _price(shop) == expected


def test_an_approval_waits_for_a_price_change_of_its_lot_in_flight(shop: Database) -> None:
    """An approval reads the lot's price and its changes today, then posts a
    new price. While another transaction holds the lot (here: a price change
    not yet committed), the approval waits, then sees the new price and is
    refused as stale, rather than posting a second change from the old one."""
    line_id = _plan(shop)
    client = Database(shop.url)
    outcome: list[object] = []

    def approve() -> None:
        try:
            outcome.append(
                plans.decide(client, line_id, "approve", actor="bo", at=T0 + timedelta(hours=1))
            )
        except DomainError as error:
            outcome.append(error)

    approval = threading.Thread(target=approve)
    try:
        with shop.transaction() as uow:
            uow.stock.lock_lot(LOT)
            change = inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("25.20"), T0)
            adjustments.apply_price_change(uow, change)
            approval.start()
            approval.join(timeout=1.5)
            assert approval.is_alive(), "the approval did not wait for the lot"
        approval.join(timeout=30)
    finally:
        client.close()
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert "changed since the plan was made" in str(outcome[0])
    with shop.transaction(readonly=True) as uow:
        assert uow.stock.price_changes(LOT, T0, T0 + timedelta(days=1)) == 1
    assert _price(shop) == Decimal("25.20")


def test_the_outcome_of_an_approved_markdown_comes_from_the_ledger(shop: Database) -> None:
    line_id = _plan(shop)
    plans.decide(shop, line_id, "approve", actor="alice", at=T0 + timedelta(hours=1))
    for hours, amount in ((2, "4"), (5, "8")):
        inv.record_sale(
            shop,
            inv.RecordSale(
                "SZ-01", (inv.SaleLine(Decimal(amount), "CAKE"),), T0 + timedelta(hours=hours)
            ),
        )
    table = feedback.action_outcomes(shop, T0 + timedelta(days=1))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["action"], row["offered"], row["sold"], row["wasted"]) == ("markdown", 12, 12, 0)
    assert row["revenue"] == pytest.approx(12 * 22.40)
    assert row["list_value"] == pytest.approx(12 * 28)
    assert row["hours_to_clear"] == pytest.approx(4.0) and bool(row["closed"])
    ranking = feedback.action_ranking(shop, T0 + timedelta(days=1))
    assert ranking.loc[0, "recovery"] == pytest.approx(0.8)
    # before the decision there is nothing to learn from
    assert feedback.action_outcomes(shop, T0 + timedelta(minutes=30)).empty


def test_a_stale_or_expired_line_is_refused(shop: Database) -> None:
    line_id = _plan(shop)
    # the price was changed by hand after the plan: approving would raise it again
    inv.change_price(shop, inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("16.80"), T0))
    with pytest.raises(Conflict, match="changed since the plan was made"):
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    assert _price(shop) == Decimal("16.80")
    with pytest.raises(LotNotSellable, match="can only be rejected"):
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(days=30))
    assert plans.decide(shop, line_id, "reject", actor="ann").line.status is LineStatus.REJECTED


def test_two_price_changes_a_local_day_at_most(shop: Database) -> None:
    """The limit counts the store's day (Asia/Shanghai), not UTC's: 00:30 in
    Suzhou is a new day although UTC still has the same date."""
    line_id = _plan(shop, now="0.9")
    for hours, price in ((1, "26.00"), (2, "25.20")):  # 09:00 and 10:00 local: 90 % of 28
        inv.change_price(
            shop,
            inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal(price), T0 + timedelta(hours=hours)),
        )
    with pytest.raises(InvalidValue, match=r"already changed 2 time\(s\) today"):
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=3))
    assert _price(shop) == Decimal("25.20")
    assert ("ann", "plan.approve") not in _audit(shop)
    # the guardrails the plan was made with decide, not the defaults
    with pytest.raises(InvalidValue, match="the most a day allows is 1;"):
        plans.decide(
            shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=3),
            guardrails=Guardrails(max_changes_per_day=1),
        )  # fmt: skip
    with pytest.raises(InvalidValue) as caught:  # 23:59 local, the same day
        plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=15, minutes=59))
    assert i18n.message(caught.value, "zh-CN").endswith(
        "今天已调价 2 次，每天最多 2 次；请明天再调，或把这一行调整为现价，只提交其中的捐赠"
    )
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=16, minutes=30))
    assert _price(shop) == Decimal("22.40")
    # the audit counts each change in its local day, this one included
    counts = [r.after["changes_that_day"] for r in plans.audit_log(shop, action="price.change")]
    assert counts == ["1", "2", "1"]  # newest first: the next day's approval, 10:00, 09:00
    assert inv.price_changes_that_day(shop, LOT, T0 + timedelta(hours=3)) == 2
    assert inv.price_changes_that_day(shop, LOT, T0 + timedelta(hours=17)) == 1


def test_the_floor_price_is_never_rounded_below_the_floor(shop: Database) -> None:
    third = Decimal("0.3333")
    catalog.save_products(shop, [cake(list_price=Money.of("10.03"), price_floor_ratio=third)])
    line_id = _plan(shop, now="0.5", proposed=str(third))
    inv.change_price(shop, inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("5.02"), T0))
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    # 10.03 × 0.3333 = 3.342999 rounds to 3.34, under the floor of 3.343: 3.35 it is
    assert _price(shop) == Decimal("3.35")


def test_a_lot_priced_above_list_can_still_be_marked_down(shop: Database) -> None:
    line_id = _plan(shop)
    inv.change_price(shop, inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("30"), T0))
    plans.decide(shop, line_id, "approve", actor="ann", at=T0 + timedelta(hours=1))
    assert _price(shop) == Decimal("22.40")


def test_a_plan_with_nothing_to_propose_is_not_stored(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(12), T0))
    report = plans.make_plan(shop, T0 + timedelta(hours=1), actor="ann", location="SZ-01")
    assert report.plans == [] and report.made == 0 and report.notes  # no history, no forecast
    assert plans.plans(shop) == [] and plans.audit_log(shop) == []


def test_totals_count_each_lot_once() -> None:
    lot = LotKey("S1", "CAKE", "L1")
    mark = PlanLine(lot, Decimal(1), Decimal("0.8"), Decimal(0), Decimal(6), Decimal(2),
                    Decimal(3), "markdown")  # fmt: skip
    sent = PlanLine(lot, Decimal(1), Decimal("0.6"), Decimal(0), Decimal(2), Decimal("0.5"),
                    Decimal(1), "channel", action=PlanAction.CHANNEL)  # fmt: skip
    plan = Plan("S1", date(2026, 11, 20), T0, "p", (mark, sent))
    assert (plan.expected_left_if_held, plan.expected_left_with_plan) == (6, Decimal("0.5"))


def test_a_reason_is_read_back_as_its_phrase_or_else_as_written(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(12), T0))
    reasons = {
        date(2026, 11, 20): Text("{ratio:.0%} of list now", ratio=np.float32(0.8)),
        # a value kept as text no longer fits its format: the English stands
        date(2026, 11, 21): Text("made on {day:%Y-%m-%d}", day=date(2026, 11, 19)),
    }
    for day, reason in reasons.items():
        line = PlanLine(
            LOT, Decimal(1), Decimal("0.8"), Decimal(0), Decimal(6), Decimal(2), Decimal(1), reason
        )
        with shop.transaction() as uow:
            uow.plans.add_plan(Plan("SZ-01", day, T0, "planner", (line,)))
    with shop.transaction(readonly=True) as uow:
        first, second = (uow.plans.find_plan("SZ-01", day) for day in reasons)
    assert first is not None and second is not None
    kept = first.lines[0].reason
    assert isinstance(kept, Text) and kept == "80% of list now"
    assert type(kept.params["ratio"]) is float
    assert second.lines[0].reason == "made on 2026-11-19"
    assert not isinstance(second.lines[0].reason, Text)
