"""Long work (a store's daily run) runs in the background and the caller
polls its progress.

The work runs in a thread of the server process that accepted it, one job at
a time per process; the job's record and progress are in the database
(``services.jobs``), so any server process answers a poll, and while this
process runs or queues a job it says so every ``BEAT`` (a job not heard of
for ``STALE`` is reported as interrupted). Progress is recorded when the
database lets it; a job's start and end are retried a few times.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from starlette.requests import Request

from shelfpilot.api.errors import classify
from shelfpilot.api.i18n import N_
from shelfpilot.domain.errors import DomainError, Text, phrase
from shelfpilot.domain.jobs import BEAT, STALE, Job
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
    """Runs this process's jobs and keeps their records alive.

    ``beat`` and ``stale`` are ``domain.jobs``'s ``BEAT`` and ``STALE``
    unless a test needs them short."""

    def __init__(self, db: Database, *, beat: timedelta = BEAT, stale: timedelta = STALE) -> None:
        self.db = db
        self.beat, self.stale = beat, stale
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shelfpilot-job")
        #: this process's queued or running jobs: id -> kind
        self._mine: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._heart: threading.Thread | None = None

    def submit(
        self, kind: str, location: str, key: str, work: Work, *, asked: str = ""
    ) -> tuple[Job, bool]:
        """Queue ``work`` (``services.jobs.submit`` says when it is refused);
        the same ``key`` again returns the job it started (True when new)."""
        job, new = jobs.submit(self.db, kind, location, key, asked=asked, stale=self.stale)
        if new:
            with self._lock:
                self._mine[job.job_id] = job.kind
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
        with self._lock:
            running_here = job_id in self._mine
        # a job this process holds is alive, however late its last beat
        return jobs.get(self.db, job_id, location, stale=None if running_here else self.stale)

    def _run(self, job: Job, work: Work) -> None:
        def report(step: str, done: int, total: int) -> None:
            try:
                jobs.progress(self.db, job.job_id, step, done, total)
            except Exception:  # progress is for show: a busy database must not stop the run
                log.warning("job %s: progress not recorded", job.job_id, exc_info=True)

        try:
            if not _again(lambda: jobs.start(self.db, job.job_id)):
                log.warning("job %s had been given up as lost before it started", job.job_id)
                return
            try:
                result = work(report)
            except Exception as exc:  # the job's caller reads the error; the server goes on
                error, problem = _describe(job, exc)
                _again(lambda: jobs.fail(self.db, job.job_id, error, problem))
            else:
                _again(lambda: jobs.finish(self.db, job.job_id, result))
        except Exception:  # its record could not be written: it will read as interrupted
            log.exception("job %s: its end could not be recorded", job.job_id)
        finally:
            with self._lock:
                self._mine.pop(job.job_id, None)

    def _beat(self) -> None:
        while not self._closing.wait(self.beat.total_seconds()):
            with self._lock:
                mine = list(self._mine)
            if not mine:
                continue
            try:
                jobs.beat(self.db, mine)
            except Exception:  # a missed beat is retried; only many in a row end the job
                log.warning("could not record that jobs %s are alive", mine, exc_info=True)

    def close(self) -> None:
        """Finish the running job (its heartbeat goes on meanwhile); the queued
        ones will not run, and say so."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._closing.set()
        with self._lock:
            left = dict(self._mine)
        if left:
            try:
                jobs.abandon(self.db, left)
            except Exception:  # they will read as interrupted once they go quiet
                log.warning("could not end queued jobs %s", list(left), exc_info=True)


T = TypeVar("T")


def _again(write: Callable[[], T], tries: int = 4) -> T:
    """A job's record written with a few tries: the database may be busy for a moment."""
    for n in range(tries - 1):
        try:
            return write()
        except DomainError:
            time.sleep(2**n)
    return write()


def board(request: Request) -> JobBoard:
    """The server's job board (``app.state.jobs``, shared by the API and the dashboard)."""
    found: JobBoard = request.app.state.jobs
    return found
