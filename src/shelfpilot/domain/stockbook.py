"""An inventory held in memory: lots plus their append-only ledger.

It applies exactly the rules the database services apply (``fefo.allocate``,
``ledger.removal_entry``, ``ledger.count_entry``), so it is both the executable
statement of those rules for property tests and a fast engine for simulations
that replay history without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from shelfpilot.domain.catalog import Product
from shelfpilot.domain.errors import Conflict, InvalidValue, NotFound, Text
from shelfpilot.domain.fefo import Allocation, LotStock, allocate, sale_entries
from shelfpilot.domain.ladder import LadderPolicy
from shelfpilot.domain.ledger import (
    ZERO,
    EntryKind,
    LedgerEntry,
    count_entry,
    removal_entry,
)
from shelfpilot.domain.lots import Lot, LotKey
from shelfpilot.domain.money import Money


class StockBook:
    def __init__(self, products: Iterable[Product], policy: LadderPolicy | None = None) -> None:
        self.products = {p.sku: p for p in products}
        self.policy = policy or LadderPolicy()
        self.lots: dict[LotKey, Lot] = {}
        self.entries: list[LedgerEntry] = []
        self._on_hand: dict[LotKey, Decimal] = defaultdict(lambda: ZERO)
        self._by_place: dict[tuple[str, str], list[LotKey]] = defaultdict(list)

    def _append(self, entry: LedgerEntry) -> LedgerEntry:
        self.entries.append(entry)
        self._on_hand[entry.lot] += entry.quantity
        return entry

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise NotFound("unknown SKU {sku}", sku=sku) from None

    def receive(self, lot: Lot) -> LedgerEntry:
        self.product(lot.sku)
        if lot.key in self.lots:
            raise Conflict("{lot} was already received", lot=lot.key)
        self.lots[lot.key] = lot
        self._by_place[(lot.location_code, lot.sku)].append(lot.key)
        return self._append(LedgerEntry(lot.key, EntryKind.RECEIPT, lot.quantity, lot.received_at))

    def on_hand(self, key: LotKey) -> Decimal:
        return self._on_hand[key]

    def stock(self, location_code: str, sku: str) -> list[LotStock]:
        keys = self._by_place.get((location_code, sku), [])
        return [LotStock(self.lots[k], self._on_hand[k]) for k in keys]

    def sell(
        self,
        location_code: str,
        sku: str,
        amount: Decimal,
        at: datetime,
        unit_price: Money,
        *,
        lot_code: str | None = None,
    ) -> list[Allocation]:
        ladder = self.policy.for_product(self.product(sku))
        allocations = allocate(
            self.stock(location_code, sku),
            amount,
            at,
            ladder,
            lot_code=lot_code,
            item=Text("{sku} at {location}", sku=sku, location=location_code),
        )
        for entry in sale_entries(allocations, at, unit_price):
            self._append(entry)
        return allocations

    def remove(self, key: LotKey, kind: EntryKind, amount: Decimal, at: datetime) -> LedgerEntry:
        if key not in self.lots:
            raise NotFound("unknown {lot}", lot=key)
        return self._append(removal_entry(key, self._on_hand[key], kind, amount, at))

    def count(self, key: LotKey, counted: Decimal, at: datetime) -> LedgerEntry | None:
        if key not in self.lots:
            raise NotFound("unknown {lot}", lot=key)
        entry = count_entry(key, self._on_hand[key], counted, at)
        return self._append(entry) if entry else None

    def customer_return(self, key: LotKey, amount: Decimal, at: datetime) -> LedgerEntry:
        if key not in self.lots:
            raise NotFound("unknown {lot}", lot=key)
        if amount <= 0:
            raise InvalidValue("a return must be above zero")
        return self._append(LedgerEntry(key, EntryKind.RETURN, amount, at))
