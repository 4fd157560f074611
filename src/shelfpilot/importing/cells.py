"""Turning one cell into a business value, or a message saying why not.

Every parser takes whatever the file held (text, int, float, Decimal, date,
datetime or None) and raises ``InvalidValue`` with a message written for the
person who typed the cell. Numbers never pass through binary floating point:
text is read as a Decimal directly, and a float handed over by Excel or
Parquet is read through its shortest text form (``repr``), which is the
number as the spreadsheet shows it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from shelfpilot.domain.catalog import LocationKind
from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.money import quantity

_MOMENT = re.compile(
    r"""^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
        (?:\s*[T\s]\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?
        \s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$""",
    re.VERBOSE,
)
_CURRENCY_MARKS = ("¥", "￥", "元")
_KINDS = {
    "brand": LocationKind.BRAND,
    "品牌": LocationKind.BRAND,
    "总部": LocationKind.BRAND,
    "distributor": LocationKind.DISTRIBUTOR,
    "经销商": LocationKind.DISTRIBUTOR,
    "分销商": LocationKind.DISTRIBUTOR,
    "store": LocationKind.STORE,
    "门店": LocationKind.STORE,
    "店": LocationKind.STORE,
    "warehouse": LocationKind.WAREHOUSE,
    "仓库": LocationKind.WAREHOUSE,
    "仓": LocationKind.WAREHOUSE,
}


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text(value: object) -> str:
    """A cell as text: codes typed as numbers (SKU 1001) come back as '1001'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def decimal(value: object) -> Decimal:
    """An exact number. Accepts '1,234.50', '¥12.50' and '12.5元' as well."""
    if isinstance(value, bool):
        raise InvalidValue("{value} is not a number", value=value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        cleaned = value.strip().replace(",", "").replace("，", "")
        for mark in _CURRENCY_MARKS:
            cleaned = cleaned.replace(mark, "")
        try:
            result = Decimal(cleaned.strip())
        except InvalidOperation:
            raise InvalidValue("{value!r} is not a number", value=value.strip()) from None
    elif isinstance(value, datetime | date):
        raise InvalidValue("{value} is a date, not a number", value=value.isoformat())
    else:
        raise InvalidValue("{value!r} is not a number", value=value)
    if not result.is_finite():
        raise InvalidValue("{value!r} is not a number", value=text(value))
    return result


def positive_quantity(value: object) -> Decimal:
    """A quantity above zero, to at most 3 decimal places (grams of a kg)."""
    amount = _quantity(value)
    if amount <= 0:
        raise InvalidValue("quantity must be above zero, got {value}", value=text(value))
    return amount


def counted_quantity(value: object) -> Decimal:
    """What a stock count found: zero or more."""
    amount = _quantity(value)
    if amount < 0:
        raise InvalidValue("a counted quantity cannot be negative, got {value}", value=text(value))
    return amount


def _quantity(value: object) -> Decimal:
    number = decimal(value)
    try:
        return quantity(number)
    except InvalidValue:
        raise InvalidValue(
            "{value} has more than 3 decimal places; quantities are kept to 0.001",
            value=text(value),
        ) from None


def money(value: object) -> Decimal:
    """A price or cost: zero or more."""
    amount = decimal(value)
    if amount < 0:
        raise InvalidValue("an amount cannot be negative, got {value}", value=text(value))
    return amount


def price(value: object) -> Decimal:
    """A list price: above zero."""
    amount = decimal(value)
    if amount <= 0:
        raise InvalidValue("a price must be above zero, got {value}", value=text(value))
    return amount


def share(value: object) -> Decimal:
    """A share of list price in (0, 1]; accepts 0.5, '50%' or 5折-style '0.5'."""
    raw = value.strip() if isinstance(value, str) else value
    if isinstance(raw, str) and raw.endswith(("%", "％")):
        amount = decimal(raw[:-1]) / 100
    else:
        amount = decimal(raw)
    if not Decimal(0) < amount <= Decimal(1):
        raise InvalidValue(
            "must be a share of list price above 0 and at most 1, got {value}", value=text(value)
        )
    return amount


def duration(value: object, unit: timedelta) -> timedelta:
    """A shelf life counted in ``unit`` (days or hours); whole minutes only."""
    amount = decimal(value)
    if amount <= 0:
        raise InvalidValue("shelf life must be above zero, got {value}", value=text(value))
    minutes = amount * Decimal(int(unit.total_seconds() // 60))
    if minutes != minutes.to_integral_value():
        raise InvalidValue("shelf life {value} is not a whole number of minutes", value=text(value))
    return timedelta(minutes=int(minutes))


def location_kind(value: object) -> LocationKind:
    key = text(value).casefold()
    if key not in _KINDS:
        raise InvalidValue(
            "{value!r} is not a kind of location; use brand, distributor, store or "
            "warehouse (品牌, 经销商, 门店, 仓库)",
            value=text(value),
        )
    return _KINDS[key]


def day_or_moment(value: object) -> date | datetime:
    """A date stays a date (an expiry date means "through that whole day");
    a date-time stays a date-time, naive unless the cell gave an offset."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise InvalidValue(
            "{value} is a number, not a date; write dates as 2024-05-01 or 2024/5/1",
            value=text(value),
        )
    raw = text(value)
    match = _MOMENT.match(raw)
    if match is None:
        raise InvalidValue(
            "{value!r} is not a date; write 2024-05-01, 2024/5/1 or 2024-05-01 08:30", value=raw
        )
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None:
            return day
        clock = time(
            int(match["H"]),
            int(match["M"]),
            int(match["S"] or 0),
            int((match["f"] or "0").ljust(6, "0")),
            tzinfo=_offset(match["tz"]) if match["tz"] else None,
        )
    except ValueError:
        raise InvalidValue(
            "{value!r} is not a real date, time of day or UTC offset", value=raw
        ) from None
    return datetime.combine(day, clock)


def moment(value: object) -> datetime:
    """A point in time; a bare date means midnight at its start."""
    found = day_or_moment(value)
    if isinstance(found, datetime):
        return found
    return datetime.combine(found, time(0))


def _offset(text_offset: str) -> timezone:
    if text_offset == "Z":
        return UTC
    sign = -1 if text_offset[0] == "-" else 1
    digits = text_offset[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
