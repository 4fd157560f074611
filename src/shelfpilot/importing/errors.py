"""What went wrong in an import file, row by row, for a shop manager to fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shelfpilot.domain.errors import DomainError, Text

#: Errors listed in full by ``str(ImportFailed)``; the rest are counted.
SHOWN = 50


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell (or one row, when ``column`` is None).

    ``row`` is the spreadsheet row number: the header is row 1, the first data
    row is row 2. ``column`` is the header as written in the file (or the
    expected name when a required column is missing). ``message`` is often a
    ``Text``, so an adapter can show it in the reader's language.
    """

    file: str
    row: int
    column: str | None
    message: str

    def phrase(self) -> Text:
        """The problem and where it is, as one phrase."""
        if self.column is None:
            return Text(
                "{file}, row {row}: {message}", file=self.file, row=self.row, message=self.message
            )
        return Text(
            "{file}, row {row}, column {column!r}: {message}",
            file=self.file,
            row=self.row,
            column=self.column,
            message=self.message,
        )

    def __str__(self) -> str:
        return str(self.phrase())


class ImportFailed(DomainError):
    """The file has errors; nothing from it was written."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors: list[RowError] = sorted(errors, key=lambda e: (e.file, e.row))
        super().__init__(self.describe())

    def describe(self, show: Callable[[Text], object] = str) -> str:
        """The summary and the first ``SHOWN`` rows, one per line; ``show``
        words each phrase (an adapter passes its translation)."""
        count = len(self.errors)
        files: str | Text = ", ".join(sorted({e.file for e in self.errors})) or Text("the file")
        if count == 1:
            head = Text(
                "import of {files} failed with {count} error; nothing was saved. "
                "Fix these rows and import the whole file again:",
                files=files,
                count=count,
            )
        else:
            head = Text(
                "import of {files} failed with {count} errors; nothing was saved. "
                "Fix these rows and import the whole file again:",
                files=files,
                count=count,
            )
        lines = [str(show(head)), *(f"  - {show(e.phrase())}" for e in self.errors[:SHOWN])]
        if count > SHOWN:
            lines.append(f"  {show(Text('... and {n} more', n=count - SHOWN))}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()
