"""Background jobs as records: queue one, report its progress, end it, read it.

The work itself runs in the server process that queued it (``api.jobs``);
these use cases keep what any process needs to know about it in the database
(``domain.jobs`` says why).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from shelfpilot.domain.errors import Conflict, NotFound, Text
from shelfpilot.domain.jobs import KEEP, STALE, Job, interrupted
from shelfpilot.storage import Database
from shelfpilot.storage.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


def _interrupted(kind: str) -> tuple[dict[str, str | None], Text]:
    problem = interrupted(kind)
    return {"code": "interrupted", "message": str(problem), "field": None}, problem


def _end_silent(uow: UnitOfWork, job: Job, now: datetime, stale: timedelta) -> bool:
    """End a job not heard of for ``stale`` as interrupted; False when it was
    heard of meanwhile or has ended (the update checks, not the caller's copy)."""
    error, problem = _interrupted(job.kind)
    return uow.jobs.update(
        job.job_id, silent_since=now - stale, status="failed", finished_at=now, error=error,
        problem=problem,
    )  # fmt: skip


def submit(
    db: Database, kind: str, location: str, key: str, *, asked: str = "", stale: timedelta = STALE
) -> tuple[Job, bool]:
    """Queue a job; the same ``key`` again returns the job it started (True
    when new). A different request under a used key, or a second job while
    one is under way at the location (in any server process), is a ``Conflict``.
    Jobs whose process has gone quiet for ``stale`` are ended first, and
    finished ones older than ``KEEP`` forgotten."""
    try:
        with db.transaction() as uow:
            now = _now()
            known = uow.jobs.by_key(key)
            if known is not None:
                return _known(known, asked), False
            for quiet in uow.jobs.silent(now - stale):
                _end_silent(uow, quiet, now, stale)
            busy = uow.jobs.active_at(location)
            if busy is not None:
                raise Conflict(
                    "a {kind} of {location} is already under way (job {job}); "
                    "wait for it to finish",
                    kind=Text(busy.kind),
                    location=location,
                    job=busy.job_id,
                )
            uow.jobs.forget(now - KEEP)
            job = Job(uuid.uuid4().hex, kind, location, key, asked, created_at=now)
            job.heartbeat_at = now
            uow.jobs.add(job)
        return job, True
    except Conflict:
        # the same request sent twice at once: the one that lost the race
        # answers with the job the other started
        with db.transaction(readonly=True) as uow:
            known = uow.jobs.by_key(key)
        if known is None:
            raise
        return _known(known, asked), False


def _known(job: Job, asked: str) -> Job:
    if job.asked != asked:
        raise Conflict("this Idempotency-Key started a run for another time; use a new key")
    return job


def get(db: Database, job_id: str, location: str, *, stale: timedelta | None = STALE) -> Job:
    """The job as it is now; one whose process has gone quiet for ``stale``
    is ended as interrupted (None: the caller runs it, so it is alive)."""
    with db.transaction(readonly=True) as uow:
        job = uow.jobs.get(job_id)
    if job is None or job.location != location:
        raise NotFound("no job {job} at {location}", job=job_id, location=location)
    if stale is not None and job.lost(_now(), stale):
        with db.transaction() as uow:
            _end_silent(uow, job, _now(), stale)
            job = uow.jobs.get(job_id) or job
    return job


def start(db: Database, job_id: str) -> bool:
    """Mark it running; False when it has already ended (given up as lost):
    then it must not run."""
    with db.transaction() as uow:
        now = _now()
        return uow.jobs.update(job_id, status="running", started_at=now, heartbeat_at=now)


def progress(db: Database, job_id: str, step: str, done: int, total: int) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, step=step, done_steps=done, total_steps=total, heartbeat_at=_now())


def finish(db: Database, job_id: str, result: dict[str, object]) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, status="done", result=result, finished_at=_now())


def fail(db: Database, job_id: str, error: dict[str, str | None], problem: Text) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, status="failed", error=error, problem=problem, finished_at=_now())


def abandon(db: Database, kinds: Mapping[str, str]) -> None:
    """These queued jobs (id: kind) will not run, their server is stopping:
    say so now rather than when they go quiet."""
    with db.transaction() as uow:
        for job_id, kind in kinds.items():
            error, problem = _interrupted(kind)
            uow.jobs.update(
                job_id, status="failed", finished_at=_now(), error=error, problem=problem
            )


def beat(db: Database, job_ids: Collection[str]) -> None:
    """The process running these jobs is alive."""
    with db.transaction() as uow:
        uow.jobs.beat(job_ids, _now())
