"""Choosing bundles for a store's at-risk lots (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from shelfpilot.clearance.baskets import mine_pairs
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.money import Money
from shelfpilot.domain.plans import PlanAction
from shelfpilot.services.bundling import bundle_line, choose_bundles, with_bundles
from shelfpilot.services.clearance import Proposal, ProposalReport

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def product(sku: str, price: str, cost: str) -> Product:
    return Product(sku, sku.title(), sku, "pastry", "pcs", Money.of(price), Money.of(cost),
                   timedelta(days=2))  # fmt: skip


def proposal(sku: str, lot: str, at_risk: float, plan_gain: float, hours: float) -> Proposal:
    return Proposal(
        location="S1", sku=sku, product_name=sku.title(), lot_code=lot,
        on_hand=Decimal(10), sellable_until=AT + timedelta(hours=hours),
        list_price=Money.of("10"), current_ratio=1.0, ratio_now=1.0, donate_now=Decimal(0),
        left_if_held=at_risk, left_with_plan=at_risk, gain=0.0, reason="", category="pastry",
        waste_cost=4.0, plan_gain=plan_gain,
    )  # fmt: skip


def baskets() -> pd.DataFrame:
    rows = []
    for k in range(400):  # coffee buyers often take a croissant or a muffin
        rows.append((k, "COFFEE"))
        if k % 3 == 0:
            rows.append((k, "CROISSANT"))
        if k % 4 == 0:
            rows.append((k, "MUFFIN"))
    rows += [(1000 + k, "CROISSANT") for k in range(60)] + [(2000 + k, "MUFFIN") for k in range(60)]
    rows += [(3000 + k, "TEA") for k in range(200)]
    return pd.DataFrame(rows, columns=["basket", "item"])


PRODUCTS = {
    "COFFEE": product("COFFEE", "12", "3"),
    "CROISSANT": product("CROISSANT", "10", "4"),
    "MUFFIN": product("MUFFIN", "10", "4"),
    "TEA": product("TEA", "8", "2"),
}


def report(*proposals: Proposal) -> ProposalReport:
    coffee = proposal("COFFEE", "C1", 0.0, 0.0, 20)
    return ProposalReport(AT, [*proposals, coffee], daily_demand={("S1", "COFFEE"): 40.0})


def test_a_bundle_beats_a_weak_markdown_and_loses_to_a_strong_one() -> None:
    pairs = mine_pairs(baskets())
    weak = choose_bundles(report(proposal("CROISSANT", "L1", 8, 0.5, 20)), pairs, PRODUCTS, "S1")
    assert len(weak) == 1 and weak[0].partner_sku == "COFFEE"
    value = weak[0].value
    assert value.gain >= 0.5 and 0 < value.bundles <= 8
    line = bundle_line(weak[0])
    assert line.action is PlanAction.BUNDLE and line.detail["partner"] == "COFFEE"
    assert line.left_with_plan < line.left_if_held
    shifted = with_bundles(report(proposal("CROISSANT", "L1", 8, 0.5, 20)).proposals, weak)
    assert shifted[0].left_with_plan == value.units_left
    strong = report(proposal("CROISSANT", "L1", 8, value.gain + 5, 20))
    assert choose_bundles(strong, pairs, PRODUCTS, "S1") == []
    # received today, waiting for the day's sales: no bundle (a discount) yet
    waiting = replace(proposal("CROISSANT", "L1", 8, 0.5, 20), waiting_for_sales=True)
    assert choose_bundles(report(waiting), pairs, PRODUCTS, "S1") == []


def test_one_bundle_per_partner_and_the_oldest_lot_first() -> None:
    pairs = mine_pairs(baskets())
    two = report(proposal("MUFFIN", "M1", 6, 0.0, 30), proposal("CROISSANT", "L1", 6, 0.0, 10))
    chosen = choose_bundles(two, pairs, PRODUCTS, "S1")
    assert [c.proposal.sku for c in chosen] == ["CROISSANT"]  # older, and coffee is then taken
    # nothing to bundle with: no baskets, or too little at risk
    assert choose_bundles(two, mine_pairs(baskets().iloc[:0]), PRODUCTS, "S1") == []
    assert (
        choose_bundles(report(proposal("CROISSANT", "L1", 0.5, 0, 10)), pairs, PRODUCTS, "S1") == []
    )


def test_a_bundle_keeps_the_anchors_own_floor() -> None:
    proud = {**PRODUCTS, "CROISSANT": Product(
        "CROISSANT", "Croissant", "CROISSANT", "pastry", "pcs", Money.of("10"), Money.of("4"),
        timedelta(days=2), price_floor_ratio=Decimal("0.9"),
    )}  # fmt: skip
    chosen = choose_bundles(
        report(proposal("CROISSANT", "L1", 8, 0.0, 20)), mine_pairs(baskets()), proud, "S1"
    )
    assert all(c.value.offer.anchor_ratio >= 0.9 for c in chosen)
