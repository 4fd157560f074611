"""Read models over the ledger (the ledger itself, lots with their totals)
and the stage events the daily run records once per lot and stage. A mixin of
``StockRepository``: the same session, kept apart to keep each file short."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shelfpilot.domain.ledger import ZERO, EntryKind, LedgerEntry
from shelfpilot.domain.lots import Lot, LotKey
from shelfpilot.domain.money import Money
from shelfpilot.storage.models import (
    LedgerRow,
    LocationRow,
    LotRow,
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


def lot_from_row(row: LotRow, sku: str, location_code: str, currency: str, zone: str) -> Lot:
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


class StockReports:
    session: Session

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
        return [_record(*found) for found in self.session.execute(query)]

    def ledger_page(
        self,
        location_code: str,
        *,
        sku: str | None = None,
        lot_code: str | None = None,
        kind: EntryKind | None = None,
        newest_first: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[LedgerRecord], int]:
        """One page of a location's ledger by time (by entry among equal
        times), and how many entries match: the database pages, so a long
        ledger is not read whole for one page."""
        query = self._ledger_query().where(LocationRow.code == location_code)
        if sku is not None:
            query = query.where(ProductRow.sku == sku)
        if lot_code is not None:
            query = query.where(LotRow.lot_code == lot_code)
        if kind is not None:
            query = query.where(LedgerRow.kind == kind.value)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        if newest_first:
            order = (LedgerRow.occurred_at.desc(), LedgerRow.id.desc())
        else:
            order = (LedgerRow.occurred_at.asc(), LedgerRow.id.asc())
        page = self.session.execute(query.order_by(*order).offset(offset).limit(limit))
        return [_record(*found) for found in page], int(total or 0)

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
        for chunk in chunks(ids, 5000):
            query = (
                select(LedgerRow.lot_id, LedgerRow.kind, func.sum(LedgerRow.quantity))
                .where(LedgerRow.lot_id.in_(chunk), LedgerRow.occurred_at <= as_of)
                .group_by(LedgerRow.lot_id, LedgerRow.kind)
            )
            for lot_id, kind, total in self.session.execute(query):
                totals[lot_id][EntryKind(kind)] = total
        views = []
        for row, product, loc_code, zone in found:
            lot = lot_from_row(row, product.sku, loc_code, product.currency, zone)
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
        for chunk in chunks(list(lot_ids), 5000):
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


def chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record(row: LedgerRow, lot_code: str, sku: str, location: str) -> LedgerRecord:
    price = Money(row.unit_price, row.currency or "CNY") if row.unit_price is not None else None
    entry = LedgerEntry(
        LotKey(location, sku, lot_code),
        EntryKind(row.kind),
        row.quantity,
        row.occurred_at,
        unit_price=price,
        reference=row.reference,
        note=row.note,
    )
    return LedgerRecord(row.id, row.operation_id, entry)
