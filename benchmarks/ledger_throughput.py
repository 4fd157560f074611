"""Ledger throughput: sales recorded per second with FEFO, against a plain append.

    python benchmarks/ledger_throughput.py [--sales N] [--lots 10000] [--no-postgres]
                                           [--no-replay] [--output DIR]

For SQLite (a real file) and PostgreSQL (a throwaway server on 127.0.0.1):

- setup: 10 stores x 100 SKUs x 10 lots = 10,000 open lots with staggered
  expiry (bulk-inserted; not what is measured);
- ``plain append``: one ledger row inserted per sale, each in its own
  transaction; no FEFO, no lock, no idempotency: the floor of what a sale costs;
- ``record_sale (FEFO)``: ``services.inventory.record_sale``, one sale of one
  unit of a random SKU at a random store, each in its own transaction, with an
  idempotency key: reads the lots and their on-hand (locked FOR UPDATE on
  PostgreSQL), allocates first-expired-first-out, writes operation + entries;
- ``demo replay``: ``services.demo.build_demo`` of the whole Bread Basket
  history into a new database.

Results go to the console (Rich), ``results/ledger_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select, text

from shelfpilot.domain import Location, LocationKind, Money, Product
from shelfpilot.services import catalog
from shelfpilot.services.demo import build_demo
from shelfpilot.services.inventory import RecordSale, SaleLine, record_sale
from shelfpilot.storage import Database
from shelfpilot.storage.models import LedgerRow, LocationRow, LotRow, OperationRow, ProductRow
from shelfpilot.testing.postgres import PostgresUnavailable, TemporaryPostgres

ZONE = ZoneInfo("Europe/London")
BASE = datetime(2026, 6, 1, 8, 0, tzinfo=ZONE)  # first sale; lots received a day before
STORES, SKUS = 10, 100
WARMUP = 50
RESULTS = Path(__file__).with_name("results")
console = Console(width=None if sys.stdout.isatty() else 150)


@dataclass
class Result:
    backend: str
    workload: str
    operations: int
    seconds: float
    per_second: float
    p50_ms: float | None = None
    p95_ms: float | None = None
    vs_baseline: str = ""  # how many times slower than the plain append
    note: str = ""


# setup -----------------------------------------------------------------------------
def setup_lots(db: Database, lots_per_pair: int) -> tuple[list[tuple[str, str]], list[int]]:
    """Stores, products and open lots; returns the (store, sku) pairs and lot ids."""
    db.migrate()
    stores = [f"S{n:02d}" for n in range(1, STORES + 1)]
    catalog.save_locations(
        db,
        [Location("BENCH", "Benchmark brand", LocationKind.BRAND, None, "Europe/London")]
        + [Location(s, f"Store {s}", LocationKind.STORE, "BENCH", "Europe/London") for s in stores],
    )
    skus = [f"SKU{n:03d}" for n in range(SKUS)]
    catalog.save_products(
        db,
        [
            Product(sku, f"Item {sku}", "", "bench", "pcs", Money(Decimal("10"), "GBP"),
                    Money(Decimal("4"), "GBP"), timedelta(days=60))
            for sku in skus
        ],
    )  # fmt: skip
    received = BASE - timedelta(days=1)
    with db.transaction() as uow:
        session = uow.session
        product_ids = dict(session.execute(select(ProductRow.sku, ProductRow.id)).all())
        location_ids = dict(session.execute(select(LocationRow.code, LocationRow.id)).all())
        rows = [
            {
                "lot_code": f"L{j:02d}",
                "product_id": product_ids[sku],
                "location_id": location_ids[store],
                "produced_at": received,
                "received_at": received,
                # staggered: lot j of an SKU expires 2 + 3j days out, SKUs offset by hours
                "expires_at": BASE + timedelta(days=2 + 3 * j, hours=i % 24),
                "expiry_is_date": False,
                "quantity": Decimal(1_000_000),
                "unit_cost": Decimal(4),
            }
            for store in stores
            for i, sku in enumerate(skus)
            for j in range(lots_per_pair)
        ]
        session.execute(insert(LotRow), rows)
        operation = OperationRow(kind="receipt", idempotency_key="bench:setup",
                                 fingerprint="setup", recorded_at=datetime.now(UTC))  # fmt: skip
        session.add(operation)
        session.flush()
        lot_ids = list(session.scalars(select(LotRow.id).order_by(LotRow.id)))
        receipts = [
            {"operation_id": operation.id, "lot_id": lot_id, "kind": "receipt",
             "quantity": Decimal(1_000_000), "occurred_at": received}
            for lot_id in lot_ids
        ]  # fmt: skip
        session.execute(insert(LedgerRow), receipts)
    return [(store, sku) for store in stores for sku in skus], lot_ids


# workloads -------------------------------------------------------------------------
def timed(count: int, one: Callable[[int], object]) -> tuple[float, list[float]]:
    for i in range(-WARMUP, 0):
        one(i)
    latencies = []
    start = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        one(i)
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies


def result(backend: str, workload: str, seconds: float, lat: list[float], note: str) -> Result:
    ms = sorted(x * 1000 for x in lat)
    return Result(backend, workload, len(ms), round(seconds, 3), round(len(ms) / seconds, 1),
                  round(statistics.median(ms), 3), round(ms[int(len(ms) * 0.95) - 1], 3),
                  note=note)  # fmt: skip


def plain_append(db: Database, backend: str, lot_ids: list[int], sales: int) -> Result:
    rng = random.Random(7)
    with db.transaction() as uow:
        operation = OperationRow(kind="sale", idempotency_key=None, fingerprint="baseline",
                                 recorded_at=datetime.now(UTC))  # fmt: skip
        uow.session.add(operation)
        uow.session.flush()
        operation_id = operation.id

    def one(i: int) -> None:
        row = {"operation_id": operation_id, "lot_id": rng.choice(lot_ids), "kind": "sale",
               "quantity": Decimal(-1), "unit_price": Decimal(10), "currency": "GBP",
               "occurred_at": BASE + timedelta(seconds=i)}  # fmt: skip
        with db.transaction() as uow:
            uow.session.execute(insert(LedgerRow), row)

    seconds, lat = timed(sales, one)
    return result(backend, "plain append (baseline)", seconds, lat, "one INSERT")


def fefo_sales(db: Database, backend: str, pairs: list[tuple[str, str]], sales: int) -> Result:
    rng = random.Random(42)

    def one(i: int) -> None:
        store, sku = rng.choice(pairs)
        record_sale(
            db,
            RecordSale(store, (SaleLine(Decimal(1), sku),), BASE + timedelta(seconds=i),
                       idempotency_key=f"bench:sale:{i}"),
        )  # fmt: skip

    seconds, lat = timed(sales, one)
    return result(backend, "record_sale (FEFO)", seconds, lat, "1 line, idempotency key")


def replay(db: Database, backend: str) -> Result:
    start = time.perf_counter()
    summary = build_demo(db)
    seconds = time.perf_counter() - start
    note = (
        f"{summary.days} days, {summary.lots} lots, {summary.sales_lines} lines, "
        f"from {Path(summary.source).name}"
    )
    return Result(backend, "demo replay (Bread Basket)", summary.baskets, round(seconds, 3),
                  round(summary.baskets / seconds, 1), note=note)  # fmt: skip


def run_backend(
    backend: str, make_db: Callable[[str], Database], args: argparse.Namespace
) -> list[Result]:
    results = []
    db = make_db("bench")
    try:
        start = time.perf_counter()
        pairs, lot_ids = setup_lots(db, max(1, args.lots // (STORES * SKUS)))
        console.log(f"{backend}: {len(lot_ids)} lots set up in {time.perf_counter() - start:.1f}s")
        results.append(plain_append(db, backend, lot_ids, args.sales))
        console.log(f"{backend}: plain append {results[-1].per_second}/s")
        results.append(fefo_sales(db, backend, pairs, args.sales))
        console.log(f"{backend}: record_sale {results[-1].per_second}/s")
    finally:
        db.close()
    if not args.no_replay:
        demo = make_db("demo")
        try:
            results.append(replay(demo, backend))
            console.log(f"{backend}: demo replay {results[-1].seconds}s")
        finally:
            demo.close()
    base = next(x for x in results if x.workload.startswith("plain"))
    for r in results:
        if r.workload.startswith("record_sale"):
            r.vs_baseline = f"{base.per_second / r.per_second:.1f}x"
    return results


# machine and report --------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(pg_version: str | None, load_at_start: str) -> dict[str, str]:
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version or "not run",
        "load average (1/5/15 min) at start, end": f"{load_at_start}; {load()}",
    }


def render(results: list[Result]) -> Table:
    table = Table(title="Ledger throughput (each operation its own transaction)")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in TEXT_COLUMNS else "right")
    for r in results:
        table.add_row(*cells(r))
    return table


COLUMNS = ("backend", "workload", "operations", "seconds", "per second", "p50 ms", "p95 ms",
           "slower than baseline", "note")  # fmt: skip
TEXT_COLUMNS = ("backend", "workload", "note")


def cells(r: Result) -> list[str]:
    return [r.backend, r.workload, str(r.operations), f"{r.seconds:.2f}", f"{r.per_second:,.0f}",
            _ms(r.p50_ms), _ms(r.p95_ms), r.vs_baseline, r.note]  # fmt: skip


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def markdown(results: list[Result], info: dict[str, str], command: str, when: str) -> str:
    lines = [
        "# Ledger throughput",
        "",
        f"Produced by `{command}` on {when}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if c in TEXT_COLUMNS else "---:" for c in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in results]
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += [
        "",
        "Durability settings: SQLite in WAL mode with `synchronous=NORMAL` (the app's "
        "settings); the throwaway PostgreSQL runs with `fsync=off`. Both client and server "
        f"share the machine's cores. The first {WARMUP} operations of each workload are a "
        "warm-up and are not counted. The demo replay's operations are baskets with stocked "
        "items (each one sale), plus the production, disposal and the daily ladder run.",
        "",
    ]
    return "\n".join(lines)


@contextmanager
def postgres(enabled: bool) -> Iterator[TemporaryPostgres | None]:
    if not enabled:
        yield None
        return
    try:
        server = TemporaryPostgres().start()
    except PostgresUnavailable as error:
        console.log(f"PostgreSQL skipped: {error}")
        yield None
        return
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ledger throughput benchmark")
    parser.add_argument("--sales", type=int, default=2000, help="sales per workload")
    parser.add_argument("--lots", type=int, default=10_000, help="open lots (10 stores x 100 SKUs)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-replay", action="store_true", help="skip the demo replay")
    parser.add_argument("--output", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "benchmarks/ledger_throughput.py", *sys.argv[1:]])
    results: list[Result] = []
    pg_version = None
    load_at_start = load()
    with tempfile.TemporaryDirectory(prefix="shelfpilot-bench-") as folder:
        results += run_backend(
            "SQLite", lambda name: Database(f"sqlite:///{Path(folder) / name}.db"), args
        )
    with postgres(not args.no_postgres) as server:
        if server is not None:
            probe = Database(server.url)
            with probe.engine.connect() as connection:
                pg_version = str(connection.execute(text("SHOW server_version")).scalar())
            probe.close()
            results += run_backend(
                "PostgreSQL", lambda name: Database(server.create_database(name)), args
            )
    console.print(render(results))
    info = machine(pg_version, load_at_start)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "ledger_throughput.md").write_text(markdown(results, info, command, when))
    payload = {"command": command, "date": when, "machine": info,
               "results": [asdict(r) for r in results]}  # fmt: skip
    (args.output / "ledger_throughput.json").write_text(json.dumps(payload, indent=2) + "\n")
    console.log(f"wrote {args.output / 'ledger_throughput.md'} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
