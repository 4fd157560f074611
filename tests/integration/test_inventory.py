"""Stock use cases on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from shelfpilot.domain import (
    Conflict,
    EntryKind,
    InvalidValue,
    LotKey,
    LotNotSellable,
    Money,
    NotFound,
    OutOfStock,
)
from shelfpilot.services import catalog, plans, stock_views
from shelfpilot.services import inventory as inv
from shelfpilot.storage import Database
from tests.conftest import SHANGHAI, T0


def receive(db: Database, lot: str, amount: str, at: datetime = T0, **more: object) -> None:
    inv.receive_lot(
        db, inv.ReceiveLot("SZ-01", more.pop("sku", "CAKE"), lot, Decimal(amount), at, **more)
    )  # type: ignore[arg-type]


def sell(
    db: Database, amount: str, at: datetime, sku: str = "CAKE", **more: object
) -> inv.OperationResult:
    line = inv.SaleLine(Decimal(amount), sku, lot_code=more.pop("lot_code", None))  # type: ignore[arg-type]
    return inv.record_sale(db, inv.RecordSale("SZ-01", (line,), at, **more))  # type: ignore[arg-type]


def on_hand(db: Database, lot: str, sku: str = "CAKE", location: str = "SZ-01") -> Decimal:
    with db.transaction(readonly=True) as uow:
        return uow.stock.on_hand(LotKey(location, sku, lot))


def ledger_kinds(db: Database) -> list[str]:
    with db.transaction(readonly=True) as uow:
        return [r.entry.kind.value for r in uow.stock.ledger()]


def test_sale_is_split_first_expired_first_out(shop: Database) -> None:
    receive(shop, "NEW", "10", expiry=date(2026, 11, 30))
    receive(shop, "OLD", "3", expiry=date(2026, 11, 25))
    result = sell(shop, "5", T0 + timedelta(hours=2))
    assert [(e.lot.lot_code, e.quantity) for e in result.entries] == [
        ("OLD", Decimal(-3)),
        ("NEW", Decimal(-2)),
    ]
    assert on_hand(shop, "OLD") == 0
    assert on_hand(shop, "NEW") == 8


def test_fractional_quantities_by_weight(shop: Database) -> None:
    receive(shop, "C1", "12.5", sku="CHERRY")
    sell(shop, "1.25", T0 + timedelta(hours=1), sku="CHERRY")
    sell(shop, "0.333", T0 + timedelta(hours=2), sku="CHERRY")
    assert on_hand(shop, "C1", "CHERRY") == Decimal("10.917")


def test_retried_sale_with_the_same_key_is_recorded_once(shop: Database) -> None:
    receive(shop, "L1", "5")
    first = sell(shop, "2", T0 + timedelta(hours=1), idempotency_key="pos-7:receipt-42")
    again = sell(shop, "2", T0 + timedelta(hours=1), idempotency_key="pos-7:receipt-42")
    assert not first.replayed and again.replayed
    assert again.operation_id == first.operation_id
    assert [e.quantity for e in again.entries] == [Decimal(-2)]
    assert on_hand(shop, "L1") == 3
    with pytest.raises(Conflict, match="already used for a different sale"):
        sell(shop, "1", T0 + timedelta(hours=1), idempotency_key="pos-7:receipt-42")


def test_expired_lot_cannot_be_sold(shop: Database) -> None:
    receive(shop, "L1", "5", expiry=datetime(2026, 11, 21, 12, 0))
    with pytest.raises(LotNotSellable, match="expired at 2026-11-21 12:00"):
        sell(shop, "1", datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI), lot_code="L1")
    with pytest.raises(OutOfStock, match="only 0 of CAKE at SZ-01 can be sold"):
        sell(shop, "1", datetime(2026, 11, 21, 11, 0, tzinfo=SHANGHAI))  # pulled off 2 h before
    assert on_hand(shop, "L1") == 5


def test_failed_line_rolls_back_the_whole_receipt(shop: Database) -> None:
    receive(shop, "L1", "5")
    lines = (inv.SaleLine(Decimal(2), "CAKE"), inv.SaleLine(Decimal(1), "CHERRY"))
    with pytest.raises(OutOfStock):
        inv.record_sale(shop, inv.RecordSale("SZ-01", lines, T0 + timedelta(hours=1)))
    assert on_hand(shop, "L1") == 5
    assert ledger_kinds(shop) == ["receipt"]


def test_two_lines_of_one_receipt_see_each_other(shop: Database) -> None:
    receive(shop, "L1", "3")
    lines = (inv.SaleLine(Decimal(2), "CAKE"), inv.SaleLine(Decimal(2), "CAKE"))
    with pytest.raises(OutOfStock, match="only 1 of CAKE"):
        inv.record_sale(shop, inv.RecordSale("SZ-01", lines, T0 + timedelta(hours=1)))
    assert on_hand(shop, "L1") == 3


def test_scanned_gs1_label_sells_from_its_lot(shop: Database) -> None:
    receive(shop, "A1", "5", expiry=date(2026, 11, 25))
    receive(shop, "B7", "5", expiry=date(2026, 11, 28))
    label = "]C1" + "0105901234123457" + "17261128" + "10B7"
    result = inv.record_sale(shop, inv.RecordSale("SZ-01", (inv.SaleLine(barcode=label),), T0))
    assert [(e.lot.lot_code, e.quantity) for e in result.entries] == [("B7", Decimal(-1))]
    by_expiry = "0105901234123457" + "17261125"  # AI 17 only: the lot that expires that day
    result = inv.record_sale(
        shop, inv.RecordSale("SZ-01", (inv.SaleLine(Decimal(2), barcode=by_expiry),), T0)
    )
    assert [e.lot.lot_code for e in result.entries] == ["A1"]
    with pytest.raises(NotFound, match="expires on 2026-11-27"):
        inv.record_sale(
            shop, inv.RecordSale("SZ-01", (inv.SaleLine(barcode="010590123412345717261127"),), T0)
        )
    with pytest.raises(InvalidValue, match="neither a GS1 label nor a GTIN"):
        inv.record_sale(shop, inv.RecordSale("SZ-01", (inv.SaleLine(barcode="hello"),), T0))


def test_transfer_keeps_code_and_expiry(shop: Database) -> None:
    receive(shop, "L1", "10", expiry=date(2026, 11, 28))
    inv.transfer_stock(
        shop, inv.TransferStock("SZ-01", "SZ-02", "CAKE", "L1", Decimal(4), T0 + timedelta(hours=1))
    )
    assert on_hand(shop, "L1") == 6
    assert on_hand(shop, "L1", location="SZ-02") == 4
    with shop.transaction(readonly=True) as uow:
        moved = uow.stock.lot(LotKey("SZ-02", "CAKE", "L1"))
        original = uow.stock.lot(LotKey("SZ-01", "CAKE", "L1"))
    assert moved.expires_at == original.expires_at and moved.expiry_is_date
    with pytest.raises(OutOfStock, match="has 6 on hand"):
        inv.transfer_stock(shop, inv.TransferStock("SZ-01", "SZ-02", "CAKE", "L1", Decimal(7), T0))
    with pytest.raises(InvalidValue, match="brand and cannot hold stock"):
        inv.transfer_stock(shop, inv.TransferStock("SZ-01", "SUYUAN", "CAKE", "L1", Decimal(1), T0))


def test_a_donation_keeps_its_receiver_receipt_and_value(shop: Database) -> None:
    receive(shop, "L1", "10", unit_cost=Decimal("9.5"), expiry=date(2026, 11, 25))
    at = T0 + timedelta(hours=2)
    gift = inv.RemoveStock(
        "SZ-01", "CAKE", "L1", EntryKind.DONATION, Decimal("2.5"), at, "evening pick-up",
        idempotency_key="gift-1", actor="mia", recipient="Suzhou Food Bank", receipt="FB-0042",
    )  # fmt: skip
    done = inv.remove_stock(shop, gift)
    assert done.entries[0].reference == "FB-0042"
    assert inv.remove_stock(shop, gift).replayed  # a retry posts nothing twice
    record = plans.audit_log(shop, action="stock.donation")[0]
    assert record.actor == "mia"
    assert {k: record.after[k] for k in ("recipient", "receipt", "value_at_cost", "value_at_list")} == {
        "recipient": "Suzhou Food Bank", "receipt": "FB-0042",
        "value_at_cost": "23.75 CNY", "value_at_list": "70.00 CNY",  # 2.5 × 9.5, 2.5 × 28
    }  # fmt: skip
    with pytest.raises(InvalidValue, match="only a donation has a recipient"):
        inv.remove_stock(
            shop,
            inv.RemoveStock("SZ-01", "CAKE", "L1", EntryKind.DISPOSAL, Decimal(1), at, receipt="X"),
        )
    assert on_hand(shop, "L1") == Decimal("7.5")


def test_removals_counts_returns_and_price_changes(shop: Database) -> None:
    receive(shop, "L1", "10", expiry=datetime(2026, 11, 23, 18, 0))
    at = T0 + timedelta(hours=2)
    inv.remove_stock(
        shop,
        inv.RemoveStock("SZ-01", "CAKE", "L1", EntryKind.DONATION, Decimal(2), at, "food bank"),
    )
    sell(shop, "1", at)
    inv.count_stock(shop, inv.CountStock("SZ-01", "CAKE", "L1", Decimal(6), at))
    inv.return_stock(shop, inv.ReturnStock("SZ-01", "CAKE", "L1", Decimal(1), at))
    with pytest.raises(
        InvalidValue, match="only 0 of lot L1 of CAKE at SZ-01 was sold and not yet returned"
    ):
        inv.return_stock(shop, inv.ReturnStock("SZ-01", "CAKE", "L1", Decimal(1), at))
    inv.change_price(shop, inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("19.6"), at))
    assert on_hand(shop, "L1") == 7
    assert ledger_kinds(shop) == [
        "receipt",
        "donation",
        "sale",
        "adjustment",
        "return",
        "price_change",
    ]
    with pytest.raises(
        InvalidValue, match=r"below the floor of 14.00 CNY for CAKE \(50% of list\)"
    ):
        inv.change_price(shop, inv.ChangePrice("SZ-01", "CAKE", "L1", Decimal("13.99"), at))
    # a sale that names no price pays the lot's marked-down price
    marked = sell(shop, "1", at + timedelta(minutes=5))
    assert [e.unit_price for e in marked.entries] == [Money.of("19.6")]
    expired = datetime(2026, 11, 23, 18, 0, tzinfo=SHANGHAI)
    with pytest.raises(LotNotSellable, match="expired food cannot be donated"):
        inv.remove_stock(
            shop, inv.RemoveStock("SZ-01", "CAKE", "L1", EntryKind.DONATION, Decimal(1), expired)
        )
    with pytest.raises(
        OutOfStock,
        match=r"only 0 of CAKE at SZ-01 can be sold, asked for 1; 6 more is expired or pulled off sale",
    ):
        sell(shop, "1", expired)
    inv.remove_stock(
        shop, inv.RemoveStock("SZ-01", "CAKE", "L1", EntryKind.DISPOSAL, Decimal(6), expired)
    )
    assert on_hand(shop, "L1") == 0


def test_nothing_happens_to_a_lot_before_it_arrives(shop: Database) -> None:
    receive(shop, "L1", "5")
    before = T0 - timedelta(hours=1)
    with pytest.raises(OutOfStock, match="only 0 of CAKE"):
        sell(shop, "1", before)
    with pytest.raises(InvalidValue, match="cannot be sold at 2026-11-20 07:00, before it arrived"):
        sell(shop, "1", before, lot_code="L1")
    with pytest.raises(InvalidValue, match="before it arrived"):
        inv.transfer_stock(
            shop, inv.TransferStock("SZ-01", "SZ-02", "CAKE", "L1", Decimal(1), before)
        )
    with pytest.raises(InvalidValue, match="before it arrived"):
        inv.count_stock(shop, inv.CountStock("SZ-01", "CAKE", "L1", Decimal(1), before))


def test_late_uploads_never_drive_stock_below_zero_at_any_time(shop: Database) -> None:
    receive(shop, "L1", "10")
    sell(shop, "4", T0 + timedelta(hours=4))
    # a count taken at T0+2h, uploaded after the 4 sold at T0+4h: it sets the
    # balance at T0+2h, and the later sale stays on top of it
    inv.count_stock(
        shop, inv.CountStock("SZ-01", "CAKE", "L1", Decimal(9), T0 + timedelta(hours=2))
    )
    [row] = stock_views.lifecycle_table(shop, T0 + timedelta(hours=3))
    assert row.on_hand == 9
    assert on_hand(shop, "L1") == 5
    # a late sale at T0+1h may take only what the later records leave over
    with pytest.raises(OutOfStock, match="only 5 of CAKE"):
        sell(shop, "6", T0 + timedelta(hours=1))
    with pytest.raises(
        OutOfStock, match="would leave later records of lot L1 of CAKE at SZ-01 below zero"
    ):
        inv.count_stock(
            shop, inv.CountStock("SZ-01", "CAKE", "L1", Decimal(1), T0 + timedelta(hours=1))
        )
    sell(shop, "5", T0 + timedelta(hours=1))
    assert on_hand(shop, "L1") == 0


def test_a_retry_that_names_no_time_matches_the_first(shop: Database) -> None:
    receive(shop, "L1", "5")
    line = (inv.SaleLine(Decimal("2.0"), "CAKE"),)
    first = inv.record_sale(shop, inv.RecordSale("SZ-01", line, None, idempotency_key="till-9"))
    again = inv.record_sale(
        shop,
        inv.RecordSale(
            "SZ-01", (inv.SaleLine(Decimal(2), "CAKE"),), None, idempotency_key="till-9"
        ),
    )
    assert again.replayed and again.operation_id == first.operation_id
    utc_spelling = T0.astimezone(UTC) + timedelta(hours=1)
    inv.record_sale(
        shop, inv.RecordSale("SZ-01", line, T0 + timedelta(hours=1), idempotency_key="till-10")
    )
    assert inv.record_sale(
        shop, inv.RecordSale("SZ-01", line, utc_spelling, idempotency_key="till-10")
    ).replayed


def test_receipt_rules(shop: Database) -> None:
    receive(shop, "L1", "5")
    with pytest.raises(Conflict, match="already exists"):
        receive(shop, "L1", "5")
    with pytest.raises(NotFound, match="unknown SKU 'NOPE'"):
        receive(shop, "L2", "5", sku="NOPE")
    with pytest.raises(InvalidValue, match="only stores and warehouses hold stock"):
        inv.receive_lot(shop, inv.ReceiveLot("SUYUAN", "CAKE", "L3", Decimal(1), T0))
    with pytest.raises(InvalidValue, match="expiry is not after production"):
        receive(shop, "L4", "5", produced_at=T0, expiry=T0 - timedelta(hours=1))


def test_daily_run_records_each_stage_change_once(shop: Database) -> None:
    receive(shop, "L1", "5", expiry=date(2026, 11, 26))  # expires 2026-11-27 00:00
    receive(shop, "L2", "5", expiry=date(2026, 12, 31))
    first = stock_views.run_daily(shop, datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))
    assert [(c.row.lot_code, c.row.stage) for c in first.changes] == [("L1", "five_days")]
    again = stock_views.run_daily(shop, datetime(2026, 11, 22, 18, 0, tzinfo=SHANGHAI))
    assert again.changes == []
    later = stock_views.run_daily(shop, datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
    assert [(c.row.lot_code, c.row.stage, c.row.action) for c in later.changes] == [
        ("L1", "donation", "donate")
    ]
    assert [r.lot_code for r in later.due] == ["L1"]


def test_ladder_overrides_per_category_and_product(shop: Database) -> None:
    catalog.set_ladder(shop, "category", "cake", "remind=36h,last_day=12h,pulled=3h")
    receive(shop, "L1", "5", expiry=datetime(2026, 11, 21, 20, 0))
    rows = stock_views.lifecycle_table(shop, datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI))
    assert [(r.lot_code, r.stage, r.days_left) for r in rows] == [("L1", "last_day", 0)]
    with pytest.raises(OutOfStock):
        sell(shop, "1", datetime(2026, 11, 21, 17, 30, tzinfo=SHANGHAI))
    catalog.set_ladder(shop, "sku", "CAKE", "pulled=30m")
    assert sell(shop, "1", datetime(2026, 11, 21, 17, 30, tzinfo=SHANGHAI)).entries
    with pytest.raises(NotFound):
        catalog.set_ladder(shop, "sku", "NOPE", "pulled=30m")


def test_lifecycle_table_as_of_a_past_moment(shop: Database) -> None:
    receive(shop, "L1", "10", expiry=date(2026, 11, 29))
    sell(shop, "4", T0 + timedelta(days=1))
    sell(shop, "2", T0 + timedelta(days=2))
    [row] = stock_views.lifecycle_table(shop, T0 + timedelta(days=1, hours=1))
    assert (row.quantity_in, row.sold, row.on_hand) == (10, 4, 6)
    [row] = stock_views.lifecycle_table(shop, T0 + timedelta(days=2))
    assert (row.sold, row.on_hand, row.sales_per_day, row.days_of_cover) == (
        6,
        4,
        Decimal("3.00"),
        Decimal("1.3"),
    )
    assert row.received_at.tzinfo is not None and row.received_at.utcoffset() == timedelta(hours=8)
    [zh] = stock_views.lifecycle_table(shop, T0 + timedelta(days=2), language="zh")
    assert zh.product_name == "绿豆糕"
