"""Long work (a store's daily run) done in the background, and where it is.

A job is kept in the database, not in the memory of the server that runs it,
so any server process can answer a poll, two processes cannot run the same
store's job at once, and a job whose server stopped is reported as such
instead of "running" for ever: the process running a job says it is alive
every ``BEAT`` (``heartbeat_at``); a queued or running job not heard of for
``STALE`` has lost its process. ``STALE`` is long beside ``BEAT`` because a
beat is a write and may wait for others (up to a minute for a busy SQLite
file), and the servers' clocks are compared: keep them in step (NTP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shelfpilot.domain.errors import Text

#: a process running a job says so this often ...
BEAT = timedelta(seconds=15)
#: ... and a job not heard of for this long has lost its process
STALE = timedelta(minutes=5)
#: finished jobs are forgotten after this long
KEEP = timedelta(days=30)

ACTIVE = ("queued", "running")


@dataclass
class Job:
    job_id: str
    kind: str
    location: str
    #: the Idempotency-Key that started it (scoped by the caller)
    key: str = ""
    #: what was asked for (the as-of time): the same key must ask the same
    asked: str = ""
    status: str = "queued"
    step: str | None = None
    done_steps: int = 0
    total_steps: int = 0
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: when its process last said it was alive
    heartbeat_at: datetime | None = None
    result: dict[str, object] | None = None
    error: dict[str, str | None] | None = field(default=None)
    #: the error's message with its template, to be shown in the reader's language
    problem: Text | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def lost(self, now: datetime, stale: timedelta = STALE) -> bool:
        """Queued or running, but its process has not been heard of for ``stale``."""
        beat = self.heartbeat_at or self.created_at
        return self.active and beat is not None and now - beat > stale


def interrupted(kind: str) -> Text:
    """Why a lost job failed."""
    return Text(
        "the server stopped while the {kind} was under way; start it again", kind=Text(kind)
    )
