"""Running a stock operation exactly once.

Every event write (receipt, sale, transfer, removal, count, return, price
change) goes through ``run``: it opens a transaction, records an operation
row under the caller's idempotency key, and appends the ledger entries. A
retried upload with the same key and the same content returns the first
result and writes nothing; the same key with different content is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from shelfpilot.domain.errors import Conflict, DomainError, Text
from shelfpilot.domain.ledger import LedgerEntry
from shelfpilot.domain.lots import require_aware
from shelfpilot.storage import Database, DuplicateOperation, TransientConflict, UnitOfWork


class Command(Protocol):
    @property
    def idempotency_key(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OperationResult:
    operation_id: int
    entries: list[LedgerEntry]
    replayed: bool = False


ATTEMPTS = 3

#: Writes the operation's entries through the unit of work; gets the operation id.
Apply = Callable[[UnitOfWork, int], list[LedgerEntry]]


def occurred(at: datetime | None) -> datetime:
    """When an event happened: as given, or now when the caller gave no time."""
    return datetime.now(UTC) if at is None else require_aware(at, "time")


def _canonical(value: object) -> object:
    """One spelling per value, so a retry of the same request always matches:
    2 and 2.0 are the same quantity, 10:00+08:00 and 02:00Z the same instant."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        # a naive time (an expiry in the store's zone) is kept as written
        return value.isoformat() if value.tzinfo is None else value.astimezone(UTC).isoformat()
    if isinstance(value, date | Enum):
        return str(value.value if isinstance(value, Enum) else value.isoformat())
    return str(value)


#: fields that are not the request's content (who sent it), or that were added
#: later and count only when set, so a key recorded before still matches
_NOT_CONTENT = frozenset({"idempotency_key", "actor"})
_ONLY_WHEN_SET = frozenset(
    {("ChangePrice", "reference"), ("RemoveStock", "recipient"), ("RemoveStock", "receipt")}
)


def fingerprint(kind: str, command: Any) -> str:
    """A digest of the request's content. An omitted time ("now") is left out,
    so retrying a request that did not name its time still matches."""
    name = type(command).__name__
    payload = {
        k: v
        for k, v in dataclasses.asdict(command).items()
        if k not in _NOT_CONTENT and not ((name, k) in _ONLY_WHEN_SET and v is None)
    }
    text = json.dumps({"kind": kind, **payload}, sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


def execute(uow: UnitOfWork, kind: str, command: Command, apply: Apply) -> OperationResult:
    """Run inside an open unit of work (imports run many in one transaction)."""
    key = command.idempotency_key
    digest = fingerprint(kind, command)
    if key is not None:
        found = uow.stock.find_operation(key)
        if found is not None:
            if found.kind != kind or found.fingerprint != digest:
                raise Conflict(
                    "idempotency key {key!r} was already used for a different {kind}; "
                    "use a new key for a new request",
                    key=key,
                    kind=found.kind,
                )
            entries = [r.entry for r in uow.stock.ledger(operation_id=found.id)]
            return OperationResult(found.id, entries, replayed=True)
    operation_id = uow.stock.add_operation(kind, key, digest, datetime.now(UTC))
    return OperationResult(operation_id, apply(uow, operation_id))


def run(db: Database, kind: str, command: Command, apply: Apply) -> OperationResult:
    """One transaction. If a concurrent retry commits the same key first, the
    next attempt finds it and replays its result; after a deadlock or a busy
    database the whole transaction runs again (nothing of it was kept)."""
    return run_batch(db, [(kind, command, apply)], label=None)[0]


Step = tuple[str, Command, Apply]
#: names step n of a batch in an error about it (None: the error as it is)
Label = Callable[[int], Text | None]


def run_batch(db: Database, steps: Sequence[Step], *, label: Label | None) -> list[OperationResult]:
    """Several operations in one transaction: all are kept or none. An error
    in step n (from 1) is prefixed with ``label(n)`` unless that is None."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.transaction() as uow:
                return [_step(uow, n, step, label) for n, step in enumerate(steps, 1)]
        except DuplicateOperation:
            if attempt == ATTEMPTS or any(c.idempotency_key is None for _, c, _ in steps):
                raise
        except TransientConflict:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _step(uow: UnitOfWork, n: int, step: Step, label: Label | None) -> OperationResult:
    kind, command, apply = step
    which = None if label is None else label(n)
    if which is None:
        return execute(uow, kind, command, apply)
    try:
        return execute(uow, kind, command, apply)
    except DomainError as exc:
        error = Text(exc.template, **exc.params) if exc.template else str(exc)
        said = Text(
            "{which}: {error}; nothing of this batch was recorded", which=which, error=error
        )
        raise type(exc)(said.template, **said.params) from exc
