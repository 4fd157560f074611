"""Ledger references: which sales were made off the shelf."""

from __future__ import annotations

from shelfpilot.domain.ledger import off_shelf


def test_sales_made_off_the_shelf_are_told_by_their_reference() -> None:
    for reference in ("channel group-buy, plan line 7", "pre-order 12", "bundle plan line 3"):
        assert off_shelf(reference), reference
    for reference in (None, "", "till 0193", "channelled", "pre-orders list", "bundle"):
        assert not off_shelf(reference), reference
