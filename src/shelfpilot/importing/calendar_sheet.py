"""The demand calendar file: holidays, local events, planned promotions and
discounts, weather, one driver per row over a range of days.

``value`` is 1 for a flag when blank (holiday, event, promo); 0 cancels a
flag (a public holiday the shop treats as a normal day). ``discount`` is the
planned price as a share of list (0.8 = 8折); weather is in °C, mm, % and
the wind level of the weather service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shelfpilot.domain.errors import InvalidValue, Text
from shelfpilot.importing import cells
from shelfpilot.importing.sheet import RowReader, Sheet, code, limited, read_rows
from shelfpilot.importing.tables import Table

#: driver → (lowest, highest) value; flags are 0 or 1.
RANGES: dict[str, tuple[float, float]] = {
    "holiday": (0, 1),
    "event": (0, 1),
    "promo": (0, 1),
    "discount": (0.01, 2.0),
    "temperature": (-60, 60),
    "precipitation": (0, 1000),
    "humidity": (0, 100),
    "wind": (0, 20),
}
FLAGS = frozenset({"holiday", "event", "promo"})
#: Chinese names a shop may write for the drivers.
ALIASES = {
    "节假日": "holiday",
    "假日": "holiday",
    "活动": "event",
    "促销": "promo",
    "折扣": "discount",
    "气温": "temperature",
    "温度": "temperature",
    "降水": "precipitation",
    "降雨": "precipitation",
    "湿度": "humidity",
    "风力": "wind",
}
#: A row may cover at most this many days.
LONGEST = 366
#: Days outside these are typing mistakes (3026 for 2026).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    start: date
    end: date
    location: str  # "" = every location
    sku: str  # "" = every product
    driver: str
    value: float
    note: str

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _day(value: object) -> date:
    found = cells.day_or_moment(value)
    day = found.date() if isinstance(found, datetime) else found
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue("{day} is not a plausible day; check the year", day=day)
    return day


def _driver(value: object) -> str:
    written = cells.text(value).casefold()
    name = ALIASES.get(written, written)
    if name not in RANGES:
        raise InvalidValue(
            "unknown driver {name!r}; use one of {drivers}", name=name, drivers=", ".join(RANGES)
        )
    return name


def read_calendar(table: Table) -> Sheet[CalendarEntry]:
    """Rows that overlap (the same driver for the same day, place and product in
    two rows) are refused: which one was meant cannot be told."""
    sheet = read_rows("calendar", table, _entry)
    seen: dict[tuple[date, str, str, str], int] = {}
    kept = []
    for parsed in sheet.rows:
        e = parsed.value
        clash = next(
            (seen[k] for d in e.days() if (k := (d, e.location, e.sku, e.driver)) in seen), None
        )
        if clash is not None:
            message = Text(
                "{driver} for these days and this place is already given in row {row}",
                driver=e.driver,
                row=clash,
            )
            sheet.errors.append(sheet.error(parsed.row, "start", message))
            continue
        seen.update({(d, e.location, e.sku, e.driver): parsed.row for d in e.days()})
        kept.append(parsed)
    sheet.rows = kept
    return sheet


def _entry(r: RowReader) -> CalendarEntry | None:
    start = r.required("start", _day, "first day")
    end = r.optional("end", _day)
    location = r.optional("location", code("location")) or ""
    sku = r.optional("sku", code("SKU")) or ""
    driver = r.required("driver", _driver, "driver (holiday, event, promo, discount, weather)")
    value = r.optional("value", cells.decimal)
    note = r.optional("note", limited("note", 200)) or ""
    if r.failed or start is None or driver is None:
        return None
    end = end or start
    if end < start:
        r.fail(
            "end", Text("the last day {end} is before the first day {start}", end=end, start=start)
        )
    elif (end - start).days >= LONGEST:
        r.fail("end", Text("a row covers at most {days} days; split it", days=LONGEST))
    if value is None and driver not in FLAGS:
        r.fail("value", Text("missing value: give the {driver} for these days", driver=driver))
    number = float(value) if value is not None else 1.0
    low, high = RANGES[driver]
    if value is not None and not low <= number <= high:
        r.fail(
            "value",
            Text(
                "{driver} must be between {low:g} and {high:g}, not {value}",
                driver=driver,
                low=low,
                high=high,
                value=value,
            ),
        )
    elif driver in FLAGS and number not in (0.0, 1.0):
        r.fail(
            "value", Text("{driver} is 1 (yes) or 0 (no), not {value}", driver=driver, value=value)
        )
    if r.failed:
        return None
    return CalendarEntry(start, end, location, sku, driver, number, note)
