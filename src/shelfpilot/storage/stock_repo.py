"""Lots, ledger writes, balances and operations (idempotency); the read
models and stage events are in ``stock_reports``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.fefo import LotStock
from shelfpilot.domain.ledger import ZERO, EntryKind, LedgerEntry
from shelfpilot.domain.lots import Lot, LotKey
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.errors import translate
from shelfpilot.storage.models import (
    LedgerRow,
    LocationRow,
    LotRow,
    OperationRow,
    ProductRow,
)
from shelfpilot.storage.stock_reports import (
    StockReports,
    lot_from_row,
)


@dataclass(frozen=True, slots=True)
class OperationRecord:
    id: int
    kind: str
    fingerprint: str


class StockRepository(StockReports):
    def __init__(self, session: Session, catalog: CatalogRepository, *, lock: bool) -> None:
        self.session = session
        self.catalog = catalog
        self.lock = lock
        self.forget()

    def forget(self) -> None:
        """Drop cached lot ids (after a savepoint rolled back the writes behind them)."""
        self._lot_ids: dict[LotKey, int] = {}

    # lots -------------------------------------------------------------------
    def add_lot(self, lot: Lot) -> int:
        product = self.catalog.product_row(lot.sku)
        location = self.catalog.location_row(lot.location_code)
        supplier = self.catalog.supplier_id(lot.supplier_code) if lot.supplier_code else None
        row = LotRow(
            lot_code=lot.code,
            product_id=product.id,
            location_id=location.id,
            supplier_id=supplier,
            produced_at=lot.produced_at,
            received_at=lot.received_at,
            expires_at=lot.expires_at,
            expiry_is_date=lot.expiry_is_date,
            quantity=lot.quantity,
            unit_cost=lot.unit_cost.amount,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            raise translate(error) from error
        self._lot_ids[lot.key] = row.id
        return row.id

    def _lot_query(self, key: LotKey) -> Select[LotRow]:
        product = self.catalog.product_row(key.sku)
        location = self.catalog.location_row(key.location_code)
        return select(LotRow).where(
            LotRow.product_id == product.id,
            LotRow.location_id == location.id,
            LotRow.lot_code == key.lot_code,
        )

    def find_lot(self, key: LotKey) -> Lot | None:
        row = self.session.scalar(self._lot_query(key))
        if row is None:
            return None
        self._lot_ids[key] = row.id
        currency = self.catalog.product_row(key.sku).currency
        zone = self.catalog.location_row(key.location_code).timezone
        return lot_from_row(row, key.sku, key.location_code, currency, zone)

    def lot(self, key: LotKey) -> Lot:
        found = self.find_lot(key)
        if found is None:
            raise NotFound("unknown {lot}", lot=key)
        return found

    def lot_id(self, key: LotKey) -> int:
        if key not in self._lot_ids:
            self.lot(key)
        return self._lot_ids[key]

    def stock(
        self,
        location_code: str,
        sku: str,
        *,
        expiring_after: datetime | None = None,
        lot_code: str | None = None,
        at: datetime | None = None,
    ) -> list[LotStock]:
        """Lots of one product at one location with the stock that can be taken
        from them, locked for update on PostgreSQL (in id order).

        With ``at``, only lots received by then count, and a lot's stock is what
        can be taken at ``at`` without any later record going negative: the
        lowest balance from ``at`` on (an upload can arrive after later events)."""
        product = self.catalog.product_row(sku)
        location = self.catalog.location_row(location_code)
        query = select(LotRow).where(
            LotRow.product_id == product.id, LotRow.location_id == location.id
        )
        if lot_code is not None:
            query = query.where(LotRow.lot_code == lot_code)
        else:
            if expiring_after is not None:
                query = query.where(LotRow.expires_at > expiring_after)
            if at is not None:
                query = query.where(LotRow.received_at <= at)
        query = query.order_by(LotRow.id)
        if self.lock:
            query = query.with_for_update()
        rows = self.session.scalars(query).all()
        ids = [r.id for r in rows]
        if at is None:
            sums = self.on_hand_by_id(ids)
        else:
            sums, latest = self._sums_and_latest(ids)
            later = [i for i in ids if i in latest and latest[i] > at]
            if later:  # an upload older than what is already recorded
                sums = self._available_at(later, sums, at)
        result = []
        for row in rows:
            lot = lot_from_row(row, sku, location_code, product.currency, location.timezone)
            self._lot_ids[lot.key] = row.id
            result.append(LotStock(lot, sums.get(row.id, ZERO)))
        return result

    def on_hand_by_id(self, lot_ids: Sequence[int]) -> dict[int, Decimal]:
        if not lot_ids:
            return {}
        query = (
            select(LedgerRow.lot_id, func.sum(LedgerRow.quantity))
            .where(LedgerRow.lot_id.in_(lot_ids))
            .group_by(LedgerRow.lot_id)
        )
        return {lot_id: total for lot_id, total in self.session.execute(query).all()}  # noqa: C416

    def _sums_and_latest(
        self, lot_ids: Sequence[int]
    ) -> tuple[dict[int, Decimal], dict[int, datetime]]:
        if not lot_ids:
            return {}, {}
        query = (
            select(LedgerRow.lot_id, func.sum(LedgerRow.quantity), func.max(LedgerRow.occurred_at))
            .where(LedgerRow.lot_id.in_(lot_ids))
            .group_by(LedgerRow.lot_id)
        )
        sums: dict[int, Decimal] = {}
        latest: dict[int, datetime] = {}
        for lot_id, total, last in self.session.execute(query).all():
            sums[lot_id] = total
            latest[lot_id] = last
        return sums, latest

    def _later_entries(self, lot_ids: Sequence[int], at: datetime) -> dict[int, list[Decimal]]:
        later: dict[int, list[Decimal]] = defaultdict(list)
        if lot_ids:
            query = (
                select(LedgerRow.lot_id, LedgerRow.quantity)
                .where(LedgerRow.lot_id.in_(lot_ids), LedgerRow.occurred_at > at)
                .order_by(LedgerRow.occurred_at, LedgerRow.id)
            )
            for lot_id, amount in self.session.execute(query).all():
                later[lot_id].append(amount)
        return later

    def _available_at(
        self, lot_ids: Sequence[int], totals: dict[int, Decimal], at: datetime
    ) -> dict[int, Decimal]:
        later = self._later_entries(lot_ids, at)
        result = dict(totals)
        for lot_id, amounts in later.items():
            balance = totals.get(lot_id, ZERO) - sum(amounts, ZERO)
            lowest = balance
            for amount in amounts:
                balance += amount
                lowest = min(lowest, balance)
            result[lot_id] = lowest
        return result

    def balance_at(self, key: LotKey, at: datetime) -> Decimal:
        """On-hand of a lot counting only entries up to ``at``."""
        lot_id = self.lot_id(key)
        later = self._later_entries([lot_id], at).get(lot_id, [])
        return self.on_hand_by_id([lot_id]).get(lot_id, ZERO) - sum(later, ZERO)

    def totals_by_kind(self, key: LotKey) -> dict[EntryKind, Decimal]:
        lot_id = self.lot_id(key)
        query = (
            select(LedgerRow.kind, func.sum(LedgerRow.quantity))
            .where(LedgerRow.lot_id == lot_id)
            .group_by(LedgerRow.kind)
        )
        return {EntryKind(kind): total for kind, total in self.session.execute(query).all()}

    def price_at(self, key: LotKey, at: datetime) -> Decimal | None:
        """The lot's latest price change up to ``at``, if it was repriced."""
        query = (
            select(LedgerRow.unit_price)
            .where(
                LedgerRow.lot_id == self.lot_id(key),
                LedgerRow.kind == EntryKind.PRICE_CHANGE.value,
                LedgerRow.occurred_at <= at,
            )
            .order_by(LedgerRow.occurred_at.desc(), LedgerRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def lock_lot(self, key: LotKey) -> None:
        """Lock one lot until the transaction ends, on PostgreSQL, so that a
        use case that reads its price and its changes today and then posts a
        new price cannot interleave with another doing the same. FOR NO KEY
        UPDATE: it still waits for (and holds off) ``stock``'s FOR UPDATE,
        but lets a plan line that merely refers to the lot be written
        meanwhile. SQLite's writers are already one at a time."""
        if self.lock:
            query = select(LotRow.id).where(LotRow.id == self.lot_id(key))
            self.session.execute(query.with_for_update(key_share=True))

    def price_changes(self, key: LotKey, start: datetime, end: datetime) -> int:
        """How many times the lot was repriced from ``start`` up to ``end``."""
        query = select(func.count(LedgerRow.id)).where(
            LedgerRow.lot_id == self.lot_id(key),
            LedgerRow.kind == EntryKind.PRICE_CHANGE.value,
            LedgerRow.occurred_at >= start,
            LedgerRow.occurred_at < end,
        )
        return int(self.session.scalar(query) or 0)

    def sales_between(self, location_code: str, sku: str, start: datetime, end: datetime) -> int:
        """How many sale entries the product had at the place from ``start`` up to ``end``."""
        query = (
            select(func.count(LedgerRow.id))
            .join(LotRow, LedgerRow.lot_id == LotRow.id)
            .join(ProductRow, LotRow.product_id == ProductRow.id)
            .join(LocationRow, LotRow.location_id == LocationRow.id)
            .where(
                LocationRow.code == location_code,
                ProductRow.sku == sku,
                LedgerRow.kind == EntryKind.SALE.value,
                LedgerRow.occurred_at >= start,
                LedgerRow.occurred_at < end,
            )
        )
        return int(self.session.scalar(query) or 0)

    def on_hand(self, key: LotKey) -> Decimal:
        lot_id = self.lot_id(key)
        return self.on_hand_by_id([lot_id]).get(lot_id, ZERO)

    # operations and ledger ------------------------------------------------------
    def find_operation(self, idempotency_key: str) -> OperationRecord | None:
        row = self.session.scalar(
            select(OperationRow).where(OperationRow.idempotency_key == idempotency_key)
        )
        return OperationRecord(row.id, row.kind, row.fingerprint) if row else None

    def add_operation(
        self, kind: str, idempotency_key: str | None, fingerprint: str, at: datetime
    ) -> int:
        row = OperationRow(
            kind=kind, idempotency_key=idempotency_key, fingerprint=fingerprint, recorded_at=at
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            raise translate(error) from error
        return row.id

    def add_entries(self, operation_id: int, entries: Iterable[LedgerEntry]) -> None:
        rows: list[dict[str, Any]] = [
            {
                "operation_id": operation_id,
                "lot_id": self.lot_id(e.lot),
                "kind": e.kind.value,
                "quantity": e.quantity,
                "unit_price": e.unit_price.amount if e.unit_price else None,
                "currency": e.unit_price.currency if e.unit_price else None,
                "occurred_at": e.occurred_at,
                "reference": e.reference,
                "note": e.note,
            }
            for e in entries
        ]
        if rows:
            self.session.execute(insert(LedgerRow), rows)
