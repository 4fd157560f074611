"""The forecasts the daily run made, kept so that what was forecast can be
set against what sold (``models.ForecastSnapshotRow``), as plain records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shelfpilot.storage.models import ForecastSnapshotRow


class ForecastRecord(NamedTuple):
    location: str
    sku: str
    #: the store-local day the forecast was made (from the sales before it)
    made_on: date
    day: date
    mean: float
    q10: float
    q90: float


class ForecastRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, records: Iterable[ForecastRecord]) -> int:
        """Keep a day's forecasts; a second run on the same day replaces them."""
        rows = list(records)
        for location, sku, made_on in {(r.location, r.sku, r.made_on) for r in rows}:
            self.session.execute(
                delete(ForecastSnapshotRow).where(
                    ForecastSnapshotRow.location_code == location,
                    ForecastSnapshotRow.sku == sku,
                    ForecastSnapshotRow.made_on == made_on,
                )
            )
        self.session.add_all(
            ForecastSnapshotRow(
                location_code=r.location,
                sku=r.sku,
                made_on=r.made_on,
                day=r.day,
                mean=r.mean,
                q10=r.q10,
                q90=r.q90,
            )
            for r in rows
        )
        self.session.flush()
        return len(rows)

    def latest_before(
        self, location: str, sku: str, first: date, last: date
    ) -> list[ForecastRecord]:
        """For each day from ``first`` to ``last``, the forecast made last on
        or before that day (none for a day no run forecast)."""
        query = (
            select(ForecastSnapshotRow)
            .where(
                ForecastSnapshotRow.location_code == location,
                ForecastSnapshotRow.sku == sku,
                ForecastSnapshotRow.day >= first,
                ForecastSnapshotRow.day <= last,
                ForecastSnapshotRow.made_on <= ForecastSnapshotRow.day,
            )
            .order_by(ForecastSnapshotRow.day, ForecastSnapshotRow.made_on)
        )
        latest: dict[date, ForecastRecord] = {}
        for row in self.session.scalars(query):
            latest[row.day] = ForecastRecord(
                row.location_code, row.sku, row.made_on, row.day, row.mean, row.q10, row.q90
            )
        return [latest[d] for d in sorted(latest)]
