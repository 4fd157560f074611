"""The shop's own sales history, from the ledger, as the daily series the
demand model learns from.

The ledger records no shelf counts, so a day's stock-out is approximated: the
``stockout`` flag is 1 when the lots of the item still sellable at 20:00 store
time (received, not pulled off sale) held nothing then. A shop that closes
earlier, or sells out at 19:00 and is restocked, is read slightly wrong; a day
the item was simply not made counts as a sold-out day too (the ledger cannot
tell the two apart), so its zero is not read as "no demand".
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shelfpilot.domain.ladder import LadderPolicy
from shelfpilot.domain.ledger import EntryKind, off_shelf
from shelfpilot.domain.lots import utc
from shelfpilot.forecast.lot_risk import (
    Array,
)
from shelfpilot.storage import Database, LotView

CLOSING = time(20, 0)
_FAR = datetime(2999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    frame: pd.DataFrame
    profiles: dict[str, Array]  # location → hourly share of a day's sales


def sales_history(
    db: Database, *, location: str | None = None, until: date | None = None
) -> pd.DataFrame:
    """Daily sales per location × SKU from the ledger, by the store's local day:
    ``unique_id`` ("LOCATION/SKU"), ``location``, ``sku``, ``ds``, ``y`` (units
    sold minus returned), ``discount`` (mean price paid at the shelf / list
    price, channel, pre-order and bundle sales left out; 1.0 on days without
    shelf sales) and ``stockout`` (see the module note). Each series
    runs from its first sale to the last day (``until``, else the latest sale
    of any series), days without sales filled with y = 0."""
    return load_history(db, location=location, until=until).frame


def load_history(db: Database, *, location: str | None, until: date | None) -> History:
    with db.transaction(readonly=True) as uow:
        records = uow.stock.ledger(location_code=location)
        views = uow.stock.lots_with_totals(_FAR, location_code=location, open_only=False)
        policy = uow.catalog.ladder_policy()
        zones = {v.lot.location_code: ZoneInfo(v.timezone) for v in views}
        prices = {v.lot.sku: float(uow.catalog.product(v.lot.sku).list_price.amount) for v in views}
    units: dict[tuple[str, str, date], float] = defaultdict(float)
    paid: dict[tuple[str, str, date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    hours: dict[str, Array] = defaultdict(lambda: np.zeros(24))
    by_lot: dict[tuple[str, str, str], list[tuple[datetime, float]]] = defaultdict(list)
    for record in records:
        entry = record.entry
        key = entry.lot
        by_lot[(key.location_code, key.sku, key.lot_code)].append(
            (utc(entry.occurred_at), float(entry.quantity))
        )
        if entry.kind not in (EntryKind.SALE, EntryKind.RETURN):
            continue
        local = entry.occurred_at.astimezone(zones[key.location_code])
        day = local.date()
        if until is not None and day > until:
            continue
        sold = -float(entry.quantity)
        series = (key.location_code, key.sku, day)
        units[series] += sold
        if (
            entry.kind is EntryKind.SALE
            and entry.unit_price is not None
            and not off_shelf(entry.reference)
        ):
            paid[series][0] += sold * float(entry.unit_price.amount)
            paid[series][1] += sold
            hours[key.location_code][local.hour] += sold
    columns = ["unique_id", "location", "sku", "ds", "y", "discount", "stockout"]
    if not units:
        return History(pd.DataFrame(columns=columns), {})
    last = until or max(day for _, _, day in units)
    first: dict[tuple[str, str], date] = {}
    for loc, sku, day in units:
        first[(loc, sku)] = min(first.get((loc, sku), day), day)
    sellable = _sellable_at_closing(views, by_lot, policy, zones, first, last)
    rows = []
    for (loc, sku), start in sorted(first.items()):
        stock = sellable.get((loc, sku), {})
        for offset in range((last - start).days + 1):
            day = start + timedelta(days=offset)
            sold = units.get((loc, sku, day), 0.0)
            money, count = paid.get((loc, sku, day), (0.0, 0.0))
            ratio = money / count / prices[sku] if count > 0 and prices.get(sku) else 1.0
            rows.append(
                (
                    f"{loc}/{sku}",
                    loc,
                    sku,
                    pd.Timestamp(day),
                    sold,
                    ratio,
                    int(stock.get(day, 0) <= 0),
                )
            )
    frame = pd.DataFrame(rows, columns=columns)
    profiles = {loc: h / h.sum() for loc, h in hours.items() if h.sum() > 0}
    return History(frame, profiles)


def _sellable_at_closing(
    views: Iterable[LotView],
    by_lot: dict[tuple[str, str, str], list[tuple[datetime, float]]],
    policy: LadderPolicy,
    zones: dict[str, ZoneInfo],
    first: dict[tuple[str, str], date],
    last: date,
) -> dict[tuple[str, str], dict[date, float]]:
    """Units of each series that were sellable at 20:00 store time, per day."""
    result: dict[tuple[str, str], dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for view in views:
        lot = view.lot
        series = (lot.location_code, lot.sku)
        if series not in first:
            continue
        zone = zones[lot.location_code]
        until = policy.for_sku(lot.sku, view.category).sellable_until(lot.expires_at)
        entries = sorted(by_lot.get((lot.location_code, lot.sku, lot.code), []))
        times = [t for t, _ in entries]
        balance = np.cumsum([q for _, q in entries]) if entries else np.zeros(0)
        day = max(lot.received_at.astimezone(zone).date(), first[series])
        end = min(until.astimezone(zone).date(), last)
        while day <= end:
            closing = datetime.combine(day, CLOSING, tzinfo=zone)
            if utc(lot.received_at) <= utc(closing) < utc(until):
                done = _count_until(times, utc(closing))
                if done:
                    result[series][day] += float(balance[done - 1])
            day += timedelta(days=1)
    return result


def _count_until(times: list[datetime], moment: datetime) -> int:
    return bisect_right(times, moment)
