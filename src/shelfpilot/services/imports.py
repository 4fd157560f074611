"""Importing a spreadsheet of products, locations, suppliers, receipts, sales,
stock counts or the demand calendar: all of it or none of it.

The file is read and checked first (``shelfpilot.importing``, no database).
Then every row that read cleanly is applied, in file order, inside ONE
transaction, through the same ``apply_*`` functions single operations use
(so a sales file allocates FEFO exactly like the till does).

Each row runs inside its own SAVEPOINT. A row that breaks a business rule
(unknown SKU, out of stock, duplicate lot ...) is rolled back to its
savepoint, so none of its half-done writes (such as its operation record)
stay behind to distort later rows, and the next rows are still checked
against everything before them. This gives the complete list of problems in
one pass. If any row failed, ``ImportFailed`` is raised and the whole
transaction rolls back: nothing from the file is saved.

(The repositories cache rows they have read or created. A savepoint rollback
would leave a created row in that cache; this cannot mislead a later row
because a row can only fail after creating something when its own flush
fails, and the readers reject a file that names the same product, location,
supplier or lot twice.)

Each stock row's idempotency key is derived from the file's SHA-256, the kind
and the row number, so importing the very same file again replays every row
and writes nothing. A sales file may give its own ``idempotency_key`` column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from shelfpilot.domain.catalog import Location, LocationKind, Product, Supplier
from shelfpilot.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    LotNotSellable,
    NotFound,
    NotSellable,
    Text,
    phrase,
)
from shelfpilot.domain.lots import localize
from shelfpilot.importing import (
    KINDS,
    CalendarEntry,
    ImportFailed,
    LotReceipt,
    Parsed,
    RowError,
    SaleRecord,
    Sheet,
    StockCount,
    Table,
    read_calendar,
    read_counts,
    read_locations,
    read_lots,
    read_products,
    read_sales,
    read_suppliers,
    read_table,
)
from shelfpilot.services.catalog import apply_location, apply_product
from shelfpilot.services.inventory import (
    CountStock,
    ReceiveLot,
    RecordSale,
    SaleLine,
    apply_count,
    apply_receive,
    apply_sale,
)
from shelfpilot.storage import Database, DriverRecord, UnitOfWork

T = TypeVar("T")
Progress = Callable[[int, int], None]
#: which locations the importing user may name
Scope = Callable[[str], bool]


@dataclass(frozen=True)
class ImportReport:
    """``rows``: data rows in the file. ``written``: rows that changed the
    database (a replayed stock row or an unchanged product or location is not
    counted; every supplier row is saved and counted)."""

    kind: str
    path: Path
    rows: int
    written: int


class _RowProblem(Exception):
    """Problems found for one row; its savepoint is rolled back."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors)
        self.errors = errors


def check_kind(kind: str) -> None:
    """Refuse a kind of file there is no import for."""
    if kind not in _IMPORTERS:
        raise InvalidValue(
            "cannot import {kind!r}; choose one of {kinds}", kind=kind, kinds=", ".join(KINDS)
        )


def import_file(
    db: Database,
    kind: str,
    path: Path,
    *,
    progress: Progress | None = None,
    may_use: Scope | None = None,
) -> ImportReport:
    """Import ``path`` (.csv, .xlsx or .parquet) as ``kind``; see docs/import-format.md.
    With ``may_use``, a row naming a location it refuses is an error of that row
    (an API user imports for their own part of the chain only)."""
    check_kind(kind)
    table = read_table(path)
    written = _IMPORTERS[kind](db, table, progress, may_use)
    return ImportReport(kind, path, len(table.rows), written)


@dataclass
class _Run(Generic[T]):
    """One import in progress: its transaction, its sheet and the locations seen."""

    uow: UnitOfWork
    sheet: Sheet[T]
    may_use: Scope | None = None
    locations: dict[str, Location | None] = field(default_factory=dict)

    def outside(self, row: int, field_name: str, code: str | None) -> list[RowError]:
        if code is None or self.may_use is None or self.may_use(code):
            return []
        message = Text("location {code!r} is outside your part of the chain", code=code)
        return [self.error(row, field_name, message)]

    def error(self, row: int, field_name: str | None, message: str) -> RowError:
        return self.sheet.error(row, field_name, message)

    def key(self, row: int) -> str:
        """The row's idempotency key: this exact file, this kind, this row."""
        return f"import:{self.sheet.kind}:{self.sheet.digest}:{row}"

    def location(self, code: str) -> Location | None:
        if code not in self.locations:
            found = self.uow.catalog.has_location(code)
            self.locations[code] = self.uow.catalog.location(code) if found else None
        return self.locations[code]

    def place(
        self, row: int, location_code: str | None, sku: str | None
    ) -> tuple[Location | None, list[RowError]]:
        """The row's location, and problems with its location or SKU (either may
        be None when the row does not name one)."""
        problems = self.outside(row, "location", location_code)
        if problems:
            return None, problems
        location = self.location(location_code) if location_code is not None else None
        if location_code is not None and location is None:
            message = Text(
                "unknown location {code!r}: import it in a locations file first",
                code=location_code,
            )
            problems.append(self.error(row, "location", message))
        if sku is not None and not self.uow.catalog.has_product(sku):
            message = Text("unknown SKU {sku!r}: import it in a products file first", sku=sku)
            problems.append(self.error(row, "sku", message))
        return location, problems

    @contextmanager
    def blame(self, row: int, field_name: str | None) -> Iterator[None]:
        """Report a business-rule error raised inside as a problem of that column."""
        try:
            yield
        except DomainError as error:
            raise _RowProblem([self.error(row, field_name, phrase(error))]) from error


Apply = Callable[[_Run[T], Parsed[T]], bool]


def _apply_all(
    db: Database, sheet: Sheet[T], apply: Apply[T], progress: Progress | None, may_use: Scope | None
) -> int:
    errors = list(sheet.errors)
    if not sheet.rows:
        if errors:
            raise ImportFailed(errors)
        return 0
    total = len(sheet.rows)
    written = 0
    if progress:
        progress(0, total)
    with db.transaction() as uow:
        run = _Run(uow, sheet, may_use)
        for done, parsed in enumerate(sheet.rows, start=1):
            try:
                with uow.savepoint():
                    changed = apply(run, parsed)
            except _RowProblem as problem:
                errors.extend(problem.errors)
            except DomainError as error:
                errors.append(sheet.error(parsed.row, None, phrase(error)))
            else:
                written += changed
            if progress:
                progress(done, total)
        if errors:
            raise ImportFailed(errors)
    return written


# catalogue -------------------------------------------------------------------------
def _apply_product(run: _Run[Product], parsed: Parsed[Product]) -> bool:
    product, catalog = parsed.value, run.uow.catalog
    before = catalog.product(product.sku) if catalog.has_product(product.sku) else None
    with run.blame(parsed.row, "gtin"):
        apply_product(run.uow, product)
        run.uow.flush()  # a GTIN already held by another product surfaces here
    return before != catalog.product(product.sku)


def _apply_location(run: _Run[Location], parsed: Parsed[Location]) -> bool:
    location, catalog = parsed.value, run.uow.catalog
    parent = location.parent_code
    exists = catalog.has_location(location.code)
    if run.may_use is not None:
        # a scoped user changes only what lies strictly under their own place,
        # and keeps it there: no row may lift a location out of their tree
        now = catalog.location(location.code).parent_code if exists else None
        refused = run.outside(parsed.row, "code", now) if exists else []
        if exists and now is None:
            message = Text("{code!r} is a top location", code=location.code)
            refused = [run.error(parsed.row, "code", message)]
        if parent is None:
            message = Text("name a parent location of yours")
            refused.append(run.error(parsed.row, "parent", message))
        refused += run.outside(parsed.row, "parent", parent)
        if refused:
            raise _RowProblem(refused)
    if parent is not None and not catalog.has_location(parent):
        message = Text(
            "unknown parent location {parent!r}: list it on an earlier row or import it first",
            parent=parent,
        )
        raise _RowProblem([run.error(parsed.row, "parent", message)])
    before = catalog.location(location.code) if exists else None
    with run.blame(parsed.row, "parent" if parent else "kind"):
        apply_location(run.uow, location)
    return before != catalog.location(location.code)


def _apply_supplier(run: _Run[Supplier], parsed: Parsed[Supplier]) -> bool:
    run.uow.catalog.save_supplier(parsed.value)
    return True


# stock -----------------------------------------------------------------------------
def _apply_receipt(run: _Run[LotReceipt], parsed: Parsed[LotReceipt]) -> bool:
    line, row = parsed.value, parsed.row
    location, problems = run.place(row, line.location, line.sku)
    if line.supplier is not None:
        try:
            run.uow.catalog.supplier_id(line.supplier)
        except NotFound as error:
            problems.append(run.error(row, "supplier", phrase(error)))
    if location is not None and not location.holds_stock:
        message = Text(
            "{location} is a {kind}; only stores and warehouses hold stock",
            location=location.code,
            kind=Text(location.kind.value),
        )
        problems.append(run.error(row, "location", message))
    if location is not None:
        problems.extend(run.error(row, f, m) for f, m in line.date_problems(location.zone))
    if problems or location is None:
        raise _RowProblem(problems)
    local = line.in_zone(location.zone)
    command = ReceiveLot(
        location=local.location,
        sku=local.sku,
        lot_code=local.lot_code,
        quantity=local.quantity,
        received_at=local.received_at,
        produced_at=local.produced_at,
        expiry=local.expiry,
        unit_cost=local.unit_cost,
        supplier=local.supplier,
        idempotency_key=run.key(row),
    )
    with run.blame(row, "lot_code"):
        return not apply_receive(run.uow, command).replayed


def _apply_sale(run: _Run[SaleRecord], parsed: Parsed[SaleRecord]) -> bool:
    sale, row = parsed.value, parsed.row
    location, problems = run.place(row, sale.location, sale.sku)
    if problems or location is None:
        raise _RowProblem(problems)
    line = SaleLine(
        quantity=sale.quantity,
        sku=sale.sku,
        unit_price=sale.unit_price,
        lot_code=sale.lot_code,
        barcode=sale.barcode,
    )
    command = RecordSale(
        location=location.code,
        lines=(line,),
        at=localize(sale.sold_at, location.zone),
        reference=sale.receipt,
        idempotency_key=sale.idempotency_key or run.key(row),
    )
    try:
        return not apply_sale(run.uow, command).replayed
    except DomainError as error:
        raise _RowProblem([run.error(row, _sale_blame(error, sale), phrase(error))]) from error


def _sale_blame(error: DomainError, sale: SaleRecord) -> str | None:
    """Which column a shop manager should look at for a sale the rules refused."""
    if isinstance(error, LotNotSellable):
        return "lot_code" if sale.lot_code else "quantity"
    if isinstance(error, NotSellable):
        return "quantity"
    if isinstance(error, Conflict):
        return "idempotency_key" if sale.idempotency_key else None
    if isinstance(error, NotFound | InvalidValue):
        return "barcode" if sale.barcode else "sku"
    return None


def _apply_count(run: _Run[StockCount], parsed: Parsed[StockCount]) -> bool:
    count, row = parsed.value, parsed.row
    location, problems = run.place(row, count.location, count.sku)
    if problems or location is None:
        raise _RowProblem(problems)
    command = CountStock(
        location=location.code,
        sku=count.sku,
        lot_code=count.lot_code,
        counted=count.counted,
        at=localize(count.counted_at, location.zone),
        idempotency_key=run.key(row),
    )
    with run.blame(row, "lot_code"):
        return not apply_count(run.uow, command).replayed


def _apply_calendar(run: _Run[CalendarEntry], parsed: Parsed[CalendarEntry]) -> bool:
    """Every day of the row, recorded or replaced (the same file again changes
    nothing; a later file with new values for those days replaces them)."""
    entry, row = parsed.value, parsed.row
    place, problems = run.place(row, entry.location or None, entry.sku or None)
    if run.may_use is not None and not entry.location:
        message = Text("a blank location means every store of every brand: name a store of yours")
        problems.append(run.error(row, "location", message))
    if place is not None and place.kind is not LocationKind.STORE:
        message = Text(
            "{location} is a {kind}, and demand is forecast per store: "
            "name a store, or leave the location blank for every store",
            location=entry.location,
            kind=Text(place.kind.value),
        )
        problems.append(run.error(row, "location", message))
    if problems:
        raise _RowProblem(problems)
    changed = False
    for day in entry.days():
        record = DriverRecord(day, entry.location, entry.sku, entry.driver, entry.value, entry.note)
        changed |= run.uow.drivers.put(record)
    return changed


Importer = Callable[[Database, Table, Progress | None, Scope | None], int]

_IMPORTERS: dict[str, Importer] = {
    "products": lambda db, t, p, s: _apply_all(db, read_products(t), _apply_product, p, s),
    "locations": lambda db, t, p, s: _apply_all(db, read_locations(t), _apply_location, p, s),
    "suppliers": lambda db, t, p, s: _apply_all(db, read_suppliers(t), _apply_supplier, p, s),
    "lots": lambda db, t, p, s: _apply_all(db, read_lots(t), _apply_receipt, p, s),
    "sales": lambda db, t, p, s: _apply_all(db, read_sales(t), _apply_sale, p, s),
    "counts": lambda db, t, p, s: _apply_all(db, read_counts(t), _apply_count, p, s),
    "calendar": lambda db, t, p, s: _apply_all(db, read_calendar(t), _apply_calendar, p, s),
}
