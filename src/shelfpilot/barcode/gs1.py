"""GS1 labels on fresh goods: AI 01 GTIN, AI 10 lot, AI 17 expiry / AI 15 best
before, AI 310x net weight in kg (variable-measure items sold by weight)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from biip import ParseError, parse
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from shelfpilot.domain.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class ScannedLabel:
    gtin: str
    lot_code: str | None = None
    expiry: date | None = None
    net_weight_kg: Decimal | None = None


def normalise_gtin(text: str) -> str:
    """Check the digits and check digit; return the 14-digit form used for look-ups."""
    try:
        return str(Gtin.parse(text.strip()).as_gtin_14())
    except ParseError as error:
        raise InvalidValue(
            "GTIN {text!r} is not valid: {problem}", text=text, problem=str(error)
        ) from None


def read_label(text: str) -> ScannedLabel:
    """Parse what a scanner sent: a raw GS1 string, the bracketed human-readable
    form kept in spreadsheets ("(01)...(10)..."), or a plain GTIN."""
    text = text.strip()
    if text.startswith("("):
        try:
            return _from_message(GS1Message.parse_hri(text), text)
        except ParseError as error:
            raise InvalidValue(
                "barcode {text!r} is not a valid GS1 label: {problem}",
                text=text,
                problem=str(error),
            ) from None
    result = parse(text)
    if result.gs1_message is None:
        if result.gtin is not None:
            return ScannedLabel(gtin=str(result.gtin.as_gtin_14()))
        raise InvalidValue(
            "barcode {text!r} is neither a GS1 label nor a GTIN; scan again", text=text
        )
    return _from_message(result.gs1_message, text)


def _from_message(message: GS1Message, text: str) -> ScannedLabel:
    strings = message.element_strings
    gtin_string = strings.get(ai="01")
    if gtin_string is None:
        raise InvalidValue(
            "barcode {text!r} carries no GTIN (AI 01), so the product is unknown", text=text
        )
    if gtin_string.gtin is None:
        raise InvalidValue(
            "barcode {text!r} has a GTIN that is not valid: {problem}",
            text=text,
            problem=str(gtin_string.gtin_error),
        )
    lot = strings.get(ai="10")
    expiry = strings.get(ai="17") or strings.get(ai="15")
    weight = strings.get(data_title="NET WEIGHT (kg)")
    return ScannedLabel(
        gtin=str(gtin_string.gtin.as_gtin_14()),
        lot_code=lot.value if lot else None,
        expiry=expiry.date if expiry else None,
        net_weight_kg=weight.decimal if weight else None,
    )
