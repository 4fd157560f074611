"""Command line (`shelfpilot`): a thin adapter over ``services``. Exit codes: 0 done,
1 refused by a business rule or bad input, 2 bad usage, 3 database missing
or unavailable."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from shelfpilot.cli.app import At, By, Db, Key, Location, app, who
from shelfpilot.cli.support import (
    decimal,
    expiry_value,
    handled,
    moment,
    open_db,
    out,
    progress_bar,
    when,
)
from shelfpilot.config import DEFAULT_DB_URL
from shelfpilot.domain.guardrails import Guardrails
from shelfpilot.domain.ledger import EntryKind
from shelfpilot.domain.money import show
from shelfpilot.services import exports, imports, inventory


class ImportKind(StrEnum):
    products = "products"
    locations = "locations"
    suppliers = "suppliers"
    lots = "lots"
    sales = "sales"
    counts = "counts"
    calendar = "calendar"


class ExportKind(StrEnum):
    lifecycle = "lifecycle"
    ledger = "ledger"
    risk = "risk"


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
    """Export the lifecycle table or the per-lot expiry risk (as of a time), or the ledger."""
    with handled():
        database = open_db(db)
        if what is ExportKind.lifecycle:
            count = exports.export_lifecycle(
                database, path, moment(at, database, location), location=location
            )
        elif what is ExportKind.risk:
            count = exports.export_risk(
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
                received_at=when(at, database, location), expiry=expiry_value(expiry),
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
            inventory.RecordSale(location, (line,), when(at, database, location), receipt, key),
        )
        for entry in result.entries:
            out.print(
                f"{'already recorded' if result.replayed else 'sold'} {show(-entry.quantity)} from {entry.lot}"
            )


def _removal(
    kind: EntryKind,
    location: str,
    sku: str,
    lot: str,
    quantity: str,
    at: str | None,
    note: str | None,
    key: str | None,
    db: str,
    by: str | None,
    recipient: str | None = None,
    receipt: str | None = None,
) -> None:
    with handled():
        database = open_db(db)
        result = inventory.remove_stock(
            database,
            inventory.RemoveStock(
                location,
                sku,
                lot,
                kind,
                decimal(quantity, "quantity"),
                when(at, database, location),
                note,
                key,
                who(by),
                recipient,
                receipt,
            ),
        )
        entry = result.entries[0]
        out.print(
            f"{'already recorded' if result.replayed else 'recorded'} {kind.value} of {show(-entry.quantity)} from {entry.lot}"
        )


LocationArg = Annotated[str, typer.Argument(help="Store or warehouse code.")]
SkuArg = Annotated[str, typer.Argument(help="SKU.")]
LotArg = Annotated[str, typer.Argument(help="Lot (batch) code.")]
QtyArg = Annotated[str, typer.Argument(help="Quantity.")]
Note = Annotated[str | None, typer.Option(help="Why, e.g. 'damaged' or the food bank's name.")]


@app.command()
def dispose(
    location: LocationArg,
    sku: SkuArg,
    lot: LotArg,
    quantity: QtyArg,
    at: At = None,
    note: Note = None,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Write stock off (waste, damage, expired)."""
    _removal(EntryKind.DISPOSAL, location, sku, lot, quantity, at, note, key, db, by)


@app.command()
def donate(
    location: LocationArg,
    sku: SkuArg,
    lot: LotArg,
    quantity: QtyArg,
    at: At = None,
    note: Note = None,
    to: Annotated[str | None, typer.Option("--to", help="Who received it (a food bank).")] = None,
    receipt: Annotated[
        str | None, typer.Option(help="The receiver's receipt or acknowledgement number.")
    ] = None,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Give stock to a food bank (not once it has expired); its value at cost
    and at list price is kept in the audit log with the receipt."""
    _removal(EntryKind.DONATION, location, sku, lot, quantity, at, note, key, db, by, to, receipt)


@app.command()
def transfer(
    location: LocationArg,
    to: Annotated[str, typer.Argument(help="Destination code.")],
    sku: SkuArg,
    lot: LotArg,
    quantity: QtyArg,
    at: At = None,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Move part of a lot to another store or warehouse; it keeps its code and expiry."""
    with handled():
        database = open_db(db)
        inventory.transfer_stock(
            database,
            inventory.TransferStock(
                location,
                to,
                sku,
                lot,
                decimal(quantity, "quantity"),
                when(at, database, location),
                key,
                who(by),
            ),
        )
        out.print(f"moved {quantity} of lot {lot} ({sku}) from {location} to {to}")


@app.command()
def count(
    location: LocationArg,
    sku: SkuArg,
    lot: LotArg,
    counted: Annotated[str, typer.Argument(help="Quantity counted.")],
    at: At = None,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Record a stock count; the difference is booked as an adjustment."""
    with handled():
        database = open_db(db)
        result = inventory.count_stock(
            database,
            inventory.CountStock(
                location,
                sku,
                lot,
                decimal(counted, "counted quantity"),
                when(at, database, location),
                key,
                who(by),
            ),
        )
        change = show(result.entries[0].quantity) if result.entries else "0"
        out.print(f"counted {counted} of lot {lot} ({sku}) at {location}: adjustment {change}")


@app.command()
def price(
    location: LocationArg,
    sku: SkuArg,
    lot: LotArg,
    unit_price: Annotated[str, typer.Argument(help="New unit price, e.g. 13.90.")],
    at: At = None,
    below_floor: Annotated[
        bool, typer.Option(help="A manager approves a price under the product's floor.")
    ] = False,
    key: Key = None,
    by: By = None,
    db: Db = DEFAULT_DB_URL,
) -> None:
    """Change one lot's price by hand (recorded in the ledger and the audit log)."""
    with handled():
        database = open_db(db)
        result = inventory.change_price(
            database,
            inventory.ChangePrice(
                location, sku, lot, decimal(unit_price, "price"), when(at, database, location),
                allow_below_floor=below_floor, idempotency_key=key, actor=who(by),
            ),
        )  # fmt: skip
        entry = result.entries[0]
        out.print(
            f"{'already priced' if result.replayed else 'priced'} {entry.lot} at {entry.unit_price}"
        )
        made = inventory.price_changes_that_day(database, entry.lot, entry.occurred_at)
        most = Guardrails().max_changes_per_day
        if made >= most and not result.replayed:
            out.print(
                f"note: that is {made} price changes of this lot that day, and the clearance "
                f"guardrails allow {most}; plans hold its price until the next day"
            )


# register `demo` and the read-only views on the app
from shelfpilot.cli import access as _access  # noqa: E402
from shelfpilot.cli import actions as _actions  # noqa: E402
from shelfpilot.cli import demo as _demo  # noqa: E402
from shelfpilot.cli import plans as _plans  # noqa: E402
from shelfpilot.cli import presale as _presale  # noqa: E402
from shelfpilot.cli import views as _views  # noqa: E402

__all__ = ["_access", "_actions", "_demo", "_plans", "_presale", "_views", "app"]

if __name__ == "__main__":  # pragma: no cover
    app()
