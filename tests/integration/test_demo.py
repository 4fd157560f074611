"""The demo bakery, built into real SQLite files from the real Bread Basket data.

Most tests use the first two weeks (a few seconds); one replays the whole
history (about 30 s) because "no real sale ever fails" is only proven by
replaying every basket.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from shelfpilot.demo import BUNDLED, bakery, baskets, find_source, read_lines
from shelfpilot.domain import Conflict, EntryKind, InvalidValue, LotKey
from shelfpilot.domain.lots import Lot
from shelfpilot.services import stock_views
from shelfpilot.services.demo import ZONE, DemoSummary, build_demo, local, sale_reference
from shelfpilot.storage import Database, LedgerRecord

SHORT = date(2016, 11, 13)  # two weeks: daily and weekly lots, expiries, disposals
FAR = datetime(2030, 1, 1, tzinfo=ZONE)


def _build(path: Path, until: date | None = SHORT, **more: object) -> tuple[Database, DemoSummary]:
    db = Database(f"sqlite:///{path}")
    return db, build_demo(db, until=until, **more)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def short_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    db, summary = _build(tmp_path_factory.mktemp("demo") / "demo.db")
    yield db, summary
    db.close()


def _ledger_and_lots(db: Database) -> tuple[list[LedgerRecord], dict[LotKey, Lot]]:
    with db.transaction(readonly=True) as uow:
        records = uow.stock.ledger()
        views = uow.stock.lots_with_totals(FAR, open_only=False)
    return records, {v.lot.key: v.lot for v in views}


def check_invariants(db: Database, summary: DemoSummary) -> None:
    records, lots = _ledger_and_lots(db)
    entries = [r.entry for r in records]
    by_kind: dict[EntryKind, Decimal] = defaultdict(Decimal)
    for e in entries:
        by_kind[e.kind] += e.quantity

    # every real basket of the period has each stocked line recorded, in full
    end = local(summary.last_day + timedelta(days=1), bakery.PRODUCTION_TIME)
    expected: Counter[tuple[str, str]] = Counter()
    for basket in baskets(read_lines(find_source())):
        if local(basket.day, basket.time) >= end:
            continue
        for item, units in basket.items:
            stocked = bakery.stocked(item)
            if stocked is not None:
                expected[(sale_reference(basket.transaction), stocked.sku)] += units
    recorded: Counter[tuple[str, str]] = Counter()
    for e in entries:
        if e.kind == EntryKind.SALE:
            assert e.reference is not None
            recorded[(e.reference, e.lot.sku)] += int(-e.quantity)
    assert recorded == expected
    assert summary.sales_lines == len(expected)
    assert summary.baskets == len({ref for ref, _ in expected})

    # the summary adds up to the ledger
    assert summary.sold_units == -by_kind[EntryKind.SALE]
    assert summary.disposed_units == -by_kind[EntryKind.DISPOSAL]
    assert summary.produced_units == by_kind[EntryKind.RECEIPT]
    assert summary.sale_entries == sum(1 for e in entries if e.kind == EntryKind.SALE)
    assert summary.lots == len(lots)
    assert set(by_kind) == {EntryKind.RECEIPT, EntryKind.SALE, EntryKind.DISPOSAL}

    # no lot ever goes negative, in time order
    running: dict[LotKey, Decimal] = defaultdict(Decimal)
    for record in sorted(records, key=lambda r: (r.entry.occurred_at, r.entry_id)):
        running[record.entry.lot] += record.entry.quantity
        assert running[record.entry.lot] >= 0, record

    # nothing sold from an expired or pulled lot; disposal only once expired
    policy = bakery.ladder_policy()
    categories = {s.sku: s.category for s in bakery.STOCKED}
    for e in entries:
        lot = lots[e.lot]
        assert e.occurred_at >= lot.received_at
        if e.kind == EntryKind.SALE:
            ladder = policy.for_sku(lot.sku, categories[lot.sku])
            assert e.occurred_at < lot.expires_at, e
            assert ladder.is_sellable(lot.expires_at, e.occurred_at), e
        if e.kind == EntryKind.DISPOSAL:
            assert lot.expires_at <= e.occurred_at < lot.expires_at + timedelta(days=1), e

    # the lifecycle table's on-hand is the ledger's sum, at the default view and at the end
    for as_of in (summary.default_as_of, FAR):
        sums: dict[LotKey, Decimal] = defaultdict(Decimal)
        for e in entries:
            if e.occurred_at <= as_of:
                sums[e.lot] += e.quantity
        rows = stock_views.lifecycle_table(db, as_of, open_only=False)
        assert len(rows) == len(sums)
        for row in rows:
            key = LotKey(row.location_code, row.sku, row.lot_code)
            assert row.on_hand == sums[key] >= 0
            assert row.quantity_in - row.sold - row.removed == row.on_hand


def test_short_demo_keeps_the_ledger_invariants(short_demo: tuple[Database, DemoSummary]) -> None:
    db, summary = short_demo
    assert (summary.first_day, summary.last_day, summary.days) == (date(2016, 10, 30), SHORT, 15)
    assert summary.location == "BB-EDI"
    assert summary.products == len(bakery.STOCKED)
    assert summary.default_as_of == datetime(2016, 11, 13, 15, 0, tzinfo=ZONE)
    assert summary.disposed_units > 0 and summary.stage_changes > 0
    assert summary.baskets_not_stocked > 0  # coffee-only baskets are real, but not stock
    check_invariants(db, summary)


def test_lots_are_labelled_with_a_best_before_date(
    short_demo: tuple[Database, DemoSummary],
) -> None:
    db, _ = short_demo
    _, lots = _ledger_and_lots(db)
    made = datetime(2016, 11, 1, 6, 0, tzinfo=ZONE)
    bread = lots[LotKey("BB-EDI", "BB-BREAD", "20161101")]
    assert (bread.received_at, bread.produced_at) == (made, made)
    assert bread.expiry_is_date
    assert bread.expiry_date(ZONE) == date(2016, 11, 2)
    # a weekly lot: Monday's delivery of jam
    assert LotKey("BB-EDI", "BB-JAM", "20161031") in lots


def test_the_daily_run_flags_short_life_goods_by_the_hour(
    short_demo: tuple[Database, DemoSummary],
) -> None:
    db, summary = short_demo
    evening = datetime.combine(summary.last_day, time(18), tzinfo=ZONE)
    rows = stock_views.lifecycle_table(db, evening, open_only=False)
    stages = {(r.sku, r.lot_code): r.stage for r in rows}
    yesterday = f"{summary.last_day - timedelta(days=1):%Y%m%d}"
    today = f"{summary.last_day:%Y%m%d}"
    # bread made yesterday: best before today, so donate what is left at closing
    assert stages[("BB-BREAD", yesterday)] == "donation"
    # bread made today: best before tomorrow, flagged tonight for tomorrow's markdown
    assert stages[("BB-BREAD", today)] == "last_day"


def test_two_builds_are_identical(tmp_path: Path, short_demo: tuple[Database, DemoSummary]) -> None:
    db, summary = short_demo
    again, second = _build(tmp_path / "again.db")
    try:
        assert second == summary

        def content(d: Database) -> list[tuple[object, ...]]:
            records, _ = _ledger_and_lots(d)
            return [
                (
                    r.entry.lot,
                    r.entry.kind,
                    r.entry.quantity,
                    r.entry.occurred_at,
                    r.entry.reference,
                )
                for r in records
            ]

        assert content(again) == content(db)
    finally:
        again.close()


def test_runs_from_the_bundled_file_without_shared_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_demo: tuple[Database, DemoSummary]
) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("SHELFPILOT_DATA", str(empty))
    assert find_source() == BUNDLED
    phases: list[tuple[str, int, int]] = []
    db, summary = _build(tmp_path / "bundled.db", progress=lambda *p: phases.append(p))
    try:
        assert summary.source == str(BUNDLED)
        # the derived file holds the same baskets as the source: same demo
        assert summary == dataclasses.replace(short_demo[1], source=summary.source)
        assert phases[0] == ("read", 1, 1) and phases[1] == ("catalogue", 1, 1)
        assert phases[2:] == [("replay", n, 15) for n in range(1, 16)]
    finally:
        db.close()


def test_bundled_file_is_the_source_minus_dropped_lines() -> None:
    bundled = read_lines(BUNDLED)
    assert len(bundled) == 20_506 and len(baskets(bundled)) == 9_464
    assert BUNDLED.stat().st_size < 300_000
    assert not {"NONE", "Adjustment"} & {line.item for line in bundled}


def test_refuses_a_database_with_data_and_a_day_before_the_data(
    tmp_path: Path, short_demo: tuple[Database, DemoSummary]
) -> None:
    db, _ = short_demo
    with pytest.raises(Conflict, match="empty database"):
        build_demo(db, until=SHORT)
    fresh = Database(f"sqlite:///{tmp_path / 'early.db'}")
    try:
        with pytest.raises(InvalidValue, match="starts on 2016-10-30"):
            build_demo(fresh, until=date(2016, 10, 1))
    finally:
        fresh.close()


def test_every_till_item_is_classified() -> None:
    items = {line.item for line in read_lines(BUNDLED)}
    for item in items:
        bakery.stocked(item)  # raises for an item with no assumption
    assert len(bakery.STOCKED) + len(bakery.NOT_STOCKED_REASON) == len(items) == 93
    with pytest.raises(InvalidValue, match="no assumption"):
        bakery.stocked("Unicorn bun")


def test_full_history_replays_every_basket(tmp_path: Path) -> None:
    db, summary = _build(tmp_path / "full.db", until=None)
    try:
        assert (summary.first_day, summary.last_day) == (date(2016, 10, 30), date(2017, 4, 9))
        assert summary.baskets + summary.baskets_not_stocked == 9_464
        check_invariants(db, summary)
    finally:
        db.close()
