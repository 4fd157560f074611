"""Pre-orders: the seed's pre-sale clearance (预售式清仓). When a product is
expected to sell slowly, customers reserve it at a lower price (7折) and
collect it a few days later, and the store makes what the reservations and
its walk-in customers need (``clearance.ordering.OrderRule.with_reserved``).
A pre-order is a promise, not stock: nothing posts to the ledger until the
customer collects it, when the sale posts at the price fixed when the order
was taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware
from shelfpilot.domain.money import Money, quantity, ratio

#: A customer collects within this many days of ordering.
MAX_DAYS_AHEAD = 30


@dataclass(frozen=True, slots=True)
class PreOrder:
    location: str
    sku: str
    units: Decimal
    price_ratio: Decimal
    #: what the customer pays a unit at collection, fixed when the order is taken
    unit_price: Money
    #: the store-local day the customer collects
    collect_on: date
    taken_at: datetime
    customer: str = ""
    id: int | None = None
    cancelled_at: datetime | None = None
    collected_at: datetime | None = None

    def __post_init__(self) -> None:
        units = quantity(self.units, "pre-ordered quantity")
        if units <= 0:
            raise InvalidValue("a pre-order needs a quantity above zero")
        share = ratio(self.price_ratio, "pre-order price ratio")
        if not Decimal(0) < share <= Decimal(1):
            raise InvalidValue(
                "the pre-order price ratio {share} must be a share of list price in (0, 1]",
                share=share,
            )
        if len(self.customer) > 200:
            raise InvalidValue("the customer note is at most 200 characters")
        require_aware(self.taken_at, "time the pre-order was taken")
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "price_ratio", share)

    def check_day(self, today: date) -> None:
        """``today`` is the store-local day the order is taken."""
        if self.collect_on < today:
            raise InvalidValue(
                "collection day {day} is before the day the order is taken ({today})",
                day=self.collect_on,
                today=today,
            )
        if (self.collect_on - today).days > MAX_DAYS_AHEAD:
            raise InvalidValue(
                "collection day {day} is more than {days} days ahead",
                day=self.collect_on,
                days=MAX_DAYS_AHEAD,
            )

    @property
    def open(self) -> bool:
        """Still to be collected: neither cancelled nor collected."""
        return self.cancelled_at is None and self.collected_at is None

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        return "open" if self.collected_at is None else "collected"
