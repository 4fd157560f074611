"""Model files: written in one step, read back only when they are ours."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from shelfpilot.forecast.persistence import load_tagged, save_tagged


def test_a_failed_save_keeps_the_old_model_and_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.demand.pkl"
    save_tagged({"weights": [1, 2]}, path, "demand/1")
    with pytest.raises((AttributeError, pickle.PicklingError)):  # a lambda cannot be pickled
        save_tagged({"weights": lambda: 3}, path, "demand/1")
    assert load_tagged(path, "demand/1", dict, "demand model") == {"weights": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["shop.demand.pkl"]
    save_tagged({"weights": [3]}, path, "demand/1")
    assert load_tagged(path, "demand/1", dict, "demand model") == {"weights": [3]}


def test_a_file_of_another_kind_or_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    save_tagged({"weights": [1]}, path, "demand/1")
    with pytest.raises(ValueError, match="saved by another version"):
        load_tagged(path, "demand/2", dict, "demand model")
    with pytest.raises(ValueError, match="is not a ShelfPilot demand model"):
        load_tagged(path, "stats/1", dict, "demand model")
    with pytest.raises(ValueError, match="is not a ShelfPilot demand model"):
        load_tagged(path, "demand/1", list, "demand model")
