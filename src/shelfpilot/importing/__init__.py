"""Reading spreadsheet files (CSV, Excel, Parquet) into business values.

Pure apart from reading the file: nothing here touches the database. The
services apply what these readers return (see ``services.imports``); the
column schema is documented in docs/import-format.md.
"""

from shelfpilot.importing.calendar_sheet import CalendarEntry, read_calendar
from shelfpilot.importing.catalog_sheets import read_locations, read_products, read_suppliers
from shelfpilot.importing.errors import ImportFailed, RowError
from shelfpilot.importing.schema import KINDS, SCHEMAS, Column
from shelfpilot.importing.sheet import Parsed, Sheet
from shelfpilot.importing.stock_sheets import (
    LotReceipt,
    SaleRecord,
    StockCount,
    read_counts,
    read_lots,
    read_sales,
)
from shelfpilot.importing.tables import SUFFIXES, Table, read_table

__all__ = [
    "KINDS",
    "SCHEMAS",
    "SUFFIXES",
    "CalendarEntry",
    "Column",
    "ImportFailed",
    "LotReceipt",
    "Parsed",
    "RowError",
    "SaleRecord",
    "Sheet",
    "StockCount",
    "Table",
    "read_calendar",
    "read_counts",
    "read_locations",
    "read_lots",
    "read_products",
    "read_sales",
    "read_suppliers",
    "read_table",
]
