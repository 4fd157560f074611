"""API load: many tills posting sales at once, over HTTP, then the ledger
reconciled against what the tills were told.

    python benchmarks/api_load.py [--seconds 60] [--clients 200 20] [--pace 10]
                                  [--workers 1 2] [--no-postgres]

For SQLite (a real file) and PostgreSQL (a throwaway server on 127.0.0.1):
20 stores x 50 SKUs, one large lot each (stock never runs out: this measures
the API, not refusals), one API key per store. ``shelfpilot serve`` runs as
its own process (no access log), once for each number of ``--workers``
(server processes; the same rows again, on a database of their own set up
alike); this process is the load: ``--clients`` tills (asyncio + httpx, one connection each) post single
sales of one unit of a random SKU at their store, back to back, for
``--seconds``; then the first number of tills again at a shop's pace, each
ringing up a sale every ``--pace`` seconds on average (exponential gaps):
back to back measures how much the server takes, paced what a till waits
on a busy day. One request in 20, at random, is sent twice with the same
Idempotency-Key (a till retrying after a timeout): the second must come back
200 "replayed" and record nothing. Afterwards the ledger must hold exactly
one sale per request answered 201: "lost" counts 201s with no sale behind
them, "doubled" sales beyond the 201s.

Both run on the same 2 cores, so the figures are what one small machine does
with the load generator beside the server. Results: console (Rich),
``results/api_load.md`` and ``.json`` with the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from shelfpilot.domain import Location, LocationKind, Money, Product
from shelfpilot.services import catalog, identity, inventory
from shelfpilot.services.commands import ReceiveLot
from shelfpilot.storage import Database
from shelfpilot.testing.postgres import PostgresUnavailable, TemporaryPostgres

STORES, SKUS = 20, 50
RETRY_EVERY = 20
RESULTS = Path(__file__).with_name("results")


@dataclass
class Row:
    database: str
    #: server processes
    workers: int
    clients: int
    #: mean seconds between one till's sales (0: back to back)
    pace_s: float
    seconds: float
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    retries: int
    replayed: int
    lost: int
    doubled: int


def setup(db: Database) -> dict[str, str]:
    """The chain, its stock and one key per store; returns store -> key."""
    db.migrate()
    stores = [f"S{i:02d}" for i in range(STORES)]
    catalog.save_locations(
        db,
        [Location("BR", "Brand", LocationKind.BRAND)]
        + [Location(s, s, LocationKind.STORE, "BR", "Asia/Shanghai") for s in stores],
    )
    catalog.save_products(
        db,
        [
            Product(
                f"P{k:03d}",
                f"Item {k}",
                f"商品{k}",
                "bakery",
                "pcs",
                Money.of("10"),
                Money.of("4"),
                timedelta(days=2),
            )
            for k in range(SKUS)
        ],
    )
    at = datetime(2026, 1, 1, 8, tzinfo=UTC)
    for s in stores:
        for k in range(SKUS):
            inventory.receive_lot(
                db, ReceiveLot(s, f"P{k:03d}", "BIG", Decimal(10**7), at, expiry=date(2099, 1, 1))
            )
    return {s: identity.create_api_key(db, s, "load", actor="benchmark") for s in stores}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "SHELFPILOT_DB_URL": url, "SHELFPILOT_SECRET_KEY": "b" * 48}
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfpilot.cli", "serve", "--port", str(port), "--no-access-log",
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json")
            return server, base
        except httpx.ConnectError:
            if server.poll() is not None:
                message = server.stderr.read().decode() if server.stderr else "died"
                raise RuntimeError(message) from None
            time.sleep(0.2)
    raise RuntimeError("the API server did not start")


def client(base: str, key: str, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """A till's own connection. The clients share one TLS context (unused on
    http://, but httpx builds one per client, 40 ms of CPU each, which would
    stall every till's requests while the others start)."""
    # an idle connection is dropped before the server's keep-alive (5 s) ends
    # it, as a till that reconnects would; reusing a closed one is no API error
    limits = httpx.Limits(keepalive_expiry=1.0)
    return httpx.AsyncClient(
        base_url=base, timeout=30, headers={"X-API-Key": key}, limits=limits, verify=tls
    )


async def till(
    n: int, client: httpx.AsyncClient, until: float, pace: float, run: str, out: dict[str, Any]
) -> None:
    rng = random.Random(n)
    async with client:
        sent = 0
        if pace:
            await asyncio.sleep(rng.uniform(0, pace))
        while time.perf_counter() < until:
            body = {"lines": [{"sku": f"P{rng.randrange(SKUS):03d}", "quantity": "1"}]}
            # a key per run, till and sale: no run replays another's sales
            headers = {"Idempotency-Key": f"load-{run}-{n:04d}-{sent:07d}"}
            for attempt in range(2 if rng.random() < 1 / RETRY_EVERY else 1):
                start = time.perf_counter()
                try:
                    r = await client.post("sales", json=body, headers=headers)
                    status = r.status_code
                except httpx.HTTPError:
                    status = 0
                out["latency"].append(time.perf_counter() - start)
                if attempt:
                    out["retries"] += 1
                    out["replayed"] += status == 200
                elif status == 201:
                    out["ok"] += 1
                if status not in (200, 201):
                    out["errors"] += 1
                    out["refused"][status] = out["refused"].get(status, 0) + 1
            sent += 1
            if pace:  # a customer at the till: the next sale comes after a while
                gap = rng.expovariate(1 / pace)
                await asyncio.sleep(max(min(gap, until - time.perf_counter()), 0))


def load(
    base: str, keys: dict[str, str], clients: int, seconds: float, pace: float, tag: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latency": [], "ok": 0, "errors": 0, "retries": 0, "replayed": 0, "refused": {}
    }  # fmt: skip
    stores = sorted(keys)

    async def main() -> None:
        tls = ssl.create_default_context()
        places = [stores[n % len(stores)] for n in range(clients)]
        tills = [client(f"{base}/locations/{p}/", keys[p], tls) for p in places]
        until = time.perf_counter() + seconds  # the clock starts once every till is ready
        run = f"{tag}.{clients}.{pace:g}"
        await asyncio.gather(*(till(n, c, until, pace, run, out) for n, c in enumerate(tills)))

    asyncio.run(main())
    return out


def sales_in_ledger(db: Database) -> int:
    with db.transaction(readonly=True) as uow:
        return sum(1 for r in uow.stock.ledger() if r.entry.kind.value == "sale")


def measure(
    name: str,
    url_for: Callable[[int], str],
    runs: list[tuple[int, float]],
    seconds: float,
    workers: list[int],
    console: Console,
) -> list[Row]:
    """Each number of server processes on a database of its own, set up alike."""
    rows = []
    for w in workers:
        db = Database(url_for(w))
        try:
            keys = setup(db)
            rows += measure_server(name, db, keys, w, runs, seconds, console)
        finally:
            db.close()
    return rows


def measure_server(
    name: str,
    db: Database,
    keys: dict[str, str],
    workers: int,
    runs: list[tuple[int, float]],
    seconds: float,
    console: Console,
) -> list[Row]:
    server, base = start_server(db.url, workers)
    rows = []
    try:
        for c, pace in runs:
            before = sales_in_ledger(db)
            started = time.perf_counter()
            out = load(base, keys, c, seconds, pace, f"{workers}w")
            took = time.perf_counter() - started
            recorded = sales_in_ledger(db) - before
            lat = sorted(out["latency"])
            q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
            row = Row(
                name, workers, c, pace, round(took, 1), len(lat), round(len(lat) / took, 1),
                round(q[49] * 1000, 1), round(q[98] * 1000, 1), out["errors"],
                out["retries"], out["replayed"], max(out["ok"] - recorded, 0),
                max(recorded - out["ok"], 0),
            )  # fmt: skip
            rows.append(row)
            console.print(rows[-1])
            if out["refused"]:
                console.print(f"[red]answers other than 200/201 (0 = no answer): {out['refused']}")
    finally:
        server.terminate()
        server.wait(30)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 20])
    parser.add_argument(
        "--pace", type=float, default=10.0,
        help="then the first --clients again, each till ringing a sale every PACE s on average",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2],
        help="server processes: every run again with each number",
    )  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    console = Console()
    rows: list[Row] = []
    runs = [(c, 0.0) for c in args.clients] + ([(args.clients[0], args.pace)] if args.pace else [])
    with tempfile.TemporaryDirectory() as tmp:
        rows += measure(
            "SQLite", lambda w: f"sqlite:///{tmp}/load-{w}.db", runs, args.seconds, args.workers,
            console,
        )  # fmt: skip
    if not args.no_postgres:
        try:
            server = TemporaryPostgres().start()
        except PostgresUnavailable as error:
            console.print(f"[yellow]PostgreSQL skipped: {error}")
        else:
            try:
                rows += measure(
                    "PostgreSQL", lambda w: server.create_database(f"load{w}"), runs,
                    args.seconds, args.workers, console,
                )  # fmt: skip
            finally:
                server.stop()
    table = Table(*Row.__dataclass_fields__, title="API load: single-sale posts")
    for r in rows:
        table.add_row(*[str(v) for v in asdict(r).values()])
    console.print(table)
    payload = {
        "benchmark": "api_load",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": [asdict(r) for r in rows],
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "api_load.json").write_text(json.dumps(payload, indent=2) + "\n")
    header = list(Row.__dataclass_fields__)
    lines = [
        "# API load: single-sale posts over HTTP",
        "",
        f"- command: `{payload['command']}`",
        f"- date: {payload['date']}; {payload['machine']}",
        "",
        (__doc__ or "").strip(),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(str(v) for v in asdict(r).values()) + " |" for r in rows),
    ]
    (args.output / "api_load.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
