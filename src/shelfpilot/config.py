"""Settings, read from the environment when asked for (never at import time).

- ``SHELFPILOT_DB_URL``: database URL; default a SQLite file ``shelfpilot.db``
  in the working directory. ``postgresql://user@host/db`` for PostgreSQL.
- ``SHELFPILOT_DATA``: folder of the public data sets used by the demo and the
  benchmarks; default ``../shared/data`` when it exists.
- ``SHELFPILOT_DISPOSAL_COST`` and ``SHELFPILOT_DONATION_VALUE``: money per
  unit binned (haulage, fees) and per unit given to a food bank (a tax
  receipt, goodwill), in the store's currency; both 0 by default. The
  clearance plan and the production advice weigh them; a brand that wants
  less waste adds to the disposal cost what it counts a binned unit as
  costing beyond that (``benchmarks/clearance_waste_weight.py``).
- ``SHELFPILOT_HOLIDAYS``: whose public holidays the demand forecast knows,
  an ISO country code (CN by default, GB, US ...) or ``none``.
- ``SHELFPILOT_SECRET_KEY``: the key that signs API login tokens (at least 32
  characters). Without it ``shelfpilot serve`` makes a random one, so logins
  end when the server restarts. Never logged.
- ``SHELFPILOT_ACCESS_MINUTES`` / ``SHELFPILOT_REFRESH_DAYS``: how long an
  access token (15 minutes) and a refresh token (7 days) stay valid.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
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
    secret_key: SecretStr | None = Field(default=None, min_length=32)
    access_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_days: int = Field(default=7, ge=1, le=90)


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
    """Where the shared data sets are, or None when there are none. A folder
    given (``--data``, else ``SHELFPILOT_DATA``) is the only one looked at:
    a mistyped path must not quietly measure on another copy."""
    given = explicit if explicit is not None else settings().data
    if given is not None:
        return given.resolve() if given.is_dir() else None
    candidates = [Path.cwd() / ".." / "shared" / "data"]
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
