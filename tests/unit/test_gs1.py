from datetime import date
from decimal import Decimal

import pytest

from shelfpilot.barcode import normalise_gtin, read_label
from shelfpilot.domain import InvalidValue


def test_raw_gs1_label_with_lot_expiry_and_weight() -> None:
    label = read_label("]C1" + "0105901234123457" + "17261130" + "10LOT42" + "\x1d" + "3103001250")
    assert label.gtin == "05901234123457"
    assert label.lot_code == "LOT42"
    assert label.expiry == date(2026, 11, 30)
    assert label.net_weight_kg == Decimal("1.250")


def test_bracketed_form_from_a_spreadsheet() -> None:
    label = read_label("(01)05901234123457(15)261128(10)A-7")
    assert (label.gtin, label.lot_code, label.expiry) == (
        "05901234123457",
        "A-7",
        date(2026, 11, 28),
    )


def test_plain_gtin() -> None:
    assert read_label("5901234123457").lot_code is None
    assert normalise_gtin("96385074") == "00000096385074"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "neither a GS1 label nor a GTIN"),
        ("(01)05901234123458", "GTIN that is not valid: Invalid GTIN check digit"),
        ("(01)0590", "not a valid GS1 label"),
        ("10LOT42", "carries no GTIN"),
    ],
)
def test_unreadable_barcodes(text: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        read_label(text)


def test_gtin_check_digit() -> None:
    with pytest.raises(InvalidValue, match="check digit"):
        normalise_gtin("5901234123458")
