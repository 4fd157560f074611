"""Persistence: SQLAlchemy models, repositories and Alembic migrations.
The only package that knows SQL."""

from shelfpilot.storage.database import Database
from shelfpilot.storage.drivers_repo import DriverRecord
from shelfpilot.storage.errors import DuplicateOperation, StorageUnavailable, TransientConflict
from shelfpilot.storage.forecasts_repo import ForecastRecord
from shelfpilot.storage.identity_repo import ApiKeyRecord, UserRecord
from shelfpilot.storage.stock_reports import LedgerRecord, LotView
from shelfpilot.storage.unit_of_work import UnitOfWork

__all__ = [
    "ApiKeyRecord",
    "Database",
    "DriverRecord",
    "DuplicateOperation",
    "ForecastRecord",
    "LedgerRecord",
    "LotView",
    "StorageUnavailable",
    "TransientConflict",
    "UnitOfWork",
    "UserRecord",
]
