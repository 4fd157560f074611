"""A manager's decision on a plan line, in the domain (no storage)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.lots import LotKey
from shelfpilot.domain.plans import (
    Decision,
    LineStatus,
    Plan,
    PlanAction,
    PlanLine,
    as_ratio,
    settle,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def line(current: str = "1", proposed: str = "0.8", **more: object) -> PlanLine:
    return PlanLine(
        LotKey("SZ-01", "CAKE", "L1"), Decimal(current), Decimal(proposed), Decimal(0),
        Decimal(5), Decimal(2), Decimal("3.1"), "80% of list now", **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_approve_takes_the_proposal_and_reject_keeps_the_price() -> None:
    done = settle(line(), "approve", Guardrails(), by="alice", at=AT)
    assert (done.status, done.decided_ratio, done.decided_by, done.version) == (
        LineStatus.APPROVED, Decimal("0.8"), "alice", 2
    )  # fmt: skip
    kept = settle(line(), Decision.REJECT, Guardrails(), by="bob", at=AT)
    assert (kept.status, kept.decided_ratio) == (LineStatus.REJECTED, Decimal(1))


def test_an_adjustment_is_checked_against_the_guardrails() -> None:
    assert settle(
        line(), "adjust", Guardrails(), by="a", at=AT, ratio=0.85
    ).decided_ratio == Decimal("0.85")
    with pytest.raises(InvalidValue, match="largest step of 20%"):
        settle(line(), "adjust", Guardrails(), by="a", at=AT, ratio=0.5)
    with pytest.raises(InvalidValue, match="only goes down"):
        settle(line("0.8", "0.7"), "adjust", Guardrails(), by="a", at=AT, ratio=0.9)
    with pytest.raises(InvalidValue, match="below the floor of 60%"):
        settle(line("0.7", "0.6"), "adjust", Guardrails(floor=0.6), by="a", at=AT, ratio=0.55)
    with pytest.raises(InvalidValue, match="needs the price ratio"):
        settle(line(), "adjust", Guardrails(), by="a", at=AT)
    with pytest.raises(InvalidValue, match="only an adjustment"):
        settle(line(), "approve", Guardrails(), by="a", at=AT, ratio=0.8)


def test_a_lot_is_repriced_at_most_twice_a_day() -> None:
    with pytest.raises(
        InvalidValue, match=r"already changed 2 time\(s\) today.*most a day allows is 2"
    ):
        settle(line(), "approve", Guardrails(), by="a", at=AT, changes_today=2)
    with pytest.raises(InvalidValue, match="cannot reprice"):
        settle(
            line(),
            "adjust",
            Guardrails(max_changes_per_day=1),
            by="a",
            at=AT,
            ratio=0.9,
            changes_today=1,
        )
    # holding the price, or rejecting, is no change
    assert (
        settle(
            line(), "adjust", Guardrails(), by="a", at=AT, ratio=1, changes_today=5
        ).decided_ratio
        == 1
    )
    assert (
        settle(line(), "reject", Guardrails(), by="a", at=AT, changes_today=5).status
        is LineStatus.REJECTED
    )
    assert settle(
        line(), "approve", Guardrails(), by="a", at=AT, changes_today=1
    ).decided_ratio == Decimal("0.8")


def test_a_decided_line_cannot_be_decided_again() -> None:
    done = settle(line(), "approve", Guardrails(), by="alice", at=AT)
    with pytest.raises(Conflict, match="already approved by alice"):
        settle(done, "reject", Guardrails(), by="bob", at=AT)
    with pytest.raises(InvalidValue, match="who decides"):
        settle(line(), "approve", Guardrails(), by="  ", at=AT)


@given(
    current=st.sampled_from([1.0, 0.95, 0.9, 0.8, 0.7, 0.6]),
    asked=st.floats(0.01, 1.2),
    floor=st.sampled_from([0.5, 0.6, 0.7]),
)
def test_no_decision_leaves_the_guardrails(current: float, asked: float, floor: float) -> None:
    """Whatever a manager types, a decided price is never above the current
    one, never under the floor and never a bigger cut than the largest step."""
    rules = Guardrails(floor=floor)
    start = line(str(current), str(current))
    try:
        done = settle(start, "adjust", rules, by="m", at=AT, ratio=asked)
    except InvalidValue:
        return
    assert done.decided_ratio is not None
    ratio = float(done.decided_ratio)
    assert ratio <= current + 1e-9
    assert ratio >= floor - 1e-9
    assert current - ratio <= rules.max_step + 1e-9
    assert done.decided_ratio == as_ratio(asked)


def test_what_a_plan_expects_each_lot_to_have_left_follows_the_decisions() -> None:
    """A lot's last step counts (a channel taking some of what the markdown
    leaves); a rejected step stops its lot there, with what it would have
    left without it, whatever the later steps counted on."""
    markdown = line()  # left if held 5, with the plan 2
    channel = replace(line(), action=PlanAction.CHANNEL, left_if_held=Decimal(2),
                      left_with_plan=Decimal("0.5"))  # fmt: skip
    other = replace(line(), lot=LotKey("SZ-01", "CAKE", "L2"))
    rejected = settle(other, "reject", Guardrails(), by="bob", at=AT)
    after = replace(channel, lot=other.lot)
    plan = Plan("SZ-01", AT.date(), AT, "ann", (markdown, channel, rejected, after))
    assert plan.left_by_lot() == {markdown.lot: Decimal("0.5"), other.lot: Decimal(5)}
    no_channel = settle(channel, "reject", Guardrails(), by="bob", at=AT)
    plan = Plan("SZ-01", AT.date(), AT, "ann", (markdown, no_channel))
    assert plan.left_by_lot() == {markdown.lot: Decimal(2)}
    assert Plan("SZ-01", AT.date(), AT, "ann", ()).left_by_lot() == {}
