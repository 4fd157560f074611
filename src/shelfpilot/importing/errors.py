"""What went wrong in an import file, row by row, for a shop manager to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shelfpilot.domain.errors import DomainError

#: Errors listed in full by ``str(ImportFailed)``; the rest are counted.
SHOWN = 50


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell (or one row, when ``column`` is None).

    ``row`` is the spreadsheet row number: the header is row 1, the first data
    row is row 2. ``column`` is the header as written in the file (or the
    expected name when a required column is missing).
    """

    file: str
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class ImportFailed(DomainError):
    """The file has errors; nothing from it was written."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors: list[RowError] = sorted(errors, key=lambda e: (e.file, e.row))
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = len(self.errors)
        files = sorted({e.file for e in self.errors})
        head = (
            f"import of {', '.join(files) or 'the file'} failed with {count} "
            f"error{'s' if count != 1 else ''}; nothing was saved. "
            "Fix these rows and import the whole file again:"
        )
        lines = [head, *(f"  - {e}" for e in self.errors[:SHOWN])]
        if count > SHOWN:
            lines.append(f"  ... and {count - SHOWN} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._describe()
