"""Helpers shared by the commands: error handling, parsing typed-in values,
progress bars and tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import NoReturn
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

from shelfpilot.domain.errors import DomainError
from shelfpilot.domain.lifecycle import LifecycleRow
from shelfpilot.domain.money import show
from shelfpilot.importing.errors import ImportFailed
from shelfpilot.services import catalog, stock_views
from shelfpilot.storage import Database, StorageUnavailable

# Piped output (a file, a CI log) is not cut to 80 columns: the tables are wide.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


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
    except OSError as error:
        fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    except DomainError as error:
        fail(str(error))


def open_db(url: str, *, create: bool = False) -> Database:
    """Open (and with ``create`` migrate) a database; call inside ``handled()``."""
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


def when(text: str | None, db: Database, location: str | None = None) -> datetime | None:
    """An event time the user typed, or None for "now" (decided when it is recorded,
    so a retried command with the same idempotency key matches the first)."""
    return None if text is None else moment(text, db, location)


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


LIFECYCLE_COLUMNS = (
    ("Location", "left"), ("SKU", "left"), ("Product", "left"), ("Lot", "left"),
    ("Received", "left"), ("Expires", "left"), ("Days left", "right"), ("In", "right"),
    ("Sold", "right"), ("Out", "right"), ("On hand", "right"), ("Sold/day", "right"),
    ("Cover (d)", "right"), ("Stage", "left"), ("Action", "left"),
)  # fmt: skip


def lifecycle_table(rows: list[LifecycleRow], title: str) -> Table:
    """The lifecycle table as printed: "Out" is donated, disposed or moved away."""
    table = Table(title=title, show_lines=False)
    for name, justify in LIFECYCLE_COLUMNS:
        table.add_column(name, justify=justify, no_wrap=name in ("Received", "Expires", "Lot"))  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            r.location_code, r.sku, r.product_name, r.lot_code,
            f"{r.received_at:%m-%d %H:%M}", f"{r.expires_at:%m-%d %H:%M}", str(r.days_left),
            show(r.quantity_in), show(r.sold), show(r.removed), show(r.on_hand), str(r.sales_per_day),
            "-" if r.days_of_cover is None else str(r.days_of_cover), r.stage, r.action,
        )  # fmt: skip
    return table


def print_daily(report: stock_views.DailyReport) -> None:
    when = f"{report.as_of:%Y-%m-%d %H:%M %Z}"
    out.print(f"[bold]{len(report.changes)} new stage change(s)[/] as of {when}")
    if report.changes:
        out.print(lifecycle_table([c.row for c in report.changes], "New alerts"))
    out.print(lifecycle_table(report.due, f"{len(report.due)} lot(s) with an action due"))
    summary = ", ".join(f"{stage}: {n}" for stage, n in sorted(report.by_stage.items()))
    out.print(f"lots with stock by stage: {summary or 'none'}")
