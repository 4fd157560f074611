"""Clearance plans and their lines."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import Conflict, NotFound, Text
from shelfpilot.domain.lots import LotKey
from shelfpilot.domain.plans import LineStatus, Plan, PlanAction, PlanLine
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.models import (
    ClearancePlanRow,
    LocationRow,
    LotRow,
    PlanLineRow,
    ProductRow,
)
from shelfpilot.storage.stock_repo import StockRepository

#: where a line's reason keeps its template and values (to be shown in any language)
REASON_KEY = "_reason"


def _line(row: PlanLineRow, key: LotKey) -> PlanLine:
    detail = json.loads(row.detail)
    data = detail.pop(REASON_KEY, None)
    return PlanLine(
        lot=key,
        current_ratio=row.current_ratio,
        proposed_ratio=row.proposed_ratio,
        donate=row.donate,
        left_if_held=row.left_if_held,
        left_with_plan=row.left_with_plan,
        gain=row.gain,
        reason=_reason(data, row.reason),
        held_by_cap=row.held_by_cap,
        status=LineStatus(row.status),
        decided_ratio=row.decided_ratio,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        version=row.version,
        line_id=row.id,
        action=PlanAction(row.action),
        units=row.units,
        detail=detail,
    )


def _reason(data: object, english: str) -> str:
    """The line's reason as a phrase, or as stored in English when its data
    cannot be read back (a value that no longer fits its template)."""
    found = Text.readable(data)
    return english if found is None else found


def _detail(line: PlanLine) -> str:
    detail: dict[str, object] = dict(line.detail)
    if isinstance(line.reason, Text):
        detail[REASON_KEY] = line.reason.to_data()
    return json.dumps(detail, ensure_ascii=False, sort_keys=True)


class PlanRepository:
    def __init__(self, session: Session, catalog: CatalogRepository, stock: StockRepository):
        self.session = session
        self.catalog = catalog
        self.stock = stock

    def _lines_query(self) -> Select[PlanLineRow, str, str, str]:
        return (
            select(PlanLineRow, LotRow.lot_code, ProductRow.sku, LocationRow.code)
            .join(LotRow, LotRow.id == PlanLineRow.lot_id)
            .join(ProductRow, ProductRow.id == LotRow.product_id)
            .join(LocationRow, LocationRow.id == LotRow.location_id)
        )

    def _plan(self, row: ClearancePlanRow, code: str) -> Plan:
        query = self._lines_query().where(PlanLineRow.plan_id == row.id).order_by(PlanLineRow.id)
        lines = tuple(
            _line(line, LotKey(loc, sku, lot))
            for line, lot, sku, loc in self.session.execute(query)
        )
        return Plan(code, row.business_day, row.made_at, row.made_by, lines, row.id)

    def find_plan(self, location_code: str, day: date) -> Plan | None:
        location = self.catalog.location_row(location_code)
        row = self.session.scalar(
            select(ClearancePlanRow).where(
                ClearancePlanRow.location_id == location.id,
                ClearancePlanRow.business_day == day,
            )
        )
        return None if row is None else self._plan(row, location_code)

    def plans(self, day: date | None = None, location_code: str | None = None) -> list[Plan]:
        query = select(ClearancePlanRow, LocationRow.code).join(
            LocationRow, LocationRow.id == ClearancePlanRow.location_id
        )
        if day is not None:
            query = query.where(ClearancePlanRow.business_day == day)
        if location_code is not None:
            query = query.where(LocationRow.code == location_code)
        query = query.order_by(ClearancePlanRow.business_day.desc(), LocationRow.code)
        return [self._plan(row, code) for row, code in self.session.execute(query)]

    def add_plan(self, plan: Plan) -> int:
        location = self.catalog.location_row(plan.location_code)
        row = ClearancePlanRow(
            location_id=location.id,
            business_day=plan.business_day,
            made_at=plan.made_at,
            made_by=plan.made_by,
        )
        self.session.add(row)
        self.session.flush()
        for line in plan.lines:
            self.add_line(row.id, line)
        return row.id

    def add_line(self, plan_id: int, line: PlanLine) -> None:
        self.session.add(
            PlanLineRow(
                plan_id=plan_id,
                lot_id=self.stock.lot_id(line.lot),
                current_ratio=line.current_ratio,
                proposed_ratio=line.proposed_ratio,
                donate=line.donate,
                left_if_held=line.left_if_held,
                left_with_plan=line.left_with_plan,
                gain=line.gain,
                reason=line.reason,
                held_by_cap=line.held_by_cap,
                status=line.status.value,
                decided_ratio=line.decided_ratio,
                decided_by=line.decided_by,
                decided_at=line.decided_at,
                version=line.version,
                action=line.action.value,
                channel=line.detail.get("channel", ""),
                units=line.units,
                detail=_detail(line),
            )
        )
        self.session.flush()

    def drop_open_lines(self, plan_id: int) -> set[tuple[LotKey, PlanAction, str]]:
        """Remove the undecided lines of a plan being remade; returns the lots
        and actions that keep a decided line (they are not proposed again)."""
        self.session.execute(
            delete(PlanLineRow).where(
                PlanLineRow.plan_id == plan_id, PlanLineRow.status == LineStatus.PROPOSED.value
            )
        )
        query = self._lines_query().where(PlanLineRow.plan_id == plan_id)
        return {
            (LotKey(loc, sku, lot), PlanAction(row.action), row.channel)
            for row, lot, sku, loc in self.session.execute(query)
        }

    def line(self, line_id: int) -> tuple[PlanLine, str, date]:
        """A line with its plan's store and business day."""
        query = (
            self._lines_query()
            .add_columns(ClearancePlanRow.business_day)
            .join(ClearancePlanRow, ClearancePlanRow.id == PlanLineRow.plan_id)
            .where(PlanLineRow.id == line_id)
            # as the database has it now, not as this session first loaded it
            .execution_options(populate_existing=True)
        )
        found = self.session.execute(query).first()
        if found is None:
            raise NotFound(
                "there is no plan line {line}; list the plan to see its lines", line=line_id
            )
        row, lot, sku, loc, day = found
        return _line(row, LotKey(loc, sku, lot)), loc, day

    def save_decision(self, line: PlanLine) -> None:
        """Store a decided line if nobody decided it meanwhile (compare-and-set
        on the version the decision started from)."""
        result = self.session.execute(
            update(PlanLineRow)
            .where(PlanLineRow.id == line.line_id, PlanLineRow.version == line.version - 1)
            .values(
                status=line.status.value,
                decided_ratio=line.decided_ratio,
                decided_by=line.decided_by,
                decided_at=line.decided_at,
                version=line.version,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise Conflict(
                "plan line {line} was changed by someone else meanwhile; reload the plan",
                line=line.line_id,
            )
