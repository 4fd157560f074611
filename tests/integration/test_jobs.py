"""Background jobs kept in the database: any server process reads them, one
store's job at a time across processes, a job whose process stopped reads as
interrupted, and a failed job says why in its reader's language."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from shelfpilot.api.i18n import ENGLISH
from shelfpilot.api.jobs import JobBoard, Report
from shelfpilot.api.routes.work import job_out
from shelfpilot.cli.access import server_app
from shelfpilot.domain.errors import Conflict, InvalidValue, NotFound
from shelfpilot.domain.jobs import KEEP, STALE
from shelfpilot.services import identity, jobs
from shelfpilot.storage import Database
from shelfpilot.testing.server import serving
from tests.conftest import T0

T = TypeVar("T")
ZH = "zh-CN"
QUICK = timedelta(milliseconds=50)


@pytest.fixture
def boards(db: Database) -> Iterator[tuple[JobBoard, JobBoard]]:
    """Two server processes' boards: each with its own engine on one database."""
    other = Database(db.url)
    first, second = JobBoard(db), JobBoard(other)
    yield first, second
    first.close()
    second.close()
    other.close()


def wait(read: Callable[[], T], until: Callable[[T], bool], seconds: float = 20) -> T:
    deadline = time.monotonic() + seconds
    seen = read()
    while not until(seen):
        assert time.monotonic() < deadline, seen
        time.sleep(0.02)
        seen = read()
    return seen


def race(db: Database, servers: int, ask: Callable[[Database, int], None]) -> None:
    """``ask`` from as many server processes (each its own engine) at the same moment."""
    engines = [Database(db.url) for _ in range(servers)]
    start = threading.Barrier(servers)

    def go(n: int) -> None:
        start.wait()
        ask(engines[n], n)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for engine in engines:
        engine.close()


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
    elsewhere, new = second.submit("daily run", "SZ-02", "SZ-02:key-1", lambda r: {}, asked="t1")
    assert new and elsewhere.location == "SZ-02"
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
    outcomes: list[str] = []

    def ask(server: Database, n: int) -> None:
        try:
            jobs.submit(server, "daily run", "SZ-01", f"SZ-01:race-{n}", asked="t1")
            outcomes.append("started")
        except Conflict as refused:
            busy = "SZ-01" in str(refused) or "location" in str(refused)
            outcomes.append("busy" if busy else str(refused))

    race(db, 6, ask)
    assert sorted(outcomes) == ["busy"] * 5 + ["started"]


def test_a_long_job_stays_alive_by_its_heartbeat_and_its_own_process_never_ends_it(
    db: Database,
) -> None:
    """Beats every 50 ms, quiet after 0.5 s: a job running 1.5 s is read as
    running throughout; a process that cannot beat in time (every hour here)
    still sees its own job alive, and the other process ends it as interrupted."""
    other = Database(db.url)
    beating = JobBoard(db, beat=QUICK, stale=QUICK * 10)
    reader = JobBoard(other, beat=QUICK, stale=QUICK * 10)
    mute = JobBoard(db, beat=timedelta(hours=1), stale=QUICK * 10)
    try:

        def slow(report: Report) -> dict[str, object]:
            time.sleep(1.5)
            return {"ok": True}

        job, _ = beating.submit("daily run", "SZ-01", "SZ-01:beats", slow)
        seen = wait(lambda: reader.get(job.job_id, "SZ-01"), lambda j: not j.active)
        assert seen.status == "done"
        quiet, _ = mute.submit("daily run", "SZ-02", "SZ-02:quiet", slow)
        time.sleep(0.8)
        assert mute.get(quiet.job_id, "SZ-02").status == "running"
        assert reader.get(quiet.job_id, "SZ-02").status == "failed"
        ended = wait(lambda: mute.get(quiet.job_id, "SZ-02"), lambda j: not j.active)
        assert ended.error is not None and ended.error["code"] == "interrupted"
    finally:
        for board in (beating, reader, mute):
            board.close()
        other.close()


def test_a_stopping_server_finishes_its_running_job_and_ends_the_queued_ones(
    db: Database,
) -> None:
    board = JobBoard(db, beat=QUICK, stale=QUICK * 10)
    release = threading.Event()

    def held(report: Report) -> dict[str, object]:
        assert release.wait(20)
        return {"ok": True}

    running, _ = board.submit("daily run", "SZ-01", "SZ-01:held", held)
    wait(lambda: jobs.get(db, running.job_id, "SZ-01"), lambda j: j.status == "running")
    queued, _ = board.submit("daily run", "SZ-02", "SZ-02:queued", held)
    closing = threading.Thread(target=board.close)
    closing.start()
    time.sleep(0.8)  # closing waits for the running job, beating meanwhile
    assert jobs.get(db, running.job_id, "SZ-01", stale=QUICK * 10).status == "running"
    release.set()
    closing.join(20)
    assert jobs.get(db, running.job_id, "SZ-01").status == "done"
    dropped = jobs.get(db, queued.job_id, "SZ-02")
    assert dropped.status == "failed" and dropped.error is not None
    assert dropped.error["code"] == "interrupted"


def test_the_same_run_asked_for_at_once_is_one_job(db: Database) -> None:
    answers: list[tuple[str, bool]] = []

    def ask(server: Database, n: int) -> None:
        job, new = jobs.submit(server, "daily run", "SZ-01", "SZ-01:same", asked="t1")
        answers.append((job.job_id, new))

    race(db, 4, ask)
    assert len(answers) == 4 and len({job for job, _ in answers}) == 1
    assert sorted(new for _, new in answers) == [False, False, False, True]


def test_two_server_processes_share_logins_and_daily_runs(shop: Database) -> None:
    """What ``serve --workers 2`` starts, as two real HTTP servers on one
    database: a login made on one is good on the other, and a daily run
    started on one is polled to its end on the other."""
    identity.create_user(
        shop, "ann", "a long passphrase", "store_manager", location="SZ-01", actor="t"
    )
    secret = "s" * 48
    second_db = Database(shop.url)
    try:
        with (
            serving(server_app(shop, shop.url, None, secret)) as one,
            serving(server_app(second_db, shop.url, None, secret)) as two,
        ):
            token = httpx.post(
                f"{one}/api/v1/auth/token",
                data={"username": "ann", "password": "a long passphrase"},
            ).json()["access_token"]
            ann = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{two}/api/v1/me", headers=ann).json()["username"] == "ann"
            at = {"at": (T0 + timedelta(days=1)).isoformat()}
            started = httpx.post(
                f"{one}/api/v1/locations/SZ-01/daily-runs", params=at,
                headers=ann | {"Idempotency-Key": "two-servers-1"},
            )  # fmt: skip
            assert started.status_code == 202, started.text
            busy = httpx.post(
                f"{two}/api/v1/locations/SZ-01/daily-runs", params=at,
                headers=ann | {"Idempotency-Key": "two-servers-2"},
            )  # fmt: skip
            job = started.json()
            if job["status"] in ("queued", "running"):  # it may already be done
                assert busy.status_code in (202, 409), busy.text
            poll = f"{two}{started.headers['Location']}"
            ended: dict[str, Any] = wait(
                lambda: httpx.get(poll, headers=ann).json(),
                lambda j: j["status"] not in ("queued", "running"),
                seconds=120,
            )
            assert ended["status"] == "done", ended
            again = httpx.post(
                f"{two}/api/v1/locations/SZ-01/daily-runs", params=at,
                headers=ann | {"Idempotency-Key": "two-servers-1"},
            )  # fmt: skip
            assert (again.status_code, again.json()["job_id"]) == (200, started.json()["job_id"])
    finally:
        second_db.close()
