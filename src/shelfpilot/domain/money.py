"""Money and quantities: exact decimals, never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shelfpilot.domain.errors import InvalidValue, Text

DEFAULT_CURRENCY = "CNY"
#: Quantities are kept to the gram / millilitre when sold by weight or volume.
QUANTITY_PLACES = Decimal("0.001")
#: Money is kept to 1/10,000 of the currency unit internally, shown to 2 places.
MONEY_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.0001")
#: Nothing a shop records is this large; bigger numbers are typing mistakes.
LARGEST = Decimal("1e12")

Number = Decimal | int | str


def to_decimal(value: Number, what: str = "value") -> Decimal:
    """Convert to Decimal, refusing floats (binary floats cannot hold 0.1 exactly)."""
    if isinstance(value, float | bool):
        raise InvalidValue(
            "{what} must be given as a decimal string or integer, not {value!r}",
            what=Text(what),
            value=value,
        )
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidValue(
            "{what} {value!r} is not a number", what=Text(what), value=value
        ) from None
    if not result.is_finite():
        raise InvalidValue("{what} {value!r} is not a finite number", what=Text(what), value=value)
    if abs(result) >= LARGEST:
        raise InvalidValue(
            "{what} {value} is too large (limit {limit:,.0f})",
            what=Text(what),
            value=value,
            limit=LARGEST,
        )
    return result


def quantity(value: Number, what: str = "quantity") -> Decimal:
    """A stock quantity rounded to 3 places (grams when the unit is kg)."""
    q = to_decimal(value, what)
    rounded = q.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
    if rounded != q:
        raise InvalidValue(
            "{what} {value} has more than 3 decimal places", what=Text(what), value=value
        )
    return rounded + Decimal(0)  # normalises -0.000 to 0.000


def estimate(value: float | Decimal, places: int) -> Decimal:
    """A model's float figure (units expected left, a gain) as a Decimal of
    ``places`` decimals, for plans and reports; never a price or a quantity
    posted to the ledger, which come from ``to_decimal``."""
    return Decimal(repr(round(float(value), places)))


def show(amount: Decimal) -> str:
    """A quantity as people write it: 5 not 5.000, 1.25 not 1.250."""
    text = format(amount.normalize(), "f")
    return text


def ratio(value: Number, what: str = "price ratio") -> Decimal:
    """A price as a share of list price: 7折 is 0.7."""
    r = to_decimal(value, what).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    if r < 0:
        raise InvalidValue("{what} {value} cannot be negative", what=Text(what), value=value)
    return r


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, held exactly."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        amount = to_decimal(self.amount, "amount").quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
        object.__setattr__(self, "amount", amount)
        cur = self.currency.upper()
        if len(cur) != 3 or not cur.isalpha():
            raise InvalidValue(
                "currency {currency!r} is not a 3-letter ISO 4217 code", currency=self.currency
            )
        object.__setattr__(self, "currency", cur)

    @classmethod
    def of(cls, amount: Number, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(to_decimal(amount, "amount"), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidValue("cannot combine {a} with {b}", a=self.currency, b=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise InvalidValue("multiply money by a Decimal, not a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def ratio_to(self, reference: Money) -> Decimal:
        """This amount as a share of ``reference`` (e.g. paid / list price)."""
        self._same(reference)
        if reference.amount == 0:
            raise InvalidValue("cannot take a ratio to a zero price")
        return (self.amount / reference.amount).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)

    def rounded(self) -> Decimal:
        return self.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        return f"{self.rounded()} {self.currency}"
