"""Demand drivers the shop recorded (``models.DemandDriverRow``), as plain
records: storage does not import the forecast capability."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfpilot.storage.models import DemandDriverRow


class DriverRecord(NamedTuple):
    day: date
    location: str  # "" = every location
    sku: str  # "" = every product
    driver: str
    value: float
    note: str


class DriverRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, record: DriverRecord) -> bool:
        """Record or replace the value for that day, place, product and driver;
        True when something changed (a file imported twice changes nothing)."""
        row = self.session.scalar(
            select(DemandDriverRow).where(
                DemandDriverRow.day == record.day,
                DemandDriverRow.location_code == record.location,
                DemandDriverRow.sku == record.sku,
                DemandDriverRow.driver == record.driver,
            )
        )
        if row is None:
            self.session.add(
                DemandDriverRow(
                    day=record.day,
                    location_code=record.location,
                    sku=record.sku,
                    driver=record.driver,
                    value=record.value,
                    note=record.note,
                )
            )
            return True
        if (row.value, row.note) == (record.value, record.note):
            return False
        row.value, row.note = record.value, record.note
        return True

    def all(self, since: date | None = None) -> list[DriverRecord]:
        query = select(DemandDriverRow).order_by(
            DemandDriverRow.day,
            DemandDriverRow.location_code,
            DemandDriverRow.sku,
            DemandDriverRow.driver,
        )
        if since is not None:
            query = query.where(DemandDriverRow.day >= since)
        return [
            DriverRecord(r.day, r.location_code, r.sku, r.driver, r.value, r.note)
            for r in self.session.scalars(query)
        ]
