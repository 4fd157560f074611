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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shelfpilot.domain.errors import Conflict
from shelfpilot.domain.ledger import LedgerEntry
from shelfpilot.storage import Database, DuplicateOperation, UnitOfWork


class Command(Protocol):
    @property
    def idempotency_key(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OperationResult:
    operation_id: int
    entries: list[LedgerEntry]
    replayed: bool = False


#: Writes the operation's entries through the unit of work; gets the operation id.
Apply = Callable[[UnitOfWork, int], list[LedgerEntry]]


def fingerprint(kind: str, command: Any) -> str:
    payload = {k: v for k, v in dataclasses.asdict(command).items() if k != "idempotency_key"}
    text = json.dumps({"kind": kind, **payload}, sort_keys=True, default=str)
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
                    f"idempotency key {key!r} was already used for a different {found.kind}; "
                    "use a new key for a new request"
                )
            entries = [r.entry for r in uow.stock.ledger(operation_id=found.id)]
            return OperationResult(found.id, entries, replayed=True)
    operation_id = uow.stock.add_operation(kind, key, digest, datetime.now(UTC))
    return OperationResult(operation_id, apply(uow, operation_id))


def run(db: Database, kind: str, command: Command, apply: Apply) -> OperationResult:
    """One transaction. If a concurrent retry commits the same key first, the
    second attempt finds it and replays its result."""
    for attempt in range(2):
        try:
            with db.transaction() as uow:
                return execute(uow, kind, command, apply)
        except DuplicateOperation:
            if attempt == 1 or command.idempotency_key is None:
                raise
    raise AssertionError("unreachable")
