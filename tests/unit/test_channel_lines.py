"""Channel lines of a plan, from proposals (no database needed)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfpilot.channels import bakery_channels
from shelfpilot.domain.money import Money
from shelfpilot.services.channels import channel_lines
from shelfpilot.services.clearance import Proposal

ZONE = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 23, 19, 0, tzinfo=ZONE)  # a Monday, inside the 18-21 h windows


def proposal(left: float, donate: float = 0.0, hours: float = 60) -> Proposal:
    return Proposal(
        location="S1", sku="CAKE", product_name="Cake", lot_code="L1", on_hand=Decimal(40),
        sellable_until=AT + timedelta(hours=hours), list_price=Money.of("10"), current_ratio=1.0,
        ratio_now=1.0, donate_now=Decimal(repr(donate)), left_if_held=left, left_with_plan=left,
        gain=0.0, reason="", category="cake", waste_cost=4.0,
    )  # fmt: skip


def test_a_running_window_and_tomorrows_become_one_line_per_channel() -> None:
    lines = channel_lines([proposal(200.0)], bakery_channels(), AT, ZONE)
    per_channel = [line.detail["channel"] for line in lines]
    assert len(per_channel) == len(set(per_channel))  # one line per lot and channel
    assert sum(line.units for line in lines) <= 200
    # the surplus app runs now (19-21 h left of 18-21 h) and again tomorrow: one line
    surplus = next(line for line in lines if line.detail["channel"] == "surplus-app")
    assert surplus.units > 20 and "Mon 19:00–Tue 21:00" in surplus.reason
    # each line keeps the cost of sending a unit as planned (its outcome nets it)
    costs = {c.code: c.logistics_cost for c in bakery_channels()}
    assert all(float(x.detail["logistics_cost"]) == costs[x.detail["channel"]] for x in lines)
    # lines are steps: what is left falls from one to the next
    for a, b in itertools.pairwise(lines):
        assert b.left_if_held == a.left_with_plan
    assert all(line.units == line.units.to_integral_value() for line in lines)


def test_the_donation_in_the_plan_is_not_taken_twice() -> None:
    # left_with_plan already excludes what the markdown plan donates
    plain = channel_lines([proposal(6.0)], bakery_channels(), AT, ZONE)
    donating = channel_lines([proposal(6.0, donate=4.0)], bakery_channels(), AT, ZONE)
    assert sum(x.units for x in plain) == sum(x.units for x in donating) > 0


def test_nothing_left_nothing_sent() -> None:
    assert channel_lines([proposal(0.2)], bakery_channels(), AT, ZONE) == []
    assert channel_lines([proposal(5.0)], [], AT, ZONE) == []


def test_a_lot_waiting_for_the_days_sales_is_offered_to_no_channel() -> None:
    """Received today within what the day's demand warrants: what it may
    have left is a guess until the day's sales are seen, so a plan offers it
    to no channel; once they are seen, it does."""
    waiting = replace(proposal(6.0), waiting_for_sales=True)
    assert channel_lines([waiting], bakery_channels(), AT, ZONE) == []
    assert channel_lines([replace(waiting, waiting_for_sales=False)], bakery_channels(), AT, ZONE)
