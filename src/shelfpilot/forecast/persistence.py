"""Saving and loading fitted models: a pickle tagged with its format, so a
file of another kind is refused with a message instead of misread.
Load only files you made: unpickling runs code."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def save_tagged(model: object, path: Path, fmt: str) -> None:
    """Written beside ``path`` and moved over it in one step, so a reader in
    another thread or server process sees the old model or the new one,
    never half a file."""
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"format": fmt, "model": model}, fh)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def load_tagged(path: Path, fmt: str, kind: type[T], what: str) -> T:
    with open(path, "rb") as fh:
        payload = pickle.load(fh)
    if not isinstance(payload, dict) or not isinstance(payload.get("format"), str):
        raise ValueError(f"{path} is not a ShelfPilot {what}")
    if payload["format"] != fmt:
        if payload["format"].split("/")[0] == fmt.split("/")[0]:
            raise ValueError(
                f"{path} is a {what} saved by another version of ShelfPilot "
                f"(format {payload['format']}; this version reads {fmt})"
            )
        raise ValueError(f"{path} is not a ShelfPilot {what}")
    model = payload["model"]
    if not isinstance(model, kind):
        raise ValueError(f"{path} is not a ShelfPilot {what}")
    return model
