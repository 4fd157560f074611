"""Helpers shared by the commands: error handling, parsing typed-in values,
progress bars and tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn
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

from shelfpilot import config
from shelfpilot.domain.errors import DomainError
from shelfpilot.domain.lifecycle import LifecycleRow
from shelfpilot.domain.money import show
from shelfpilot.importing.errors import ImportFailed
from shelfpilot.services import catalog, clearance, expiry_risk, forecasting, stock_views
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


def day_option(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{what} {text!r} must be a date such as 2026-11-25")


def decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        fail(f"{what} {text!r} is not a number")
    if not value.is_finite():
        fail(f"{what} {text!r} is not a number")
    return value


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


RiskByLot = Mapping[tuple[str, str, str], expiry_risk.LotRiskRow]


def lifecycle_table(rows: list[LifecycleRow], title: str, risk: RiskByLot | None = None) -> Table:
    """The lifecycle table as printed: "Out" is donated, disposed or moved away.
    With ``risk`` (by location, SKU, lot code), three risk columns are added."""
    table = Table(title=title, show_lines=False)
    columns = LIFECYCLE_COLUMNS + (RISK_COLUMNS if risk is not None else ())
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name in ("Received", "Expires", "Lot"))  # type: ignore[arg-type]
    for r in rows:
        cells = [
            r.location_code, r.sku, r.product_name, r.lot_code,
            f"{r.received_at:%m-%d %H:%M}", f"{r.expires_at:%m-%d %H:%M}", str(r.days_left),
            show(r.quantity_in), show(r.sold), show(r.removed), show(r.on_hand), str(r.sales_per_day),
            "-" if r.days_of_cover is None else str(r.days_of_cover), r.stage, r.action,
        ]  # fmt: skip
        if risk is not None:
            found = risk.get((r.location_code, r.sku, r.lot_code))
            cells += _risk_cells(found) if found else ["-", "-", "-"]
        table.add_row(*cells)
    return table


# forecasts and expiry risk --------------------------------------------------------
RISK_COLUMNS = (("P(sell out)", "right"), ("Exp. left", "right"), ("Run-out", "left"))

Model = Annotated[
    Path | None,
    typer.Option(
        "--model",
        envvar="SHELFPILOT_MODEL",
        help="Demand model file; default beside the SQLite file (or ./shelfpilot-demand.pkl).",
    ),
]


DailyRisk = Annotated[
    bool | None,
    typer.Option(
        "--risk/--no-risk",
        help="Slow-mover warnings (default: on when a model file exists; --risk trains one).",
    ),
]


def model_path(option: Path | None, db_url: str) -> Path:
    """The model file: as given, else beside the SQLite database file."""
    if option is not None:
        return option
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url[len(prefix) :] not in ("", ":memory:"):
        return Path(db_url[len(prefix) :]).with_suffix(".demand.pkl")
    return Path("shelfpilot-demand.pkl")


def clearance_options(model: Path | None, db_url: str) -> dict[str, Any]:
    """What every clearance command passes on: the model file, and the
    disposal cost and donation value from the settings."""
    found = config.settings()
    return {
        "model_path": model_path(model, db_url),
        "disposal_cost": found.disposal_cost,
        "donation_value": found.donation_value,
    }


def _risk_cells(row: expiry_risk.LotRiskRow) -> list[str]:
    run_out = "-" if row.expected_run_out is None else f"{row.expected_run_out:%m-%d}"
    return [f"{row.p_sell_out:.0%}", show(row.expected_left), run_out]


LifecycleRisk = Annotated[
    bool, typer.Option(help="Add P(sell out), expected units left and run-out day per lot.")
]


def lot_risks(db: Database, as_of: datetime, path: Path, location: str | None) -> RiskByLot:
    """Expiry risk by (location, SKU, lot code), for the lifecycle table."""
    report = expiry_risk.expiry_risk(db, as_of, model_path=path, location=location)
    print_notes(report.notes)
    return {(r.location, r.sku, r.lot_code): r for r in report.rows}


def print_notes(notes: list[str]) -> None:
    for note in notes:
        out.print(f"[yellow]note:[/] {note}", highlight=False)


def print_risk(report: expiry_risk.RiskReport) -> None:
    """Slow-mover warnings: lots unlikely to sell before they leave sale."""
    print_notes(report.notes)
    warned = report.warnings
    table = Table(title=f"{len(warned)} slow-moving lot(s) at risk of not selling in time")
    for name in ("Location", "SKU", "Product", "Lot", "On hand", "Leaves sale"):
        table.add_column(name, justify="right" if name == "On hand" else "left")
    for name, justify in RISK_COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in warned:
        table.add_row(
            r.location, r.sku, r.product_name, r.lot_code, show(r.on_hand),
            f"{r.sellable_until:%m-%d %H:%M}", *_risk_cells(r),
        )  # fmt: skip
    if report.rows:
        out.print(table)
    for p in report.products:
        out.print(
            f"[yellow]slow mover:[/] {p.sku} ({p.product_name}) at {p.location}: about "
            f"{show(p.expected_left)} expected left in lots leaving sale in the warning window",
            highlight=False,
        )


def forecast_table(report: forecasting.ForecastReport, days: int) -> Table:
    """One row per product × location: the first day and the total over ``days``."""
    first = f"{report.first_day:%m-%d}"
    table = Table(title=f"Demand forecast from {report.first_day} ({days} days)")
    for name in ("Location", "SKU", "Product"):
        table.add_column(name)
    for name in (f"{first} mean", "q10", "q90", f"{days} d mean", f"{days} d q10", f"{days} d q90"):
        table.add_column(name, justify="right")
    for s in report.series:
        d = s.days[0]
        table.add_row(
            s.location, s.sku, s.product_name, f"{d.mean:.1f}", f"{d.q10:.1f}", f"{d.q90:.1f}",
            f"{s.total_mean:.1f}", f"{s.total_q10:.1f}", f"{s.total_q90:.1f}",
        )  # fmt: skip
    return table


def forecast_days_table(series: forecasting.SeriesForecast) -> Table:
    table = Table(
        title=f"Demand forecast: {series.sku} ({series.product_name}) at {series.location}"
    )
    table.add_column("Day")
    for name in ("mean", "q10", "q90"):
        table.add_column(name, justify="right")
    for d in series.days:
        table.add_row(f"{d.day:%a %Y-%m-%d}", f"{d.mean:.1f}", f"{d.q10:.1f}", f"{d.q90:.1f}")
    return table


def print_daily(report: stock_views.DailyReport) -> None:
    when = f"{report.as_of:%Y-%m-%d %H:%M %Z}"
    out.print(f"[bold]{len(report.changes)} new stage change(s)[/] as of {when}")
    if report.changes:
        out.print(lifecycle_table([c.row for c in report.changes], "New alerts"))
    out.print(lifecycle_table(report.due, f"{len(report.due)} lot(s) with an action due"))
    summary = ", ".join(f"{stage}: {n}" for stage, n in sorted(report.by_stage.items()))
    out.print(f"lots with stock by stage: {summary or 'none'}")


def print_forecast(report: forecasting.ForecastReport, days: int, *, by_day: bool) -> None:
    print_notes(report.notes)
    if not report.series:
        fail("nothing to forecast there: no sales are recorded for it")
    if not by_day:
        out.print(forecast_table(report, days))
    for series in report.series if by_day else []:
        out.print(forecast_days_table(series))


def daily_risk(
    db: Database, as_of: datetime, path: Path, location: str | None, asked: bool | None
) -> None:
    """The daily run's slow-mover warnings: when asked, or by default when the
    model file exists. The stage changes are already recorded, so a problem
    with the model is reported, not an error."""
    if not (asked or (asked is None and path.exists())):
        return
    try:
        print_risk(expiry_risk.expiry_risk(db, as_of, model_path=path, location=location))
    except DomainError as error:
        out.print(f"[yellow]expiry risk skipped:[/] {error}", highlight=False)


def print_proposals(report: clearance.ProposalReport, *, all_lots: bool) -> None:
    rows = [p for p in report.proposals if all_lots or p.changes]
    table = Table(
        title=f"Markdown proposals as of {report.as_of:%Y-%m-%d %H:%M %Z} "
        f"({len(rows)} of {len(report.proposals)} lots)"
    )
    for head in (
        "location",
        "product",
        "lot",
        "on hand",
        "sell until",
        "now",
        "proposed",
        "donate",
        "why",
    ):
        table.add_column(head)
    for p in rows:
        table.add_row(
            p.location,
            f"{p.sku} {p.product_name}",
            p.lot_code,
            show(p.on_hand),
            f"{p.sellable_until:%m-%d %H:%M}",
            f"{p.current_ratio:.0%}",
            f"{p.ratio_now:.0%} ({p.price_now})",
            show(p.donate_now) if p.donate_now else "",
            p.reason,
        )
    out.print(table)
    for note in report.notes:
        out.print(f"note: {note}")
