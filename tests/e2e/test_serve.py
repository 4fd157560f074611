"""`shelfpilot serve` as a real process: the first admin made with
`shelfpilot user create`, a till key with `shelfpilot api-key create`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.test_cli import setup_shop, shelfpilot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_a_first_admin_and_a_till_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    setup_shop(db, tmp_path)
    short = subprocess.run(
        [sys.executable, "-m", "shelfpilot.cli", "user", "create", "boss", "--role", "brand_admin",
         "-l", "SY", "--password", "short"],
        env={**os.environ, "SHELFPILOT_DB_URL": db, "SHELFPILOT_NEW_PASSWORD": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    made = shelfpilot(
        "user", "create", "boss", "--role", "brand_admin", "-l", "SY",
        "--password", "a long passphrase", "--by", "installer", db=db, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    wrong = shelfpilot(
        "user", "create", "ann", "--role", "store_staff", "-l", "SY", "--password", "12345678",
        db=db, cwd=tmp_path,
    )  # fmt: skip
    assert wrong.returncode == 1 and "works at a store" in wrong.stderr
    key = shelfpilot("api-key", "create", "S1", "--name", "till 1", db=db, cwd=tmp_path)
    assert key.returncode == 0, key.stderr
    till_key = key.stdout.strip()
    audit = shelfpilot("audit", db=db, cwd=tmp_path)
    assert "user.create" in audit.stdout and "api_key.create" in audit.stdout

    port = free_port()
    env = {**os.environ, "SHELFPILOT_DB_URL": db, "SHELFPILOT_SECRET_KEY": "x" * 40}
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfpilot.cli", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                spec = httpx.get(f"{base}/openapi.json")
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert spec.status_code == 200
        assert "/api/v1/locations/{location}/sales" in spec.json()["paths"]
        token = httpx.post(
            f"{base}/auth/token", data={"username": "boss", "password": "a long passphrase"}
        ).json()["access_token"]
        me = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["locations"] == ["S1", "SY"]
        page = httpx.get(f"{base}/locations", headers={"X-API-Key": till_key}).json()
        assert [loc["code"] for loc in page["items"]] == ["S1"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert "a long passphrase" not in stderr and "x" * 40 not in stderr


def test_serve_with_two_workers_shares_logins_and_jobs(tmp_path: Path) -> None:
    """Two server processes: a login made by one is good with the other (one
    signing key, made by `serve` when none is set), and a daily run started
    on one is polled on whichever answers, until it is done."""
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    setup_shop(db, tmp_path)
    made = shelfpilot(
        "user", "create", "boss", "--role", "brand_admin", "-l", "SY",
        "--password", "a long passphrase", db=db, cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SHELFPILOT_SECRET_KEY"}
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfpilot.cli", "serve", "--port", str(port), "--workers", "2",
         "--no-access-log"],
        env={**env, "SHELFPILOT_DB_URL": db}, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/openapi.json")
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/auth/token", data={"username": "boss", "password": "a long passphrase"}
        ).json()["access_token"]
        boss = {"Authorization": f"Bearer {token}"}
        # a new connection each time: the kernel hands them to either worker
        assert {httpx.get(f"{base}/me", headers=boss).status_code for _ in range(20)} == {200}
        started = httpx.post(
            f"{base}/locations/S1/daily-runs", params={"at": "2026-11-20T18:00:00+08:00"},
            headers=boss | {"Idempotency-Key": "run-2026-11-20"},
        )  # fmt: skip
        assert started.status_code == 202, started.text
        where = f"http://127.0.0.1:{port}{started.headers['Location']}"
        deadline = time.monotonic() + 120
        while (job := httpx.get(where, headers=boss).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "done", job
        again = httpx.post(
            f"{base}/locations/S1/daily-runs", params={"at": "2026-11-20T18:00:00+08:00"},
            headers=boss | {"Idempotency-Key": "run-2026-11-20"},
        )  # fmt: skip
        assert (again.status_code, again.json()["job_id"]) == (200, job["job_id"])
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert stderr.count("Started server process") == 2, stderr
    assert "SHELFPILOT_SECRET_KEY is not set" in stderr and "Traceback" not in stderr
