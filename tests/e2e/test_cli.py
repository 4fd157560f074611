"""The command line as a user runs it: a real process on a real SQLite file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shelfpilot.testing.postgres import TemporaryPostgres


def shelfpilot(*args: str, db: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHELFPILOT_DB_URL": db, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "shelfpilot.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setup_shop(db: str, cwd: Path) -> None:
    (cwd / "locations.csv").write_text(
        "code,name,kind,parent,timezone\nSY,苏园雅点,brand,,\nS1,平江路店,store,SY,Asia/Shanghai\n"
    )
    (cwd / "products.csv").write_text(
        "商品编码,英文名称,商品名称,类别,单位,零售价,成本,保质期(天)\nCAKE,Mung bean cake,绿豆糕,cake,pcs,28,9.5,12\n"
    )
    for step in (
        ["init"],
        ["import", "locations", "locations.csv"],
        ["import", "products", "products.csv"],
    ):
        result = shelfpilot(*step, db=db, cwd=cwd)
        assert result.returncode == 0, result.stderr


def test_a_day_at_the_shop(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    setup_shop(db, tmp_path)
    ok = shelfpilot(
        "receive",
        "S1",
        "CAKE",
        "L-0001",
        "10",
        "--at",
        "2026-11-20 08:00",
        "--expiry",
        "2026-11-26",
        db=db,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    ok = shelfpilot(
        "receive", "S1", "CAKE", "L-0002", "6", "--at", "2026-11-21 08:00", db=db, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    sold = shelfpilot(
        "sell",
        "S1",
        "CAKE",
        "-q",
        "12",
        "--at",
        "2026-11-22 10:00",
        "--key",
        "r1",
        db=db,
        cwd=tmp_path,
    )
    assert sold.returncode == 0, sold.stderr
    assert "sold 10 from lot L-0001" in sold.stdout and "sold 2 from lot L-0002" in sold.stdout
    again = shelfpilot(
        "sell",
        "S1",
        "CAKE",
        "-q",
        "12",
        "--at",
        "2026-11-22 10:00",
        "--key",
        "r1",
        db=db,
        cwd=tmp_path,
    )
    assert "already recorded 10 from lot L-0001" in again.stdout

    table = shelfpilot("lifecycle", "--at", "2026-11-22 12:00", db=db, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "L-0002" in table.stdout and "L-0001" not in table.stdout

    daily = shelfpilot("daily", "--at", "2026-11-28 09:00", db=db, cwd=tmp_path)
    assert "1 new stage change(s)" in daily.stdout and "five_days" in daily.stdout
    daily = shelfpilot("daily", "--at", "2026-11-28 10:00", db=db, cwd=tmp_path)
    assert "0 new stage change(s)" in daily.stdout

    ladder = shelfpilot("ladder", "--at", "2026-12-02 09:00", db=db, cwd=tmp_path)
    assert "last_day (1 lots)" in ladder.stdout

    out = tmp_path / "ledger.xlsx"
    exported = shelfpilot("export", "ledger", str(out), db=db, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["sell", "S1", "CAKE", "-q", "99"],
            1,
            "out of stock: only 0 of CAKE at S1 can be sold, asked for 99",
        ),
        (["sell", "S1", "NOPE"], 1, "unknown SKU 'NOPE'"),
        (["sell", "S1", "CAKE", "-q", "abc"], 1, "quantity 'abc' is not a number"),
        (["receive", "S1", "CAKE", "L1", "5", "--at", "tomorrow"], 1, "'tomorrow' is not a time"),
        (["receive", "S1", "CAKE", "L1", "0"], 1, "quantity received must be above zero"),
        (["set-ladder", "category", "warn=3x", "--key", "cake"], 1, "not a duration"),
        (["sell", "S1", "CAKE", "-q", "1e400"], 1, "too large"),
        (["receive", "S1", "CAKE", "L1", "100000000000000000"], 1, "too large"),
        (["export", "ledger", "no/such/dir/ledger.csv"], 1, "No such file or directory"),
        (["lifecycle", "--lang", "fr"], 2, "Invalid value"),
        (["demo", "--as-of", "2017-02-30"], 1, "is not a day or time"),
    ],
)
def test_mistakes_get_a_message_and_an_exit_code_not_a_traceback(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    setup_shop(db, tmp_path)
    result = shelfpilot(*args, db=db, cwd=tmp_path)
    assert result.returncode == code
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_database_that_was_never_initialised(tmp_path: Path) -> None:
    result = shelfpilot("lifecycle", db=f"sqlite:///{tmp_path / 'none.db'}", cwd=tmp_path)
    assert result.returncode == 3
    assert "run `shelfpilot init` first" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "is not a database URL"),
        ("sqlite:////no/such/folder/x.db", "the database is unavailable"),
        ("postgresql://nobody@127.0.0.1:1/none", "the database is unavailable"),
    ],
)
def test_a_database_that_cannot_be_opened(tmp_path: Path, url: str, message: str) -> None:
    result = shelfpilot("init", db=url, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_the_cli_on_postgresql(tmp_path: Path, postgres_server: TemporaryPostgres) -> None:
    db = postgres_server.create_database("cli")
    setup_shop(db, tmp_path)
    ok = shelfpilot(
        "receive", "S1", "CAKE", "L1", "3", "--at", "2026-11-20 08:00", db=db, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    sold = shelfpilot(
        "sell", "S1", "CAKE", "-q", "2", "--at", "2026-11-20 09:00", db=db, cwd=tmp_path
    )
    assert "sold 2 from lot L1" in sold.stdout, sold.stderr


def test_write_offs_donations_transfers_and_counts(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    setup_shop(db, tmp_path)
    (tmp_path / "more.csv").write_text("code,name,kind,parent\nS2,观前街店,store,SY\n")
    assert shelfpilot("import", "locations", "more.csv", db=db, cwd=tmp_path).returncode == 0
    shelfpilot(
        "receive",
        "S1",
        "CAKE",
        "L1",
        "10",
        "--at",
        "2026-11-20 08:00",
        "--expiry",
        "2026-11-23",
        db=db,
        cwd=tmp_path,
    )
    steps = [
        (
            ["dispose", "S1", "CAKE", "L1", "1", "--note", "dropped"],
            "recorded disposal of 1 from lot L1 of CAKE at S1",
        ),
        (
            ["donate", "S1", "CAKE", "L1", "2", "--to", "Food bank", "--receipt", "FB-9"],
            "recorded donation of 2 from lot L1 of CAKE at S1",
        ),
        (["transfer", "S1", "S2", "CAKE", "L1", "3"], "moved 3 of lot L1 (CAKE) from S1 to S2"),
        (["count", "S1", "CAKE", "L1", "3.5"], "adjustment -0.5"),
    ]
    for args, expected in steps:
        result = shelfpilot(*args, "--at", "2026-11-21 09:00", db=db, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
    late = shelfpilot(
        "donate", "S1", "CAKE", "L1", "1", "--at", "2026-11-24 09:00", db=db, cwd=tmp_path
    )
    assert late.returncode == 1 and "expired food cannot be donated" in " ".join(
        late.stderr.split()
    )
    gifts = shelfpilot("audit", "--action", "stock.donation", db=db, cwd=tmp_path)
    assert "receipt=FB-9" in " ".join(gifts.stdout.split())
    statement = shelfpilot(
        "donations", "--since", "2026-11-01", "--until", "2026-11-30", "--location", "S1",
        "--export", "gifts.csv", db=db, cwd=tmp_path,
    )  # fmt: skip
    assert statement.returncode == 0, statement.stderr
    words = " ".join(statement.stdout.split())
    assert "Food bank │ 1 │ 2 │" in words and "1 rows written to gifts.csv" in words
    assert "FB-9" in (tmp_path / "gifts.csv").read_text(encoding="utf-8-sig")
    # a manager's own price changes are not refused, but a third in one day is pointed out
    for hour, price in (("10:00", "26"), ("11:00", "25"), ("12:00", "24")):
        priced = shelfpilot(
            "price", "S1", "CAKE", "L1", price, "--at", f"2026-11-21 {hour}", db=db, cwd=tmp_path
        )
        assert priced.returncode == 0, priced.stderr
        told = "price changes of this lot that day, and the clearance guardrails allow 2" in (
            " ".join(priced.stdout.split())
        )
        assert told == (hour != "10:00"), priced.stdout
    backwards = shelfpilot(
        "donations", "--since", "2026-11-30", "--until", "2026-11-01", db=db, cwd=tmp_path
    )
    assert backwards.returncode == 1 and "is before the first (2026-11-30)" in backwards.stderr
    table = shelfpilot(
        "lifecycle", "--at", "2026-11-21 10:00", "--location", "S1", db=db, cwd=tmp_path
    )
    assert "3.5" in table.stdout


def test_clearance_plan_on_the_demo_bakery(tmp_path: Path) -> None:
    """Preview, make the plan in the daily run, approve one line, adjust
    another out of bounds, and find the approval in the audit log."""
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    built = shelfpilot("demo", "--db", db, db=db, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    preview = shelfpilot("plan", "--preview", "--at", "2017-04-02 15:00", db=db, cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert "Markdown proposals as of 2017-04-02 15:00" in preview.stdout
    assert "of list now: at the current price about" in preview.stdout
    # the demo's history has no sale below list: the plans use the default response
    response = shelfpilot("elasticities", "--at", "2017-04-02 15:00", db=db, cwd=tmp_path)
    assert response.returncode == 0, response.stderr
    flat_response = " ".join(response.stdout.split())
    assert "all products (pooled)" in flat_response
    assert "plans use the default -1.50" in flat_response, response.stdout
    boxes = shelfpilot(
        "blind-box", "2.5", "-l", "BB-EDI", "--exclude", "Nuts, milk", "--exclude", "坚果",
        "--at", "2017-04-02 15:00", db=db, cwd=tmp_path,
    )  # fmt: skip
    assert boxes.returncode == 0, boxes.stderr
    # the demo records no allergens: nothing may go into a nut-free box, and it says why
    assert "allergens not recorded" in " ".join(boxes.stdout.split()), boxes.stdout
    reserve = ("pre-order", "BB-EDI", "BB-SANDWICH", "4", "--collect", "2017-04-03",
               "--key", "app-1", "--at", "2017-04-02 15:00", "--by", "ann")  # fmt: skip
    taken = shelfpilot(*reserve, db=db, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    assert "pre-order 1 taken: 4 × BB-SANDWICH" in taken.stdout and "70% of list" in taken.stdout
    retried = shelfpilot(*reserve, db=db, cwd=tmp_path)
    assert retried.returncode == 0 and "pre-order 1 already taken" in retried.stdout
    listed = shelfpilot("pre-orders", "--at", "2017-04-02 15:00", db=db, cwd=tmp_path)
    assert "BB-SANDWICH" in listed.stdout and "2017-04-03" in listed.stdout
    taught = shelfpilot("feedback", "--at", "2017-04-02 15:00", db=db, cwd=tmp_path)
    assert taught.returncode == 0, taught.stderr
    flat = " ".join(taught.stdout.split())
    assert "or have pre-orders due" in flat and "BB-SAND" in flat, taught.stdout
    setup = shelfpilot("channels", "--defaults", "--by", "ann", db=db, cwd=tmp_path)
    assert setup.returncode == 0 and "food-bank" in setup.stdout
    daily = shelfpilot(
        "daily", "--plan", "--at", "2017-04-02 15:00", "--by", "ann", db=db, cwd=tmp_path
    )
    assert daily.returncode == 0, daily.stderr
    assert "Clearance plan BB-EDI 2017-04-02 (made by ann" in " ".join(daily.stdout.split())
    assert re.search(r"\d → [a-z]", daily.stdout), daily.stdout  # a line "4 → member-push"
    approved = shelfpilot(
        "approve", "1", "--at", "2017-04-02 15:05", "--by", "ann", db=db, cwd=tmp_path
    )
    assert approved.returncode == 0, approved.stderr
    assert "line 1 (" in approved.stdout and "approved at" in approved.stdout
    assert "posted price_change" in approved.stdout
    wild = shelfpilot(
        "adjust", "2", "0.3", "--at", "2017-04-02 15:05", "--by", "ann", db=db, cwd=tmp_path
    )
    assert wild.returncode == 1 and "below the floor" in " ".join(wild.stderr.split())
    log = shelfpilot("audit", "--action", "plan.approve", db=db, cwd=tmp_path)
    assert "plan.approve" in log.stdout and "ann" in log.stdout
    again = shelfpilot("plan", "--at", "2017-04-02 16:00", db=db, cwd=tmp_path)
    assert "approved" in again.stdout  # the stored plan, with the decision on it
    for run in (
        preview,
        response,
        boxes,
        taken,
        retried,
        listed,
        taught,
        setup,
        daily,
        approved,
        wild,
        log,
        again,
    ):
        assert "Traceback" not in run.stdout + run.stderr
