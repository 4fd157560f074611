"""Exporting the lifecycle table, the ledger and the donation statement to
CSV, Excel or Parquet.

Quantities and money are exported exactly: as text in CSV and Excel (Excel
would otherwise hold them as binary floats), as ``decimal128`` columns of a
fixed scale in Parquet (3 places for quantities, 4 for money), which pandas,
DuckDB and Spark read as exact decimals. Times are ISO 8601 text with the
offset of the store's own zone (``2024-05-01T08:30:00+08:00``) in every
format, so each row shows the time the store's staff saw. CSV is written as
UTF-8 with a BOM so Excel opens Chinese product names correctly.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware
from shelfpilot.services.donations import Donation
from shelfpilot.services.expiry_risk import expiry_risk
from shelfpilot.services.stock_views import lifecycle_table
from shelfpilot.storage import Database

FORMATS = (".csv", ".xlsx", ".parquet")

Cell = str | int | Decimal | datetime | None


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    """text, int, time, or decimal:<places>."""

    def arrow_type(self) -> pa.DataType:
        if self.kind.startswith("decimal:"):
            return pa.decimal128(20, int(self.kind.split(":")[1]))
        return pa.int64() if self.kind == "int" else pa.string()


LIFECYCLE = (
    Field("location", "text"),
    Field("sku", "text"),
    Field("product_name", "text"),
    Field("lot_code", "text"),
    Field("received_at", "time"),
    Field("expires_at", "time"),
    Field("days_left", "int"),
    Field("quantity_in", "decimal:3"),
    Field("sold", "decimal:3"),
    Field("removed", "decimal:3"),
    Field("on_hand", "decimal:3"),
    Field("sales_per_day", "decimal:2"),
    Field("days_of_cover", "decimal:1"),
    Field("stage", "text"),
    Field("action", "text"),
)

LEDGER = (
    Field("entry_id", "int"),
    Field("operation_id", "int"),
    Field("occurred_at", "time"),
    Field("location", "text"),
    Field("sku", "text"),
    Field("lot_code", "text"),
    Field("kind", "text"),
    Field("quantity", "decimal:3"),
    Field("unit_price", "decimal:4"),
    Field("currency", "text"),
    Field("reference", "text"),
    Field("note", "text"),
)


def export_lifecycle(
    db: Database,
    path: Path,
    as_of: datetime,
    *,
    location: str | None = None,
    open_only: bool = True,
) -> int:
    """The lifecycle table as of ``as_of``, one row per lot; returns rows written."""
    suffix = _suffix(path)
    at = require_aware(as_of, "as-of time")
    _check_location(db, location)
    rows = [
        (
            r.location_code,
            r.sku,
            r.product_name,
            r.lot_code,
            r.received_at,
            r.expires_at,
            r.days_left,
            r.quantity_in,
            r.sold,
            r.removed,
            r.on_hand,
            r.sales_per_day,
            r.days_of_cover,
            r.stage,
            r.action,
        )
        for r in lifecycle_table(db, at, location=location, open_only=open_only)
    ]
    _write(path, suffix, "lifecycle", LIFECYCLE, rows)
    return len(rows)


def export_ledger(db: Database, path: Path, *, location: str | None = None) -> int:
    """Every ledger entry (of one location, if given), oldest first; returns rows written."""
    suffix = _suffix(path)
    _check_location(db, location)
    zones: dict[str, ZoneInfo] = {}
    rows: list[tuple[Cell, ...]] = []
    with db.transaction(readonly=True) as uow:
        for record in uow.stock.ledger(location_code=location):
            entry = record.entry
            code = entry.lot.location_code
            if code not in zones:
                zones[code] = uow.catalog.location(code).zone
            price = entry.unit_price
            rows.append(
                (
                    record.entry_id,
                    record.operation_id,
                    entry.occurred_at.astimezone(zones[code]),
                    code,
                    entry.lot.sku,
                    entry.lot.lot_code,
                    entry.kind.value,
                    entry.quantity,
                    price.amount if price else None,
                    price.currency if price else None,
                    entry.reference,
                    entry.note,
                )
            )
    _write(path, suffix, "ledger", LEDGER, rows)
    return len(rows)


RISK = (
    Field("location", "text"),
    Field("sku", "text"),
    Field("product_name", "text"),
    Field("lot_code", "text"),
    Field("expires_at", "time"),
    Field("sellable_until", "time"),
    Field("on_hand", "decimal:3"),
    Field("p_sell_out", "decimal:2"),
    Field("expected_left", "decimal:1"),
    Field("expected_run_out", "text"),
    Field("warn", "text"),
)


def export_risk(
    db: Database,
    path: Path,
    as_of: datetime,
    *,
    location: str | None = None,
    model_path: Path | None = None,
    horizon: int = 14,
) -> int:
    """Expiry risk per open lot as of ``as_of`` (see ``expiry_risk.expiry_risk``);
    returns rows written (none when there is too little sales history)."""
    suffix = _suffix(path)
    at = require_aware(as_of, "as-of time")
    _check_location(db, location)
    report = expiry_risk(db, at, model_path=model_path, horizon=horizon, location=location)
    rows = [
        (
            r.location,
            r.sku,
            r.product_name,
            r.lot_code,
            r.expires_at,
            r.sellable_until,
            r.on_hand,
            Decimal(f"{r.p_sell_out:.2f}"),
            r.expected_left,
            None if r.expected_run_out is None else r.expected_run_out.isoformat(),
            "yes" if r.warn else "no",
        )
        for r in report.rows
    ]
    _write(path, suffix, "risk", RISK, rows)
    return len(rows)


DONATIONS = (
    Field("occurred_at", "time"),
    Field("location", "text"),
    Field("sku", "text"),
    Field("product_name", "text"),
    Field("lot_code", "text"),
    Field("units", "decimal:3"),
    Field("recipient", "text"),
    Field("receipt", "text"),
    Field("value_at_cost", "decimal:4"),
    Field("value_at_list", "decimal:4"),
    Field("currency", "text"),
    Field("actor", "text"),
    Field("note", "text"),
)


def export_donations(path: Path, found: Sequence[Donation]) -> int:
    """The donations of a statement (``donations.donations``), in order;
    returns rows written."""
    suffix = _suffix(path)
    rows = [
        (
            d.occurred_at, d.location, d.sku, d.product_name, d.lot_code, d.units, d.recipient,
            d.receipt, d.value_at_cost, d.value_at_list, d.currency, d.actor, d.note,
        )
        for d in found
    ]  # fmt: skip
    _write(path, suffix, "donations", DONATIONS, rows)
    return len(rows)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidValue(
            "cannot export to {name}: name the file .csv, .xlsx or .parquet", name=path.name
        )
    return suffix


def _check_location(db: Database, location: str | None) -> None:
    if location is not None:
        with db.transaction(readonly=True) as uow:
            uow.catalog.location(location)  # NotFound names the unknown code


def _write(
    path: Path,
    suffix: str,
    title: str,
    fields: Sequence[Field],
    rows: Sequence[Sequence[Cell]],
) -> None:
    if suffix == ".csv":
        _csv(path, fields, rows)
    elif suffix == ".xlsx":
        _xlsx(path, title, fields, rows)
    else:
        _parquet(path, fields, rows)


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _csv(path: Path, fields: Sequence[Field], rows: Sequence[Sequence[Cell]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f.name for f in fields])
        for row in rows:
            writer.writerow(["" if v is None else _text(v) for v in row])


def _xlsx(path: Path, title: str, fields: Sequence[Field], rows: Sequence[Sequence[Cell]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([f.name for f in fields])
    for row in rows:
        sheet.append([v if isinstance(v, int) else _xlsx_text(sheet, _text(v)) for v in row])
    book.save(path)


def _xlsx_text(sheet: Any, text: str | None) -> object:
    """Text that starts with '=' (a note, a receipt number) stays text, not a formula."""
    if text is None or not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _parquet(path: Path, fields: Sequence[Field], rows: Sequence[Sequence[Cell]]) -> None:
    schema = pa.schema([pa.field(f.name, f.arrow_type()) for f in fields])
    columns = []
    for i, f in enumerate(fields):
        values = [row[i] for row in rows]
        if f.kind == "time" or f.kind == "text":
            values = [_text(v) for v in values]
        columns.append(pa.array(values, type=f.arrow_type()))
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), path)
