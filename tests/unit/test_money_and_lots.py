from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shelfpilot.domain import InvalidValue, Lot, Money, expiry_instant, quantity
from shelfpilot.domain.catalog import Product, allergen_tags
from shelfpilot.domain.money import show

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def lot(expires_at: datetime, **changes: object) -> Lot:
    fields: dict[str, object] = {
        "code": "L1",
        "sku": "CAKE",
        "location_code": "S1",
        "received_at": datetime(2026, 11, 20, 8, tzinfo=SH),
        "expires_at": expires_at,
        "quantity": Decimal(10),
        "unit_cost": Money.of("9"),
    }
    fields.update(changes)
    return Lot(**fields)  # type: ignore[arg-type]


def test_money_refuses_floats() -> None:
    with pytest.raises(InvalidValue, match=r"not 0\.1"):
        Money.of(0.1)  # type: ignore[arg-type]


def test_money_is_exact_and_keeps_currency() -> None:
    total = Money.of("0.1") + Money.of("0.2")
    assert total == Money.of("0.3")
    assert (Money.of("128") * Decimal("0.7")).amount == Decimal("89.6")
    assert Money.of("88").ratio_to(Money.of("128")) == Decimal("0.6875")
    assert str(Money.of("12.345", "gbp")) == "12.35 GBP"


def test_money_of_different_currencies_does_not_mix() -> None:
    with pytest.raises(InvalidValue, match="CNY with GBP"):
        Money.of("1") + Money.of("1", "GBP")


def test_quantity_allows_grams_but_not_finer() -> None:
    assert quantity("1.25") == Decimal("1.250")
    assert show(quantity("1.250")) == "1.25"
    assert show(quantity("5")) == "5"
    with pytest.raises(InvalidValue, match="3 decimal places"):
        quantity("0.0001")


def test_expiry_from_shelf_life_runs_from_production() -> None:
    produced = datetime(2026, 11, 20, 6, tzinfo=SH)
    expires, is_date = expiry_instant(None, zone=SH, start=produced, shelf_life=timedelta(hours=36))
    assert expires == datetime(2026, 11, 21, 18, tzinfo=SH)
    assert not is_date


def test_expiry_given_as_a_date_lasts_the_whole_local_day() -> None:
    expires, is_date = expiry_instant(
        date(2026, 11, 25),
        zone=SH,
        start=datetime(2026, 11, 20, tzinfo=SH),
        shelf_life=timedelta(days=1),
    )
    assert is_date
    assert expires == datetime(2026, 11, 26, 0, 0, tzinfo=SH)
    assert expires.astimezone(UTC) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_naive_expiry_time_is_read_in_the_store_zone() -> None:
    expires, _ = expiry_instant(
        datetime(2026, 11, 25, 18, 0),
        zone=LONDON,
        start=datetime(2026, 11, 20, tzinfo=UTC),
        shelf_life=timedelta(1),
    )
    assert expires.utcoffset() == timedelta(0)
    assert expires.hour == 18


def test_days_left_counts_calendar_days_in_the_store_zone() -> None:
    # Expires 2026-11-23 00:30 in Shanghai: the last sellable day is the 23rd there,
    # while in UTC it is still the 22nd.
    item = lot(datetime(2026, 11, 23, 0, 30, tzinfo=SH))
    evening = datetime(2026, 11, 22, 23, 0, tzinfo=SH)
    assert item.days_left(evening, SH) == 1
    assert item.days_left(evening, ZoneInfo("UTC")) == 0
    date_lot = lot(datetime(2026, 11, 26, tzinfo=SH), expiry_is_date=True)
    assert date_lot.expiry_date(SH) == date(2026, 11, 25)
    assert date_lot.days_left(datetime(2026, 11, 25, 21, tzinfo=SH), SH) == 0
    assert date_lot.days_left(datetime(2026, 11, 26, 0, 1, tzinfo=SH), SH) == -1


def test_lot_rules() -> None:
    with pytest.raises(InvalidValue, match="no time zone"):
        lot(datetime(2026, 11, 23))
    with pytest.raises(InvalidValue, match="above zero"):
        lot(datetime(2026, 11, 23, tzinfo=SH), quantity=Decimal(0))
    with pytest.raises(InvalidValue, match="expires before it was received"):
        lot(datetime(2026, 11, 20, 7, tzinfo=SH))
    with pytest.raises(InvalidValue, match="not after production"):
        lot(datetime(2026, 11, 19, tzinfo=SH), produced_at=datetime(2026, 11, 19, 6, tzinfo=SH))


def test_shelf_life_counts_real_hours_across_a_clock_change() -> None:
    # London moves its clocks forward at 01:00 on 2017-03-26: 48 real hours from
    # 06:00 GMT on the 25th end at 07:00 BST on the 27th, not 06:00.
    produced = datetime(2017, 3, 25, 6, 0, tzinfo=LONDON)
    expires, _ = expiry_instant(None, zone=LONDON, start=produced, shelf_life=timedelta(hours=48))
    assert (expires.hour, expires.tzname()) == (7, "BST")
    assert expires.astimezone(UTC) - produced.astimezone(UTC) == timedelta(hours=48)


def test_ladder_and_expiry_use_real_time_across_a_clock_change() -> None:
    from shelfpilot.domain import ExpiryLadder

    ladder = ExpiryLadder.parse("last_hours=11h,pulled=10h")
    item = lot(
        datetime(2017, 3, 26, 12, 0, tzinfo=LONDON),
        received_at=datetime(2017, 3, 25, 8, tzinfo=LONDON),
    )
    night = datetime(2017, 3, 26, 0, 30, tzinfo=LONDON)  # 11 h 30 on the wall clock, 10 h 30 real
    assert item.remaining_life(night) == timedelta(hours=10, minutes=30)
    assert ladder.stage_at(item.expires_at, night).code == "last_hours"  # wall clock: "fresh"
    assert ladder.is_sellable(item.expires_at, datetime(2017, 3, 26, 0, 59, tzinfo=LONDON))
    assert not ladder.is_sellable(item.expires_at, datetime(2017, 3, 26, 2, 0, tzinfo=LONDON))
    assert ladder.sellable_until(item.expires_at) == datetime(2017, 3, 26, 2, 0, tzinfo=LONDON)


@pytest.mark.parametrize("text", ["1e400", "1e30", "100000000000000000"])
def test_absurd_numbers_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(InvalidValue, match="too large"):
        quantity(text)
    with pytest.raises(InvalidValue, match="too large"):
        Money.of(text)


def test_allergens_are_names_without_case_from_one_cell_or_many() -> None:
    assert allergen_tags("Nuts, milk；坚果、乳制品 / Gluten, lupin") == {
        "nuts", "milk", "gluten", "lupin"
    }  # fmt: skip
    assert allergen_tags([" Nuts ", "NUTS", "", "tree nuts/花生"]) == {"nuts", "peanuts"}
    assert allergen_tags("") == allergen_tags("无") == allergen_tags(["none"]) == frozenset()
    cake = Product(
        sku="CAKE", name_en="Cake", name_zh="蛋糕", category="cake", unit="pcs",
        list_price=Money.of("68"), unit_cost=Money.of("30"), shelf_life=timedelta(days=3),
        allergens=frozenset({"Milk ", "eggs"}),
    )  # fmt: skip
    assert cake.allergens == {"milk", "eggs"}
    assert replace(cake, allergens=None).allergens is None  # not recorded is not "none"
    with pytest.raises(InvalidValue, match="CAKE: allergens are short names"):
        replace(cake, allergens=frozenset({"x" * 41}))
