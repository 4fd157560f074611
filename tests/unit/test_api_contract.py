"""The API's documented forms agree with what it accepts."""

from __future__ import annotations

from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from shelfpilot.api.routes.work import ImportKind
from shelfpilot.api.schemas import Cost, Counted, Days, ListPrice, Price, Quantity, Share
from shelfpilot.importing import KINDS

DECIMALS = (Quantity, Counted, Price, ListPrice, Cost, Days, Share)


def test_import_kinds_in_the_schema_are_the_importers() -> None:
    assert set(get_args(ImportKind)) == set(KINDS)


@settings(max_examples=300)
@given(st.data(), st.sampled_from(DECIMALS))
def test_every_decimal_of_the_documented_form_is_accepted(
    data: st.DataObject, kind: object
) -> None:
    adapter = TypeAdapter(kind)
    pattern = adapter.json_schema()["pattern"]
    text = data.draw(st.from_regex(pattern, fullmatch=True))
    adapter.validate_python(text)  # raises if refused
