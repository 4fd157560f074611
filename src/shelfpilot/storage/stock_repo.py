"""Lots, the ledger, operations (idempotency) and stage events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import NotFound
from shelfpilot.domain.fefo import LotStock
from shelfpilot.domain.ledger import ZERO, EntryKind, LedgerEntry
from shelfpilot.domain.lots import Lot, LotKey
from shelfpilot.domain.money import Money
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.errors import translate
from shelfpilot.storage.models import (
    LedgerRow,
    LocationRow,
    LotRow,
    OperationRow,
    ProductRow,
    StageEventRow,
)


@dataclass(frozen=True, slots=True)
class LotView:
    """A lot with what the ledger says about it up to some moment."""

    lot_id: int
    lot: Lot
    name_en: str
    name_zh: str
    category: str
    timezone: str
    totals: dict[EntryKind, Decimal]

    @property
    def on_hand(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    entry_id: int
    operation_id: int
    entry: LedgerEntry


@dataclass(frozen=True, slots=True)
class OperationRecord:
    id: int
    kind: str
    fingerprint: str


def _lot(row: LotRow, sku: str, location_code: str, currency: str, zone: str) -> Lot:
    """Times come back in the store's own zone, the way its staff read them."""
    tz = ZoneInfo(zone)
    return Lot(
        code=row.lot_code,
        sku=sku,
        location_code=location_code,
        received_at=row.received_at.astimezone(tz),
        expires_at=row.expires_at.astimezone(tz),
        quantity=row.quantity,
        unit_cost=Money(row.unit_cost, currency),
        produced_at=row.produced_at.astimezone(tz) if row.produced_at else None,
        expiry_is_date=row.expiry_is_date,
    )


class StockRepository:
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
        return _lot(row, key.sku, key.location_code, currency, zone)

    def lot(self, key: LotKey) -> Lot:
        found = self.find_lot(key)
        if found is None:
            raise NotFound(f"unknown {key}")
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
            lot = _lot(row, sku, location_code, product.currency, location.timezone)
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

    def _ledger_query(self) -> Select[LedgerRow, str, str, str]:
        return (
            select(LedgerRow, LotRow.lot_code, ProductRow.sku, LocationRow.code)
            .join(LotRow, LedgerRow.lot_id == LotRow.id)
            .join(ProductRow, LotRow.product_id == ProductRow.id)
            .join(LocationRow, LotRow.location_id == LocationRow.id)
        )

    def ledger(
        self,
        *,
        location_code: str | None = None,
        sku: str | None = None,
        operation_id: int | None = None,
        until: datetime | None = None,
    ) -> list[LedgerRecord]:
        query = self._ledger_query()
        if location_code is not None:
            query = query.where(LocationRow.code == location_code)
        if sku is not None:
            query = query.where(ProductRow.sku == sku)
        if operation_id is not None:
            query = query.where(LedgerRow.operation_id == operation_id)
        if until is not None:
            query = query.where(LedgerRow.occurred_at <= until)
        query = query.order_by(LedgerRow.id)
        records = []
        for row, lot_code, row_sku, loc in self.session.execute(query):
            price = (
                Money(row.unit_price, row.currency or "CNY") if row.unit_price is not None else None
            )
            entry = LedgerEntry(
                LotKey(loc, row_sku, lot_code),
                EntryKind(row.kind),
                row.quantity,
                row.occurred_at,
                unit_price=price,
                reference=row.reference,
                note=row.note,
            )
            records.append(LedgerRecord(row.id, row.operation_id, entry))
        return records

    # read models --------------------------------------------------------------
    def lots_with_totals(
        self,
        as_of: datetime,
        *,
        location_code: str | None = None,
        sku: str | None = None,
        open_only: bool = True,
    ) -> list[LotView]:
        """Every lot received by ``as_of`` (only those with stock left, unless
        ``open_only`` is off), with its ledger summed by kind up to ``as_of``."""
        lots = (
            select(LotRow, ProductRow, LocationRow.code, LocationRow.timezone)
            .join(ProductRow, LotRow.product_id == ProductRow.id)
            .join(LocationRow, LotRow.location_id == LocationRow.id)
            .where(LotRow.received_at <= as_of)
        )
        if location_code is not None:
            lots = lots.where(LocationRow.code == location_code)
        if sku is not None:
            lots = lots.where(ProductRow.sku == sku)
        if open_only:
            open_ids = (
                select(LedgerRow.lot_id)
                .where(LedgerRow.occurred_at <= as_of)
                .group_by(LedgerRow.lot_id)
                .having(func.sum(LedgerRow.quantity) != 0)
            )
            lots = lots.where(LotRow.id.in_(open_ids))
        found = self.session.execute(lots.order_by(LotRow.expires_at, LotRow.id)).all()
        ids = [row.id for row, *_ in found]
        totals: dict[int, dict[EntryKind, Decimal]] = defaultdict(dict)
        for chunk in _chunks(ids, 5000):
            query = (
                select(LedgerRow.lot_id, LedgerRow.kind, func.sum(LedgerRow.quantity))
                .where(LedgerRow.lot_id.in_(chunk), LedgerRow.occurred_at <= as_of)
                .group_by(LedgerRow.lot_id, LedgerRow.kind)
            )
            for lot_id, kind, total in self.session.execute(query):
                totals[lot_id][EntryKind(kind)] = total
        views = []
        for row, product, loc_code, zone in found:
            lot = _lot(row, product.sku, loc_code, product.currency, zone)
            views.append(
                LotView(
                    row.id,
                    lot,
                    product.name_en,
                    product.name_zh,
                    product.category,
                    zone,
                    totals[row.id],
                )
            )
        return views

    # stage events ---------------------------------------------------------------
    def recorded_stages(self, lot_ids: Sequence[int]) -> dict[int, set[str]]:
        result: dict[int, set[str]] = defaultdict(set)
        for chunk in _chunks(list(lot_ids), 5000):
            query = select(StageEventRow.lot_id, StageEventRow.stage).where(
                StageEventRow.lot_id.in_(chunk)
            )
            for lot_id, stage in self.session.execute(query):
                result[lot_id].add(stage)
        return result

    def add_stage_event(self, lot_id: int, stage: str, action: str, at: datetime) -> bool:
        """Record that a lot entered a stage; False when it was already recorded
        (another daily run got there first), so the alert still fires once."""
        insert_into = (
            postgresql_insert
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite_insert
        )
        statement = (
            insert_into(StageEventRow)
            .values(lot_id=lot_id, stage=stage, action=action, recorded_at=at)
            .on_conflict_do_nothing(index_elements=["lot_id", "stage"])
            .returning(StageEventRow.id)
        )
        return self.session.execute(statement).first() is not None


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
