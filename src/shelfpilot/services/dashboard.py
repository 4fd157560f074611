"""Read models for the dashboard's pages: what a store looks like today, how
clearance went day by day, and one lot's whole story.

Each function is one read-only transaction over the ledger, the plans and
the catalogue; the pages only lay out what comes back. Money is exact
(``Decimal``); waste is valued at cost, what a lot would have brought in at
list price.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.ladder import FRESH
from shelfpilot.domain.ledger import ZERO, EntryKind, LedgerEntry
from shelfpilot.domain.lifecycle import LifecycleRow
from shelfpilot.domain.lots import LotKey, require_aware
from shelfpilot.domain.plans import LineStatus, Plan, PlanLine
from shelfpilot.services.stock_views import lifecycle_table
from shelfpilot.storage import Database

_FAR = datetime(2999, 1, 1, tzinfo=UTC)
#: the kinds that take stock out of a store for good, and how the pages name them
OUTFLOWS = (EntryKind.SALE, EntryKind.DONATION, EntryKind.DISPOSAL)


@dataclass(frozen=True)
class DayResult:
    """What left the shelves on one store-local day."""

    day: date
    sold: Decimal = ZERO
    revenue: Decimal = ZERO
    #: what the units sold would have brought at list price
    list_value: Decimal = ZERO
    donated: Decimal = ZERO
    disposed: Decimal = ZERO
    #: disposed units at cost
    waste_value: Decimal = ZERO

    @property
    def sold_share(self) -> Decimal | None:
        """Units sold out of all units that left (sold, donated or thrown away)."""
        out = self.sold + self.donated + self.disposed
        return (self.sold / out).quantize(Decimal("0.001")) if out > 0 else None

    @property
    def recovery(self) -> Decimal | None:
        """Revenue as a share of the list value of the units sold."""
        return (
            (self.revenue / self.list_value).quantize(Decimal("0.001")) if self.list_value else None
        )


@dataclass(frozen=True)
class Today:
    as_of: datetime
    rows: list[LifecycleRow]
    by_stage: Counter[str]
    #: lots on the ladder past "fresh": they need an action now
    due: list[LifecycleRow]
    plan: Plan | None
    #: expected value (at cost) of the units left when they leave sale
    waste_if_held: Decimal
    waste_with_plan: Decimal
    yesterday: DayResult
    currency: str


@dataclass(frozen=True)
class LotStory:
    row: LifecycleRow
    entries: list[LedgerEntry]
    list_price: Decimal
    currency: str
    #: the store's time zone, in which its staff read the times
    zone: str
    #: (moment, price) from receipt on: list price, then every price change
    price_path: list[tuple[datetime, Decimal]] = field(default_factory=list)


def _costs(db: Database, skus: Iterable[str]) -> dict[str, tuple[Decimal, Decimal, str]]:
    """SKU → (cost, list price, currency)."""
    with db.transaction(readonly=True) as uow:
        out = {}
        for sku in set(skus):
            product = uow.catalog.product(sku)
            out[sku] = (
                product.unit_cost.amount,
                product.list_price.amount,
                product.list_price.currency,
            )
        return out


def totals(days: Iterable[DayResult], day: date) -> DayResult:
    """The days' results added up (shares are then over the whole span)."""
    rows = list(days)
    fields = ("sold", "revenue", "list_value", "donated", "disposed", "waste_value")
    return DayResult(day, **{f: sum((getattr(d, f) for d in rows), ZERO) for f in fields})


def currency(db: Database, location: str) -> str:
    """The currency the store's products are priced in (the first found)."""
    with db.transaction(readonly=True) as uow:
        for view in uow.stock.lots_with_totals(_FAR, location_code=location, open_only=False)[:1]:
            return uow.catalog.product(view.lot.sku).list_price.currency
    return "CNY"


def day_results(
    db: Database, location: str, first: date, last: date, zone: ZoneInfo
) -> list[DayResult]:
    """One row per store-local day from ``first`` to ``last``, days without
    movements included (as zeros)."""
    with db.transaction(readonly=True) as uow:
        records = uow.stock.ledger(location_code=location)
    entries = [
        r.entry for r in records if r.entry.kind in OUTFLOWS or r.entry.kind is EntryKind.RETURN
    ]
    costs = _costs(db, {e.lot.sku for e in entries})
    days: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for e in entries:
        day = e.occurred_at.astimezone(zone).date()
        if not first <= day <= last:
            continue
        cost, list_price, _ = costs[e.lot.sku]
        units = -e.quantity
        figures = days[day]
        if e.kind in (EntryKind.SALE, EntryKind.RETURN):
            figures["sold"] += units
            price = e.unit_price.amount if e.unit_price is not None else list_price
            figures["revenue"] += units * price
            figures["list_value"] += units * list_price
        elif e.kind is EntryKind.DONATION:
            figures["donated"] += units
        else:
            figures["disposed"] += units
            figures["waste_value"] += units * cost
    out = []
    day = first
    while day <= last:
        out.append(DayResult(day, **days.get(day, {})))
        day += timedelta(days=1)
    return out


def today(db: Database, as_of: datetime, location: str, *, language: str = "en") -> Today:
    """The store on its business day: lots by stage, what is due, the value
    the plan expects to save, and yesterday's results."""
    at = require_aware(as_of, "as-of time")
    rows = lifecycle_table(db, at, location=location, language=language)
    with db.transaction(readonly=True) as uow:
        zone = ZoneInfo(uow.catalog.location(location).timezone)
        business_day = at.astimezone(zone).date()
        plan = uow.plans.find_plan(location, business_day)
    costs = _costs(
        db, [r.sku for r in rows] + ([line.lot.sku for line in plan.lines] if plan else [])
    )
    held = with_plan = ZERO
    for lot, (if_held, planned) in left_per_lot(plan).items():
        cost = costs[lot.sku][0]
        held += if_held * cost
        with_plan += planned * cost
    currency = next(iter(costs.values()))[2] if costs else "CNY"
    yesterday = day_results(
        db, location, business_day - timedelta(days=1), business_day - timedelta(days=1), zone
    )[0]
    return Today(
        at,
        rows,
        Counter(r.stage for r in rows),
        [r for r in rows if r.stage != FRESH.code],
        plan,
        held.quantize(Decimal("0.01")),
        with_plan.quantize(Decimal("0.01")),
        yesterday,
        currency,
    )


def left_per_lot(plan: Plan | None) -> dict[LotKey, tuple[Decimal, Decimal]]:
    """Units each lot is expected to have left when it leaves sale, held and
    with the plan. A lot's lines are steps (a markdown, then what channels
    take of the rest), so the first step's start and the last step's end; a
    rejected line changes nothing."""
    by_lot: dict[LotKey, list[PlanLine]] = defaultdict(list)
    for line in plan.lines if plan else ():
        by_lot[line.lot].append(line)
    out = {}
    for lot, lines in by_lot.items():
        held = max(line.left_if_held for line in lines)
        kept = [line.left_with_plan for line in lines if line.status is not LineStatus.REJECTED]
        out[lot] = (held, min(kept, default=held))
    return out


def exposure(db: Database, as_of: datetime, location: str) -> tuple[set[str], set[str]]:
    """The products on show at the store (with stock) and those of them on
    clearance now (a lot priced below list), as the clearance cap counts them."""
    at = require_aware(as_of, "as-of time")
    shown: set[str] = set()
    cleared: set[str] = set()
    with db.transaction(readonly=True) as uow:
        lists: dict[str, Decimal] = {}
        for view in uow.stock.lots_with_totals(at, location_code=location):
            if view.on_hand <= 0:
                continue
            sku = view.lot.sku
            shown.add(sku)
            if sku not in lists:
                lists[sku] = uow.catalog.product(sku).list_price.amount
            price = uow.stock.price_at(view.lot.key, at)
            if price is not None and price < lists[sku]:
                cleared.add(sku)
    return shown, cleared


def lot_story(db: Database, key: LotKey, as_of: datetime, *, language: str = "en") -> LotStory:
    """One lot: its lifecycle row, every ledger entry and its price path."""
    at = require_aware(as_of, "as-of time")
    rows = [
        r
        for r in lifecycle_table(
            db, at, location=key.location_code, sku=key.sku, open_only=False, language=language
        )
        if r.lot_code == key.lot_code
    ]
    if not rows:
        raise NotFound("there is no lot {lot}", lot=key)
    with db.transaction(readonly=True) as uow:
        records = uow.stock.ledger(location_code=key.location_code, sku=key.sku, until=at)
        product = uow.catalog.product(key.sku)
        zone = uow.catalog.location(key.location_code).timezone
    entries = [r.entry for r in records if r.entry.lot == key]
    list_price = product.list_price.amount
    path = [(rows[0].received_at, list_price)]
    for e in entries:
        if e.kind is EntryKind.PRICE_CHANGE and e.unit_price is not None:
            path.append((e.occurred_at, e.unit_price.amount))
    return LotStory(rows[0], entries, list_price, product.list_price.currency, zone, path)
