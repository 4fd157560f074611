"""Idempotency fingerprints stay the same across versions and users."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from shelfpilot.domain.ledger import EntryKind
from shelfpilot.services.commands import ChangePrice, CountStock, RemoveStock
from shelfpilot.services.operations import _canonical, fingerprint

AT = datetime(2026, 11, 20, 8, tzinfo=UTC)


def _old(kind: str, fields: dict[str, object]) -> str:
    """The digest as it was before commands carried who acted."""
    text = json.dumps({"kind": kind, **fields}, sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


def test_who_acted_is_not_part_of_the_request() -> None:
    count = CountStock("S1", "CAKE", "L1", Decimal(5), AT, "k1", actor="ann")
    assert fingerprint("count", count) == fingerprint(
        "count", CountStock("S1", "CAKE", "L1", Decimal(5), AT, "k1", actor="bob")
    )
    assert fingerprint("count", count) == _old(
        "count",
        {"location": "S1", "sku": "CAKE", "lot_code": "L1", "counted": Decimal(5), "at": AT},
    )
    removal = RemoveStock("S1", "CAKE", "L1", EntryKind.DISPOSAL, Decimal(2), AT, "bin", "k2")
    assert fingerprint("disposal", removal) == _old(
        "disposal",
        {"location": "S1", "sku": "CAKE", "lot_code": "L1", "kind": EntryKind.DISPOSAL,
         "quantity": Decimal(2), "at": AT, "note": "bin"},
    )  # fmt: skip


def test_a_price_change_without_a_reference_matches_the_old_digest() -> None:
    price = ChangePrice("S1", "CAKE", "L1", Decimal("19.9"), AT, idempotency_key="k3")
    old = {"location": "S1", "sku": "CAKE", "lot_code": "L1", "unit_price": Decimal("19.9"),
           "at": AT, "allow_below_floor": False}  # fmt: skip
    assert fingerprint("price_change", price) == _old("price_change", old)
    tagged = ChangePrice("S1", "CAKE", "L1", Decimal("19.9"), AT, reference="plan line 3")
    assert fingerprint("price_change", tagged) != fingerprint("price_change", price)
