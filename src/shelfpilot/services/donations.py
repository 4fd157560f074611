"""What was given away: the donation statement a food bank's receipts and the
shop's books are reconciled with.

Every donation, by hand, from an approved plan line or through the food bank
channel, is posted by ``adjustments.apply_removal``, which writes its audit
record in the same transaction: the units (on hand before and after), who
received them, their receipt number and the value at cost and at list price
at that moment. The statement reads those records, so it shows the values as
they were, not at today's prices. A donation recorded before recipients and
values were kept shows them blank.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.storage import Database

#: the most days one statement covers
MAX_DAYS = 366
#: how a donation without a named recipient is shown and totalled
UNNAMED = "(not named)"


@dataclass(frozen=True, slots=True)
class Donation:
    occurred_at: datetime  # in the store's zone
    location: str
    sku: str
    product_name: str
    lot_code: str
    units: Decimal
    recipient: str
    receipt: str
    value_at_cost: Decimal | None
    value_at_list: Decimal | None
    currency: str
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class RecipientTotal:
    recipient: str
    currency: str
    donations: int
    units: Decimal
    value_at_cost: Decimal
    value_at_list: Decimal
    #: donations whose value was not recorded (made before values were kept)
    unvalued: int


def check_period(first: date, last: date) -> None:
    """A statement covers whole days, at most ``MAX_DAYS`` of them."""
    if last < first:
        raise InvalidValue(
            "the last day ({last}) is before the first ({first})", last=last, first=first
        )
    if (last - first).days >= MAX_DAYS:
        raise InvalidValue(
            "a statement covers at most {days} days; ask for one year at a time", days=MAX_DAYS
        )


def default_period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days asked for; without a first day, the first of the last day's
    month; without a last day, today."""
    last = last or today
    return first or last.replace(day=1), last


def donations(
    db: Database, first: date, last: date, *, locations: list[str] | None = None
) -> list[Donation]:
    """Donations made on the days from ``first`` to ``last`` (both included;
    each store's days in its own zone), at the given locations if any, oldest
    first."""
    check_period(first, last)
    found: list[Donation] = []
    with db.transaction(readonly=True) as uow:
        for code in locations or []:
            uow.catalog.location(code)  # NotFound names an unknown code
        products = {p.sku: p for p in uow.catalog.products()}
        zones: dict[str, ZoneInfo] = {}
        # one query, one snapshot: pages read one after another could see a
        # donation recorded meanwhile push a record onto the next page. The
        # day is when it took place, not when it was recorded (a donation may
        # be recorded late, or ahead of a pick-up), so it is filtered here.
        for record in uow.audit.records(action="stock.donation", locations=locations, limit=None):
            location = record.location or ""
            if location not in zones:
                zones[location] = uow.catalog.location(location).zone
            at = datetime.fromisoformat(record.after["at"]).astimezone(zones[location])
            if not first <= at.date() <= last:
                continue
            sku, lot_code = _lot(record.after, record.subject, location, products)
            cost, currency = _money(record.after.get("value_at_cost"))
            at_list, _ = _money(record.after.get("value_at_list"))
            product = products.get(sku)
            found.append(
                Donation(
                    occurred_at=at,
                    location=location,
                    sku=sku,
                    product_name=product.name if product else "",
                    lot_code=lot_code,
                    units=Decimal(record.before["on_hand"]) - Decimal(record.after["on_hand"]),
                    recipient=record.after.get("recipient") or UNNAMED,
                    receipt=record.after.get("receipt", ""),
                    value_at_cost=cost,
                    value_at_list=at_list,
                    currency=currency or (product.currency if product else ""),
                    actor=record.actor,
                    note=record.after.get("note", ""),
                )
            )
    return sorted(found, key=lambda d: (d.occurred_at, d.location, d.sku, d.lot_code))


def totals(rows: list[Donation]) -> list[RecipientTotal]:
    """Per recipient and currency: donations, units and values; most valuable first."""
    groups: dict[tuple[str, str], list[Donation]] = defaultdict(list)
    for row in rows:
        groups[(row.recipient, row.currency)].append(row)
    out = [
        RecipientTotal(
            recipient=recipient,
            currency=currency,
            donations=len(group),
            units=sum((d.units for d in group), Decimal(0)),
            value_at_cost=sum((d.value_at_cost or Decimal(0) for d in group), Decimal(0)),
            value_at_list=sum((d.value_at_list or Decimal(0) for d in group), Decimal(0)),
            unvalued=sum(1 for d in group if d.value_at_cost is None),
        )
        for (recipient, currency), group in groups.items()
    ]
    return sorted(out, key=lambda t: (-t.value_at_list, t.recipient, t.currency))


def _lot(
    after: Mapping[str, str], subject: str, location: str, skus: Collection[str]
) -> tuple[str, str]:
    """The product and lot code: kept in the record since donations carry
    their values; before that, read from the subject "lot L of SKU at LOC"."""
    if "sku" in after and "lot" in after:
        return after["sku"], after["lot"]
    head = subject.removesuffix(f" at {location}").removeprefix("lot ")
    for sku in sorted(skus, key=len, reverse=True):
        if head.endswith(f" of {sku}"):
            return sku, head.removesuffix(f" of {sku}")
    return "", head


def _money(text: str | None) -> tuple[Decimal | None, str]:
    """``"23.75 CNY"`` as it is written in the audit record."""
    if not text:
        return None, ""
    amount, _, currency = text.partition(" ")
    try:
        return Decimal(amount), currency
    except InvalidOperation:
        return None, currency
