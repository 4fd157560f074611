"""Settings, read from the environment when asked for (never at import time).

- ``SHELFPILOT_DB_URL``: database URL; default a SQLite file ``shelfpilot.db``
  in the working directory. ``postgresql://user@host/db`` for PostgreSQL.
- ``SHELFPILOT_DATA``: folder of the public data sets used by the demo and the
  benchmarks; default ``../shared/data`` when it exists.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///shelfpilot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHELFPILOT_", extra="ignore")

    db_url: str = DEFAULT_DB_URL
    data: Path | None = None


def settings() -> Settings:
    return Settings()


def data_dir(explicit: Path | None = None) -> Path | None:
    """Where the shared data sets are, or None when there are none."""
    candidates = [explicit, settings().data, Path.cwd() / ".." / "shared" / "data"]
    candidates.append(
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    )  # beside the repo
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate.resolve()
    return None


def dataset(relative: str, explicit: Path | None = None) -> Path | None:
    """A file of the shared data, or None (callers skip with a clear message)."""
    root = data_dir(explicit)
    if root is None:
        return None
    path = root / relative
    return path if path.exists() else None
