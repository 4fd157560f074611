"""The business rules of short-shelf-life stock, in plain Python: no I/O, no frameworks."""

from shelfpilot.domain.catalog import Location, LocationKind, Product, Supplier
from shelfpilot.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    LotNotSellable,
    NotFound,
    NotSellable,
    OutOfStock,
)
from shelfpilot.domain.fefo import Allocation, LotStock, allocate
from shelfpilot.domain.ladder import DEFAULT_LADDER, ExpiryLadder, LadderPolicy, Stage
from shelfpilot.domain.ledger import EntryKind, LedgerEntry, on_hand
from shelfpilot.domain.lifecycle import LifecycleRow, lifecycle_row
from shelfpilot.domain.lots import Lot, LotKey, expiry_instant
from shelfpilot.domain.money import DEFAULT_CURRENCY, Money, quantity, ratio
from shelfpilot.domain.stockbook import StockBook

__all__ = [
    "DEFAULT_CURRENCY",
    "DEFAULT_LADDER",
    "Allocation",
    "Conflict",
    "DomainError",
    "EntryKind",
    "ExpiryLadder",
    "InvalidValue",
    "LadderPolicy",
    "LedgerEntry",
    "LifecycleRow",
    "Location",
    "LocationKind",
    "Lot",
    "LotKey",
    "LotNotSellable",
    "LotStock",
    "Money",
    "NotFound",
    "NotSellable",
    "OutOfStock",
    "Product",
    "Stage",
    "StockBook",
    "Supplier",
    "allocate",
    "expiry_instant",
    "lifecycle_row",
    "on_hand",
    "quantity",
    "ratio",
]
