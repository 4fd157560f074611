"""Experience bundles in the clearance plan, mined from the shop's own receipts.

The sales a store recorded with a receipt reference are its baskets; pairs
bought together more often than chance (``clearance.baskets``) give each
at-risk lot its candidate partners among the products the store has in stock.
A bundle is priced and valued (``clearance.bundles``) against the lot's
markdown plan and replaces it when it earns at least as much (the brand
prefers selling an experience to cutting a price).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd

from shelfpilot.clearance.baskets import complements, mine_pairs
from shelfpilot.clearance.bundles import BundleOffer, BundleValue, best_bundle, prefer_bundle
from shelfpilot.clearance.markdown import Economics
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.ledger import BUNDLE_REFERENCE, EntryKind
from shelfpilot.domain.lots import LotKey
from shelfpilot.domain.money import estimate, quantity, to_decimal
from shelfpilot.domain.plans import PlanAction, PlanLine, as_ratio
from shelfpilot.services.clearance import Proposal, ProposalReport
from shelfpilot.services.commands import RecordSale, SaleLine
from shelfpilot.services.inventory import record_sale
from shelfpilot.services.operations import OperationResult
from shelfpilot.storage import Database, UnitOfWork

#: receipts looked back over to mine pairs
LOOKBACK = timedelta(days=90)
#: at-risk units below this are not worth a bundle
MIN_AT_RISK = 1.0
#: a bundle expected to sell fewer than this is not worth a line in the plan
MIN_BUNDLES = 0.5
CENT = Decimal("0.01")


@dataclass(frozen=True)
class BundleChoice:
    proposal: Proposal
    value: BundleValue
    partner_sku: str


def shop_pairs(uow: UnitOfWork, location: str, at: datetime) -> pd.DataFrame:
    """Pairs mined from the store's receipts over ``LOOKBACK`` up to ``at``."""
    since = at - LOOKBACK
    rows = [
        (r.entry.reference, r.entry.lot.sku)
        for r in uow.stock.ledger(location_code=location, until=at)
        if r.entry.kind is EntryKind.SALE and r.entry.reference and r.entry.occurred_at >= since
    ]
    return mine_pairs(pd.DataFrame(rows, columns=["basket", "item"]))


def choose_bundles(
    report: ProposalReport,
    pairs: pd.DataFrame,
    products: dict[str, Product],
    location: str,
) -> list[BundleChoice]:
    """For each at-risk lot of the store, oldest first, the best bundle when it
    earns at least as much as the lot's markdown plan (and more than nothing).
    One bundle per product and per partner: two bundles on the same partner
    would count its buyers twice. A lot waiting for the day's sales
    (``Proposal.waiting_for_sales``) gets none: a bundle is a discount too."""
    mine = sorted(
        (p for p in report.proposals if p.location == location), key=lambda p: p.sellable_until
    )
    in_stock = {p.sku for p in mine}
    out: list[BundleChoice] = []
    used: set[str] = set()
    for p in mine:
        if p.left_if_held < MIN_AT_RISK or pairs.empty or p.sku in used or p.waiting_for_sales:
            continue
        best: tuple[BundleValue, str] | None = None
        offered = in_stock - used - {p.sku}
        for partner in complements(pairs, p.sku, in_stock=offered).to_dict("records"):
            other = products[str(partner["partner"])]
            try:
                offer = BundleOffer(
                    anchor=p.product_name, partner=other.name,
                    anchor_economics=Economics(
                        float(p.list_price.amount), unit_cost=p.waste_cost,
                    ),
                    units_at_risk=p.left_if_held,
                    partner_price=float(other.list_price.amount),
                    partner_daily_demand=report.daily_demand.get((location, other.sku), 0.0),
                    days_left=max((p.sellable_until - report.as_of) / timedelta(days=1), 0.0),
                    take_rate=float(partner["reverse_low"]),
                    partner_cost=float(other.unit_cost.amount),
                    lift=float(partner["lift"]),
                )  # fmt: skip
                floor = float(products[p.sku].price_floor_ratio)
                value = best_bundle(offer, guardrails=Guardrails(floor=floor))
            except InvalidValue:
                continue
            if best is None or value.gain > best[0].gain:
                best = (value, other.sku)
        if (
            best is not None
            and best[0].bundles >= MIN_BUNDLES
            and prefer_bundle(best[0].gain, max(p.plan_gain, 0.0))
        ):
            out.append(BundleChoice(p, *best))
            used |= {p.sku, best[1]}
    return out


def bundle_line(choice: BundleChoice) -> PlanLine:
    p, v = choice.proposal, choice.value
    return PlanLine(
        lot=LotKey(p.location, p.sku, p.lot_code),
        current_ratio=as_ratio(p.current_ratio),
        proposed_ratio=as_ratio(v.offer.anchor_ratio),
        donate=Decimal(0),
        left_if_held=estimate(p.left_if_held, 3),
        left_with_plan=estimate(v.units_left, 3),
        gain=estimate(v.gain, 4),
        reason=v.describe(),
        action=PlanAction.BUNDLE,
        units=estimate(v.bundles, 3),
        detail={
            "partner": choice.partner_sku,
            "bundle_price": f"{v.offer.price:.2f}",
            "anchor_ratio": f"{v.offer.anchor_ratio:.4f}",
            "expected_bundles": f"{v.bundles:.3f}",
        },
    )


def with_bundles(proposals: Sequence[Proposal], choices: Sequence[BundleChoice]) -> list[Proposal]:
    """The proposals as the channels see them: a bundled lot keeps its price
    and expects what the bundle leaves."""
    chosen = {(c.proposal.sku, c.proposal.lot_code): c.value for c in choices}
    out = []
    for p in proposals:
        value = chosen.get((p.sku, p.lot_code))
        out.append(p if value is None else replace(p, left_with_plan=value.units_left))
    return out


def sell_bundles(
    db: Database,
    line_id: int,
    bundles: Decimal,
    *,
    at: datetime | None = None,
    idempotency_key: str | None = None,
) -> OperationResult:
    """Bundles of an approved bundle line sold at the till: the anchor from the
    line's lot and the partner first-expired-first-out, each at its part of
    the bundle price (the anchor at its bundle ratio of list, the partner the
    rest), under a reference naming the line, so feedback tells the bundle's
    sales from the lot's other sales. A retry with the same key records once."""
    count = quantity(bundles, "bundles sold")
    if count <= 0 or count != count.to_integral_value():
        raise InvalidValue("bundles sold must be a whole number above zero")
    with db.transaction(readonly=True) as uow:
        line, _, _ = uow.plans.line(line_id)
        line.require_approved(PlanAction.BUNDLE, "selling the bundle")
        anchor = uow.catalog.product(line.lot.sku)
    whole = to_decimal(line.detail["bundle_price"], "bundle price")
    ratio = to_decimal(line.detail.get("anchor_ratio", str(line.proposed_ratio)), "anchor ratio")
    anchor_price = min((anchor.list_price.amount * ratio).quantize(CENT), whole)
    sale = RecordSale(
        line.lot.location_code,
        (
            SaleLine(count, line.lot.sku, anchor_price, line.lot.lot_code),
            SaleLine(count, line.detail["partner"], whole - anchor_price),
        ),
        at,
        reference=f"{BUNDLE_REFERENCE} {line_id}",
        idempotency_key=idempotency_key,
    )
    return record_sale(db, sale)
