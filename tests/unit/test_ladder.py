from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.domain import (
    DEFAULT_LADDER,
    ExpiryLadder,
    InvalidValue,
    LadderPolicy,
    Money,
    Product,
    Stage,
)
from shelfpilot.domain.ladder import EXPIRED, FRESH, stage_to_record

SH = ZoneInfo("Asia/Shanghai")
EXPIRES = datetime(2026, 11, 30, 0, 0, tzinfo=SH)


def at_remaining(span: timedelta) -> datetime:
    return EXPIRES - span


@pytest.mark.parametrize(
    ("remaining", "stage"),
    [
        (timedelta(days=8), "fresh"),
        (timedelta(days=7), "remind"),
        (timedelta(days=6), "remind"),
        (timedelta(days=5), "five_days"),
        (timedelta(days=3, seconds=1), "five_days"),
        (timedelta(days=3), "warn"),
        (timedelta(hours=48), "donation"),
        (timedelta(hours=30), "donation"),
        (timedelta(hours=24), "last_day"),
        (timedelta(hours=3), "last_day"),
        (timedelta(hours=2), "pulled"),
        (timedelta(seconds=1), "pulled"),
        (timedelta(0), "expired"),
        (-timedelta(days=1), "expired"),
    ],
)
def test_default_ladder_stages(remaining: timedelta, stage: str) -> None:
    assert DEFAULT_LADDER.stage_at(EXPIRES, at_remaining(remaining)).code == stage


def test_default_ladder_pulls_off_two_hours_before_expiry() -> None:
    assert DEFAULT_LADDER.pull_off == timedelta(hours=2)
    assert DEFAULT_LADDER.is_sellable(EXPIRES, at_remaining(timedelta(hours=2, seconds=1)))
    assert not DEFAULT_LADDER.is_sellable(EXPIRES, at_remaining(timedelta(hours=2)))


def test_ladder_text_form_round_trips() -> None:
    ladder = ExpiryLadder.parse("remind=24h, last_day=8h:blind_box, pulled=1h")
    assert [s.code for s in ladder.stages] == ["remind", "last_day", "pulled"]
    assert ladder.pull_off == timedelta(hours=1)
    assert ExpiryLadder.parse(ladder.spec()) == ladder
    assert ExpiryLadder.parse(DEFAULT_LADDER.spec()) == DEFAULT_LADDER
    custom = ExpiryLadder.parse("warn=90m,off=30m!")
    assert not custom.stages[1].sellable


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("warn=3x", "not a duration"),
        ("warn", "must look like"),
        ("warn=3d,warn=2d", "stage twice"),
        ("a=3d,b=3d", "same time"),
        ("pulled=5h,last=2h", "cannot be sellable after"),
        ("expired=1h", "reserved"),
        ("", "at least one"),
    ],
)
def test_bad_ladders_are_refused(spec: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        ExpiryLadder.parse(spec)


def test_policy_prefers_product_then_category_then_default() -> None:
    bread = ExpiryLadder.parse("last_day=12h,pulled=1h")
    special = ExpiryLadder.parse("pulled=4h")
    policy = LadderPolicy(by_category={"bread": bread}, by_sku={"SOURDOUGH": special})

    def product(sku: str, category: str) -> Product:
        return Product(sku, sku, "", category, "pcs", Money.of(10), Money.of(3), timedelta(days=2))

    assert policy.for_product(product("SOURDOUGH", "bread")) is special
    assert policy.for_product(product("BAGUETTE", "bread")) is bread
    assert policy.for_product(product("CAKE", "cake")) is DEFAULT_LADDER


def test_a_stage_is_recorded_once() -> None:
    stage = DEFAULT_LADDER.stage_at(EXPIRES, at_remaining(timedelta(days=4)))
    assert stage_to_record(stage, []) == stage
    assert stage_to_record(stage, ["remind", "five_days"]) is None
    assert stage_to_record(FRESH, []) is None
    assert stage_to_record(EXPIRED, ["pulled"]) is EXPIRED


def test_stage_names_are_checked() -> None:
    with pytest.raises(InvalidValue, match="before expiry"):
        ExpiryLadder([Stage("x", timedelta(0), "none")])


@pytest.mark.parametrize("spec", ["pulled=0.5m", "warn=0.0001d", "warn=1.51h"])
def test_durations_are_whole_minutes_so_saved_ladders_read_back(spec: str) -> None:
    with pytest.raises(InvalidValue, match="whole number of minutes"):
        ExpiryLadder.parse(spec)
    assert ExpiryLadder.parse("warn=1.5h,pulled=45m!").stages[0].before_expiry == timedelta(
        minutes=90
    )
