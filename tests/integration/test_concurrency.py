"""Real concurrent connections racing for the same stock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest

from shelfpilot.domain import DomainError, LotKey, OutOfStock
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import T0


def sale(quantity: str = "1", key: str | None = None) -> inv.RecordSale:
    return inv.RecordSale(
        "SZ-01",
        (inv.SaleLine(Decimal(quantity), "CAKE"),),
        T0 + timedelta(hours=1),
        idempotency_key=key,
    )


def race(shop: Database, commands: list[inv.RecordSale]) -> list[object]:
    """Each command on its own connection pool, all released at the same instant."""
    clients = [Database(shop.url) for _ in commands]
    barrier = threading.Barrier(len(commands))

    def attempt(pair: tuple[Database, inv.RecordSale]) -> object:
        client, command = pair
        barrier.wait()
        try:
            return inv.record_sale(client, command)
        except DomainError as error:
            return error

    try:
        with ThreadPoolExecutor(len(commands)) as pool:
            return list(pool.map(attempt, zip(clients, commands, strict=True)))
    finally:
        for client in clients:
            client.close()


def on_hand(shop: Database, lot: str) -> Decimal:
    with shop.transaction(readonly=True) as uow:
        return uow.stock.on_hand(LotKey("SZ-01", "CAKE", lot))


@pytest.mark.parametrize("rounds", [15])
def test_two_clients_selling_the_last_unit_exactly_one_succeeds(
    shop: Database, rounds: int
) -> None:
    for n in range(rounds):
        inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", f"LAST{n}", Decimal(1), T0))
        outcomes = race(shop, [sale(), sale()])
        sold = [o for o in outcomes if isinstance(o, inv.OperationResult)]
        refused = [o for o in outcomes if isinstance(o, OutOfStock)]
        assert len(sold) == 1, outcomes
        assert len(refused) == 1 and "out of stock" in str(refused[0])
        assert on_hand(shop, f"LAST{n}") == 0


def test_many_clients_never_oversell(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "A", Decimal(7), T0))
    inv.receive_lot(
        shop, inv.ReceiveLot("SZ-01", "CAKE", "B", Decimal(5), T0 + timedelta(minutes=1))
    )
    outcomes = race(shop, [sale("2") for _ in range(8)])
    sold = [o for o in outcomes if isinstance(o, inv.OperationResult)]
    assert len(sold) == 6
    assert all(isinstance(o, OutOfStock) for o in outcomes if o not in sold)
    assert on_hand(shop, "A") == 0 and on_hand(shop, "B") == 0


def test_concurrent_retries_of_one_upload_record_it_once(shop: Database) -> None:
    inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", "A", Decimal(10), T0))
    outcomes = race(shop, [sale("3", key="till-1:0042") for _ in range(4)])
    results = [o for o in outcomes if isinstance(o, inv.OperationResult)]
    assert len(results) == 4, outcomes
    assert len({r.operation_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert on_hand(shop, "A") == 7


def test_receipts_naming_products_in_opposite_orders_do_not_deadlock(shop: Database) -> None:
    for n in range(3):
        inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CAKE", f"C{n}", Decimal(20), T0))
        inv.receive_lot(shop, inv.ReceiveLot("SZ-01", "CHERRY", f"K{n}", Decimal(20), T0))
    at = T0 + timedelta(hours=1)
    forward = (inv.SaleLine(Decimal(1), "CAKE"), inv.SaleLine(Decimal(1), "CHERRY"))
    backward = (inv.SaleLine(Decimal(1), "CHERRY"), inv.SaleLine(Decimal(1), "CAKE"))
    for _ in range(5):
        outcomes = race(
            shop, [inv.RecordSale("SZ-01", forward, at), inv.RecordSale("SZ-01", backward, at)] * 2
        )
        assert all(isinstance(o, inv.OperationResult) for o in outcomes), outcomes
    with shop.transaction(readonly=True) as uow:
        sold = -sum(r.entry.quantity for r in uow.stock.ledger() if r.entry.kind.value == "sale")
    assert sold == 40
