"""Feedback from clearance into production and purchasing.

``action_outcomes`` reads, for every decided plan line, what the ledger says
happened to the lot after the decision (a rejected line is the control: the
lot kept its price). ``production_advice`` looks back over the lots received
lately, finds the products that keep needing clearance, and recommends a
daily quantity from the demand forecast with a newsvendor that charges a
left-over unit its waste cost less what clearance has actually recovered for
that product (shrunk toward its store's, ``clearance.ordering``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from shelfpilot.clearance.feedback import (
    OUTCOME_COLUMNS,
    clearance_pressure,
    rank_actions,
    store_salvage,
)
from shelfpilot.clearance.markdown import Economics
from shelfpilot.clearance.ordering import DEFAULT_SALVAGE, OrderRule, sold_anyway
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.ledger import (
    BUNDLE_REFERENCE,
    CHANNEL_REFERENCE,
    PRE_ORDER_REFERENCE,
    EntryKind,
    LedgerEntry,
    referenced_as,
)
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.plans import LineStatus, PlanAction, PlanLine
from shelfpilot.services.channels import logistics_by_lot
from shelfpilot.services.forecasting import NotEnoughHistory, local_today, model_for, predict_days
from shelfpilot.services.presales import due_by_day
from shelfpilot.services.price_response import by_category, price_response
from shelfpilot.storage import Database, UnitOfWork

#: days ahead the production advice looks (demand level, pre-orders due)
ADVICE_DAYS = 7


def _action(line: PlanLine) -> str:
    if line.status is LineStatus.REJECTED:
        return "hold"
    assert line.decided_ratio is not None
    cut = line.decided_ratio < line.current_ratio
    if cut and line.donate > 0:
        return "markdown+donation"
    return "markdown" if cut else "donation"


def _entries_by_lot(uow: UnitOfWork, keys: set[LotKey]) -> dict[LotKey, list[LedgerEntry]]:
    found: dict[LotKey, list[LedgerEntry]] = defaultdict(list)
    for loc, sku in sorted({(k.location_code, k.sku) for k in keys}):
        for record in uow.stock.ledger(location_code=loc, sku=sku):
            if record.entry.lot in keys:
                found[record.entry.lot].append(record.entry)
    return found


def _removed(entries: list[LedgerEntry], kind: EntryKind) -> float:
    return -float(sum(e.quantity for e in entries if e.kind is kind))


def _other_line(entry: LedgerEntry, line_id: int | None) -> bool:
    """An entry another plan line posted (a channel's dispatch, return or
    sales, another line's donation): not this line's doing."""
    tags = f"{entry.reference or ''} {entry.note or ''}"
    found = re.findall(r"plan line (\d+)", tags)
    return bool(found) and str(line_id) not in found


def _via_channel(entry: LedgerEntry) -> bool:
    return referenced_as(entry.reference, CHANNEL_REFERENCE)


def _sales(entries: list[LedgerEntry]) -> tuple[float, float]:
    sales = [e for e in entries if e.kind in (EntryKind.SALE, EntryKind.RETURN)]
    revenue = -sum(
        (e.quantity * e.unit_price.amount for e in sales if e.unit_price is not None), Decimal(0)
    )
    return -float(sum(e.quantity for e in sales)), float(revenue)


def _row(line: PlanLine, action: str, segment: str, **figures: object) -> dict[str, object]:
    return {
        "location": line.lot.location_code, "sku": line.lot.sku, "lot": line.lot.lot_code,
        "action": action, "segment": segment, **figures,
    }  # fmt: skip


def action_outcomes(db: Database, as_of: datetime, *, location: str | None = None) -> pd.DataFrame:
    """One row per decided plan line up to ``as_of`` (columns ``OUTCOME_COLUMNS``).

    A markdown (or a rejected line, the control) counts the lot's store sales
    from its decision to the lot's next markdown decision; a channel line
    counts what was sent and what that channel sold (its sales carry the
    line in their reference); a bundle line counts the lot's till sales made
    as that bundle (``bundling.sell_bundles``), the partner being the segment."""
    at = require_aware(as_of, "as-of time")
    with db.transaction(readonly=True) as uow:
        lines = [
            line
            for plan in uow.plans.plans(location_code=location)
            for line in plan.lines
            if not line.is_open and line.decided_at is not None and line.decided_at <= at
        ]
        entries = _entries_by_lot(uow, {line.lot for line in lines})
        lots = {line.lot: uow.stock.lot(line.lot) for line in lines}
        prices = {
            line.lot.sku: float(uow.catalog.product(line.lot.sku).list_price.amount)
            for line in lines
        }
    rows = []
    markdowns: dict[LotKey, list[PlanLine]] = defaultdict(list)
    for line in lines:
        if line.action is PlanAction.MARKDOWN:
            markdowns[line.lot].append(line)
        elif line.action is PlanAction.CHANNEL and line.status is not LineStatus.REJECTED:
            own = [e for e in entries[line.lot] if e.occurred_at <= at]
            rows.append(_channel_row(line, own, prices[line.lot.sku]))
        elif line.action is PlanAction.BUNDLE and line.status is not LineStatus.REJECTED:
            own = [e for e in entries[line.lot] if e.occurred_at <= at]
            closed = lots[line.lot].expires_at <= at
            rows.append(_bundle_row(line, own, prices[line.lot.sku], closed))
    for lot, decided in markdowns.items():
        decided.sort(key=lambda x: x.decided_at or at)
        for k, line in enumerate(decided):
            assert line.decided_at is not None
            start = line.decided_at
            nxt = decided[k + 1].decided_at if k + 1 < len(decided) else None
            own = [e for e in entries[lot] if not _other_line(e, line.line_id)]
            before = [e for e in entries[lot] if e.occurred_at < start]
            after = [
                e for e in own
                if start <= e.occurred_at <= at and (nxt is None or e.occurred_at < nxt)
            ]  # fmt: skip
            offered = float(sum(e.quantity for e in before))
            sold, revenue = _sales([e for e in after if not _via_channel(e)])
            left = offered + float(sum(e.quantity for e in after))
            last = max((e.occurred_at for e in after if e.quantity < 0), default=None)
            rows.append(
                _row(
                    line,
                    _action(line),
                    "in store",
                    offered=offered,
                    sold=sold,
                    revenue=revenue,
                    list_value=offered * prices[lot.sku],
                    donated=_removed(after, EntryKind.DONATION),
                    wasted=_removed(after, EntryKind.DISPOSAL),
                    hours_to_clear=(last - start) / timedelta(hours=1)
                    if left <= 0 and last
                    else np.nan,
                    closed=left <= 0 or lots[lot].expires_at <= at,
                )
            )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def _bundle_row(
    line: PlanLine, own: list[LedgerEntry], list_price: float, expired: bool
) -> dict[str, object]:
    """What the till sold of the lot as this bundle (``bundling.sell_bundles``)."""
    start = line.decided_at or datetime.max.replace(tzinfo=UTC)
    tag = f"{BUNDLE_REFERENCE} {line.line_id}"
    offered = float(sum(e.quantity for e in own if e.occurred_at < start))
    after = [e for e in own if e.occurred_at >= start]
    mine = [e for e in after if e.reference == tag]
    sold, revenue = _sales(mine)
    last = max((e.occurred_at for e in mine if e.kind is EntryKind.SALE), default=None)
    left = float(sum(e.quantity for e in own))
    return _row(
        line, "bundle", f"with {line.detail.get('partner', '?')}", offered=offered, sold=sold,
        revenue=revenue, list_value=offered * list_price,
        donated=_removed(after, EntryKind.DONATION), wasted=_removed(after, EntryKind.DISPOSAL),
        hours_to_clear=(last - start) / timedelta(hours=1) if left <= 0 and last else np.nan,
        closed=left <= 0 or expired,
    )  # fmt: skip


def _channel_row(line: PlanLine, own: list[LedgerEntry], list_price: float) -> dict[str, object]:
    channel = line.detail.get("channel", "")
    tag = f"plan line {line.line_id}"
    sent = [e for e in own if e.note and e.note.endswith(tag) and e.quantity < 0]
    mine = [e for e in own if (e.reference or "").endswith(tag) and _via_channel(e)]
    offered = -float(sum(e.quantity for e in sent))
    sold, revenue = _sales(mine)
    donated = _removed(sent, EntryKind.DONATION)
    last = max((e.occurred_at for e in mine if e.kind is EntryKind.SALE), default=None)
    start = line.decided_at
    settled = donated > 0 or any(e.kind is EntryKind.TRANSFER_IN for e in mine)
    return _row(
        line, "channel", channel, offered=offered, sold=sold, revenue=revenue,
        list_value=offered * list_price, donated=donated, wasted=0.0,
        hours_to_clear=(last - start) / timedelta(hours=1) if last and start else np.nan,
        closed=settled,
    )  # fmt: skip


def action_ranking(
    db: Database,
    as_of: datetime,
    *,
    location: str | None = None,
    by: Sequence[str] = ("sku", "action", "segment"),
) -> pd.DataFrame:
    """Products × actions × segments (or the groups ``by`` names), what
    clears best first (``rank_actions``)."""
    return rank_actions(action_outcomes(db, as_of, location=location), by)


@dataclass(frozen=True)
class ProductionAdvice:
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _received_lots(
    uow: UnitOfWork,
    since: datetime,
    at: datetime,
    location: str | None,
    elasticity: Callable[[str], float],
) -> pd.DataFrame:
    """One row per lot received in [since, at] that has closed by ``at``
    (sold out, or expired: what is still on hand then counts as waste). Its
    discounted revenue is net of what sending units to channels cost
    (``logistics_by_lot``): a channel that sold every unit sent at 60 % of
    list, with a tenth of list in logistics a unit, recovered half of list.
    Of the discounted sales in the store (not through a channel), those the
    price response says would have been made at list are counted apart
    (``sold_anyway``, with ``elasticity`` of the lot's category)."""
    views = [
        v
        for v in uow.stock.lots_with_totals(at, location_code=location, open_only=False)
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
            if e.unit_price is not None and not _via_channel(e)
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
) -> ProductionAdvice:
    """For products whose lots needed clearance at least ``threshold`` of the
    time in the last ``lookback_days``, and for products with pre-orders due
    in the coming week: a daily quantity that accounts for shrink, beside
    what was received per day, and the stock to hold tomorrow morning given
    the units reserved for collection tomorrow (``OrderRule.with_reserved``).
    ``elasticity`` is the price response the markdown plans use (None: as
    the shop's own sales show, by category): it tells which discounted
    sales would have been made at list anyway."""
    at = require_aware(as_of, "as-of time")
    if not 1 <= lookback_days <= 366:
        raise InvalidValue("look back between 1 and 366 days")
    first, _ = local_today(db, at, location)
    beta_of = by_category(elasticity, lambda: price_response(db, at))
    with db.transaction(readonly=True) as uow:
        lots = _received_lots(uow, at - timedelta(days=lookback_days), at, location, beta_of)
        products = {p.sku: p for p in uow.catalog.products()}
        due = due_by_day(uow, first + timedelta(days=1), ADVICE_DAYS, location)
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
    try:
        ready = model_for(db, first - timedelta(days=1), model_path, False)
    except NotEnoughHistory as error:
        if not due:
            return ProductionAdvice(flagged, [f"no quantities: {error}"])
        notes = [f"no forecast: {error}"]
    else:
        forecast = predict_days(ready, first + timedelta(days=1), ADVICE_DAYS)
        demand = {str(uid): rows.sort_values("ds") for uid, rows in forecast.groupby("unique_id")}
        notes = list(ready.notes)
    received = lots.groupby(["location", "sku"])["received"].sum().to_dict() if len(lots) else {}
    rows = []
    for loc, sku in keys:
        product = products[sku]
        days = demand.get(f"{loc}/{sku}")
        reserved = due.get((loc, sku), [0.0] * ADVICE_DAYS)
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
            if days is not None
            else (0.0, 0.0)
        )
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
                "tomorrow": rule.with_reserved(*first_day, reserved[0]),
            }
        )
    return ProductionAdvice(pd.DataFrame(rows), notes)
