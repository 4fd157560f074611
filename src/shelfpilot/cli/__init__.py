"""Command line: a thin adapter over ``services``. Exit codes: 0 done,
1 refused by a business rule or bad input, 2 bad usage, 3 database missing
or unavailable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shelfpilot.config import DEFAULT_DB_URL, data_dir
from shelfpilot.domain.errors import DomainError
from shelfpilot.domain.lifecycle import LifecycleRow
from shelfpilot.domain.money import show
from shelfpilot.importing.errors import ImportFailed
from shelfpilot.services import catalog, demo, exports, imports, inventory, stock_views
from shelfpilot.storage import Database, StorageUnavailable

app = typer.Typer(
    help="ShelfPilot: lots, expiry ladders and FEFO stock for goods that do not keep.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

Db = Annotated[
    str,
    typer.Option(
        "--db", envvar="SHELFPILOT_DB_URL", help="Database URL (SQLite file or postgresql://...)."
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Time as ISO 8601 ('2026-11-22 15:00'); without a zone it is the store's. Default now.",
    ),
]
Location = Annotated[str | None, typer.Option("--location", "-l", help="Location code.")]


class ImportKind(StrEnum):
    products = "products"
    locations = "locations"
    suppliers = "suppliers"
    lots = "lots"
    sales = "sales"
    counts = "counts"


class ExportKind(StrEnum):
    lifecycle = "lifecycle"
    ledger = "ledger"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn business errors into a message and an exit code, never a traceback."""
    try:
        yield
    except ImportFailed as failure:
        table = Table(
            "file",
            "row",
            "column",
            "problem",
            title=f"{len(failure.errors)} problem(s); nothing was imported",
        )
        for e in failure.errors:
            table.add_row(e.file, str(e.row), e.column or "", e.message)
        err.print(table)
        raise typer.Exit(1) from None
    except StorageUnavailable as error:
        fail(str(error), 3)
    except DomainError as error:
        fail(str(error))


def open_db(url: str, *, create: bool = False) -> Database:
    db = Database(url)
    if create:
        db.migrate()
    elif not db.is_initialised():
        fail(f"{db.describe()} has no ShelfPilot tables: run `shelfpilot init` first", 3)
    return db


def moment(text: str | None, db: Database, location: str | None = None) -> datetime:
    zone = ZoneInfo(catalog.zone_for(db, location))
    if text is None:
        return datetime.now(zone)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a time; write it like 2026-11-22 or 2026-11-22 15:00")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def expiry_value(text: str | None) -> date | datetime | None:
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            return date.fromisoformat(text.strip())
        return datetime.fromisoformat(text)
    except ValueError:
        fail(f"expiry {text!r} must be a date (2026-11-25) or a date-time (2026-11-25 18:00)")


def decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        fail(f"{what} {text!r} is not a number")


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def lifecycle_table(rows: list[LifecycleRow], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for name in (
        "Location",
        "SKU",
        "Product",
        "Lot",
        "Received",
        "Expires",
        "Days left",
        "In",
        "Sold",
    ):
        table.add_column(name, justify="right" if name in ("Days left", "In", "Sold") else "left")
    for name in ("Removed", "On hand", "Sold/day", "Cover (d)"):
        table.add_column(name, justify="right")
    table.add_column("Stage")
    table.add_column("Action")
    for r in rows:
        table.add_row(
            r.location_code, r.sku, r.product_name, r.lot_code,
            f"{r.received_at:%Y-%m-%d %H:%M}", f"{r.expires_at:%Y-%m-%d %H:%M}", str(r.days_left),
            show(r.quantity_in), show(r.sold), show(r.removed), show(r.on_hand), str(r.sales_per_day),
            "-" if r.days_of_cover is None else str(r.days_of_cover), r.stage, r.action,
        )  # fmt: skip
    return table


@app.command()
def init(db: Db = DEFAULT_DB_URL) -> None:
    """Create the database, or upgrade it to the latest schema."""
    with handled():
        database = open_db(db, create=True)
        out.print(f"database ready: {database.describe()}")


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, .xlsx or .parquet file.")
    ],
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Import a spreadsheet. One bad row and nothing is imported; every problem is listed."""
    with handled():
        database = open_db(db)
        with progress_bar() as update:
            report = imports.import_file(
                database,
                kind.value,
                path,
                progress=lambda done, total: update(f"import {kind.value}", done, total),
            )
        out.print(f"{report.rows} rows read, {report.written} written from {path}")


@app.command()
def export(
    what: Annotated[ExportKind, typer.Argument(help="lifecycle table or ledger")],
    path: Annotated[Path, typer.Argument(help="Target file: .csv, .xlsx or .parquet.")],
    at: At = None,
    location: Location = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Export the lifecycle table (as of a time) or the ledger."""
    with handled():
        database = open_db(db)
        if what is ExportKind.lifecycle:
            count = exports.export_lifecycle(
                database, path, moment(at, database, location), location=location
            )
        else:
            count = exports.export_ledger(database, path, location=location)
        out.print(f"{count} rows written to {path}")


@app.command()
def receive(
    location: Annotated[str, typer.Argument(help="Store or warehouse code.")],
    sku: Annotated[str, typer.Argument()],
    lot: Annotated[str, typer.Argument(help="Lot (batch) code.")],
    quantity: Annotated[
        str, typer.Argument(help="Quantity received; decimals allowed for weight.")
    ],
    at: At = None,
    expiry: Annotated[
        str | None, typer.Option(help="Expiry date or date-time; default from shelf life.")
    ] = None,
    produced: Annotated[str | None, typer.Option(help="Production time.")] = None,
    cost: Annotated[str | None, typer.Option(help="Unit cost; default the product's.")] = None,
    supplier: Annotated[str | None, typer.Option()] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key: a retry with it records once.")
    ] = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Receive a lot into stock."""
    with handled():
        database = open_db(db)
        result = inventory.receive_lot(
            database,
            inventory.ReceiveLot(
                location=location, sku=sku, lot_code=lot, quantity=decimal(quantity, "quantity"),
                received_at=moment(at, database, location), expiry=expiry_value(expiry),
                produced_at=moment(produced, database, location) if produced else None,
                unit_cost=decimal(cost, "cost") if cost else None, supplier=supplier, idempotency_key=key,
            ),
        )  # fmt: skip
        state = "already recorded" if result.replayed else "received"
        out.print(f"{state}: lot {lot} of {sku} at {location}, {show(result.entries[0].quantity)}")


@app.command()
def sell(
    location: Annotated[str, typer.Argument(help="Store code.")],
    sku: Annotated[str | None, typer.Argument(help="SKU (or use --barcode).")] = None,
    quantity: Annotated[
        str | None, typer.Option("--qty", "-q", help="Quantity; default 1 or the label's weight.")
    ] = None,
    barcode: Annotated[
        str | None, typer.Option(help="Scanned GS1 barcode (GTIN, lot AI 10, expiry AI 17).")
    ] = None,
    price: Annotated[str | None, typer.Option(help="Unit price paid; default list price.")] = None,
    lot: Annotated[str | None, typer.Option(help="Sell from this lot only.")] = None,
    at: At = None,
    receipt: Annotated[str | None, typer.Option(help="Till receipt number.")] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key: a retry with it records once.")
    ] = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Record a sale; lots are chosen first-expired-first-out unless the barcode or --lot names one."""
    with handled():
        database = open_db(db)
        line = inventory.SaleLine(
            quantity=decimal(quantity, "quantity") if quantity else None, sku=sku,
            unit_price=decimal(price, "price") if price else None, lot_code=lot, barcode=barcode,
        )  # fmt: skip
        result = inventory.record_sale(
            database,
            inventory.RecordSale(location, (line,), moment(at, database, location), receipt, key),
        )
        for entry in result.entries:
            out.print(
                f"{'already recorded' if result.replayed else 'sold'} {show(-entry.quantity)} from {entry.lot}"
            )


@app.command()
def ladder(at: At = None, location: Location = None, db: Db = DEFAULT_DB_URL) -> None:
    """Lots with stock by expiry-ladder stage, as of a time."""
    with handled():
        database = open_db(db)
        when = moment(at, database, location)
        grouped = stock_views.lots_by_stage(database, when, location=location)
        if not grouped:
            out.print(f"no lot is on the ladder as of {when:%Y-%m-%d %H:%M %Z}")
        for stage, rows in grouped.items():
            out.print(
                lifecycle_table(rows, f"{stage} ({len(rows)} lots) as of {when:%Y-%m-%d %H:%M %Z}")
            )


@app.command("set-ladder")
def set_ladder(
    scope: Annotated[str, typer.Argument(help="default, category or sku")],
    spec: Annotated[str, typer.Argument(help="e.g. 'remind=24h,last_day=8h,pulled=1h'")],
    key: Annotated[str, typer.Option(help="The category or SKU the ladder is for.")] = "*",
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Set the expiry ladder for everything, a category or one product."""
    with handled():
        result = catalog.set_ladder(open_db(db), scope, key, spec)
        out.print(f"ladder for {scope} {key}: {result.spec()}")


@app.command()
def lifecycle(
    at: At = None,
    location: Location = None,
    sku: Annotated[str | None, typer.Option()] = None,
    all_lots: Annotated[
        bool, typer.Option("--all", help="Include lots with nothing left.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Product names in en or zh.")] = "en",
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The product lifecycle table: one row per lot."""
    with handled():
        database = open_db(db)
        when = moment(at, database, location)
        rows = stock_views.lifecycle_table(
            database, when, location=location, sku=sku, open_only=not all_lots, language=lang
        )
        out.print(
            lifecycle_table(rows, f"Lifecycle as of {when:%Y-%m-%d %H:%M %Z} ({len(rows)} lots)")
        )


@app.command()
def daily(at: At = None, location: Location = None, db: Db = DEFAULT_DB_URL) -> None:
    """The daily run: evaluate the ladder, record stage changes once, list due actions."""
    with handled():
        database = open_db(db)
        report = stock_views.run_daily(database, moment(at, database, location), location=location)
        _print_daily(report)


def _print_daily(report: stock_views.DailyReport) -> None:
    when = f"{report.as_of:%Y-%m-%d %H:%M %Z}"
    out.print(f"[bold]{len(report.changes)} new stage change(s)[/] as of {when}")
    if report.changes:
        out.print(lifecycle_table([c.row for c in report.changes], "New alerts"))
    out.print(lifecycle_table(report.due, f"{len(report.due)} lot(s) with an action due"))
    summary = ", ".join(f"{stage}: {n}" for stage, n in sorted(report.by_stage.items()))
    out.print(f"lots with stock by stage: {summary or 'none'}")


@app.command("demo")
def demo_command(
    db: Annotated[
        str, typer.Option("--db", help="Where to build the demo (replaced).")
    ] = "sqlite:///shelfpilot-demo.db",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show the ladder as of this day/time.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Folder of the shared data sets.")] = None,
) -> None:
    """Build the demo bakery from real Bread Basket sales and show its ladder and lifecycle."""
    with handled():
        if db.startswith("sqlite:///"):
            target = Path(db.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        database = open_db(db, create=True)
        source = data_dir(data)
        with progress_bar() as update:
            summary = demo.build_demo(database, source=source, progress=update)
        out.print(
            f"demo bakery {summary.location} built in {db}: {summary.products} products, {summary.lots} lots, "
            f"{summary.sales_lines} sale lines replayed ({summary.first_day} → {summary.last_day}), "
            f"{show(summary.sold_units)} units sold, {show(summary.disposed_units)} disposed, "
            f"{summary.stage_changes} stage changes"
        )
        when = moment(as_of, database, summary.location) if as_of else summary.default_as_of
        report = stock_views.run_daily(database, when, location=summary.location)
        _print_daily(report)
        rows = stock_views.lifecycle_table(database, when, location=summary.location)
        out.print(lifecycle_table(rows, f"Lifecycle as of {when:%Y-%m-%d %H:%M %Z}"))


if __name__ == "__main__":  # pragma: no cover
    app()
