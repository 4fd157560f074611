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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shelfpilot.api.errors import STATUS
from shelfpilot.domain.errors import NotFound

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
    status: str = "queued"
    step: str | None = None
    done_steps: int = 0
    total_steps: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, object] | None = None
    error: dict[str, str | None] | None = field(default=None)


def _describe(job: Job, exc: Exception) -> dict[str, str | None]:
    for kind, _, code in STATUS:
        if isinstance(exc, kind):
            return {"code": code, "message": str(exc)}
    log.exception("job %s failed", job.job_id, exc_info=exc)
    return {"code": "internal", "message": f"the {job.kind} failed; it has been logged"}


class JobBoard:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shelfpilot-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._by_key: dict[str, str] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, location: str, key: str, work: Work) -> tuple[Job, bool]:
        """Queue ``work``; the same ``key`` again returns the job it started
        (True when new)."""
        with self._lock:
            known = self._jobs.get(self._by_key.get(key, ""))
            if known is not None:
                return known, False
            job = Job(uuid.uuid4().hex, kind, location)
            self._jobs[job.job_id] = job
            self._by_key[key] = job.job_id
            while len(self._jobs) > KEEP:
                old, _ = self._jobs.popitem(last=False)
                self._by_key = {k: v for k, v in self._by_key.items() if v != old}
        self._pool.submit(self._run, job, work)
        return job, True

    def get(self, job_id: str, location: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.location != location:
            raise NotFound(
                f"no job {job_id} at {location} (jobs are kept until the server restarts)"
            )
        return job

    def _run(self, job: Job, work: Work) -> None:
        def report(step: str, done: int, total: int) -> None:
            job.step, job.done_steps, job.total_steps = step, done, total

        job.status, job.started_at = "running", datetime.now(UTC)
        try:
            job.result = work(report)
            job.status = "done"
        except Exception as exc:  # the job's caller reads the error; the server goes on
            job.error = {**_describe(job, exc), "field": None}
            job.status = "failed"
        finally:
            job.finished_at = datetime.now(UTC)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
