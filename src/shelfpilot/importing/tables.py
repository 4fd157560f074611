"""Reading a spreadsheet file into header + rows of raw cell values.

Cells keep the type the file gave them (text from CSV; numbers, text and
dates from Excel; typed values from Parquet). Nothing is converted to a
float here: CSV cells stay text, and the float Excel or Parquet hands over
is turned into a Decimal later through its shortest text form.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils.exceptions import InvalidFileException

from shelfpilot.domain.errors import InvalidValue, NotFound, Text

SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True, slots=True)
class SheetRow:
    """A data row and its spreadsheet row number (header = 1)."""

    number: int
    cells: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    digest: str
    """SHA-256 of the file's bytes: identifies this exact file for idempotency."""


def read_table(path: Path) -> Table:
    """Read ``path`` by its suffix: .csv, .xlsx or .parquet."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidValue(
            "{file}: cannot import {suffix}; save it as one of {suffixes}",
            file=path.name,
            suffix=suffix or Text("a file without a suffix"),
            suffixes=", ".join(SUFFIXES),
        )
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("file {path} does not exist", path=str(path)) from None
    digest = hashlib.sha256(content).hexdigest()
    if suffix == ".csv":
        headers, rows = _csv(decode_csv(content), path.name)
    elif suffix == ".xlsx":
        headers, rows = _xlsx(content, path.name)
    else:
        headers, rows = _parquet(content, path.name)
    header_texts = tuple("" if h is None else str(h).strip() for h in headers)
    kept = tuple(r for r in rows if not _blank(r.cells))
    return Table(path.name, header_texts, kept, digest)


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM) first; else GBK, read as its superset GB18030."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _blank(cells: tuple[object, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _csv(text: str, name: str) -> tuple[list[object], list[SheetRow]]:
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header: list[object] = list(next(records, []))
        rows = [SheetRow(n, tuple(r)) for n, r in enumerate(records, start=2)]
    except csv.Error as error:
        raise InvalidValue(
            "{file} is not a readable CSV file ({error})", file=name, error=str(error)
        ) from None
    return header, rows


def _xlsx(content: bytes, name: str) -> tuple[list[object], list[SheetRow]]:
    """The first sheet; row 1 is the header."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise InvalidValue(
            "{file} is not an Excel .xlsx workbook ({error})", file=name, error=str(error)
        ) from None
    try:
        if not book.worksheets:
            raise InvalidValue("{file} has no worksheet", file=name)
        sheet = book.worksheets[0]
        rows = list(_xlsx_rows(sheet.iter_rows()))
    finally:
        book.close()
    if not rows:
        return [], []
    return list(rows[0].cells), rows[1:]


def _xlsx_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[SheetRow]:
    for number, cells in enumerate(rows, start=1):
        values: list[object] = []
        for cell in cells:
            value = getattr(cell, "value", None)
            # Excel has no date type: a date is a date-time shown with a date-only format.
            if (
                isinstance(value, datetime)
                and value.time() == time(0)
                and is_datetime(getattr(cell, "number_format", None)) == "date"
            ):
                value = value.date()
            values.append(value)
        yield SheetRow(number, tuple(values))


def _parquet(content: bytes, name: str) -> tuple[list[object], list[SheetRow]]:
    try:
        table = pq.read_table(pa.BufferReader(content))
    except (pa.ArrowException, OSError) as error:
        raise InvalidValue(
            "{file} is not a Parquet file ({error})", file=name, error=str(error)
        ) from None
    headers: list[object] = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = [
        SheetRow(n, tuple(_plain(col[i]) for col in columns))
        for n, i in zip(range(2, table.num_rows + 2), range(table.num_rows), strict=True)
    ]
    return headers, rows


def _plain(value: object) -> object:
    """pandas Timestamps (a datetime subclass) become plain datetimes."""
    if isinstance(value, datetime) and type(value) is not datetime:
        return datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
    if isinstance(value, date) and not isinstance(value, datetime) and type(value) is not date:
        return date(value.year, value.month, value.day)
    return value
