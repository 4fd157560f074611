"""Long work (a store's daily run) runs in the background and the caller
polls its progress.

The work runs in a thread of the server process that accepted it, one job at
a time per process; the job's record and progress are in the database
(``services.jobs``), so any server process answers a poll, and while this
process runs or queues a job it says so every ``BEAT`` (a job not heard of
for ``STALE`` is reported as interrupted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from starlette.requests import Request

from shelfpilot.api.errors import classify
from shelfpilot.api.i18n import N_
from shelfpilot.domain.errors import DomainError, Text, phrase
from shelfpilot.domain.jobs import BEAT, Job
from shelfpilot.services import daily_cycle, jobs
from shelfpilot.storage import Database

log = logging.getLogger("shelfpilot.api")
#: hears (step name, steps done, all steps)
Report = Callable[[str, int, int], None]
Work = Callable[[Report], dict[str, object]]


def _describe(job: Job, exc: Exception) -> tuple[dict[str, str | None], Text]:
    if isinstance(exc, DomainError):
        return {"code": classify(exc)[1], "message": str(exc), "field": None}, phrase(exc)
    log.exception("job %s failed", job.job_id, exc_info=exc)
    problem = Text("the {kind} failed; it has been logged", kind=Text(job.kind))
    return {"code": "internal", "message": str(problem), "field": None}, problem


class JobBoard:
    """Runs this process's jobs and keeps their records alive."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shelfpilot-job")
        self._mine: set[str] = set()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._heart: threading.Thread | None = None

    def submit(
        self, kind: str, location: str, key: str, work: Work, *, asked: str = ""
    ) -> tuple[Job, bool]:
        """Queue ``work`` (``services.jobs.submit`` says when it is refused);
        the same ``key`` again returns the job it started (True when new)."""
        job, new = jobs.submit(self.db, kind, location, key, asked=asked)
        if new:
            with self._lock:
                self._mine.add(job.job_id)
                if self._heart is None:
                    self._heart = threading.Thread(
                        target=self._beat, name="shelfpilot-job-heartbeat", daemon=True
                    )
                    self._heart.start()
            self._pool.submit(self._run, job, work)
        return job, new

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

    def get(self, job_id: str, location: str) -> Job:
        return jobs.get(self.db, job_id, location)

    def _run(self, job: Job, work: Work) -> None:
        def report(step: str, done: int, total: int) -> None:
            jobs.progress(self.db, job.job_id, step, done, total)

        try:
            jobs.start(self.db, job.job_id)
            try:
                result = work(report)
            except Exception as exc:  # the job's caller reads the error; the server goes on
                error, problem = _describe(job, exc)
                jobs.fail(self.db, job.job_id, error, problem)
            else:
                jobs.finish(self.db, job.job_id, result)
        except Exception:  # its record could not be written: it will read as interrupted
            log.exception("job %s: its progress could not be recorded", job.job_id)
        finally:
            with self._lock:
                self._mine.discard(job.job_id)

    def _beat(self) -> None:
        while not self._closing.wait(BEAT.total_seconds()):
            with self._lock:
                mine = set(self._mine)
            if not mine:
                continue
            try:
                jobs.beat(self.db, mine)
            except Exception:  # a missed beat is retried; enough of them end the job
                log.warning("could not record that jobs %s are alive", mine, exc_info=True)

    def close(self) -> None:
        self._closing.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def board(request: Request) -> JobBoard:
    """The server's job board (``app.state.jobs``, shared by the API and the dashboard)."""
    jobs: JobBoard = request.app.state.jobs
    return jobs
