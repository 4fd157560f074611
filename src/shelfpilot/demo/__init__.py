"""The demo bakery: the real till lines of "The Bread Basket", an Edinburgh
bakery (see ``data/ATTRIBUTION.md``), replayed as lots, sales and disposals.

This module reads the transactions; ``bakery`` holds the assumptions that turn
them into stock (which items are lot-tracked, shelf lives, prices, ladders).
A derived copy of the data ships in ``data/`` so the demo runs without the
shared data folder; ``scripts/derive_demo_data.py`` rebuilds it from the source.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from shelfpilot.config import dataset
from shelfpilot.domain.errors import InvalidValue

#: The public source file, relative to the shared data folder.
SOURCE_DATASET = "baskets/breadbasket.csv"
#: The derived copy shipped with the package (gzip CSV: date,time,transaction,item).
BUNDLED = Path(__file__).with_name("data") / "breadbasket_lines.csv.gz"
BUNDLED_COLUMNS = ("date", "time", "transaction", "item")

#: Till lines of the source that are not goods, dropped when reading.
DROPPED_ITEMS: dict[str, str] = {
    "NONE": "786 till lines with no item recorded (an empty line on the receipt); "
    "they carry no product, so there is nothing to sell or stock",
    "Adjustment": "one till correction (transaction 938), not a product",
}


@dataclass(frozen=True, slots=True)
class TillLine:
    """One line of the source: one unit of one item in one transaction."""

    day: date
    time: time
    transaction: int
    item: str


@dataclass(frozen=True, slots=True)
class Basket:
    """One real transaction: its items with the units of each, in till order."""

    transaction: int
    day: date
    time: time
    items: tuple[tuple[str, int], ...]


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_lines(path: Path) -> list[TillLine]:
    """Read the source CSV (``Date,Time,Transaction,Item``) or the derived gzip
    CSV (``date,time,transaction,item``), dropping the lines in ``DROPPED_ITEMS``."""
    if not path.is_file():
        raise InvalidValue(f"no Bread Basket data at {path}")
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        if tuple(header) != BUNDLED_COLUMNS:
            raise InvalidValue(f"{path} has columns {header}; expected Date,Time,Transaction,Item")
        return list(_parse(reader, path))


def _parse(rows: Iterable[list[str]], path: Path) -> Iterator[TillLine]:
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            day, moment, transaction, item = row
            line = TillLine(
                date.fromisoformat(day), time.fromisoformat(moment), int(transaction), item.strip()
            )
        except ValueError as error:
            raise InvalidValue(f"{path}, line {number}: cannot read {row!r} ({error})") from None
        if line.item and line.item not in DROPPED_ITEMS:
            yield line


def baskets(lines: Iterable[TillLine]) -> list[Basket]:
    """Group lines into transactions (repeated lines of an item are its units),
    ordered by time then transaction number."""
    grouped: dict[int, tuple[date, time, dict[str, int]]] = {}
    for line in lines:
        day, moment, items = grouped.setdefault(line.transaction, (line.day, line.time, {}))
        if (day, moment) != (line.day, line.time):
            raise InvalidValue(
                f"transaction {line.transaction} has lines at two times: "
                f"{day} {moment} and {line.day} {line.time}"
            )
        items[line.item] = items.get(line.item, 0) + 1
    result = [
        Basket(tx, day, moment, tuple(items.items()))
        for tx, (day, moment, items) in grouped.items()
    ]
    result.sort(key=lambda b: (b.day, b.time, b.transaction))
    return result


def find_source(explicit: Path | None = None) -> Path:
    """The explicit file if given, else the shared data set when it is there
    (``SHELFPILOT_DATA`` or ``../shared/data``), else the bundled derived copy."""
    if explicit is not None:
        return explicit
    shared = dataset(SOURCE_DATASET)
    return shared if shared is not None else BUNDLED


def write_derived(lines: Iterable[TillLine], target: Path) -> None:
    """Write lines as the bundled gzip CSV, byte for byte reproducible
    (no timestamp or file name in the gzip header)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(BUNDLED_COLUMNS)
    for line in lines:
        writer.writerow([line.day.isoformat(), line.time.isoformat(), line.transaction, line.item])
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out,
    ):
        out.write(text.getvalue().encode("utf-8"))
