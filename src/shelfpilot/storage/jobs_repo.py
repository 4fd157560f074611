"""Background jobs and their progress (``domain.jobs``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shelfpilot.domain.errors import Text
from shelfpilot.domain.jobs import ACTIVE, Job
from shelfpilot.storage.models import JobRow

#: where a failed job's error keeps its phrase (to be shown in any language)
PROBLEM_KEY = "_problem"


def _job(row: JobRow) -> Job:
    error = json.loads(row.error) if row.error else None
    problem = None
    if error is not None:
        problem = Text.readable(error.pop(PROBLEM_KEY, None))
    return Job(
        job_id=row.id,
        kind=row.kind,
        location=row.location_code,
        key=row.idempotency_key,
        asked=row.asked,
        status=row.status,
        step=row.step,
        done_steps=row.done_steps,
        total_steps=row.total_steps,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        result=json.loads(row.result) if row.result else None,
        error=error,
        problem=problem,
    )


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: Job) -> None:
        """Flushed at once, so a second active job at the location (the partial
        unique index) or a reused key fails here, inside the caller's transaction."""
        assert job.created_at is not None
        self.session.add(
            JobRow(
                id=job.job_id, kind=job.kind, location_code=job.location,
                idempotency_key=job.key, asked=job.asked, status=job.status, step=job.step,
                done_steps=job.done_steps, total_steps=job.total_steps,
                created_at=job.created_at, heartbeat_at=job.heartbeat_at or job.created_at,
            )
        )  # fmt: skip
        self.session.flush()

    def get(self, job_id: str) -> Job | None:
        row = self.session.get(JobRow, job_id)
        return None if row is None else _job(row)

    def by_key(self, key: str) -> Job | None:
        row = self.session.scalar(select(JobRow).where(JobRow.idempotency_key == key))
        return None if row is None else _job(row)

    def active_at(self, location: str) -> Job | None:
        row = self.session.scalar(
            select(JobRow).where(JobRow.location_code == location, JobRow.status.in_(ACTIVE))
        )
        return None if row is None else _job(row)

    def silent(self, before: datetime) -> list[Job]:
        """Queued or running jobs not heard of since ``before``."""
        rows = self.session.scalars(
            select(JobRow).where(JobRow.status.in_(ACTIVE), JobRow.heartbeat_at < before)
        )
        return [_job(row) for row in rows]

    def update(self, job_id: str, *, silent_since: datetime | None = None, **changes: Any) -> bool:
        """Set columns of one queued or running job (a job that has ended is
        not changed; with ``silent_since``, nor one heard of since then);
        ``result`` and ``error`` as data, the error's phrase under ``problem``.
        Whether it was changed."""
        values = dict(changes)
        if "result" in values:
            values["result"] = json.dumps(values["result"], ensure_ascii=False, default=str)
        problem = values.pop("problem", None)
        if "error" in values:
            error = dict(values["error"])
            if problem is not None:
                error[PROBLEM_KEY] = problem.to_data()
            values["error"] = json.dumps(error, ensure_ascii=False)
        query = update(JobRow).where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
        if silent_since is not None:
            query = query.where(JobRow.heartbeat_at < silent_since)
        result = self.session.execute(query.values(**values))
        return bool(getattr(result, "rowcount", 0))

    def beat(self, job_ids: Collection[str], at: datetime) -> None:
        """These jobs' process is alive (only those still queued or running)."""
        if job_ids:
            self.session.execute(
                update(JobRow)
                .where(JobRow.id.in_(list(job_ids)), JobRow.status.in_(ACTIVE))
                .values(heartbeat_at=at)
            )

    def forget(self, finished_before: datetime) -> int:
        """Delete finished jobs older than that; how many."""
        result = self.session.execute(delete(JobRow).where(JobRow.finished_at < finished_before))
        return int(getattr(result, "rowcount", 0))
