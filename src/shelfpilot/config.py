"""Settings, read from the environment when asked for (never at import time).

- ``SHELFPILOT_DB_URL``: database URL; default a SQLite file ``shelfpilot.db``
  in the working directory. ``postgresql://user@host/db`` for PostgreSQL.
- ``SHELFPILOT_DATA``: folder of the public data sets used by the demo and the
  benchmarks; default ``../shared/data`` when it exists.
- ``SHELFPILOT_DISPOSAL_COST`` and ``SHELFPILOT_DONATION_VALUE``: money per
  unit binned (haulage, fees) and per unit given to a food bank (a tax
  receipt, goodwill), in the store's currency; both 0 by default. The
  clearance plan weighs them.
- ``SHELFPILOT_HOLIDAYS``: whose public holidays the demand forecast knows,
  an ISO country code (CN by default, GB, US ...) or ``none``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shelfpilot.domain.errors import InvalidValue

DEFAULT_DB_URL = "sqlite:///shelfpilot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHELFPILOT_", extra="ignore")

    db_url: str = DEFAULT_DB_URL
    data: Path | None = None
    disposal_cost: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    donation_value: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    holidays: str = "CN"


def settings() -> Settings:
    """The settings, or an ``InvalidValue`` naming the variable that is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"SHELFPILOT_{str(e['loc'][0]).upper()}: {e['msg'].lower()}" for e in error.errors()
        )
        raise InvalidValue(f"bad setting: {problems}") from None


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
