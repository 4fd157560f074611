"""What clearance teaches production and purchasing.

``production_advice`` looks back over the lots received lately, finds the
products that keep needing clearance (and those with pre-orders due), and
recommends a daily quantity from the demand forecast with a newsvendor that
charges a left-over unit its waste cost less what clearance has actually
recovered for that product (shrunk toward its store's, ``clearance.ordering``),
then what to receive tomorrow net of the stock carried over.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from shelfpilot.clearance.feedback import clearance_pressure, store_salvage
from shelfpilot.clearance.markdown import Economics
from shelfpilot.clearance.ordering import (
    DEFAULT_SALVAGE,
    OrderRule,
    carried_over,
    sold_anyway,
    to_receive,
)
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.ledger import (
    CHANNEL_REFERENCE,
    PRE_ORDER_REFERENCE,
    EntryKind,
    LedgerEntry,
    referenced_as,
)
from shelfpilot.domain.lots import LotKey, local_day, require_aware
from shelfpilot.forecast.lot_risk import Array, remaining_share
from shelfpilot.services.channels import logistics_by_lot
from shelfpilot.services.forecasting import NotEnoughHistory, local_today, model_for, predict_days
from shelfpilot.services.presales import due_by_day
from shelfpilot.services.price_response import by_category, price_response
from shelfpilot.storage import Database, LotView, UnitOfWork

#: days ahead the production advice looks (demand level, pre-orders due)
ADVICE_DAYS = 7


@dataclass(frozen=True)
class ProductionAdvice:
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _received_lots(
    uow: UnitOfWork,
    every: list[LotView],
    since: datetime,
    at: datetime,
    elasticity: Callable[[str], float],
) -> pd.DataFrame:
    """One row per lot received in [since, at] that has closed by ``at``
    (sold out, or expired: what is still on hand then counts as waste). Its
    discounted revenue is net of what sending units to channels cost
    (``logistics_by_lot``): a channel that sold every unit sent at 60 % of
    list, with a tenth of list in logistics a unit, recovered half of list.
    Of the discounted sales in the store (not through a channel), those the
    price response says would have been made at list are counted apart
    (``sold_anyway``, with ``elasticity`` of the lot's category). ``every``
    is every lot received by ``at`` with its ledger summed up to then."""
    views = [
        v
        for v in every
        if v.lot.received_at >= since and (v.on_hand <= 0 or v.lot.expires_at <= at)
    ]
    logistics = logistics_by_lot(uow) if views else {}
    sales: dict[LotKey, list[LedgerEntry]] = defaultdict(list)
    for loc, sku in sorted({(v.lot.location_code, v.lot.sku) for v in views}):
        for record in uow.stock.ledger(location_code=loc, sku=sku, until=at):
            if record.entry.kind in (EntryKind.SALE, EntryKind.RETURN):
                sales[record.entry.lot].append(record.entry)
    rows = []
    for view in views:
        lot = view.lot
        price = uow.catalog.product(lot.sku).list_price.amount
        cut = [
            e
            for e in sales[lot.key]
            if e.unit_price is not None
            and e.unit_price.amount < price
            and not referenced_as(e.reference, PRE_ORDER_REFERENCE)
        ]  # a pre-order's agreed price is a sale made ahead, not a clearance
        totals = view.totals
        sold = -float(sum(e.quantity for e in sales[lot.key]))
        sold_cut = -float(sum(e.quantity for e in cut))
        revenue_cut = -sum(
            (e.quantity * e.unit_price.amount for e in cut if e.unit_price), Decimal(0)
        )
        sent_cost = logistics.get(uow.stock.lot_id(lot.key), 0.0) if logistics else 0.0
        anyway = sum(
            float(
                sold_anyway(
                    -float(e.quantity),
                    float(e.unit_price.amount / price),
                    elasticity(view.category),
                )
            )
            for e in cut
            if e.unit_price is not None and not referenced_as(e.reference, CHANNEL_REFERENCE)
        )
        rows.append(
            {
                "location": lot.location_code,
                "sku": lot.sku,
                "received": float(totals.get(EntryKind.RECEIPT, 0)),
                "sold_full": sold - sold_cut,
                "sold_discounted": sold_cut,
                "revenue_discounted": float(revenue_cut) - sent_cost,
                "sold_anyway": anyway,
                "list_price": float(price),
                "donated": -float(totals.get(EntryKind.DONATION, 0)),
                "wasted": -float(totals.get(EntryKind.DISPOSAL, 0)) + max(float(view.on_hand), 0.0),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class _OnHand:
    """A product's open lots at a location: units in lots leaving sale today,
    in lots still sellable tomorrow, and what today's clearance plan expects
    those to have left when they leave sale (each at most its lot's stock)."""

    leaving_today: float = 0.0
    staying: float = 0.0
    plan_left: float = 0.0
    #: whether the store has a clearance plan for today
    planned: bool = False


def _on_hand(uow: UnitOfWork, every: list[LotView], at: datetime) -> dict[tuple[str, str], _OnHand]:
    """``_OnHand`` per (location, sku), from ``every`` lot received by ``at``
    (those with nothing left are skipped). A lot leaves sale when the expiry
    ladder pulls it (``sellable_until``), not at its expiry; today (and its
    plan) is each store's own."""
    found: dict[tuple[str, str], _OnHand] = defaultdict(_OnHand)
    plans: dict[str, dict[LotKey, Decimal] | None] = {}
    policy = uow.catalog.ladder_policy()
    for view in every:
        lot, units = view.lot, float(view.on_hand)
        until = policy.for_sku(lot.sku, view.category).sellable_until(lot.expires_at)
        if units <= 0 or until <= at:
            continue
        zone = ZoneInfo(view.timezone)
        mine = found[(lot.location_code, lot.sku)]
        if until <= local_day(at, zone)[1]:
            mine.leaving_today += units
            continue
        mine.staying += units
        if lot.location_code not in plans:
            plan = uow.plans.find_plan(lot.location_code, at.astimezone(zone).date())
            plans[lot.location_code] = plan.left_by_lot() if plan else None
        planned = plans[lot.location_code]
        mine.planned = planned is not None
        left = planned.get(lot.key) if planned is not None else None
        mine.plan_left += min(float(left), units) if left is not None else 0.0
    return found


def _rest_of_today(
    series: pd.DataFrame, today: date, at: datetime, zone: ZoneInfo, profile: Array | None
) -> float:
    """The demand forecast for the rest of the store's day after ``at``."""
    row = series[series["ds"] == pd.Timestamp(today)]
    mean = float(row["mean"].iloc[0]) if len(row) else 0.0
    return mean * remaining_share(at, zone, profile) if math.isfinite(mean) else 0.0


def production_advice(
    db: Database,
    as_of: datetime,
    *,
    location: str | None = None,
    lookback_days: int = 28,
    threshold: float = 0.3,
    disposal_cost: float = 0.0,
    donation_value: float = 0.0,
    model_path: Path | None = None,
    elasticity: float | None = None,
    train: bool = True,
) -> ProductionAdvice:
    """For products whose lots needed clearance at least ``threshold`` of the
    time in the last ``lookback_days``, and for products with pre-orders due
    in the coming week: a daily quantity that accounts for shrink, beside
    what was received per day, and the stock to hold tomorrow morning given
    the units reserved for collection tomorrow (``OrderRule.with_reserved``),
    and what to receive for tomorrow (``ordering.to_receive``): that stock
    less what is expected to be carried over to the opening (``carried_over``:
    on hand now, less the demand still to come today beyond the lots leaving
    sale today) and less what today's clearance plan expects those lots to
    have left when they leave sale (``Plan.left_by_lot``).
    ``elasticity`` is the price response the markdown plans use (None: as
    the shop's own sales show, by category): it tells which discounted
    sales would have been made at list anyway. With ``train`` False (a read
    over the API) the demand model is not trained or saved
    (``forecasting.model_for``)."""
    at = require_aware(as_of, "as-of time")
    if not 1 <= lookback_days <= 366:
        raise InvalidValue("look back between 1 and 366 days")
    first, zones = local_today(db, at, location)
    beta_of = by_category(elasticity, lambda: price_response(db, at))
    with db.transaction(readonly=True) as uow:
        # every lot received by then: the closed ones teach, the open ones are carried over
        every = uow.stock.lots_with_totals(at, location_code=location, open_only=False)
        lots = _received_lots(uow, every, at - timedelta(days=lookback_days), at, beta_of)
        products = {p.sku: p for p in uow.catalog.products()}
        # a store already on the next day reads its pre-orders one day on
        due = due_by_day(uow, first + timedelta(days=1), ADVICE_DAYS + 1, location)
        stock = _on_hand(uow, every, at)
    pressure = clearance_pressure(lots, threshold)
    pooled = store_salvage(lots)
    flagged = pressure[pressure["flagged"]] if not pressure.empty else pressure
    known = {(str(r["location"]), str(r["sku"])): r for r in pressure.to_dict("records")}
    keys = sorted(
        {(str(loc), str(sku)) for loc, sku in zip(flagged["location"], flagged["sku"], strict=True)}
        | set(due)
    )
    if not keys:
        return ProductionAdvice(
            flagged,
            ["no product needed clearance often enough to change its quantity, "
             "and no pre-orders are due"],
        )  # fmt: skip
    demand: dict[str, pd.DataFrame] = {}
    profiles: dict[str, Array] = {}
    try:
        ready = model_for(db, first - timedelta(days=1), model_path, False, train=train)
    except NotEnoughHistory as error:
        if not due:
            return ProductionAdvice(flagged, [f"no quantities: {error}"])
        notes = [f"no forecast: {error}"]
    else:
        # from the earliest store's today to the week after the latest's
        forecast = predict_days(ready, first, ADVICE_DAYS + 2)
        demand = {str(uid): rows.sort_values("ds") for uid, rows in forecast.groupby("unique_id")}
        profiles = dict(ready.history.profiles)
        notes = list(ready.notes)
    carrying = [(loc, stock.get((loc, sku), _OnHand())) for loc, sku in keys]
    unplanned = sorted({loc for loc, held in carrying if held.staying > 0 and not held.planned})
    if unplanned:
        notes.append(
            f"no clearance plan for today at {', '.join(unplanned)}: what older lots "
            "will have left is not counted against tomorrow (make the day's plan first)"
        )
    received = lots.groupby(["location", "sku"])["received"].sum().to_dict() if len(lots) else {}
    rows = []
    for loc, sku in keys:
        product = products[sku]
        zone = zones.get(loc)
        today = at.astimezone(zone).date() if zone else first
        series = demand.get(f"{loc}/{sku}")
        days = None if series is None else series[series["ds"] > pd.Timestamp(today)]
        days = None if days is None else days.head(ADVICE_DAYS)
        ahead = (today - first).days
        reserved = due.get((loc, sku), [0.0] * (ADVICE_DAYS + 1))[ahead : ahead + ADVICE_DAYS]
        if days is None:
            if not any(reserved):
                continue
            notes.append(f"{sku} at {loc}: no forecast yet, so only its pre-orders are counted")
        seen = known.get((loc, sku), {})
        lots_seen = int(seen.get("lots", 0))
        # a product with no lots here yet counts on its store's recovery
        salvage = float(seen.get("salvage", pooled.get(loc, DEFAULT_SALVAGE)))
        rule = OrderRule(
            Economics(
                list_price=float(product.list_price.amount),
                unit_cost=float(product.unit_cost.amount),
                disposal_cost=disposal_cost,
                donation_value=donation_value,
            ),
            shelf_life_days=product.shelf_life / timedelta(days=1),
            salvage=salvage,
        )
        mean = float(days["mean"].mean()) if days is not None else 0.0
        sd = float(days["sd"].mean()) if days is not None else 0.0
        first_day = (
            (float(days["mean"].iloc[0]), float(days["sd"].iloc[0]))
            if days is not None and len(days)
            else (0.0, 0.0)
        )
        tomorrow = rule.with_reserved(*first_day, reserved[0])
        held = stock.get((loc, sku), _OnHand())
        rest = (
            _rest_of_today(series, today, at, zone, profiles.get(loc))
            if series is not None and zone is not None
            else 0.0
        )
        carried = carried_over(held.leaving_today, held.staying, rest)
        left_over = min(held.plan_left, carried)
        rows.append(
            {
                "location": loc,
                "sku": sku,
                "name": product.name,
                "lots": lots_seen,
                "cleared_share": seen.get("cleared_share", float("nan")),
                "waste_share": seen.get("waste_share", float("nan")),
                "flagged": bool(seen.get("flagged", False)),
                "salvage": salvage,
                "service_level": rule.fractile,
                "received_per_day": received.get((loc, sku), 0.0) / lookback_days,
                "demand_per_day": mean,
                "recommended_per_day": float(rule.target(mean, sd)),
                "pre_ordered_tomorrow": reserved[0],
                "pre_ordered_week": sum(reserved),
                "tomorrow": tomorrow,
                "carried_over": carried,
                "expected_left_over": left_over,
                "to_receive_tomorrow": float(to_receive(tomorrow, carried, left_over)),
            }
        )
    return ProductionAdvice(pd.DataFrame(rows), notes)
