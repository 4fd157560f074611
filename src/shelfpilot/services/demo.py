"""Build the demo bakery: replay the real Bread Basket history into a fresh
database as lots, sales, stage changes and disposals.

Each trading day (06:00 to 06:00 the next morning, Europe/London):

1. 06:00, one transaction: dispose of every lot that has expired with stock
   left, then receive the morning's production;
2. every real basket up to 18:00 as one sale (FEFO, at its real time);
3. 18:00: the daily ladder run (``stock_views.run_daily``) records stage changes;
4. the evening baskets (events, late openings), one more transaction.

Production never makes a real sale fail, by construction:

- goods keeping under 7 days are made daily: ``ceil(1.15 × that day's real
  units)``. Yesterday's sellable leftovers are *not* subtracted (a bakery bakes
  its day regardless, and a leftover may be pulled off sale mid-day); FEFO sells
  the leftovers first, so today's lot alone always covers today's sales;
- goods keeping 7 days or more arrive weekly (Mondays, and on the first day):
  ``ceil(1.15 × the week's real units)`` minus the stock on hand that is still
  sellable at the week's last sale of the item (lots that leave sale earlier
  are not counted, so what is counted is there for every sale of the week).

Each new lot must still be sellable at the last sale it is meant for; the
build checks this and stops with a clear message if an assumption breaks it.
Quantities come from the whole history, so a build with ``until`` is an exact
prefix of the full build.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from shelfpilot.demo import Basket, bakery, baskets, find_source, read_lines
from shelfpilot.demo.bakery import StockedItem
from shelfpilot.domain.errors import Conflict, InvalidValue
from shelfpilot.domain.ladder import LadderPolicy
from shelfpilot.domain.ledger import EntryKind
from shelfpilot.domain.money import quantity
from shelfpilot.services import catalog, stock_views
from shelfpilot.services.inventory import (
    ReceiveLot,
    RecordSale,
    RemoveStock,
    SaleLine,
    apply_receive,
    apply_removal,
    apply_sale,
)
from shelfpilot.storage import Database, UnitOfWork

ZONE = ZoneInfo(bakery.TIMEZONE)
ONE_DAY = timedelta(days=1)

#: ``progress(phase, done, total)``: phases "read", "catalogue", "replay" (days).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    location: str
    source: str
    first_day: date
    last_day: date
    days: int
    products: int
    lots: int
    baskets: int  # real baskets replayed as sales (at least one stocked item)
    baskets_not_stocked: int  # baskets of made-to-order / non-stock items only
    sales_lines: int  # receipt lines of stocked items
    sale_entries: int  # ledger sale entries (a line split over two lots is two)
    produced_units: Decimal
    sold_units: Decimal
    disposed_units: Decimal
    stage_changes: int
    default_as_of: datetime  # mid-afternoon on the last day, store time


def sale_reference(transaction: int) -> str:
    """The ledger reference of a replayed basket."""
    return f"tx:{transaction}"


def local(day: date, moment: time) -> datetime:
    """A store-time instant (Europe/London)."""
    return datetime.combine(day, moment, tzinfo=ZONE)


@dataclass(frozen=True, slots=True)
class _Sale:
    basket: Basket
    at: datetime
    lines: tuple[tuple[StockedItem, int], ...]


@dataclass
class _Plan:
    first_day: date
    last_day: date
    sales: dict[date, list[_Sale]] = field(default_factory=lambda: defaultdict(list))
    not_stocked: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    #: (SKU, first day of the period a lot serves) → units sold in it / last sale.
    demand: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))
    last_sale: dict[tuple[str, date], datetime] = field(default_factory=dict)


def _business_day(basket: Basket) -> date:
    return basket.day if basket.time >= bakery.PRODUCTION_TIME else basket.day - ONE_DAY


def _period_start(item: StockedItem, day: date, first_day: date) -> date:
    if not item.weekly:
        return day
    return max(first_day, day - timedelta(days=day.weekday()))


def _plan(all_baskets: list[Basket]) -> _Plan:
    if not all_baskets:
        raise InvalidValue("the Bread Basket data has no baskets")
    days = [_business_day(b) for b in all_baskets]
    plan = _Plan(min(days), max(days))
    for basket, day in zip(all_baskets, days, strict=True):
        lines = []
        for name, units in basket.items:
            item = bakery.stocked(name)
            if item is not None:
                lines.append((item, units))
        if not lines:
            plan.not_stocked[day] += 1
            continue
        sale = _Sale(basket, local(basket.day, basket.time), tuple(lines))
        plan.sales[day].append(sale)
        for item, units in lines:
            key = (item.sku, _period_start(item, day, plan.first_day))
            plan.demand[key] += units
            plan.last_sale[key] = max(plan.last_sale.get(key, sale.at), sale.at)
    return plan


@dataclass
class _Lot:
    sku: str
    code: str
    expires_at: datetime
    on_hand: Decimal


@dataclass
class _Replay:
    """Replays the plan, keeping each open lot's on-hand from the ledger
    entries the services return (the database stays the authority: every
    removal and sale is checked against it again)."""

    db: Database
    plan: _Plan
    lots: dict[tuple[str, str], _Lot] = field(default_factory=dict)
    policy: LadderPolicy = field(default_factory=bakery.ladder_policy)
    lot_count: int = 0
    produced: Decimal = Decimal("0.000")
    sold: Decimal = Decimal("0.000")
    disposed: Decimal = Decimal("0.000")
    sales_lines: int = 0
    sale_entries: int = 0
    baskets: int = 0
    stage_changes: int = 0

    def day(self, day: date) -> None:
        morning = local(day, bakery.PRODUCTION_TIME)
        evening = local(day, bakery.EVALUATION_TIME)
        sales = self.plan.sales.get(day, [])
        with self.db.transaction() as uow:
            self._dispose(uow, morning)
            self._produce(uow, day, morning)
            for sale in sales:
                if sale.at < evening:
                    self._sell(uow, sale)
        report = stock_views.run_daily(self.db, evening, location=bakery.STORE.code)
        self.stage_changes += len(report.changes)
        late = [s for s in sales if s.at >= evening]
        if late:
            with self.db.transaction() as uow:
                for sale in late:
                    self._sell(uow, sale)

    def _dispose(self, uow: UnitOfWork, morning: datetime) -> None:
        expired = [x for x in self.lots.values() if x.expires_at <= morning and x.on_hand > 0]
        for lot in sorted(expired, key=lambda x: (x.expires_at, x.sku, x.code)):
            cmd = RemoveStock(
                bakery.STORE.code,
                lot.sku,
                lot.code,
                EntryKind.DISPOSAL,
                lot.on_hand,
                morning,
                note="expired unsold; disposed of at the morning check",
                idempotency_key=f"demo:disposal:{lot.sku}:{lot.code}",
            )
            apply_removal(uow, cmd)
            self.disposed += lot.on_hand
            lot.on_hand = Decimal(0)
        self.lots = {k: v for k, v in self.lots.items() if v.on_hand > 0}

    def _produce(self, uow: UnitOfWork, day: date, morning: datetime) -> None:
        for item in sorted(bakery.STOCKED, key=lambda s: s.sku):
            units = self.plan.demand.get((item.sku, day))
            if not units:
                continue
            last_sale = self.plan.last_sale[(item.sku, day)]
            ladder = self.policy.for_sku(item.sku, item.category)
            needed = math.ceil(bakery.BUFFER * units)
            if item.weekly:
                needed -= int(
                    sum(
                        (
                            lot.on_hand
                            for lot in self.lots.values()
                            if lot.sku == item.sku and ladder.is_sellable(lot.expires_at, last_sale)
                        ),
                        Decimal(0),
                    )
                )
            if needed <= 0:
                continue
            best_before = item.best_before(day)
            expires = local(best_before + ONE_DAY, time(0))
            if not ladder.is_sellable(expires, last_sale):
                raise InvalidValue(
                    f"demo assumption broken: {item.sku} made at {morning:%Y-%m-%d %H:%M} "
                    f"leaves sale before its last sale at {last_sale:%Y-%m-%d %H:%M}; "
                    "lengthen its shelf life or shorten its ladder's pull-off"
                )
            code = f"{day:%Y%m%d}"
            apply_receive(
                uow,
                ReceiveLot(
                    bakery.STORE.code,
                    item.sku,
                    code,
                    Decimal(needed),
                    morning,
                    produced_at=morning,
                    expiry=best_before,
                    idempotency_key=f"demo:lot:{item.sku}:{code}",
                ),
            )
            self.lots[(item.sku, code)] = _Lot(item.sku, code, expires, Decimal(needed))
            self.lot_count += 1
            self.produced += quantity(needed)

    def _sell(self, uow: UnitOfWork, sale: _Sale) -> None:
        number = sale.basket.transaction
        cmd = RecordSale(
            bakery.STORE.code,
            tuple(SaleLine(Decimal(units), item.sku) for item, units in sale.lines),
            sale.at,
            reference=sale_reference(number),
            idempotency_key=f"demo:tx:{number}",
        )
        result = apply_sale(uow, cmd)
        for entry in result.entries:
            self.lots[(entry.lot.sku, entry.lot.lot_code)].on_hand += entry.quantity
            self.sold -= entry.quantity
        self.sale_entries += len(result.entries)
        self.sales_lines += len(sale.lines)
        self.baskets += 1


def build_demo(
    db: Database,
    *,
    source: Path | None = None,
    until: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Build the demo bakery into ``db``, which must be new (it is migrated here).

    ``source`` is the Bread Basket CSV or the bundled derived file; by default
    the shared data set when present, else the bundled copy (same result).
    ``until`` stops after that trading day (the full history runs to 2017-04-09).
    """
    report = progress or (lambda _phase, _done, _total: None)
    path = find_source(source)
    plan = _plan(baskets(read_lines(path)))
    report("read", 1, 1)
    last_day = plan.last_day
    if until is not None:
        if until < plan.first_day:
            raise InvalidValue(f"the demo starts on {plan.first_day}; until={until} is before it")
        last_day = min(until, last_day)

    db.migrate()
    if catalog.locations(db) or catalog.products(db):
        raise Conflict(f"the demo needs an empty database; {db.describe()} already has data")
    catalog.save_locations(db, [bakery.BRAND, bakery.STORE])
    catalog.save_products(db, bakery.products())
    for category, spec in bakery.ladder_specs().items():
        catalog.set_ladder(db, "category", category, spec)
    report("catalogue", 1, 1)

    replay = _Replay(db, plan)
    total = (last_day - plan.first_day).days + 1
    not_stocked = 0
    for index in range(total):
        day = plan.first_day + timedelta(days=index)
        replay.day(day)
        not_stocked += plan.not_stocked.get(day, 0)
        report("replay", index + 1, total)

    return DemoSummary(
        location=bakery.STORE.code,
        source=str(path),
        first_day=plan.first_day,
        last_day=last_day,
        days=total,
        products=len(bakery.STOCKED),
        lots=replay.lot_count,
        baskets=replay.baskets,
        baskets_not_stocked=not_stocked,
        sales_lines=replay.sales_lines,
        sale_entries=replay.sale_entries,
        produced_units=replay.produced,
        sold_units=replay.sold,
        disposed_units=replay.disposed,
        stage_changes=replay.stage_changes,
        default_as_of=local(last_day, bakery.DEFAULT_VIEW_TIME),
    )
