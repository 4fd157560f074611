"""Long work (a store's daily run) runs in the background, one job at a time
per server process, and the caller polls its progress.

Jobs live in the server's memory: a restart forgets them (the work they did
is in the database; run it again and the plan is refreshed, not doubled).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from shelfpilot.api.errors import classify
from shelfpilot.api.i18n import N_
from shelfpilot.domain.errors import Conflict, DomainError, NotFound, Text, phrase
from shelfpilot.services import daily_cycle
from shelfpilot.storage import Database

log = logging.getLogger("shelfpilot.api")
#: hears (step name, steps done, all steps)
Report = Callable[[str, int, int], None]
Work = Callable[[Report], dict[str, object]]
KEEP = 500


@dataclass
class Job:
    job_id: str
    kind: str
    location: str
    #: what was asked for (the as-of time): the same key must ask the same
    asked: str = ""
    status: str = "queued"
    step: str | None = None
    done_steps: int = 0
    total_steps: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, object] | None = None
    error: dict[str, str | None] | None = field(default=None)
    #: the error's message with its template, to be shown in the reader's language
    problem: Text | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


def _describe(job: Job, exc: Exception) -> tuple[dict[str, str | None], Text]:
    if isinstance(exc, DomainError):
        return {"code": classify(exc)[1], "message": str(exc)}, phrase(exc)
    log.exception("job %s failed", job.job_id, exc_info=exc)
    problem = Text("the {kind} failed; it has been logged", kind=Text(job.kind))
    return {"code": "internal", "message": str(problem)}, problem


class JobBoard:
    """Jobs by id; one active job per location; finished jobs beyond ``KEEP``
    are forgotten oldest first. Every change and every read holds the lock,
    so a poll never sees a job half updated."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shelfpilot-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._by_key: dict[str, str] = {}
        self._lock = threading.Lock()

    def submit(
        self, kind: str, location: str, key: str, work: Work, *, asked: str = ""
    ) -> tuple[Job, bool]:
        """Queue ``work``; the same ``key`` again returns the job it started
        (True when new). A different request under a used key, or a second
        job while one runs at the location, is a ``Conflict``."""
        with self._lock:
            known = self._jobs.get(self._by_key.get(key, ""))
            if known is not None:
                if known.asked != asked:
                    raise Conflict(
                        "this Idempotency-Key started a run for another time; use a new key"
                    )
                return replace(known), False
            busy = next(
                (j for j in self._jobs.values() if j.location == location and j.active), None
            )
            if busy is not None:
                raise Conflict(
                    "a {kind} of {location} is already under way (job {job}); "
                    "wait for it to finish",
                    kind=Text(busy.kind),
                    location=location,
                    job=busy.job_id,
                )
            job = Job(uuid.uuid4().hex, kind, location, asked)
            self._jobs[job.job_id] = job
            self._by_key[key] = job.job_id
            self._forget_old()
            snapshot = replace(job)
        self._pool.submit(self._run, job, work)
        return snapshot, True

    def daily_run(
        self,
        db: Database,
        location: str,
        moment: datetime,
        *,
        actor: str,
        key: str,
        options: Mapping[str, Any],
    ) -> tuple[Job, bool]:
        """Queue the store's daily run as of ``moment`` (``daily_cycle``), as
        ``submit`` does: the API and the dashboard start it the same way."""

        def work(report: Report) -> dict[str, object]:
            found = daily_cycle.run_cycle(
                db, moment, location, actor=actor, progress=report, **options
            )
            return found.summary()

        return self.submit(N_("daily run"), location, key, work, asked=moment.isoformat())

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if not j.active]
        for old in done[: max(len(self._jobs) - KEEP, 0)]:
            del self._jobs[old.job_id]
            self._by_key = {k: v for k, v in self._by_key.items() if v != old.job_id}

    def get(self, job_id: str, location: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.location != location:
                raise NotFound(
                    "no job {job} at {location} (jobs are kept until the server restarts)",
                    job=job_id,
                    location=location,
                )
            return replace(job)

    def _update(self, job: Job, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def _run(self, job: Job, work: Work) -> None:
        def report(step: str, done: int, total: int) -> None:
            self._update(job, step=step, done_steps=done, total_steps=total)

        self._update(job, status="running", started_at=datetime.now(UTC))
        try:
            result = work(report)
        except Exception as exc:  # the job's caller reads the error; the server goes on
            error, problem = _describe(job, exc)
            self._update(
                job, status="failed", error={**error, "field": None}, problem=problem,
                finished_at=datetime.now(UTC),
            )  # fmt: skip
        else:
            self._update(job, status="done", result=result, finished_at=datetime.now(UTC))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def board(request: Request) -> JobBoard:
    """The server's job board (``app.state.jobs``, shared by the API and the dashboard)."""
    jobs: JobBoard = request.app.state.jobs
    return jobs
