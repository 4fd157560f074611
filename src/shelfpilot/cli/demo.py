"""`shelfpilot demo`: build the demo bakery and show its ladder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from shelfpilot.cli.app import app
from shelfpilot.cli.support import (
    fail,
    handled,
    lifecycle_table,
    open_db,
    out,
    print_daily,
    progress_bar,
)
from shelfpilot.config import dataset
from shelfpilot.demo import SOURCE_DATASET, bakery
from shelfpilot.domain.money import show
from shelfpilot.services import demo, stock_views

DEMO_DB = "sqlite:///shelfpilot-demo.db"


def parse_as_of(text: str | None) -> datetime | None:
    """Checked before the build starts, so a typo does not cost the build."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a day or time; write it like 2017-02-14 or 2017-02-14 15:00")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(bakery.TIMEZONE))


@app.command("demo")
def demo_command(
    db: Annotated[str, typer.Option("--db", help="Where to build the demo.")] = DEMO_DB,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show the ladder as of this day/time.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Folder of the shared data sets.")] = None,
    replace: Annotated[
        bool, typer.Option(help="Rebuild over an existing SQLite file given by --db.")
    ] = False,
) -> None:
    """Build the demo bakery from real Bread Basket sales and show its ladder and lifecycle.
    The default file shelfpilot-demo.db is rebuilt each time."""
    with handled():
        shown_at = parse_as_of(as_of)
        if db.startswith("sqlite:///"):
            target = Path(db.removeprefix("sqlite:///"))
            if target.exists() and db != DEMO_DB and not replace:
                fail(f"{target} exists; pass --replace to rebuild the demo over it")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        database = open_db(db, create=True)
        source = None
        if data is not None:
            source = dataset(SOURCE_DATASET, data)
            if source is None:
                fail(f"no {SOURCE_DATASET} under {data}; leave out --data to use the bundled copy")
        with progress_bar() as update:
            summary = demo.build_demo(database, source=source, progress=update)
        out.print(
            f"demo bakery {summary.location} built in {db}: {summary.products} products, {summary.lots} lots, "
            f"{summary.sales_lines} sale lines replayed ({summary.first_day} → {summary.last_day}), "
            f"{show(summary.sold_units)} units sold, {show(summary.disposed_units)} disposed, "
            f"{summary.stage_changes} stage changes"
        )
        moment_at = shown_at or summary.default_as_of
        report = stock_views.run_daily(database, moment_at, location=summary.location)
        print_daily(report)
        rows = stock_views.lifecycle_table(database, moment_at, location=summary.location)
        out.print(lifecycle_table(rows, f"Lifecycle as of {moment_at:%Y-%m-%d %H:%M %Z}"))
