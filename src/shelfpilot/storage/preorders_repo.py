"""Pre-orders (``models.PreOrderRow``) to and from ``domain.preorders.PreOrder``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.money import Money
from shelfpilot.domain.preorders import PreOrder
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.models import LocationRow, PreOrderRow, ProductRow


class PreOrderRepository:
    def __init__(self, session: Session, catalog: CatalogRepository) -> None:
        self.session = session
        self.catalog = catalog

    def add(self, order: PreOrder, operation_id: int) -> PreOrder:
        row = PreOrderRow(
            operation_id=operation_id,
            location_id=self.catalog.location_row(order.location).id,
            product_id=self.catalog.product_row(order.sku).id,
            units=order.units,
            price_ratio=order.price_ratio,
            unit_price=order.unit_price.amount,
            currency=order.unit_price.currency,
            collect_on=order.collect_on,
            taken_at=order.taken_at,
            customer=order.customer,
        )
        self.session.add(row)
        self.session.flush()
        return self._order(row)

    def by_operation(self, operation_id: int) -> PreOrder:
        row = self.session.scalar(
            select(PreOrderRow).where(PreOrderRow.operation_id == operation_id)
        )
        if row is None:
            raise NotFound("operation {operation} is not a pre-order", operation=operation_id)
        return self._order(row)

    def get(self, order_id: int, *, for_update: bool = False) -> PreOrder:
        query = select(PreOrderRow).where(PreOrderRow.id == order_id)
        row = self.session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise NotFound(
                "no pre-order {order}: list them with `shelfpilot pre-orders`", order=order_id
            )
        return self._order(row)

    def close(self, order_id: int, at: datetime, *, collected: bool) -> None:
        """Mark an open pre-order collected or cancelled (a closed one stays as it is)."""
        row = self.session.get(PreOrderRow, order_id)
        if row is not None and row.cancelled_at is None and row.collected_at is None:
            if collected:
                row.collected_at = at
            else:
                row.cancelled_at = at

    def between(
        self, first: date, last: date, *, location: str | None = None, open_only: bool = True
    ) -> list[PreOrder]:
        """Pre-orders collected from ``first`` to ``last`` (both included)."""
        query = (
            select(PreOrderRow)
            .where(PreOrderRow.collect_on >= first, PreOrderRow.collect_on <= last)
            .order_by(PreOrderRow.collect_on, PreOrderRow.id)
        )
        if location is not None:
            query = query.where(PreOrderRow.location_id == self.catalog.location_row(location).id)
        if open_only:
            query = query.where(
                PreOrderRow.cancelled_at.is_(None), PreOrderRow.collected_at.is_(None)
            )
        return [self._order(row) for row in self.session.scalars(query)]

    def _order(self, row: PreOrderRow) -> PreOrder:
        location = self.session.get(LocationRow, row.location_id)
        product = self.session.get(ProductRow, row.product_id)
        assert location is not None and product is not None  # foreign keys
        return PreOrder(
            location=location.code,
            sku=product.sku,
            units=row.units,
            price_ratio=row.price_ratio,
            unit_price=Money(row.unit_price, row.currency),
            collect_on=row.collect_on,
            taken_at=row.taken_at,
            customer=row.customer,
            id=row.id,
            cancelled_at=row.cancelled_at,
            collected_at=row.collected_at,
        )
