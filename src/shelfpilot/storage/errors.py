"""Database errors turned into domain errors a shop manager can act on."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

from shelfpilot.domain.errors import Conflict, DomainError, InvalidValue


class DuplicateOperation(Conflict):
    """A concurrent writer committed the same idempotency key first."""


class StorageUnavailable(DomainError):
    """The database cannot be reached or opened."""


class TransientConflict(DomainError):
    """Another transaction got in the way (deadlock, serialization failure,
    busy SQLite file); running the whole transaction again is safe."""


def translate(error: IntegrityError) -> Conflict:
    text = str(error.orig).lower()
    if "uq_jobs_active_location" in text or "jobs.location_code" in text:
        return Conflict("another job at this location has just started; wait for it to finish")
    if "uq_jobs_idempotency_key" in text or "jobs.idempotency_key" in text:
        return Conflict("this Idempotency-Key has just started a job; ask for it again")
    if "idempotency_key" in text:
        return DuplicateOperation("this request was already recorded by another client")
    if "uq_lots_place_code" in text or "lots.location_id, lots.product_id, lots.lot_code" in text:
        return Conflict("that lot code already exists for this product at this location")
    return Conflict(
        "the change conflicts with existing data ({problem})",
        problem=str(error.orig).splitlines()[0],
    )


#: PostgreSQL SQLSTATEs after which running the transaction again is the fix:
#: serialization failure, deadlock, lock not available.
_RETRYABLE = {"40001", "40P01", "55P03"}


def translate_dbapi(error: DBAPIError) -> DomainError:
    """Any driver error as a domain error with a message a manager can act on."""
    if isinstance(error, IntegrityError):
        return translate(error)
    state = getattr(error.orig, "sqlstate", None)
    text = str(error.orig).splitlines()[0] if error.orig is not None else str(error)
    if "NUL (0x00)" in text:  # PostgreSQL text cannot hold it; SQLite can
        return InvalidValue("text may not contain the NUL character (0x00)")
    if state in _RETRYABLE or "database is locked" in text:
        return TransientConflict(
            "another till or user changed the same stock at that moment; try again"
        )
    return StorageUnavailable("the database is unavailable: {problem}", problem=text)
