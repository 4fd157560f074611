"""Pre-sale clearance at the counter: take, list and cancel pre-orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from shelfpilot.cli.app import At, By, Db, Key, Location, app, who
from shelfpilot.cli.support import day_option, decimal, handled, moment, open_db, out, when
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.money import show
from shelfpilot.services import presales

OrderId = Annotated[int, typer.Argument(help="Pre-order id (`shelfpilot pre-orders`).")]


@app.command("pre-order")
def pre_order(
    location: Annotated[str, typer.Argument(help="Store where the customer collects.")],
    sku: Annotated[str, typer.Argument(help="SKU.")],
    units: Annotated[str, typer.Argument(help="Units reserved (kg for goods sold by weight).")],
    collect: Annotated[str, typer.Option(help="Day the customer collects, e.g. 2026-11-25.")],
    ratio: Annotated[str, typer.Option(help="Price as a share of list (7折 = 0.7).")] = "0.7",
    customer: Annotated[str, typer.Option(help="Name or phone, for the counter.")] = "",
    at: At = None,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Take a pre-order (预售): the customer pays the pre-sale price and
    collects on the day given; production counts it (`shelfpilot feedback`)."""
    with handled():
        database = open_db(db)
        day = day_option(collect, "collection day")
        assert day is not None
        taken = presales.take_pre_order(
            database,
            presales.TakePreOrder(
                location, sku, decimal(units, "units"), day, decimal(ratio, "price ratio"),
                customer, when(at, database, location), key, who(by),
            ),
        )  # fmt: skip
        order = taken.order
        verb = "already taken" if taken.replayed else "taken"
        out.print(
            f"pre-order {order.id} {verb}: {order.units.normalize():f} × {sku} at {location}, "
            f"{order.unit_price} a unit ({order.price_ratio:.0%} of list), collect {order.collect_on}"
        )


@app.command("pre-orders")
def pre_orders_(
    location: Location = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Collection days shown.")] = 7,
    at: At = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Pre-orders to collect from today on, with their status."""
    with handled():
        database = open_db(db)
        today = moment(at, database, location).date()
        found = presales.pre_orders(
            database, today, today + timedelta(days=days - 1), location=location
        )
        table = Table(title=f"Pre-orders to collect {today} – {today + timedelta(days=days - 1)}")
        heads = (
            "id",
            "collect",
            "location",
            "sku",
            "units",
            "price",
            "status",
            "customer",
            "taken",
        )
        for head in heads:
            table.add_column(head)
        for o in found:
            table.add_row(
                str(o.id), str(o.collect_on), o.location, o.sku, f"{o.units.normalize():f}",
                f"{o.unit_price} ({o.price_ratio:.0%})", o.status, o.customer,
                o.taken_at.isoformat(timespec="minutes"), style=None if o.open else "dim",
            )  # fmt: skip
        out.print(table)
        if not found:
            out.print(
                "no pre-orders: take one with `shelfpilot pre-order STORE SKU UNITS --collect DAY`"
            )


@app.command("collect-pre-order")
def collect_pre_order(
    order: OrderId,
    at: At = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """The customer collects: posted as a sale at the pre-order price, oldest lots first."""
    with handled():
        database = open_db(db)
        result = presales.collect_pre_order(database, order, actor=who(by), at=when(at, database))
        verb = "already collected" if result.replayed else "collected"
        for entry in result.entries:
            out.print(
                f"pre-order {order} {verb}: {show(-entry.quantity)} × {entry.lot} at {entry.unit_price}"
            )


@app.command("cancel-pre-order")
def cancel_pre_order(
    order: OrderId,
    at: At = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Cancel a pre-order; production stops counting it."""
    with handled():
        database = open_db(db)
        done = presales.cancel_pre_order(database, order, actor=who(by), at=when(at, database))
        out.print(f"pre-order {order} cancelled at {done.cancelled_at}")
