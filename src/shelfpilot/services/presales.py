"""Pre-sale clearance (预售式清仓): take, collect, cancel and list pre-orders.

A pre-order is taken once per idempotency key (a retried request returns
the first one), at a unit price fixed then and no lower than the product's
floor, for a store and a collection day up to 30 days ahead. What is due
feeds production: ``production.production_advice`` holds stock for tomorrow's
demand known to be at least what was reserved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from shelfpilot.domain.catalog import LocationKind
from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.domain.ledger import PRE_ORDER_REFERENCE, LedgerEntry
from shelfpilot.domain.money import Money, ratio
from shelfpilot.domain.preorders import PreOrder
from shelfpilot.domain.pricing import check_price
from shelfpilot.services.adjustments import audit
from shelfpilot.services.commands import RecordSale, SaleLine
from shelfpilot.services.inventory import apply_sale
from shelfpilot.services.operations import OperationResult, occurred, run
from shelfpilot.storage import Database, UnitOfWork

__all__ = [
    "PreOrderTaken",
    "TakePreOrder",
    "cancel_pre_order",
    "collect_pre_order",
    "due_by_day",
    "pre_orders",
    "take_pre_order",
]


@dataclass(frozen=True)
class TakePreOrder:
    location: str
    sku: str
    units: Decimal
    collect_on: date
    price_ratio: Decimal = Decimal("0.7")
    customer: str = ""
    at: datetime | None = None
    idempotency_key: str | None = None
    actor: str = "system"


@dataclass(frozen=True)
class PreOrderTaken:
    order: PreOrder
    replayed: bool = False


def take_pre_order(db: Database, cmd: TakePreOrder) -> PreOrderTaken:
    def apply(uow: UnitOfWork, operation_id: int) -> list[LedgerEntry]:
        location = uow.catalog.location(cmd.location)
        if location.kind is not LocationKind.STORE:
            raise InvalidValue(
                "{location} is a {kind}: customers collect pre-orders at a store",
                location=cmd.location,
                kind=Text(location.kind.value),
            )
        product = uow.catalog.product(cmd.sku)
        share = ratio(cmd.price_ratio, "pre-order price ratio")
        price = Money(product.list_price.rounded() * share, product.currency)
        price = check_price(product, Money(price.rounded(), product.currency))
        taken = occurred(cmd.at)
        order = PreOrder(
            cmd.location, cmd.sku, cmd.units, share, price, cmd.collect_on, taken, cmd.customer
        )
        order.check_day(taken.astimezone(location.zone).date())
        saved = uow.preorders.add(order, operation_id)
        audit(
            uow, cmd.actor, "presale.take", f"pre-order {saved.id}", {},
            {"location": cmd.location, "sku": cmd.sku, "units": str(order.units),
             "unit_price": str(price), "collect_on": order.collect_on.isoformat()},
            location=cmd.location,
        )  # fmt: skip
        return []

    result = run(db, "pre_order", cmd, apply)
    with db.transaction(readonly=True) as uow:
        order = uow.preorders.by_operation(result.operation_id)
    return PreOrderTaken(order, result.replayed)


def collect_pre_order(
    db: Database, order_id: int, *, actor: str, at: datetime | None = None
) -> OperationResult:
    """The customer collects: the units leave the store's lots first-expired-
    first-out as a sale at the pre-order's price, under the reference
    "pre-order N" (so feedback does not read it as clearance). Collecting
    again returns the first sale."""
    when = occurred(at)
    with db.transaction() as uow:
        order = uow.preorders.get(order_id, for_update=True)
        if order.cancelled_at is not None:
            raise InvalidValue("pre-order {order} was cancelled; take a new one", order=order_id)
        if order.collected_at is None and when < order.taken_at:
            raise InvalidValue(
                "pre-order {order} was taken after {when}", order=order_id, when=when.isoformat()
            )
        sale = RecordSale(
            order.location,
            (SaleLine(order.units, order.sku, order.unit_price.amount),),
            when,
            reference=f"{PRE_ORDER_REFERENCE} {order_id}",
            idempotency_key=f"{PRE_ORDER_REFERENCE} {order_id} collected",
        )
        if order.collected_at is not None:  # the first collection's sale, as it was
            sale = replace(sale, at=order.collected_at)
        result = apply_sale(uow, sale)
        if order.collected_at is None:
            uow.preorders.close(order_id, when, collected=True)
            audit(uow, actor, "presale.collect", f"pre-order {order_id}",
                  {"status": "open"}, {"status": "collected"}, location=order.location)  # fmt: skip
        return result


def cancel_pre_order(
    db: Database, order_id: int, *, actor: str, at: datetime | None = None
) -> PreOrder:
    """Cancel an open pre-order (cancelling it again changes nothing)."""
    when = occurred(at)
    with db.transaction() as uow:
        order = uow.preorders.get(order_id, for_update=True)
        if order.collected_at is not None:
            raise InvalidValue(
                "pre-order {order} was collected; record a customer return instead", order=order_id
            )
        if order.cancelled_at is None:
            if when < order.taken_at:
                raise InvalidValue(
                    "pre-order {order} was taken after {when}",
                    order=order_id,
                    when=when.isoformat(),
                )
            uow.preorders.close(order_id, when, collected=False)
            audit(uow, actor, "presale.cancel", f"pre-order {order_id}",
                  {"status": "open"}, {"status": "cancelled"}, location=order.location)  # fmt: skip
        return uow.preorders.get(order_id)


def pre_orders(
    db: Database, first: date, last: date, *, location: str | None = None, open_only: bool = False
) -> list[PreOrder]:
    """Pre-orders collected from ``first`` to ``last``, cancelled ones too unless ``open_only``."""
    if last < first:
        raise InvalidValue("the last day comes before the first")
    with db.transaction(readonly=True) as uow:
        return uow.preorders.between(first, last, location=location, open_only=open_only)


def due_by_day(
    uow: UnitOfWork, first: date, days: int, location: str | None = None
) -> dict[tuple[str, str], list[float]]:
    """Open pre-ordered units per (location, sku) for each of ``days`` days from ``first``."""
    due: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * days)
    last = first + timedelta(days=days - 1)
    for order in uow.preorders.between(first, last, location=location):
        due[(order.location, order.sku)][(order.collect_on - first).days] += float(order.units)
    return dict(due)
