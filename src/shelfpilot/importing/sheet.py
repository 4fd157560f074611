"""A parsed import file: the rows that read cleanly, and every problem found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shelfpilot.domain.catalog import check_code
from shelfpilot.domain.errors import InvalidValue, Text, phrase
from shelfpilot.importing import cells
from shelfpilot.importing.errors import RowError
from shelfpilot.importing.schema import HeaderMap, match_headers
from shelfpilot.importing.tables import SheetRow, Table

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """One data row's business value and its spreadsheet row number."""

    row: int
    value: T


@dataclass
class Sheet(Generic[T]):
    """What an import file says, read but not yet applied.

    ``rows`` holds the rows that read cleanly, in file order; ``errors`` the
    problems of the others (and of the header). ``total`` counts every
    non-blank data row.
    """

    kind: str
    file: str
    digest: str
    headers: HeaderMap
    total: int
    rows: list[Parsed[T]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def error(self, row: int, field_name: str | None, message: str) -> RowError:
        """A problem in ``field_name``'s column, named the way the file writes it."""
        header = self.headers.header(field_name) if field_name else None
        return RowError(self.file, row, header, message)

    def rows_with_errors(self) -> set[int]:
        return {e.row for e in self.errors}


class RowReader:
    """Reads the cells of one row, collecting a problem per bad cell."""

    def __init__(
        self, file: str, headers: HeaderMap, row: SheetRow, *, header_failed: bool = False
    ) -> None:
        self._file = file
        self._headers = headers
        self._row = row
        self._header_failed = header_failed
        self.errors: list[RowError] = []

    @property
    def number(self) -> int:
        return self._row.number

    @property
    def failed(self) -> bool:
        """No value can be built: a cell is bad, or the header lacks a column."""
        return bool(self.errors) or self._header_failed

    def has_column(self, name: str) -> bool:
        return name in self._headers.index

    def raw(self, name: str) -> object | None:
        position = self._headers.index.get(name)
        if position is None or position >= len(self._row.cells):
            return None
        value = self._row.cells[position]
        return None if cells.is_missing(value) else value

    def blank(self, name: str) -> bool:
        return self.raw(name) is None

    def blank_in_every(self, *names: str) -> bool:
        """None of these alternative columns has a value here (and at least one of
        them is in the file: a file lacking all of them was reported on row 1)."""
        present = [n for n in names if self.has_column(n)]
        return bool(present) and all(self.blank(n) for n in present)

    def fail(self, name: str | None, message: str) -> None:
        header = self._headers.header(name) if name else None
        self.errors.append(RowError(self._file, self._row.number, header, message))

    def optional(self, name: str, parse: Callable[[object], V]) -> V | None:
        """The cell's value, or None when blank (or bad: the problem is recorded)."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse(value)
        except InvalidValue as error:
            self.fail(name, phrase(error))
            return None

    def required(self, name: str, parse: Callable[[object], V], what: str) -> V | None:
        """Like ``optional``, but a blank cell is a problem. A missing column was
        already reported once, on the header row, so it is not repeated here."""
        if not self.has_column(name):
            return None
        if self.blank(name):
            self.fail(name, Text("missing value: fill in the {what}", what=Text(what)))
            return None
        return self.optional(name, parse)


def code(what: str) -> Callable[[object], str]:
    """A code (SKU, location, lot, supplier): 1-64 characters."""

    def parse(value: object) -> str:
        return check_code(cells.text(value), what)

    return parse


def limited(what: str, most: int) -> Callable[[object], str]:
    """Free text of at most ``most`` characters (what the database column holds)."""

    def parse(value: object) -> str:
        found = cells.text(value)
        if len(found) > most:
            raise InvalidValue(
                "{what} is {length} characters long; at most {most} fit",
                what=Text(what),
                length=len(found),
                most=most,
            )
        return found

    return parse


def read_rows(kind: str, table: Table, build: Callable[[RowReader], T | None]) -> Sheet[T]:
    """Match the header, then build every row, collecting all problems."""
    headers, header_errors = match_headers(kind, table.file, table.headers)
    sheet: Sheet[T] = Sheet(kind, table.file, table.digest, headers, len(table.rows))
    if not any(table.headers):
        message = Text("the file is empty: row 1 must hold the column names")
        sheet.errors.append(RowError(table.file, 1, None, message))
        return sheet
    sheet.errors.extend(header_errors)
    for row in table.rows:
        reader = RowReader(table.file, headers, row, header_failed=bool(header_errors))
        value = build(reader)
        if reader.errors:
            sheet.errors.extend(reader.errors)
        elif value is not None and not header_errors:
            sheet.rows.append(Parsed(row.number, value))
    return sheet


def first_seen(
    sheet: Sheet[T], key: Callable[[T], object], message: Callable[[int], str], field_name: str
) -> None:
    """Report rows whose ``key`` repeats an earlier row's, and drop them."""
    seen: dict[object, int] = {}
    kept: list[Parsed[T]] = []
    for parsed in sheet.rows:
        k = key(parsed.value)
        if k is None:
            kept.append(parsed)
        elif k in seen:
            sheet.errors.append(sheet.error(parsed.row, field_name, message(seen[k])))
        else:
            seen[k] = parsed.row
            kept.append(parsed)
    sheet.rows = kept
