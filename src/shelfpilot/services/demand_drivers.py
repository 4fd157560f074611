"""What the shop knows about the days ahead (and behind) that moves demand:
public holidays (by country, ``SHELFPILOT_HOLIDAYS``, Chinese by default) and
the shop's own calendar (``shelfpilot import calendar``: holidays, events,
promotions, planned discounts, weather), as driver columns for the model.

History gets every driver but ``discount``, which the ledger observed (the
price actually paid wins over a plan). The days forecast get all of them; a
driver the saved model was not trained with waits for ``--retrain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from shelfpilot import config
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.forecast.calendar import HolidayCalendar, driver_frame
from shelfpilot.storage import Database, DriverRecord

COLUMNS = ["day", "location", "sku", "driver", "value"]


@dataclass(frozen=True)
class Drivers:
    records: pd.DataFrame  # COLUMNS; "" = every location / product
    calendar: HolidayCalendar

    def for_history(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (``unique_id, location, sku, ds, ...``) with the driver columns."""
        if frame.empty:
            return frame
        dates = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq="D")
        drivers = driver_frame(self.records, _series(frame), dates, self.calendar)
        drivers = drivers.drop(columns=[c for c in ("discount",) if c in drivers])
        return frame.merge(drivers, on=["unique_id", "ds"], how="left")

    def for_days(
        self, places: dict[str, tuple[str, str]], first: date, days: int, known: set[str]
    ) -> pd.DataFrame:
        """The ``days`` days from ``first`` for the series in ``places``
        (``unique_id`` → location, SKU), with only the drivers in ``known``
        (those the model was trained with)."""
        series = pd.DataFrame(
            [(uid, loc, sku) for uid, (loc, sku) in places.items()],
            columns=["unique_id", "location", "sku"],
        )
        dates = pd.date_range(pd.Timestamp(first), periods=days, freq="D")
        drivers = driver_frame(self.records, series, dates, self.calendar)
        return drivers[["unique_id", "ds", *[c for c in drivers.columns[2:] if c in known]]]

    def unknown_to(self, known: set[str]) -> list[str]:
        """Drivers of the calendar a model trained with ``known`` does not use."""
        named = {"holiday", *self.records["driver"]}
        return sorted(named - known)


def load_drivers(db: Database, since: date | None = None) -> Drivers:
    records = calendar_rows(db, since)
    frame = pd.DataFrame(
        [(r.day, r.location, r.sku, r.driver, r.value) for r in records], columns=COLUMNS
    )
    return Drivers(frame, holiday_calendar())


def calendar_rows(db: Database, since: date | None = None) -> list[DriverRecord]:
    """The calendar as recorded, by day."""
    with db.transaction(readonly=True) as uow:
        return uow.drivers.all(since)


def holiday_calendar() -> HolidayCalendar:
    """The public holidays of ``SHELFPILOT_HOLIDAYS`` (an ISO country code such
    as CN, GB or US; "none" for none)."""
    country = config.settings().holidays.strip().upper()
    if country in ("", "NONE"):
        return HolidayCalendar(country=None)
    calendar = HolidayCalendar(country=country)
    try:
        calendar.flags(pd.DatetimeIndex([pd.Timestamp(date.today() - timedelta(days=1))]))
    except NotImplementedError:
        raise InvalidValue(
            f"bad setting: SHELFPILOT_HOLIDAYS={country!r} is not a country the holiday "
            "calendar knows; use an ISO code such as CN, GB or US, or none"
        ) from None
    return calendar


def _series(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["unique_id", "location", "sku"]].drop_duplicates("unique_id")
