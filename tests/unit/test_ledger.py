"""Ledger references: which sales were made off the shelf, and by what."""

from __future__ import annotations

from shelfpilot.domain.ledger import (
    CHANNEL_REFERENCE,
    PRE_ORDER_REFERENCE,
    off_shelf,
    referenced_as,
)


def test_sales_made_off_the_shelf_are_told_by_their_reference() -> None:
    for reference in ("channel group-buy, plan line 7", "pre-order 12", "bundle plan line 3"):
        assert off_shelf(reference), reference
    for reference in (None, "", "till 0193", "channelled", "pre-orders list", "bundle"):
        assert not off_shelf(reference), reference
    assert referenced_as("channel group-buy, plan line 7", CHANNEL_REFERENCE)
    assert not referenced_as("channel group-buy, plan line 7", PRE_ORDER_REFERENCE)
    assert not referenced_as("channelled", CHANNEL_REFERENCE)
    assert not referenced_as(None, PRE_ORDER_REFERENCE)
