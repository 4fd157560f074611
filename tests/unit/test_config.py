"""Settings from the environment, with a clear error for a bad value."""

from __future__ import annotations

import pytest

from shelfpilot import config
from shelfpilot.domain.errors import InvalidValue


def test_clearance_money_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELFPILOT_DISPOSAL_COST", "0.35")
    monkeypatch.delenv("SHELFPILOT_DONATION_VALUE", raising=False)
    found = config.settings()
    assert (found.disposal_cost, found.donation_value) == (0.35, 0.0)
    monkeypatch.setenv("SHELFPILOT_DONATION_VALUE", "-2")
    with pytest.raises(InvalidValue, match="SHELFPILOT_DONATION_VALUE"):
        config.settings()
    monkeypatch.setenv("SHELFPILOT_DONATION_VALUE", "lots")
    with pytest.raises(InvalidValue, match="SHELFPILOT_DONATION_VALUE"):
        config.settings()
