"""Background jobs kept in the database: any server process reads them, one
store's job at a time across processes, a job whose process stopped reads as
interrupted, and a failed job says why in its reader's language."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from shelfpilot.api.i18n import ENGLISH
from shelfpilot.api.jobs import JobBoard, Report
from shelfpilot.api.routes.work import job_out
from shelfpilot.domain.errors import Conflict, InvalidValue, NotFound
from shelfpilot.domain.jobs import KEEP, STALE, Job
from shelfpilot.services import jobs
from shelfpilot.storage import Database

ZH = "zh-CN"


@pytest.fixture
def boards(db: Database) -> Iterator[tuple[JobBoard, JobBoard]]:
    """Two server processes' boards: each with its own engine on one database."""
    other = Database(db.url)
    first, second = JobBoard(db), JobBoard(other)
    yield first, second
    first.close()
    second.close()
    other.close()


def wait(read: Callable[[], Job], until: Callable[[Job], bool]) -> Job:
    deadline = time.monotonic() + 20
    job = read()
    while not until(job):
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
        job = read()
    return job


def age(db: Database, job_id: str, **times: datetime) -> None:
    with db.transaction() as uow:
        uow.jobs.update(job_id, **times)


def test_a_job_started_in_one_process_is_read_and_guarded_in_another(
    boards: tuple[JobBoard, JobBoard],
) -> None:
    first, second = boards
    release = threading.Event()

    def work(report: Report) -> dict[str, object]:
        report("risk", 1, 3)
        assert release.wait(20)
        return {"plan_lines": 4}

    job, new = first.submit("daily run", "SZ-01", "SZ-01:key-1", work, asked="t1")
    assert new and job.status == "queued"
    seen = wait(lambda: second.get(job.job_id, "SZ-01"), lambda j: j.step == "risk")
    assert (seen.status, seen.done_steps, seen.total_steps) == ("running", 1, 3)
    # the other process may not start a second run of that store ...
    with pytest.raises(Conflict, match="already under way"):
        second.submit("daily run", "SZ-01", "SZ-01:key-2", work, asked="t1")
    # ... but another store's, and a retry of the same request finds the job
    again, new = second.submit("daily run", "SZ-01", "SZ-01:key-1", work, asked="t1")
    assert (again.job_id, new) == (job.job_id, False)
    with pytest.raises(Conflict, match="another time"):
        second.submit("daily run", "SZ-01", "SZ-01:key-1", work, asked="t2")
    with pytest.raises(NotFound):
        second.get(job.job_id, "SZ-02")
    release.set()
    done = wait(lambda: second.get(job.job_id, "SZ-01"), lambda j: not j.active)
    assert (done.status, done.result) == ("done", {"plan_lines": 4})
    assert done.finished_at is not None and done.started_at is not None
    # the store is free again, in either process
    other, new = second.submit("daily run", "SZ-01", "SZ-01:key-3", lambda r: {}, asked="t1")
    assert new and wait(lambda: first.get(other.job_id, "SZ-01"), lambda j: not j.active)


def test_a_job_whose_process_stopped_reads_as_interrupted(db: Database) -> None:
    # queued by a process that then died: no one runs it or says it is alive
    job, _ = jobs.submit(db, "daily run", "SZ-01", "SZ-01:k1", asked="t1")
    assert jobs.get(db, job.job_id, "SZ-01").status == "queued"
    age(db, job.job_id, heartbeat_at=datetime.now(UTC) - STALE / 2)
    jobs.beat(db, [job.job_id])  # a process that says it is alive keeps it
    assert jobs.get(db, job.job_id, "SZ-01").status == "queued"
    age(db, job.job_id, heartbeat_at=datetime.now(UTC) - STALE * 2)
    lost = jobs.get(db, job.job_id, "SZ-01")
    assert lost.status == "failed" and lost.error is not None
    assert lost.error["code"] == "interrupted"
    assert job_out(lost, ENGLISH).error.message == (  # type: ignore[union-attr]
        "the server stopped while the daily run was under way; start it again"
    )
    assert job_out(lost, ZH).error.message == "每日运行进行中服务器停止了；请重新开始"  # type: ignore[union-attr]
    # its process, had it only stalled, cannot bring it back
    jobs.finish(db, job.job_id, {"plan_lines": 1})
    assert jobs.get(db, job.job_id, "SZ-01").status == "failed"
    # and the store may run again; a lost job found at submit is ended there
    second, new = jobs.submit(db, "daily run", "SZ-01", "SZ-01:k2", asked="t1")
    assert new
    age(db, second.job_id, heartbeat_at=datetime.now(UTC) - STALE * 2)
    third, new = jobs.submit(db, "daily run", "SZ-01", "SZ-01:k3", asked="t1")
    assert new and jobs.get(db, second.job_id, "SZ-01").status == "failed"
    assert jobs.get(db, third.job_id, "SZ-01").status == "queued"


def test_finished_jobs_are_forgotten_after_a_while(db: Database) -> None:
    old, _ = jobs.submit(db, "daily run", "SZ-01", "SZ-01:k1", asked="t1")
    age(db, old.job_id, finished_at=datetime.now(UTC) - KEEP * 1.1, status="done")  # type: ignore[arg-type]
    recent, _ = jobs.submit(db, "daily run", "SZ-02", "SZ-02:k1", asked="t1")
    jobs.finish(db, recent.job_id, {})
    jobs.submit(db, "daily run", "SZ-03", "SZ-03:k1", asked="t1")
    with pytest.raises(NotFound, match="no job"):
        jobs.get(db, old.job_id, "SZ-01")
    assert jobs.get(db, recent.job_id, "SZ-02").status == "done"


def test_a_failed_job_tells_its_reader_why_in_their_language(
    boards: tuple[JobBoard, JobBoard],
) -> None:
    board, reader = boards

    def refused(report: Report) -> dict[str, object]:
        raise InvalidValue("the price elasticity must be between -10 and 0")

    def broken(report: Report) -> dict[str, object]:
        raise RuntimeError("a bug")

    seen = []
    for n, work in enumerate((refused, broken)):
        job, _ = board.submit("daily run", f"SZ-0{n}", f"key-{n}", work)
        seen.append(wait(lambda j=job: reader.get(j.job_id, j.location), lambda j: not j.active))
    assert [j.status for j in seen] == ["failed", "failed"]
    assert [job_out(j, ENGLISH).error.message for j in seen] == [  # type: ignore[union-attr]
        "the price elasticity must be between -10 and 0",
        "the daily run failed; it has been logged",
    ]
    assert [job_out(j, ZH).error.message for j in seen] == [  # type: ignore[union-attr]
        "价格弹性必须在 -10 到 0 之间",
        "每日运行失败；已记录日志",
    ]
    assert [job_out(j, ENGLISH).error.code for j in seen] == ["invalid", "internal"]  # type: ignore[union-attr]


def test_of_many_runs_asked_for_at_once_one_starts_and_the_rest_are_told_why(
    db: Database,
) -> None:
    """Servers racing for one store: the database, not a process's lock, decides."""
    servers = [Database(db.url) for _ in range(6)]
    start = threading.Barrier(len(servers))
    outcomes: list[str] = []

    def ask(n: int) -> None:
        start.wait()
        try:
            jobs.submit(servers[n], "daily run", "SZ-01", f"SZ-01:race-{n}", asked="t1")
            outcomes.append("started")
        except Conflict as refused:
            outcomes.append(
                "busy" if "SZ-01" in str(refused) or "location" in str(refused) else str(refused)
            )

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for server in servers:
        server.close()
    assert sorted(outcomes) == ["busy"] * (len(servers) - 1) + ["started"]
