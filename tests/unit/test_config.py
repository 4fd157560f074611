"""Settings from the environment, with a clear error for a bad value."""

from __future__ import annotations

from pathlib import Path

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


def test_a_data_folder_given_is_the_only_one_looked_at(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a default folder with the file exists beside the working directory
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "f.csv").write_text("x\n")
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.delenv("SHELFPILOT_DATA", raising=False)
    assert config.dataset("f.csv") == (tmp_path / "shared" / "data" / "f.csv").resolve()
    # a mistyped --data or SHELFPILOT_DATA finds nothing rather than the default
    assert config.dataset("f.csv", tmp_path / "typo") is None
    monkeypatch.setenv("SHELFPILOT_DATA", str(tmp_path / "typo"))
    assert config.dataset("f.csv") is None
    assert config.dataset("f.csv", tmp_path / "shared" / "data") is not None
