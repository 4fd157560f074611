"""Lots (batches) and their expiry.

An expiry may be given as a date ("best before 2026-11-25": sellable through
that whole day in the store's zone) or as a date-time. Either way it is held
as the first instant at which the lot is expired, with a flag so it can be
shown the way it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.domain.money import Money, quantity


def require_aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(
            "{what} {moment} has no time zone", what=Text(what), moment=moment.isoformat()
        )
    return moment


def utc(moment: datetime) -> datetime:
    """The same instant in UTC. Arithmetic and comparisons go through this:
    Python subtracts and compares two datetimes of the same zone by wall clock,
    which is wrong by an hour across a daylight-saving change."""
    return require_aware(moment, "time").astimezone(UTC)


def localize(moment: datetime, zone: ZoneInfo) -> datetime:
    """Attach the store's zone to a naive time; convert an aware one."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def local_day(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The start and end (in UTC) of the store's calendar day holding ``moment``
    (23 or 25 hours long across a daylight-saving change)."""
    day = utc(moment).astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def expiry_instant(
    expiry: date | datetime | None,
    *,
    zone: ZoneInfo,
    start: datetime,
    shelf_life: timedelta,
) -> tuple[datetime, bool]:
    """Return (first expired instant, expiry given as a date?).

    ``start`` is the production time (or receipt when production is unknown);
    with no expiry given, the product's shelf life runs from it.
    """
    if expiry is None:
        return (utc(start) + shelf_life).astimezone(start.tzinfo), False
    if isinstance(expiry, datetime):
        return localize(expiry, zone), False
    return datetime.combine(expiry + timedelta(days=1), time(0), tzinfo=zone), True


@dataclass(frozen=True, slots=True)
class LotKey:
    """A lot is one lot code of one product at one location: a supplier's lot
    delivered to two stores is two lots with the same code."""

    location_code: str
    sku: str
    lot_code: str

    def __str__(self) -> str:
        return str(self.text)

    @property
    def text(self) -> Text:
        """The lot as a translatable phrase."""
        return Text(
            "lot {lot} of {sku} at {location}",
            lot=self.lot_code,
            sku=self.sku,
            location=self.location_code,
        )


@dataclass(frozen=True, slots=True)
class Lot:
    code: str
    sku: str
    location_code: str
    received_at: datetime
    expires_at: datetime
    quantity: Decimal
    unit_cost: Money
    produced_at: datetime | None = None
    supplier_code: str | None = None
    expiry_is_date: bool = False

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidValue("lot code is empty")
        require_aware(self.received_at, "received time")
        require_aware(self.expires_at, "expiry")
        object.__setattr__(self, "quantity", quantity(self.quantity))
        if self.quantity <= 0:
            raise InvalidValue("lot {lot}: quantity received must be above zero", lot=self.code)
        if self.unit_cost.amount < 0:
            raise InvalidValue("lot {lot}: unit cost cannot be negative", lot=self.code)
        if self.produced_at is not None:
            require_aware(self.produced_at, "production time")
            if utc(self.expires_at) <= utc(self.produced_at):
                raise InvalidValue("lot {lot}: expiry is not after production", lot=self.code)
            if utc(self.received_at) < utc(self.produced_at):
                raise InvalidValue("lot {lot}: received before it was produced", lot=self.code)
        if utc(self.expires_at) <= utc(self.received_at):
            raise InvalidValue(
                "lot {lot}: it expires before it was received; check the expiry", lot=self.code
            )

    @property
    def key(self) -> LotKey:
        return LotKey(self.location_code, self.sku, self.code)

    def is_expired(self, at: datetime) -> bool:
        return utc(at) >= utc(self.expires_at)

    def remaining_life(self, at: datetime) -> timedelta:
        return utc(self.expires_at) - utc(at)

    def expiry_date(self, zone: ZoneInfo) -> date:
        """The last day the lot may be sold, in the store's calendar."""
        local = self.expires_at.astimezone(zone)
        if self.expiry_is_date or local.time() == time(0):
            return (local - timedelta(days=1)).date()
        return local.date()

    def days_left(self, at: datetime, zone: ZoneInfo) -> int:
        """Whole calendar days from today to the last sellable day, in the store's zone:
        0 means today is the last day, negative means expired."""
        today = require_aware(at, "time").astimezone(zone).date()
        if self.is_expired(at):
            return min(-1, (self.expiry_date(zone) - today).days)
        return (self.expiry_date(zone) - today).days
