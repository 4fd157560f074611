"""Commands that read the state of the shop: the expiry ladder, the lifecycle
table, the daily run, the demand forecast, the demand calendar and the
donation statement."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from shelfpilot.cli.app import At, By, Db, Location, app, who
from shelfpilot.cli.options import Language
from shelfpilot.cli.plans import make_and_print
from shelfpilot.cli.support import (
    DailyRisk,
    LifecycleRisk,
    Model,
    daily_risk,
    day_option,
    handled,
    lifecycle_table,
    lot_risks,
    model_path,
    moment,
    open_db,
    out,
    print_daily,
    print_forecast,
)
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.money import show
from shelfpilot.services import catalog, demand_drivers, exports, forecasting, stock_views
from shelfpilot.services import donations as donation_service
from shelfpilot.services import price_response as price_response_service


@app.command()
def ladder(at: At = None, location: Location = None, db: Db = DEFAULT_DB_URL) -> None:
    """Lots with stock by expiry-ladder stage, as of a time."""
    with handled():
        database = open_db(db)
        moment_at = moment(at, database, location)
        grouped = stock_views.lots_by_stage(database, moment_at, location=location)
        if not grouped:
            out.print(f"no lot is on the ladder as of {moment_at:%Y-%m-%d %H:%M %Z}")
        for stage, rows in grouped.items():
            out.print(
                lifecycle_table(
                    rows, f"{stage} ({len(rows)} lots) as of {moment_at:%Y-%m-%d %H:%M %Z}"
                )
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
    lang: Annotated[Language, typer.Option(help="Product names in en or zh.")] = Language.en,
    risk: LifecycleRisk = False,
    model: Model = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The product lifecycle table: one row per lot."""
    with handled():
        database = open_db(db)
        moment_at = moment(at, database, location)
        rows = stock_views.lifecycle_table(
            database,
            moment_at,
            location=location,
            sku=sku,
            open_only=not all_lots,
            language=lang.value,
        )
        found = lot_risks(database, moment_at, model_path(model, db), location) if risk else None
        title = f"Lifecycle as of {moment_at:%Y-%m-%d %H:%M %Z} ({len(rows)} lots)"
        out.print(lifecycle_table(rows, title, found))


@app.command()
def daily(
    at: At = None,
    location: Location = None,
    risk: DailyRisk = None,
    plan: Annotated[
        bool | None,
        typer.Option(
            "--plan/--no-plan",
            help="Make today's clearance plan (default: on when a model file exists).",
        ),
    ] = None,
    model: Model = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The daily run: evaluate the ladder, record stage changes once, list due
    actions, warn of slow movers and make today's clearance plan."""
    with handled():
        database = open_db(db)
        report = stock_views.run_daily(database, moment(at, database, location), location=location)
        print_daily(report)
        path = model_path(model, db)
        daily_risk(database, report.as_of, path, location, risk)
        if plan or (plan is None and path.exists()):
            make_and_print(database, report.as_of, location, model, db, who(by), refresh=False)


@app.command()
def forecast(
    days: Annotated[int, typer.Option(min=1, max=90, help="Days to forecast.")] = 14,
    at: At = None,
    location: Location = None,
    sku: Annotated[str | None, typer.Option(help="One product, day by day.")] = None,
    model: Model = None,
    retrain: Annotated[bool, typer.Option(help="Train a new model from all sales.")] = False,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Daily demand per product and location (mean and the 10-90 % range), from
    the sales up to the day before; trains and saves the model when needed."""
    with handled():
        database = open_db(db)
        report = forecasting.demand_forecast(
            database, moment(at, database, location), days=days, location=location, sku=sku,
            model_path=model_path(model, db), retrain=retrain,
        )  # fmt: skip
        print_forecast(report, days, by_day=sku is not None)


@app.command()
def calendar(
    since: Annotated[
        str | None, typer.Option(help="First day to show (YYYY-MM-DD); default all.")
    ] = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The shop's demand calendar (holidays, events, promotions, planned discounts,
    weather) as imported with `shelfpilot import calendar FILE`."""
    with handled():
        database = open_db(db)
        rows = demand_drivers.calendar_rows(database, since=day_option(since, "since"))
        if not rows:
            out.print("the calendar is empty: import one with `shelfpilot import calendar FILE`")
            return
        table = Table("day", "location", "SKU", "driver", "value", "note", title="demand calendar")
        for r in rows:
            cells = (r.day.isoformat(), r.location or "all", r.sku or "all", r.driver)
            table.add_row(*(escape(c) for c in (*cells, f"{r.value:g}", r.note)))
        out.print(table)


@app.command("donations")
def donations_(
    since: Annotated[
        str | None, typer.Option(help="First day (default: the first of --until's month).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day, included (default: today).")] = None,
    location: Location = None,
    export: Annotated[
        Path | None, typer.Option(help="Also write every donation to this .csv, .xlsx or .parquet.")
    ] = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The donation statement: what was given to whom, with receipts and the
    value at cost and at list price, per recipient (each store's days in its
    own zone; at most 366 days)."""
    with handled():
        database = open_db(db)
        zone = ZoneInfo(catalog.zone_for(database, location))
        first, last = donation_service.default_period(
            day_option(since, "--since"), day_option(until, "--until"), datetime.now(zone).date()
        )
        where = None if location is None else [location]
        rows = donation_service.donations(database, first, last, locations=where)
        table = Table(title=f"Donations {first} to {last} ({len(rows)})")
        for head in ("recipient", "donations", "units", "at cost", "at list", "not valued"):
            table.add_column(head, justify="left" if head == "recipient" else "right")
        for t in donation_service.totals(rows):
            table.add_row(
                escape(t.recipient), str(t.donations), show(t.units),
                f"{t.value_at_cost:.2f} {t.currency}", f"{t.value_at_list:.2f} {t.currency}",
                str(t.unvalued) if t.unvalued else "",
            )  # fmt: skip
        out.print(table)
        if export is not None:
            count = exports.export_donations(export, rows)
            out.print(f"{count} rows written to {export}")


@app.command()
def elasticities(at: At = None, db: Db = DEFAULT_DB_URL) -> None:
    """How the shop's customers answer a markdown, learned from every store's
    sales: the elasticity per category that markdown plans and order advice
    use (at 0.8 of list, demand is multiplied by 0.8 ** elasticity: 1.40 at
    -1.5)."""
    with handled():
        database = open_db(db)
        at_ = moment(at, database)
        rows = price_response_service.elasticity_table(
            price_response_service.price_response(database, at_)
        )
        table = Table(
            "category", "stocked days", "series", "own estimate", "used by plans",
            title=f"price response learned from sales before {at_.date()}",
        )  # fmt: skip
        for r in rows:
            own = "-" if r.estimate is None else f"{r.estimate:.2f} ± {r.se:.2f}"
            name = "all products (pooled)" if r.level == "all" else r.key
            table.add_row(escape(name), f"{r.rows:,}", f"{r.series:,}", own, f"{r.used:.2f}")
        out.print(table)
        if rows and rows[0].estimate is None:
            out.print(
                "not enough to learn from yet (it takes days sold at more than one price, "
                f"with stock all day, for at least 10 products): plans use the default "
                f"{rows[0].used:.2f}"
            )
