"""Markdown proposals for a shop's open lots: what price each lot should have
now, whether to donate part of it, and why (``clearance.markdown``).

For every product at a location the lots are taken oldest first; each lot's
plan sees the demand forecast over the days until it leaves sale (the ladder's
pull-off point), the fresher lots of the product that customers prefer at
equal price, its current price and the product's guardrails (floor, the
brand's ladder and steps). The store's clearance cap then keeps at most
``Guardrails.exposure_cap`` of the products it displays on clearance.

These are proposals: nothing is written. A price is applied by the manager
(``shelfpilot`` price change), which records it in the ledger.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shelfpilot.clearance.costbenefit import CostBenefitRow, cost_benefit
from shelfpilot.clearance.exposure import Candidate, within_cap
from shelfpilot.clearance.markdown import (
    Economics,
    MarkdownProblem,
    fresher_stock,
    reason,
    solve,
)
from shelfpilot.clearance.ordering import within_a_days_order
from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import NotFound, Text
from shelfpilot.domain.guardrails import Guardrails, PriceLadder
from shelfpilot.domain.ladder import LadderPolicy
from shelfpilot.domain.lots import local_day, require_aware
from shelfpilot.domain.money import Money, estimate
from shelfpilot.forecast.lot_risk import demand_position
from shelfpilot.services.expiry_risk import demand_from_now
from shelfpilot.services.forecasting import (
    NotEnoughHistory,
    local_today,
    model_for,
    predict_days,
)
from shelfpilot.services.price_response import (
    by_category,
    check_elasticity,
    response_from_history,
    shop_categories,
)
from shelfpilot.storage import Database, LotView, UnitOfWork


@dataclass(frozen=True, slots=True)
class Proposal:
    location: str
    sku: str
    product_name: str
    lot_code: str
    on_hand: Decimal
    sellable_until: datetime
    list_price: Money
    current_ratio: float
    ratio_now: float
    donate_now: Decimal
    left_if_held: float
    left_with_plan: float
    gain: float
    reason: str
    held_by_cap: bool = False
    category: str = ""
    unit: str = "pcs"
    allergens: frozenset[str] | None = None
    #: unit cost + disposal: what a wasted unit costs
    waste_cost: float = 0.0
    #: the whole plan's expected gain over holding today's price to the end
    plan_gain: float = 0.0
    #: received today and within what the day's demand warrants: its price
    #: holds, and it is neither bundled nor offered to a channel, until the
    #: day's sales are seen
    waiting_for_sales: bool = False
    #: the optimiser's problem for this lot (for the cost–benefit table)
    problem: MarkdownProblem | None = field(default=None, compare=False, repr=False)

    @property
    def price_now(self) -> Money:
        """The proposed price, to the cent (ratios are kept to two places)."""
        ratio = estimate(self.ratio_now, 4)
        return Money(self.list_price.rounded() * ratio, self.list_price.currency)

    @property
    def changes(self) -> bool:
        return self.ratio_now < self.current_ratio - 1e-9 or self.donate_now > 0


@dataclass(frozen=True)
class ProposalReport:
    as_of: datetime
    proposals: list[Proposal]
    notes: list[str] = field(default_factory=list)
    #: mean daily demand forecast per (location, sku) over the horizon
    daily_demand: dict[tuple[str, str], float] = field(default_factory=dict)


def propose_markdowns(
    db: Database,
    as_of: datetime,
    *,
    location: str | None = None,
    model_path: Path | None = None,
    horizon: int = 14,
    elasticity: float | None = None,
    guardrails: Guardrails | None = None,
    ladder: PriceLadder | None = None,
    disposal_cost: float = 0.0,
    donation_value: float = 0.0,
) -> ProposalReport:
    """One proposal per open lot with a forecast; too little history gives an
    empty report with a note, never an error. Demand answers price with
    ``elasticity`` when given, else as the shop's own sales show, category by
    category (``services.price_response``)."""
    at = require_aware(as_of, "as-of time")
    guard, steps = guardrails or Guardrails(), ladder or PriceLadder()
    check_elasticity(elasticity)
    first, zones = local_today(db, at, location)
    try:
        ready = model_for(db, first - timedelta(days=1), model_path, False)
    except NotEnoughHistory as error:
        return ProposalReport(at, [], [f"no markdown proposals: {error}"])
    forecast = predict_days(ready, first, horizon + 1)
    beta_of = by_category(
        elasticity, lambda: response_from_history(ready.history.frame, shop_categories(db))
    )
    by_series = {str(uid): rows for uid, rows in forecast.groupby("unique_id")}
    proposals: list[Proposal] = []
    held: dict[tuple[str, str, str], Proposal] = {}  # what to propose if the cap says no
    gains: dict[tuple[str, str], float] = {}
    shown: dict[str, set[str]] = defaultdict(set)
    cleared: dict[str, set[str]] = defaultdict(set)
    with db.transaction(readonly=True) as uow:
        policy = uow.catalog.ladder_policy()
        groups: dict[tuple[str, str], list[LotView]] = defaultdict(list)
        products: dict[str, Product] = {}
        prices: dict[int, Decimal | None] = {}  # lot id -> its latest price change
        changed: dict[int, int] = {}  # lot id -> its price changes today, in its store's day
        for view in uow.stock.lots_with_totals(at, location_code=location):
            if view.on_hand > 0:
                loc, sku = view.lot.location_code, view.lot.sku
                groups[(loc, sku)].append(view)
                shown[loc].add(sku)
                if sku not in products:
                    products[sku] = uow.catalog.product(sku)
                price = prices[view.lot_id] = uow.stock.price_at(view.lot.key, at)
                start, end = local_day(at, zones.get(loc) or ZoneInfo(view.timezone))
                changed[view.lot_id] = uow.stock.price_changes(view.lot.key, start, end)
                if price is not None and price < products[sku].list_price.amount:
                    cleared[loc].add(sku)
        for (loc, sku), views in sorted(groups.items()):
            found = by_series.get(f"{loc}/{sku}")
            if found is None:
                continue
            zone = zones.get(loc) or ZoneInfo(views[0].timezone)
            profile = ready.history.profiles.get(loc)
            mean, sd = demand_from_now(found, at, zone, profile, horizon)
            today = (float(mean[0]), float(sd[0])) if len(mean) else None
            product = products[sku]
            rules = replace(guard, floor=float(product.price_floor_ratio))
            views = sorted(views, key=lambda v: v.lot.expires_at)
            waiting = _waiting_for_sales(uow, views, at, zone, policy)
            for k, view in enumerate(views):
                until = policy.for_sku(sku, view.category).sellable_until(view.lot.expires_at)
                pos = demand_position(until, at, zone, profile)
                periods = [min(1.0, pos - d) for d in range(math.ceil(pos)) if d < len(mean)]
                if not periods:
                    continue
                pm = [mean[d] * f for d, f in enumerate(periods)]
                ps = [sd[d] * math.sqrt(f) for d, f in enumerate(periods)]
                fresher = float(sum(v.on_hand for v in views[k + 1 :]))
                list_price = product.list_price.amount
                current = prices[view.lot_id]
                ratio = float(current / list_price) if current is not None else 1.0
                economics = Economics(
                    list_price=float(list_price),
                    unit_cost=float(view.lot.unit_cost.amount),
                    disposal_cost=disposal_cost,
                    donation_value=donation_value,
                )
                sized = (
                    view.lot_id in waiting.arrived
                    and today is not None
                    and bool(
                        within_a_days_order(
                            waiting.stock, *today, economics, product.shelf_life / timedelta(days=1)
                        )
                    )
                )
                problem = MarkdownProblem(
                    stock=float(view.on_hand),
                    mean=pm,
                    sd=ps,
                    elasticity=beta_of(view.category),
                    economics=economics,
                    current=min(ratio, 1.0),
                    donation_periods=_donation_days(at, until, zone, len(periods), guard),
                    ladder=steps,
                    guardrails=rules,
                    ahead=fresher_stock(fresher, pm),
                    may_change_now=not sized
                    and rules.changes_violation(changed[view.lot_id]) is None,
                )
                plan = solve(problem)
                why = reason(plan, problem.current)
                if sized:
                    why = Text(
                        "received today and no more than the day's demand warrants: "
                        "its price holds until the day's sales are seen: {why}",
                        why=why,
                    )
                elif not problem.may_change_now:
                    why = Text(
                        "no more price changes today ({made} made): {why}",
                        made=changed[view.lot_id],
                        why=why,
                    )
                base = Proposal(
                    location=loc,
                    sku=sku,
                    product_name=view.name_en or view.name_zh,
                    lot_code=view.lot.code,
                    on_hand=view.on_hand,
                    sellable_until=until.astimezone(zone),
                    list_price=product.list_price,
                    current_ratio=problem.current,
                    ratio_now=plan.ratio_now,
                    donate_now=_units(plan.donate_now),
                    left_if_held=plan.hold.left,
                    left_with_plan=plan.plan.left,
                    gain=0.0,
                    reason=why,
                    category=view.category,
                    unit=product.unit,
                    allergens=product.allergens,
                    waste_cost=problem.economics.waste_cost,
                    plan_gain=plan.gain,
                    waiting_for_sales=sized,
                    problem=problem,
                )
                if plan.ratio_now < problem.current - 1e-9:
                    hold = solve(replace(problem, may_change_now=False))
                    gain = plan.plan.objective - hold.plan.objective
                    gains[(loc, sku)] = gains.get((loc, sku), 0.0) + gain
                    base = replace(base, gain=gain)
                    held[(loc, sku, view.lot.code)] = replace(
                        base,
                        ratio_now=hold.ratio_now,
                        donate_now=_units(hold.donate_now),
                        left_with_plan=hold.plan.left,
                        gain=hold.gain,
                        plan_gain=hold.gain,
                        held_by_cap=True,
                        reason=Text(
                            "the store's clearance cap is full: {why}",
                            why=reason(hold, problem.current),
                        ),
                    )
                proposals.append(base)
    out = _cap(proposals, held, gains, shown, cleared, guard.exposure_cap)
    demand = {
        (loc, sku): float(rows["mean"].mean())
        for uid, rows in by_series.items()
        for loc, _, sku in [uid.partition("/")]
    }
    return ProposalReport(at, out, ready.notes, demand)


@dataclass(frozen=True, slots=True)
class _Waiting:
    #: lots of the product received today, before any of the day's sales
    arrived: frozenset[int]
    #: the product's stock still sellable now
    stock: float


def _waiting_for_sales(
    uow: UnitOfWork, views: list[LotView], at: datetime, zone: ZoneInfo, policy: LadderPolicy
) -> _Waiting:
    """A product's lots that arrived today (the store's day) while it has
    sold nothing yet today, and its sellable stock: such a lot keeps its
    price while that stock is within what a shrink-aware order would hold for
    the rest of the day (``ordering.within_a_days_order``), like the
    simulator's policy at the day's first decision."""
    day = at.astimezone(zone).date()
    fresh = [v.lot_id for v in views if v.lot.received_at.astimezone(zone).date() == day]
    loc, sku = views[0].lot.location_code, views[0].lot.sku
    if not fresh or uow.stock.sales_between(loc, sku, local_day(at, zone)[0], at):
        return _Waiting(frozenset(), 0.0)
    sellable = sum(
        float(v.on_hand)
        for v in views
        if policy.for_sku(sku, v.category).sellable_until(v.lot.expires_at) > at
    )
    return _Waiting(frozenset(fresh), sellable)


def _units(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.001"))


def _donation_days(
    at: datetime, until: datetime, zone: ZoneInfo, days: int, guard: Guardrails
) -> int:
    """How many of the lot's first days (today from now, then whole days from
    midnight) start with at least the donation cut-off of life left."""
    local = at.astimezone(zone)
    count = 0
    for d in range(days):
        start = (
            local
            if d == 0
            else (local + timedelta(days=d)).replace(hour=0, minute=0, second=0, microsecond=0)
        )
        if (until - start).total_seconds() / 3600 < guard.donation_min_hours:
            break
        count += 1
    return count


def _cap(
    proposals: list[Proposal],
    held: dict[tuple[str, str, str], Proposal],
    gains: dict[tuple[str, str], float],
    shown: dict[str, set[str]],
    cleared: dict[str, set[str]],
    cap: float,
) -> list[Proposal]:
    """New markdowns on at most ``cap`` of the products each store shows
    (every product with open stock, forecast or not); the others get the plan
    made with their price held."""
    allowed: set[object] = set()
    for loc, skus in shown.items():
        candidates = [
            Candidate(
                (loc, sku), sku in cleared[loc], (loc, sku) in gains, gains.get((loc, sku), 0.0)
            )
            for sku in skus
        ]
        allowed |= within_cap(candidates, len(skus), cap)
    out = []
    for p in proposals:
        key = (p.location, p.sku)
        refused = key in gains and p.sku not in cleared[p.location] and key not in allowed
        out.append(held.get((p.location, p.sku, p.lot_code), p) if refused else p)
    return out


def cost_benefit_for(
    db: Database,
    as_of: datetime,
    location: str,
    sku: str,
    lot_code: str,
    *,
    promotion_cost: float = 0.0,
    handling_cost: float = 0.0,
    **options: Any,
) -> tuple[Proposal, list[CostBenefitRow]]:
    """The seed's cost–benefit table for one open lot, price level by price level."""
    report = propose_markdowns(db, as_of, location=location, **options)
    for p in report.proposals:
        if (p.sku, p.lot_code) == (sku, lot_code) and p.problem is not None:
            rows = cost_benefit(
                p.problem, promotion_cost=promotion_cost, handling_cost=handling_cost
            )
            return p, rows
    raise NotFound(
        "no open lot {lot} of {sku} at {location} with a forecast as of {at}; "
        "see `shelfpilot plan --preview`",
        lot=lot_code,
        sku=sku,
        location=location,
        at=f"{as_of:%Y-%m-%d %H:%M}",
    )
