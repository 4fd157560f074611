"""Experience bundles: pair mining checkable by hand, and the bundle's money."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from shelfpilot.clearance.baskets import (
    PAIR_COLUMNS,
    complements,
    load_breadbasket,
    load_groceries,
    mine_pairs,
    wilson_lower,
)
from shelfpilot.clearance.bundles import (
    BundleOffer,
    acceptance,
    best_bundle,
    bundle_value,
    prefer_bundle,
)
from shelfpilot.clearance.markdown import Economics
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.guardrails import Guardrails, PriceLadder

TEN_BASKETS = {
    1: ["bread", "butter", "bread"],  # a repeated line counts once
    2: ["bread", "butter"],
    3: ["bread", "butter", "milk"],
    4: ["bread", "milk"],
    5: ["milk"],
    6: ["milk", "tea"],
    7: ["tea"],
    8: ["butter"],
    9: ["coffee"],
    10: ["coffee", "bread"],
}


def long_frame(baskets: dict[int, list[str]]) -> pd.DataFrame:
    rows = [(b, i) for b, items in baskets.items() for i in items]
    return pd.DataFrame(rows, columns=["basket", "item"])


def row(pairs: pd.DataFrame, anchor: str, partner: str) -> pd.Series:
    hit = pairs[(pairs["anchor"] == anchor) & (pairs["partner"] == partner)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.fixture
def pairs() -> pd.DataFrame:
    return mine_pairs(long_frame(TEN_BASKETS), min_support_count=1, min_lift=0.0)


# --- mining -------------------------------------------------------------------


def test_counts_support_confidence_and_lift_by_hand(pairs: pd.DataFrame) -> None:
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    r = row(pairs, "bread", "butter")  # bread in 5 baskets, butter in 4, both in 3
    assert (r["together"], r["anchor_count"], r["partner_count"]) == (3, 5, 4)
    assert r["support"] == pytest.approx(0.3)
    assert r["confidence"] == pytest.approx(3 / 5)
    assert r["reverse_confidence"] == pytest.approx(3 / 4)
    assert r["lift"] == pytest.approx(0.3 / (0.5 * 0.4))
    back = row(pairs, "butter", "bread")
    assert back["together"] == 3 and back["confidence"] == pytest.approx(3 / 4)
    assert back["lift"] == pytest.approx(r["lift"]) and back["lift_low"] == pytest.approx(
        r["lift_low"]
    )
    milk = row(pairs, "bread", "milk")  # 2 of 10 baskets, 0.5 × 0.4 by chance: lift 1
    assert milk["together"] == 2 and milk["lift"] == pytest.approx(1.0)


def test_only_pairs_of_distinct_items_seen_together(pairs: pd.DataFrame) -> None:
    assert (pairs["anchor"] != pairs["partner"]).all()
    # 5 pairs are ever bought together, each in both orders
    assert len(pairs) == 10
    assert not ((pairs["anchor"] == "tea") & (pairs["partner"] == "bread")).any()


def test_thresholds_filter_pairs() -> None:
    frame = long_frame(TEN_BASKETS)
    two = mine_pairs(frame, min_support_count=2, min_lift=0.0)
    assert set(zip(two["anchor"], two["partner"], strict=True)) == {
        ("bread", "butter"),
        ("butter", "bread"),
        ("bread", "milk"),
        ("milk", "bread"),
    }
    strong = mine_pairs(frame, min_support_count=2, min_lift=1.2)
    assert set(strong["anchor"]) == {"bread", "butter"}


def test_any_column_names_and_basket_ids() -> None:
    ledger = long_frame(TEN_BASKETS).rename(columns={"basket": "sale_ref", "item": "sku"})
    ledger["sale_ref"] = "S-" + ledger["sale_ref"].astype(str)
    pairs = mine_pairs(ledger, min_support_count=1, basket="sale_ref", item="sku")
    assert row(pairs, "bread", "butter")["together"] == 3
    with pytest.raises(InvalidValue, match="columns"):
        mine_pairs(ledger)


def test_no_baskets_give_no_pairs() -> None:
    empty = mine_pairs(pd.DataFrame({"basket": [], "item": []}))
    assert empty.empty and list(empty.columns) == list(PAIR_COLUMNS)
    singles = mine_pairs(long_frame({1: ["a"], 2: ["b"]}), min_support_count=1)
    assert singles.empty


def test_wilson_lower_bound_matches_statsmodels() -> None:
    k, n = np.array([0.0, 1.0, 30.0, 87.0]), np.array([5.0, 1.0, 90.0, 585.0])
    # a one-sided 95 % bound is the lower end of a two-sided 90 % interval
    expected = [
        proportion_confint(a, b, alpha=0.10, method="wilson")[0] for a, b in zip(k, n, strict=True)
    ]
    assert wilson_lower(k, n) == pytest.approx(expected, abs=1e-4)
    assert wilson_lower(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_a_pair_seen_once_ranks_below_one_seen_30_times_at_the_same_lift() -> None:
    baskets: dict[int, list[str]] = {}
    for b in range(300):
        items = ["filler"]
        items += ["u"] if b < 60 else []
        items += ["v"] if b < 30 or 60 <= b < 90 else []
        items += ["y"] if 90 <= b < 150 else []
        items += ["x"] if b in (90, 150) else []
        baskets[b] = items
    pairs = mine_pairs(long_frame(baskets), min_support_count=1, min_lift=0.0)
    often, once = row(pairs, "u", "v"), row(pairs, "x", "y")
    assert (often["together"], once["together"]) == (30, 1)
    assert often["lift"] == pytest.approx(2.5) and once["lift"] == pytest.approx(2.5)
    assert often["lift_low"] > 1.5 > once["lift_low"]
    assert once["lift_low"] < 1.0  # one basket is no evidence of a complement
    ranked = list(zip(pairs["anchor"], pairs["partner"], strict=True))
    assert ranked.index(("u", "v")) < ranked.index(("x", "y"))
    assert complements(pairs, "x").empty


def test_complements_exclude_the_anchor_and_follow_stock(pairs: pd.DataFrame) -> None:
    # a hand-made row pairing an item with itself is never proposed
    self_row = row(pairs, "bread", "butter").copy()
    self_row["partner"] = "bread"
    with_self = pd.concat([pairs, self_row.to_frame().T], ignore_index=True)
    best = complements(with_self, "bread", k=5, min_lift_low=0.0)
    assert "bread" not in set(best["partner"])
    assert set(best["partner"]) == {"butter", "milk", "coffee"}
    assert list(best["lift_low"]) == sorted(best["lift_low"], reverse=True)
    assert len(complements(pairs, "bread", k=1, min_lift_low=0.0)) == 1
    no_butter = complements(pairs, "bread", exclude={"butter"}, min_lift_low=0.0)
    assert "butter" not in set(no_butter["partner"])
    stocked = complements(pairs, "bread", in_stock={"milk"}, min_lift_low=0.0)
    assert list(stocked["partner"]) == ["milk"]
    assert complements(pairs, "nothing").empty


# --- loading ------------------------------------------------------------------


def test_loaders_give_one_row_per_basket_and_item(tmp_path: Path) -> None:
    bakery = tmp_path / "bakery.csv"
    bakery.write_text(
        "Date,Time,Transaction,Item\n"
        "2016-10-30,09:58:11,1,Bread\n"
        "2016-10-30,09:58:11,1,Bread\n"
        "2016-10-30,09:58:11,1,Coffee granules \n"
        "2016-10-30,10:05:34,2,NONE\n"
        "2016-11-09,19:49:22,3,Adjustment\n"
    )
    frame = load_breadbasket(bakery)
    assert list(frame.columns) == ["basket", "item"]
    assert sorted(zip(frame["basket"], frame["item"], strict=True)) == [
        (1, "Bread"),
        (1, "Coffee granules"),
    ]
    grocery = tmp_path / "groceries.csv"
    grocery.write_text("citrus fruit,yogurt,cream cheese \nwhole milk\nyogurt,yogurt\n")
    frame = load_groceries(grocery)
    assert sorted(zip(frame["basket"], frame["item"], strict=True)) == [
        (0, "citrus fruit"),
        (0, "cream cheese"),
        (0, "yogurt"),
        (1, "whole milk"),
        (2, "yogurt"),
    ]


# --- bundle economics -------------------------------------------------------------

ANCHOR = Economics(list_price=2.0, unit_cost=0.6, disposal_cost=0.2, dilution=0.0)


def offer(**kw: object) -> BundleOffer:
    base: dict[str, object] = {
        "anchor": "Medialuna",
        "partner": "Coffee",
        "anchor_economics": ANCHOR,
        "units_at_risk": 9.0,
        "partner_price": 3.0,
        "partner_daily_demand": 10.0,
        "days_left": 2.0,
        "take_rate": 0.1,
        "anchor_ratio": 0.5,
    }
    base.update(kw)
    return BundleOffer(**base)  # type: ignore[arg-type]


def test_bundle_value_by_hand() -> None:
    o = offer()
    assert (o.price, o.list_total, o.discount) == pytest.approx((4.0, 5.0, 1.0))
    v = bundle_value(o, elasticity=-1.0)
    # 20 coffee buyers; 10 % take a medialuna anyway, twice as many at half price
    assert v.acceptance == pytest.approx(0.2)
    assert v.bundles == pytest.approx(4.0)
    assert (v.extra_units, v.switched_units) == pytest.approx((2.0, 2.0))
    assert v.revenue == pytest.approx(16.0)
    assert v.waste_avoided == pytest.approx(2 * 0.8)
    assert v.given_away == pytest.approx(2 * 1.0)
    # extra: 2 × (1.00 paid + 0.80 not binned); switched: 2 × 1.00 given away
    assert v.gain == pytest.approx(3.6 - 2.0)
    assert v.units_left == pytest.approx(7.0)


def test_a_discounted_partner_costs_its_discount_on_every_bundle() -> None:
    o = offer(partner_ratio=0.9)
    assert o.effective_ratio == pytest.approx((1.0 + 2.7 - 3.0) / 2.0)
    with_dilution = offer(anchor_economics=replace(ANCHOR, dilution=0.1))
    plain, diluted = bundle_value(offer()), bundle_value(with_dilution)
    assert plain.gain - diluted.gain == pytest.approx(0.1 * plain.bundles * 1.0)


def test_bundles_are_capped_by_the_units_at_risk() -> None:
    v = bundle_value(offer(partner_daily_demand=1000.0, units_at_risk=9.0))
    assert v.bundles == pytest.approx(9.0)
    assert v.extra_units <= 9.0 and v.units_left >= 0.0
    assert acceptance(0.9, 0.5, -1.5) == 1.0


def test_partner_stock_limits_the_buyers() -> None:
    assert offer(partner_stock=5.0).partner_buyers == 5.0
    assert offer(partner_stock=None).partner_buyers == 20.0


def test_nobody_buying_the_partner_gains_nothing() -> None:
    for quiet in (offer(partner_daily_demand=0.0), offer(take_rate=0.0), offer(days_left=0.0)):
        v = bundle_value(quiet)
        assert v.bundles == 0.0 and v.gain == 0.0
        assert "too few Coffee buyers" in v.describe()


def test_a_bundle_at_list_changes_nothing() -> None:
    v = bundle_value(offer(anchor_ratio=1.0))
    assert v.extra_units == pytest.approx(0.0) and v.gain == pytest.approx(0.0)


def test_offers_that_break_a_rule_are_refused() -> None:
    with pytest.raises(InvalidValue, match="below its unit cost"):
        offer(partner_ratio=0.5, partner_cost=2.0)
    with pytest.raises(InvalidValue, match="give Medialuna away"):
        offer(anchor_ratio=0.5, partner_ratio=0.6)
    with pytest.raises(InvalidValue):
        offer(take_rate=1.5)
    with pytest.raises(InvalidValue):
        offer(units_at_risk=-1.0)
    with pytest.raises(InvalidValue):
        bundle_value(offer(), elasticity=0.5)


LADDER = PriceLadder((1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4))


def test_best_bundle_stays_above_the_floor() -> None:
    # waste is dear: every deeper price earns more, down to the floor
    gains = {r: bundle_value(offer(units_at_risk=3.0, anchor_ratio=r)).gain for r in LADDER.ratios}
    assert gains[0.4] > gains[0.6]
    best = best_bundle(offer(units_at_risk=3.0), ladder=LADDER, guardrails=Guardrails(floor=0.6))
    assert best.offer.anchor_ratio == 0.6
    assert best.gain == pytest.approx(max(g for r, g in gains.items() if r >= 0.6))


def test_best_bundle_stops_discounting_when_it_only_gives_money_away() -> None:
    # nothing is wasted and half the coffee buyers take a medialuna anyway
    kw: dict[str, object] = {
        "units_at_risk": 3.0,
        "take_rate": 0.5,
        "anchor_economics": Economics(list_price=2.0, dilution=0.0),
    }
    gains = {r: bundle_value(offer(anchor_ratio=r, **kw)).gain for r in LADDER.ratios}
    best = best_bundle(offer(**kw), ladder=LADDER, guardrails=Guardrails(floor=0.4))
    assert best.offer.anchor_ratio == max(gains, key=lambda r: gains[r]) == 0.7


def test_describe_speaks_to_the_manager() -> None:
    v = bundle_value(offer(lift=3.2, age_days=2), elasticity=-1.0)
    text = v.describe()
    assert text.startswith("Pair the 2-day-old Medialuna with Coffee")
    assert "3.2× more than chance" in text
    assert "bundle at 4.00 instead of 5.00" in text
    assert "expect 4 of 9 at risk to go (2 of them sales it would not make)" in text
    assert text.endswith("net +1.60")


def test_prefer_bundle_ties_go_to_the_bundle() -> None:
    assert prefer_bundle(5.0, 5.0)
    assert prefer_bundle(5.0, 4.99)
    assert not prefer_bundle(4.99, 5.0)
    assert prefer_bundle(0.5, -2.0)
    assert not prefer_bundle(0.0, 0.0)  # a bundle earning nothing is no action
