"""The stock invariants through the real services and database, for any
sequence of receipts, sales, removals, counts and returns, uploaded in any
order (times jump back and forth, as late uploads from tills do)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfpilot.domain import DomainError, EntryKind, Location, LocationKind, LotKey
from shelfpilot.domain.ladder import DEFAULT_LADDER
from shelfpilot.services import catalog
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import T0, cake, cherries

amount = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(8), places=1)
hour = st.integers(min_value=0, max_value=24 * 14)
sku = st.sampled_from(["CAKE", "CHERRY"])
receipt = st.tuples(st.just("receive"), sku, amount, hour)
event = st.tuples(
    st.sampled_from(["sell", "sell", "dispose", "count", "return"]), sku, amount, hour
)
# a few lots first, then events at any time: before, between and after the receipts
plans = st.tuples(
    st.lists(receipt, min_size=1, max_size=4), st.lists(event, min_size=3, max_size=20)
).map(lambda parts: parts[0] + parts[1])


def apply(db: Database, plan: list[tuple[str, str, Decimal, int]]) -> None:
    received: dict[str, list[str]] = defaultdict(list)
    for n, (action, sku, qty, hours) in enumerate(plan):
        at = T0 + timedelta(hours=hours)
        try:
            if action == "receive":
                inv.receive_lot(db, inv.ReceiveLot("SZ-01", sku, f"L{n}", qty * 3, at))
                received[sku].append(f"L{n}")
            elif action == "sell":
                inv.record_sale(db, inv.RecordSale("SZ-01", (inv.SaleLine(qty, sku),), at))
            elif received[sku]:
                lot = received[sku][n % len(received[sku])]
                if action == "dispose":
                    inv.remove_stock(
                        db, inv.RemoveStock("SZ-01", sku, lot, EntryKind.DISPOSAL, qty, at)
                    )
                elif action == "count":
                    inv.count_stock(db, inv.CountStock("SZ-01", sku, lot, qty, at))
                else:
                    inv.return_stock(db, inv.ReturnStock("SZ-01", sku, lot, qty, at))
        except DomainError:
            pass  # refused: and a refusal must leave nothing behind (checked below)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans)
def test_database_keeps_stock_invariants(
    tmp_path: Path, plan: list[tuple[str, str, Decimal, int]]
) -> None:
    path = tmp_path / f"p{abs(hash(tuple(plan)))}.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    catalog.save_locations(
        db,
        [
            Location("SY", "Brand", LocationKind.BRAND),
            Location("SZ-01", "Store", LocationKind.STORE, "SY"),
        ],
    )
    catalog.save_products(db, [cake(), cherries()])
    apply(db, plan)
    with db.transaction(readonly=True) as uow:
        records = uow.stock.ledger()
        lots = {
            v.lot.key: v
            for v in uow.stock.lots_with_totals(
                datetime(2100, 1, 1, tzinfo=T0.tzinfo), open_only=False
            )
        }
        by_lot: dict[LotKey, list[tuple[datetime, int, Decimal, EntryKind]]] = defaultdict(list)
        for r in records:
            by_lot[r.entry.lot].append(
                (r.entry.occurred_at, r.entry_id, r.entry.quantity, r.entry.kind)
            )
        for key, entries in by_lot.items():
            lot = lots[key].lot
            # on-hand is the ledger sum
            assert uow.stock.on_hand(key) == sum(q for _, _, q, _ in entries)
            balance = Decimal(0)
            for at, _, q, kind in sorted(entries):
                balance += q
                # never negative, at any moment of the lot's history
                assert balance >= 0, (key, at, balance)
                assert at >= lot.received_at
                if kind is EntryKind.SALE:
                    # expired or pulled-off stock is never sold
                    assert DEFAULT_LADDER.is_sellable(lot.expires_at, at)
    db.close()
