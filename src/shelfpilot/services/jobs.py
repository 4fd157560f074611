"""Background jobs as records: queue one, report its progress, end it, read it.

The work itself runs in the server process that queued it (``api.jobs``);
these use cases keep what any process needs to know about it in the database
(``domain.jobs`` says why).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime

from shelfpilot.domain.errors import Conflict, NotFound, Text
from shelfpilot.domain.jobs import KEEP, Job, interrupted
from shelfpilot.storage import Database
from shelfpilot.storage.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


def _end_lost(uow: UnitOfWork, job: Job, now: datetime) -> Job:
    """A job whose process is gone, failed with the reason (unchanged if it is not lost)."""
    if not job.lost(now):
        return job
    problem = interrupted(job.kind)
    error: dict[str, str | None] = {"code": "interrupted", "message": str(problem), "field": None}
    uow.jobs.update(job.job_id, status="failed", finished_at=now, error=error, problem=problem)
    return replace(job, status="failed", finished_at=now, error=error, problem=problem)


def submit(
    db: Database, kind: str, location: str, key: str, *, asked: str = ""
) -> tuple[Job, bool]:
    """Queue a job; the same ``key`` again returns the job it started (True
    when new). A different request under a used key, or a second job while
    one is under way at the location (in any server process), is a ``Conflict``."""
    now = _now()
    with db.transaction() as uow:
        known = uow.jobs.by_key(key)
        if known is not None:
            if known.asked != asked:
                raise Conflict("this Idempotency-Key started a run for another time; use a new key")
            return _end_lost(uow, known, now), False
        busy = uow.jobs.active_at(location)
        if busy is not None and _end_lost(uow, busy, now).active:
            raise Conflict(
                "a {kind} of {location} is already under way (job {job}); wait for it to finish",
                kind=Text(busy.kind),
                location=location,
                job=busy.job_id,
            )
        uow.jobs.forget(now - KEEP)
        job = Job(uuid.uuid4().hex, kind, location, key, asked, created_at=now, heartbeat_at=now)
        uow.jobs.add(job)
    return job, True


def get(db: Database, job_id: str, location: str) -> Job:
    """The job as it is now; one whose process stopped is ended as failed."""
    with db.transaction(readonly=True) as uow:
        job = uow.jobs.get(job_id)
    if job is None or job.location != location:
        raise NotFound("no job {job} at {location}", job=job_id, location=location)
    now = _now()
    if job.lost(now):
        with db.transaction() as uow:
            current = uow.jobs.get(job_id)
            assert current is not None
            job = _end_lost(uow, current, now)
    return job


def start(db: Database, job_id: str) -> None:
    with db.transaction() as uow:
        now = _now()
        uow.jobs.update(job_id, status="running", started_at=now, heartbeat_at=now)


def progress(db: Database, job_id: str, step: str, done: int, total: int) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, step=step, done_steps=done, total_steps=total, heartbeat_at=_now())


def finish(db: Database, job_id: str, result: dict[str, object]) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, status="done", result=result, finished_at=_now())


def fail(db: Database, job_id: str, error: dict[str, str | None], problem: Text) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, status="failed", error=error, problem=problem, finished_at=_now())


def beat(db: Database, job_ids: Collection[str]) -> None:
    """The process running these jobs is alive."""
    with db.transaction() as uow:
        uow.jobs.beat(job_ids, _now())
