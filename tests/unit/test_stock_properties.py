"""Invariants of the stock rules for any sequence of receipts, sales,
removals and counts (property-based, with hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfpilot.domain import (
    EntryKind,
    ExpiryLadder,
    LadderPolicy,
    Lot,
    LotKey,
    LotStock,
    Money,
    NotSellable,
    Product,
    StockBook,
    on_hand,
)
from shelfpilot.domain.fefo import fefo_key

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, 6, tzinfo=SH)
LADDER = ExpiryLadder.parse("remind=2d,last_day=12h,pulled=2h")
PRODUCTS = [
    Product("BUN", "Bun", "包子", "bakery", "pcs", Money.of(5), Money.of(2), timedelta(days=2)),
    Product(
        "CHERRY", "Cherries", "樱桃", "fruit", "kg", Money.of(68), Money.of(30), timedelta(days=5)
    ),
]
STORES = ["S1", "S2"]

small = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(6), places=3)
large = st.decimals(min_value=Decimal(1), max_value=Decimal(40), places=3)
store = st.sampled_from(STORES)
sku = st.sampled_from(["BUN", "CHERRY"])
shelf_hours = st.integers(min_value=1, max_value=120)
receipt = st.tuples(st.just("receive"), store, sku, large, shelf_hours)
sale = st.tuples(st.just("sell"), store, sku, small, st.none())
removal = st.tuples(
    st.just("remove"), store, sku, small, st.sampled_from([EntryKind.DISPOSAL, EntryKind.DONATION])
)
count = st.tuples(st.just("count"), store, sku, large, st.none())
# receipts and sales dominate, so that most plans have several lots on hand when selling
action = st.one_of(receipt, receipt, sale, sale, sale, removal, count)
steps = st.lists(st.tuples(action, st.integers(min_value=0, max_value=8)), min_size=1, max_size=80)


def run(
    book: StockBook, plan: list[tuple[tuple[object, ...], int]]
) -> list[tuple[datetime, dict[LotKey, Decimal], list[LotKey]]]:
    """Apply the plan; return, per successful sale, the time, stock before it and the lots it used."""
    now = START
    sales = []
    for number, ((action, store, sku, amount, extra), hours) in enumerate(plan):
        now += timedelta(hours=hours)
        assert isinstance(store, str) and isinstance(sku, str) and isinstance(amount, Decimal)
        lots = book.stock(store, sku)
        try:
            if action == "receive":
                assert isinstance(extra, int)
                book.receive(
                    Lot(
                        f"L{number}",
                        sku,
                        store,
                        now,
                        now + timedelta(hours=extra),
                        amount,
                        Money.of(1),
                    )
                )
            elif action == "sell":
                before = {s.lot.key: s.on_hand for s in lots}
                used = book.sell(store, sku, amount, now, Money.of(3))
                sales.append((now, before, [a.lot for a in used]))
            elif lots:
                target = lots[number % len(lots)].lot.key
                if action == "remove":
                    assert isinstance(extra, EntryKind)
                    book.remove(target, extra, amount, now)
                else:
                    book.count(target, amount, now)
        except NotSellable:
            pass
    return sales


@settings(max_examples=300, deadline=None)
@given(steps)
def test_on_hand_is_the_ledger_sum_and_never_negative(
    plan: list[tuple[tuple[object, ...], int]],
) -> None:
    book = StockBook(PRODUCTS, LadderPolicy(default=LADDER))
    run(book, plan)
    for key in book.lots:
        entries = [e for e in book.entries if e.lot == key]
        assert book.on_hand(key) == on_hand(entries)
        assert book.on_hand(key) >= 0
        # ... and at every point in time, not only at the end
        running = Decimal(0)
        for entry in entries:
            running += entry.quantity
            assert running >= 0


@settings(max_examples=300, deadline=None)
@given(steps)
def test_expired_or_pulled_stock_is_never_sold(plan: list[tuple[tuple[object, ...], int]]) -> None:
    book = StockBook(PRODUCTS, LadderPolicy(default=LADDER))
    run(book, plan)
    for entry in book.entries:
        if entry.kind is EntryKind.SALE:
            lot = book.lots[entry.lot]
            assert entry.occurred_at < lot.expires_at
            assert LADDER.is_sellable(lot.expires_at, entry.occurred_at)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_sales_respect_fefo(plan: list[tuple[tuple[object, ...], int]]) -> None:
    book = StockBook(PRODUCTS, LadderPolicy(default=LADDER))
    for at, before, used in run(book, plan):
        last = max(
            fefo_key(s) for s in book.stock(used[0].location_code, used[0].sku) if s.lot.key in used
        )
        for key, held in before.items():
            lot = book.lots[key]
            sellable = held > 0 and LADDER.is_sellable(lot.expires_at, at)
            earlier = fefo_key(LotStock(lot, held)) < last
            if sellable and earlier:
                # every sellable lot that expires sooner than the last lot used was emptied
                assert key in used
                sold_here = -sum(
                    e.quantity
                    for e in book.entries
                    if e.lot == key and e.kind is EntryKind.SALE and e.occurred_at == at
                )
                assert sold_here >= held
