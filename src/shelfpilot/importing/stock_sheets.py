"""Receipts (lots), sales and stock-count files.

Times without an offset are local to the row's location; only the services
know that location's zone, so rows keep them naive and ``in_zone`` places
them once the zone is known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfpilot.domain.errors import Text
from shelfpilot.domain.lots import localize
from shelfpilot.importing import cells
from shelfpilot.importing.sheet import RowReader, Sheet, code, first_seen, limited, read_rows
from shelfpilot.importing.tables import Table


@dataclass(frozen=True, slots=True)
class LotReceipt:
    """A lot delivered to a store or warehouse."""

    location: str
    sku: str
    lot_code: str
    quantity: Decimal
    received_at: datetime
    produced_at: datetime | None = None
    expiry: date | datetime | None = None
    unit_cost: Decimal | None = None
    supplier: str | None = None

    def in_zone(self, zone: ZoneInfo) -> LotReceipt:
        """Naive times read as the store's local time; a date expiry stays a date."""
        expiry = self.expiry
        if isinstance(expiry, datetime):
            expiry = localize(expiry, zone)
        return replace(
            self,
            received_at=localize(self.received_at, zone),
            produced_at=localize(self.produced_at, zone) if self.produced_at else None,
            expiry=expiry,
        )

    def date_problems(self, zone: ZoneInfo) -> list[tuple[str, str]]:
        """(field, message) for dates out of order, checked in the store's zone."""
        lot = self.in_zone(zone)
        problems: list[tuple[str, str]] = []
        produced = lot.produced_at
        if lot.expiry is not None:
            expires = _first_expired_instant(lot.expiry, zone)
            if produced is not None and expires <= produced:
                problems.append(
                    (
                        "expiry",
                        Text(
                            "expiry {expiry} is not after the production date {produced}; "
                            "check both dates",
                            expiry=_show(self.expiry),
                            produced=_show(self.produced_at),
                        ),
                    )
                )
        if produced is not None and lot.received_at < produced:
            problems.append(
                (
                    "received_at",
                    Text(
                        "received {received}, before it was produced ({produced}); "
                        "check both dates",
                        received=_show(self.received_at),
                        produced=_show(self.produced_at),
                    ),
                )
            )
        return problems


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """One sale line: a product (by SKU or scanned barcode) sold at a location."""

    location: str
    quantity: Decimal
    sold_at: datetime
    sku: str | None = None
    barcode: str | None = None
    unit_price: Decimal | None = None
    lot_code: str | None = None
    receipt: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StockCount:
    """What was counted on the shelf for one lot."""

    location: str
    sku: str
    lot_code: str
    counted: Decimal
    counted_at: datetime


def _first_expired_instant(expiry: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(expiry, datetime):
        return expiry
    return datetime.combine(expiry + timedelta(days=1), time(0), tzinfo=zone)


def _show(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        shown = f"{value:%Y-%m-%d %H:%M}"
        return shown[:-6] if value.tzinfo is None and value.time() == time(0) else shown
    return value.isoformat() if value else ""


def read_lots(table: Table) -> Sheet[LotReceipt]:
    sheet = read_rows("lots", table, _lot)
    first_seen(
        sheet,
        lambda lot: (lot.location, lot.sku, lot.lot_code),
        lambda row: Text(
            "the same lot code for this SKU and location is already on row {row}; "
            "give each batch its own lot code",
            row=row,
        ),
        "lot_code",
    )
    return sheet


def _lot(r: RowReader) -> LotReceipt | None:
    location = r.required("location", code("location code"), "location code")
    sku = r.required("sku", code("SKU"), "SKU")
    lot_code = r.required("lot_code", code("lot code"), "lot code")
    amount = r.required("quantity", cells.positive_quantity, "quantity")
    received = r.required("received_at", cells.moment, "time received")
    produced = r.optional("produced_at", cells.moment)
    expiry = r.optional("expiry", cells.day_or_moment)
    unit_cost = r.optional("unit_cost", cells.money)
    supplier = r.optional("supplier", code("supplier code"))
    if (
        r.failed
        or location is None
        or sku is None
        or lot_code is None
        or amount is None
        or received is None
    ):
        return None
    return LotReceipt(
        location, sku, lot_code, amount, received, produced, expiry, unit_cost, supplier
    )


def read_sales(table: Table) -> Sheet[SaleRecord]:
    sheet = read_rows("sales", table, _sale)
    first_seen(
        sheet,
        lambda sale: sale.idempotency_key,
        lambda row: Text(
            "this idempotency key is already used on row {row}; each sale needs its own", row=row
        ),
        "idempotency_key",
    )
    return sheet


def _sale(r: RowReader) -> SaleRecord | None:
    location = r.required("location", code("location code"), "location code")
    sku = r.optional("sku", code("SKU"))
    barcode = r.optional("barcode", cells.text)
    if r.blank_in_every("sku", "barcode"):
        where = "sku" if r.has_column("sku") else "barcode"
        r.fail(where, Text("missing value: fill in the SKU or the scanned barcode"))
    amount = r.required("quantity", cells.positive_quantity, "quantity sold")
    sold_at = r.required("sold_at", cells.moment, "time of sale")
    unit_price = r.optional("unit_price", cells.money)
    lot_code = r.optional("lot_code", code("lot code"))
    receipt = r.optional("receipt", limited("receipt number", 200))
    key = r.optional("idempotency_key", limited("idempotency key", 200))
    if r.failed or location is None or amount is None or sold_at is None:
        return None
    return SaleRecord(location, amount, sold_at, sku, barcode, unit_price, lot_code, receipt, key)


def read_counts(table: Table) -> Sheet[StockCount]:
    return read_rows("counts", table, _count)


def _count(r: RowReader) -> StockCount | None:
    location = r.required("location", code("location code"), "location code")
    sku = r.required("sku", code("SKU"), "SKU")
    lot_code = r.required("lot_code", code("lot code"), "lot code")
    counted = r.required("counted", cells.counted_quantity, "counted quantity")
    counted_at = r.required("counted_at", cells.moment, "time of the count")
    if (
        r.failed
        or location is None
        or sku is None
        or lot_code is None
        or counted is None
        or counted_at is None
    ):
        return None
    return StockCount(location, sku, lot_code, counted, counted_at)
