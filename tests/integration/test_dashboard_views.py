"""The dashboard's read models on real stock: a day's results by the store's
own calendar, the waste a plan saves per lot, and the clearance exposure."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfpilot.domain.ledger import EntryKind
from shelfpilot.domain.lots import LotKey
from shelfpilot.domain.plans import LineStatus, Plan, PlanAction, PlanLine
from shelfpilot.services import adjustments, dashboard, inventory
from shelfpilot.services.commands import ChangePrice, ReceiveLot, RecordSale, RemoveStock, SaleLine
from shelfpilot.storage import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=SHANGHAI)


def sell(db: Database, units: str, at: datetime, key: str) -> None:
    line = SaleLine(quantity=Decimal(units), sku="CAKE")
    inventory.record_sale(db, RecordSale("SZ-01", (line,), at, idempotency_key=key))


def test_results_count_by_the_stores_day_and_value_waste_at_cost(shop: Database) -> None:
    inventory.receive_lot(shop, ReceiveLot("SZ-01", "CAKE", "L1", Decimal(20), T0))
    sell(shop, "5", T0 + timedelta(hours=2), "s1")
    # 07:30 in Suzhou on the 3rd is still the 2nd in UTC: it counts for the 3rd
    adjustments.change_price(
        shop, ChangePrice("SZ-01", "CAKE", "L1", Decimal(14), T0 + timedelta(hours=20))
    )
    sell(shop, "3", datetime(2026, 11, 3, 7, 30, tzinfo=SHANGHAI), "s2")
    for kind, units in ((EntryKind.DISPOSAL, "2"), (EntryKind.DONATION, "1")):
        adjustments.remove_stock(
            shop,
            RemoveStock(
                "SZ-01", "CAKE", "L1", kind, Decimal(units), T0 + timedelta(days=1, hours=4)
            ),
        )
    first, second = dashboard.day_results(
        shop, "SZ-01", date(2026, 11, 2), date(2026, 11, 4), SHANGHAI
    )[:2]
    assert (first.sold, first.revenue, first.sold_share, first.recovery) == (5, 140, 1, 1)
    assert (second.sold, second.revenue, second.list_value) == (3, 42, 84)
    assert (second.disposed, second.donated, second.waste_value) == (2, 1, Decimal("19.0"))
    assert second.sold_share == Decimal("0.5") and second.recovery == Decimal("0.5")
    total = dashboard.totals(
        dashboard.day_results(shop, "SZ-01", date(2026, 11, 1), date(2026, 11, 4), SHANGHAI),
        date(2026, 11, 5),
    )
    assert (total.sold, total.revenue, total.disposed) == (8, 182, 2)
    assert dashboard.currency(shop, "SZ-01") == "CNY"
    shown, cleared = dashboard.exposure(shop, T0 + timedelta(days=2), "SZ-01")
    assert shown == {"CAKE"} and cleared == {"CAKE"}  # repriced below list


def line(lot: str, held: str, planned: str, action: PlanAction, status: LineStatus) -> PlanLine:
    return PlanLine(
        LotKey("SZ-01", "CAKE", lot), Decimal(1), Decimal("0.7"), Decimal(0), Decimal(held),
        Decimal(planned), Decimal(1), "why", status=status, action=action,
    )  # fmt: skip


def test_a_lots_steps_count_once_and_a_rejected_line_saves_nothing() -> None:
    plan = Plan(
        "SZ-01", date(2026, 11, 2), T0, "ann",
        (
            line("L1", "10", "6", PlanAction.MARKDOWN, LineStatus.APPROVED),
            line("L1", "6", "2", PlanAction.CHANNEL, LineStatus.PROPOSED),
            line("L2", "4", "1", PlanAction.MARKDOWN, LineStatus.REJECTED),
        ),
    )  # fmt: skip
    left = dashboard.left_per_lot(plan)
    assert left[LotKey("SZ-01", "CAKE", "L1")] == (10, 2)
    assert left[LotKey("SZ-01", "CAKE", "L2")] == (4, 4)
