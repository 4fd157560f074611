"""A unit of work: one transaction, the repositories that work inside it, and
the translation of database errors into domain errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shelfpilot.storage.audit_repo import AuditRepository
from shelfpilot.storage.catalog_repo import CatalogRepository
from shelfpilot.storage.channels_repo import ChannelRepository
from shelfpilot.storage.drivers_repo import DriverRepository
from shelfpilot.storage.errors import TransientConflict, translate, translate_dbapi
from shelfpilot.storage.forecasts_repo import ForecastRepository
from shelfpilot.storage.identity_repo import IdentityRepository
from shelfpilot.storage.jobs_repo import JobRepository
from shelfpilot.storage.plans_repo import PlanRepository
from shelfpilot.storage.preorders_repo import PreOrderRepository
from shelfpilot.storage.stock_repo import StockRepository

#: seconds a write waits for this process's other SQLite writers
GATE_WAIT = 60.0


class UnitOfWork:
    catalog: CatalogRepository
    stock: StockRepository
    plans: PlanRepository
    audit: AuditRepository
    channels: ChannelRepository
    drivers: DriverRepository
    forecasts: ForecastRepository
    preorders: PreOrderRepository
    identity: IdentityRepository
    jobs: JobRepository

    def __init__(
        self, factory: sessionmaker[Session], dialect: str, gate: threading.RLock | None = None
    ) -> None:
        self._factory = factory
        self.dialect = dialect
        self._gate = gate

    def __enter__(self) -> UnitOfWork:
        if self._gate is not None and not self._gate.acquire(timeout=GATE_WAIT):
            raise TransientConflict("the database is busy with other writes; try again")
        try:
            self.session = self._factory()
            try:
                self.session.begin()
                self.session.connection()
            except DBAPIError as error:
                self.session.close()
                raise translate_dbapi(error) from error
        except BaseException:
            self._open_gate()
            raise
        self.catalog = CatalogRepository(self.session)
        self.stock = StockRepository(self.session, self.catalog, lock=self.dialect != "sqlite")
        self.plans = PlanRepository(self.session, self.catalog, self.stock)
        self.audit = AuditRepository(self.session)
        self.channels = ChannelRepository(self.session)
        self.drivers = DriverRepository(self.session)
        self.forecasts = ForecastRepository(self.session)
        self.preorders = PreOrderRepository(self.session, self.catalog)
        self.identity = IdentityRepository(self.session, self.catalog)
        self.jobs = JobRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            try:
                if exc_type is None:
                    self.session.commit()
                else:
                    self.session.rollback()
            except DBAPIError as error:
                self.session.rollback()
                raise translate_dbapi(error) from error
            finally:
                self.session.close()
        finally:
            self._open_gate()
        if isinstance(exc, DBAPIError):
            # a statement failed inside the block (a deadlock, a lost connection)
            raise translate_dbapi(exc) from exc

    def _open_gate(self) -> None:
        if self._gate is not None:
            self._gate.release()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: on error only its own writes are undone (and the
        repositories forget what they cached from them); the error propagates."""
        try:
            with self.session.begin_nested():
                yield
                self.flush()
        except BaseException:
            self.catalog.forget()
            self.stock.forget()
            raise

    def flush(self) -> None:
        """Send pending writes now so constraint violations surface here."""
        try:
            self.session.flush()
        except IntegrityError as error:
            raise translate(error) from error
