"""Forecasting use cases on the demo bakery (real Bread Basket sales) in a
real SQLite file: the sales history, the model file and expiry risk."""

from __future__ import annotations

import csv
import pickle
import re
import sqlite3
from collections import defaultdict
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from shelfpilot.api import i18n
from shelfpilot.api.routes.plans import line_out
from shelfpilot.channels import bakery_channels
from shelfpilot.clearance.blindbox import BoxSpec, violations
from shelfpilot.domain import EntryKind, InvalidValue, NotFound
from shelfpilot.domain.errors import Text
from shelfpilot.services import (
    blindboxes,
    catalog,
    clearance,
    expiry_risk,
    exports,
    forecasting,
    inventory,
    plans,
    production,
)
from shelfpilot.services import channels as channel_service
from shelfpilot.services.demo import ZONE, DemoSummary, build_demo, local
from shelfpilot.storage import Database
from tests.integration.demo_bakery import DEMO_UNTIL as UNTIL

#: the wording of the reasons' English templates (names of products are data, not wording)
ENGLISH_WORDING = re.compile(
    r"of list|would be left|expected gain|against keeping|tea-break|bundle at|instead of|\bnet\b"
)


def _ledger_sales(db: Database) -> dict[tuple[str, date], float]:
    """Units sold minus returned per SKU and London day, straight from the ledger."""
    totals: dict[tuple[str, date], float] = defaultdict(float)
    with db.transaction(readonly=True) as uow:
        for record in uow.stock.ledger():
            entry = record.entry
            if entry.kind in (EntryKind.SALE, EntryKind.RETURN):
                day = entry.occurred_at.astimezone(ZONE).date()
                totals[(entry.lot.sku, day)] -= float(entry.quantity)
    return totals


def test_sales_history_matches_the_ledger(demo: tuple[Database, DemoSummary]) -> None:
    db, summary = demo
    frame = forecasting.sales_history(db)
    assert list(frame.columns[:7]) == [
        "unique_id", "location", "sku", "ds", "y", "discount", "stockout"
    ]  # fmt: skip
    expected = _ledger_sales(db)
    got = {(sku, ds.date()): y for sku, ds, y in frame[["sku", "ds", "y"]].itertuples(index=False)}
    # every day with sales is there with the ledger's total; every other row is a zero
    for key, units in expected.items():
        assert got[key] == pytest.approx(units), key
    assert all(y == 0 for key, y in got.items() if key not in expected)
    assert frame["y"].sum() == pytest.approx(float(summary.sold_units))
    # spot checks on a few busy days, bread by London day
    for day in (date(2016, 11, 5), date(2016, 12, 1), date(2016, 12, 10)):
        assert got[("BB-BREAD", day)] == pytest.approx(expected[("BB-BREAD", day)])
        assert got[("BB-BREAD", day)] > 0
    assert (frame["unique_id"] == "BB-EDI/" + frame["sku"]).all()


def test_sales_history_is_a_complete_daily_panel(demo: tuple[Database, DemoSummary]) -> None:
    db, _ = demo
    frame = forecasting.sales_history(db)
    last = frame["ds"].max()
    for _, rows in frame.groupby("unique_id"):
        days = rows["ds"].sort_values()
        assert days.is_unique
        assert days.iloc[-1] == last
        assert (days.diff().dropna() == pd.Timedelta(days=1)).all()
    assert set(frame["stockout"].unique()) <= {0, 1}
    assert frame["discount"].between(0.01, 2).all()
    # the demo never sells out by design (it bakes 115 % of real sales), but
    # an item not made that day has nothing sellable at 20:00
    bread = frame[frame["sku"] == "BB-BREAD"]
    assert bread["stockout"].mean() < 0.2
    # cut-off by day
    short = forecasting.sales_history(db, until=date(2016, 11, 20))
    assert short["ds"].max() == pd.Timestamp(2016, 11, 20)
    assert short["y"].sum() < frame["y"].sum()


def test_expiry_risk_end_to_end(demo: tuple[Database, DemoSummary], tmp_path: Path) -> None:
    db, summary = demo
    path = tmp_path / "model.pkl"
    as_of = summary.default_as_of
    first = expiry_risk.expiry_risk(db, as_of, model_path=path)
    assert path.exists()
    assert any("trained and saved" in note for note in first.notes)
    with db.transaction(readonly=True) as uow:
        open_lots = {
            (v.lot.sku, v.lot.code): v.on_hand
            for v in uow.stock.lots_with_totals(as_of)
            if v.on_hand > 0
        }
    # the model learns from whole days: up to the day before the as-of day
    history = set(forecasting.sales_history(db, until=as_of.date() - timedelta(days=1))["sku"])
    rows = {(r.sku, r.lot_code): r for r in first.rows}
    assert rows, "no risk rows"
    assert set(rows) == {key for key in open_lots if key[0] in history}
    for key, row in rows.items():
        assert row.on_hand == open_lots[key]
        assert 0.0 <= row.p_sell_out <= 1.0
        assert Decimal(0) <= row.expected_left <= row.on_hand
        assert row.sellable_until.tzinfo is not None
        if row.expected_run_out is not None:
            assert row.p_sell_out >= 0.5 and row.expected_run_out >= as_of.date()
    # the saved model is loaded the second time, with the same answer
    again = expiry_risk.expiry_risk(db, as_of, model_path=path)
    assert not any("trained and saved" in note for note in again.notes)
    assert [(r.lot_code, r.p_sell_out) for r in again.rows] == [
        (r.lot_code, r.p_sell_out) for r in first.rows
    ]
    # a day later the model is brought up to date, not retrained
    later = expiry_risk.expiry_risk(db, as_of + timedelta(days=2), model_path=path)
    assert any("updated" in note for note in later.notes)


def test_expiry_risk_in_the_past_flags_slow_lots(demo: tuple[Database, DemoSummary]) -> None:
    db, _ = demo
    report = expiry_risk.expiry_risk(db, local(date(2016, 12, 10), datetime.min.time()))
    assert report.rows
    for w in report.warnings:
        assert w.p_sell_out < 0.5
    # weekly items leave sale 5-10 days later: some are flagged, daily bread never
    assert all(w.sku != "BB-BREAD" for w in report.warnings)


def test_demand_forecast(demo: tuple[Database, DemoSummary]) -> None:
    db, summary = demo
    report = forecasting.demand_forecast(db, summary.default_as_of, days=5, sku="BB-BREAD")
    assert report.first_day == UNTIL
    [bread] = report.series
    assert [d.day for d in bread.days] == [UNTIL + timedelta(days=i) for i in range(5)]
    for d in bread.days:
        assert 0 <= d.q10 <= d.mean <= d.q90
    assert bread.total_q10 <= bread.total_mean <= bread.total_q90
    assert 5 < bread.total_mean < 300  # the demo sells ~20 loaves a day


def test_export_risk(demo: tuple[Database, DemoSummary], tmp_path: Path) -> None:
    db, summary = demo
    path = tmp_path / "risk.csv"
    count = exports.export_risk(db, path, summary.default_as_of)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert count == len(rows) > 0
    assert {"p_sell_out", "expected_left", "warn"} <= set(rows[0])
    assert all(0 <= float(r["p_sell_out"]) <= 1 for r in rows)


def test_too_little_history_is_a_message(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.migrate()
    as_of = datetime(2016, 11, 5, 15, 0, tzinfo=ZONE)
    empty = expiry_risk.expiry_risk(db, as_of)
    assert empty.rows == [] and "no sales" in empty.notes[0]
    build_demo(db, until=date(2016, 11, 4))
    short = expiry_risk.expiry_risk(db, as_of, model_path=tmp_path / "m.pkl")
    assert short.rows == [] and "day(s) of sales history" in short.notes[0]
    assert not (tmp_path / "m.pkl").exists()
    with pytest.raises(forecasting.NotEnoughHistory):
        forecasting.train_forecaster(db, tmp_path / "m.pkl")
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a model")
    with pytest.raises(InvalidValue, match="not a ShelfPilot demand model"):
        forecasting.demand_forecast(db, as_of, model_path=bad)
    older = tmp_path / "older.pkl"
    older.write_bytes(pickle.dumps({"format": "shelfpilot-demand-model/1", "model": None}))
    with pytest.raises(InvalidValue, match=r"another version of ShelfPilot.*--retrain"):
        forecasting.demand_forecast(db, as_of, model_path=older)
    db.close()


def test_sales_history_uses_the_local_day(tmp_path: Path) -> None:
    """07:30 in Shanghai is 23:30 UTC the day before: the sale counts on the local day."""
    from shelfpilot.domain import Location, LocationKind
    from shelfpilot.services import catalog, inventory
    from tests.conftest import SHANGHAI, cake

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.migrate()
    catalog.save_locations(
        db,
        [
            Location("BR", "Brand", LocationKind.BRAND),
            Location("SZ-01", "Suzhou", LocationKind.STORE, "BR", "Asia/Shanghai"),
        ],
    )
    catalog.save_products(db, [cake()])
    start = datetime(2026, 11, 18, 7, 0, tzinfo=SHANGHAI)
    inventory.receive_lot(db, inventory.ReceiveLot("SZ-01", "CAKE", "L1", Decimal(10), start))
    for at, units, price in [
        (datetime(2026, 11, 18, 12, 0, tzinfo=SHANGHAI), 2, "28"),
        (datetime(2026, 11, 20, 7, 30, tzinfo=SHANGHAI), 3, "14"),
        (datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI), 1, "28"),
    ]:
        line = inventory.SaleLine(Decimal(units), "CAKE", Decimal(price))
        inventory.record_sale(db, inventory.RecordSale("SZ-01", (line,), at))
    frame = forecasting.sales_history(db).set_index("ds")
    assert list(frame.index.date) == [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
    assert list(frame["y"]) == [2, 0, 4]
    # (3 × 14 + 1 × 28) / 4 = 17.5 paid of 28 list; no sale → 1.0
    assert list(frame["discount"]) == pytest.approx([1.0, 1.0, 0.625])
    assert list(frame["stockout"]) == [0, 0, 0]
    db.close()


def test_markdown_proposals_keep_the_guardrails_and_write_nothing(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    with db.transaction(readonly=True) as uow:
        entries = len(uow.stock.ledger())
        floors = {p.sku: float(p.price_floor_ratio) for p in uow.catalog.products()}
    report = clearance.propose_markdowns(db, as_of, model_path=tmp_path / "m.pkl")
    assert report.proposals
    changed = [p for p in report.proposals if p.changes]
    assert changed, "a bakery at 15:00 has day-old lots to mark down"
    for p in report.proposals:
        assert p.ratio_now <= p.current_ratio + 1e-9
        assert p.ratio_now >= floors[p.sku] - 1e-9 or p.ratio_now == p.current_ratio
        assert Decimal(0) <= p.donate_now <= p.on_hand
        assert p.reason
        if p.ratio_now < p.current_ratio:
            assert f"{p.ratio_now:.0%} of list now" in p.reason
            assert p.price_now.amount == (p.list_price.rounded() * Decimal(str(p.ratio_now)))
    # the store's cap: new markdowns on at most 20 % of the products it shows
    shown = {p.sku for p in report.proposals}
    marked = {p.sku for p in report.proposals if p.ratio_now < p.current_ratio}
    assert len(marked) <= int(0.2 * len(shown))
    with db.transaction(readonly=True) as uow:
        assert len(uow.stock.ledger()) == entries


def test_a_stored_plan_is_made_once_and_refreshed_around_decisions(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    path = tmp_path / "m.pkl"
    first = plans.make_plan(db, as_of, actor="ann", model_path=path)
    assert first.made == 1 and len(first.plans) == 1
    plan = first.plans[0]
    changed = [
        p for p in clearance.propose_markdowns(db, as_of, model_path=path).proposals if p.changes
    ]
    markdowns = {line.lot.lot_code for line in plan.lines if line.action.value == "markdown"}
    assert markdowns == {p.lot_code for p in changed}
    again = plans.make_plan(db, as_of.replace(hour=16), actor="bob", model_path=path)
    assert again.made == 0 and again.plans[0] == plan  # the stored plan, as it was
    decided = plan.lines[0]
    assert decided.line_id is not None
    plans.decide(db, decided.line_id, "reject", actor="ann")
    fresh = plans.make_plan(db, as_of, actor="bob", model_path=path, refresh=True).plans[0]
    kept = [line for line in fresh.lines if line.lot == decided.lot]
    assert len(kept) == 1 and kept[0].status.value == "rejected"
    assert len(fresh.lines) == len(plan.lines)
    actions = [r.action for r in plans.audit_log(db)]
    assert actions.count("plan.make") == 1 and actions.count("plan.refresh") == 1


def test_products_that_keep_needing_clearance_get_a_shrink_aware_quantity(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    path = tmp_path / "m.pkl"
    advice = production.production_advice(db, summary.default_as_of, model_path=path)
    table = advice.table
    assert not table.empty, advice.notes
    # sandwiches are made every morning and their lots often end discounted,
    # donated or binned in the demo: the rule must flag them
    assert "BB-SANDWICH" in set(table["sku"])
    row = table.set_index("sku").loc["BB-SANDWICH"]
    assert row["recommended_per_day"] > 0 and 0.5 < row["service_level"] < 1
    # binning a left-over unit costs more → never hold more
    dearer = production.production_advice(
        db, summary.default_as_of, model_path=path, disposal_cost=5.0
    ).table
    both = table.merge(dearer, on=["location", "sku"], suffixes=("", "_dearer"))
    assert len(both) == len(table)
    assert (both["recommended_per_day_dearer"] <= both["recommended_per_day"] + 1e-9).all()
    assert (both["service_level_dearer"] < both["service_level"]).all()


def test_the_plan_sends_what_is_left_to_channels_within_capacity(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    as_of = summary.default_as_of.replace(hour=15, minute=0) + timedelta(days=-1)
    channel_service.install_defaults(db, actor="ann")
    report = plans.make_plan(db, as_of, actor="ann", model_path=tmp_path / "m.pkl")
    lines = report.plans[0].lines
    sent = [line for line in lines if line.action.value == "channel"]
    assert sent, "a bakery at 15:00 has leftovers worth sending somewhere"
    capacity = {c.code: c.window_capacity(c.windows[0]) for c in bakery_channels()}
    per_channel: dict[str, Decimal] = defaultdict(Decimal)
    runs: dict[str, int] = {}
    for line in sent:
        per_channel[line.detail["channel"]] += line.units
        start, end = (datetime.fromisoformat(line.detail[k]) for k in ("start", "end"))
        runs[line.detail["channel"]] = 1 if start.date() == end.date() else 2  # today, tomorrow
        assert line.units >= 1 and line.units == line.units.to_integral_value()  # pieces
    for code, units in per_channel.items():  # a member push: consenting reach, not 60
        assert units <= runs[code] * Decimal(repr(capacity[code])) + Decimal("0.001")
    # the food bank only gets lots with 48 h of life left
    with db.transaction(readonly=True) as uow:
        for line in sent:
            if line.detail["kind"] == "food_bank":
                start = datetime.fromisoformat(line.detail["start"])
                assert uow.stock.lot(line.lot).expires_at - start >= timedelta(hours=48)
    # each reason is kept with its wording, so every reader gets it in their language
    stored = plans.plans(db, day=report.plans[0].business_day)[0].lines
    assert {line.action.value for line in stored} >= {"markdown", "channel"}
    for line in stored:
        assert isinstance(line.reason, Text) and "_reason" not in line.detail
        zh = str(i18n.localize(line.reason, i18n.CHINESE))
        assert zh != str(line.reason) and not ENGLISH_WORDING.search(zh), zh
        assert line_out(line, i18n.CHINESE).reason == zh  # what the API answers in Chinese
        assert line_out(line, i18n.ENGLISH).reason == str(line.reason)
    english = " ".join(str(line.reason) for line in stored)
    assert "of list now" in english and "against keeping them" in english


def test_blind_boxes_from_last_hours_stock_are_fair(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    spec = BoxSpec(boxes=4, price=2.5, max_items=6)
    found = blindboxes.propose_blind_boxes(db, as_of, "BB-EDI", spec, model_path=tmp_path / "m.pkl")
    assert found.items, "a bakery at 15:00 has stock leaving sale within 24 h"
    assert all(item.hours_left is not None and item.hours_left <= 24 for item in found.items)
    assert violations(found.plan, found.items) == []
    assert found.plan.describe()
    # on a copy of the bakery: the demo records no allergens, so a nut-free box
    # takes nothing; once the catalog says which product has nuts, it takes the rest
    own = _copy(db, tmp_path)
    nut_free = replace(spec, exclude=frozenset({"坚果"}))
    blind = blindboxes.propose_blind_boxes(
        own, as_of, "BB-EDI", nut_free, model_path=tmp_path / "m.pkl"
    )
    assert blind.plan.boxes == () and "allergens not recorded" in blind.notes[-1]
    assert set(blind.plan.excluded) == {i.key for i in blind.items}
    nutty = found.items[0].sku
    catalog.save_products(own, [
        replace(p, allergens=frozenset({"Nuts", "milk"} if p.sku == nutty else set()))
        for p in catalog.products(own)
    ])  # fmt: skip
    again = blindboxes.propose_blind_boxes(
        own, as_of, "BB-EDI", nut_free, model_path=tmp_path / "m.pkl"
    )
    own.close()
    left_out = {i.key for i in again.items if i.sku == nutty}
    assert left_out and left_out == set(again.plan.excluded)  # the others may go in now
    assert all(key not in left_out for box in again.plan.boxes for key, _ in box.contents)
    assert violations(again.plan, again.items) == []


def test_the_cost_benefit_table_of_a_lot(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    db, summary = demo
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    path = tmp_path / "m.pkl"
    cut = next(
        p for p in clearance.propose_markdowns(db, as_of, model_path=path).proposals if p.changes
    )
    proposal, rows = clearance.cost_benefit_for(
        db, as_of, cut.location, cut.sku, cut.lot_code, model_path=path, promotion_cost=0.5
    )
    assert proposal.lot_code == cut.lot_code
    assert rows[0].ratio == pytest.approx(cut.current_ratio) and rows[0].net == 0.0
    assert all(r.promotion_cost == 0.5 for r in rows[1:])
    assert min(r.ratio for r in rows) >= 0.5 - 1e-9
    with pytest.raises(NotFound, match="no open lot"):
        clearance.cost_benefit_for(db, as_of, cut.location, cut.sku, "NO-SUCH-LOT", model_path=path)


def test_a_lot_repriced_twice_today_is_held_until_tomorrow(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    """The brand's limit of two price changes a lot a day: the plan holds a
    lot that had them and says why (on a copy of the bakery: it reprices)."""
    db, summary = _copy(demo[0], tmp_path), demo[1]
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    path = tmp_path / "m.pkl"
    cut = next(
        p
        for p in clearance.propose_markdowns(db, as_of, model_path=path).proposals
        if p.changes and p.current_ratio == 1.0
    )
    for hours, ratio in ((2, "0.95"), (1, "0.9")):
        price = (cut.list_price.amount * Decimal(ratio)).quantize(Decimal("0.01"))
        inventory.change_price(
            db,
            inventory.ChangePrice(
                cut.location, cut.sku, cut.lot_code, price, as_of - timedelta(hours=hours)
            ),
        )
    again = clearance.propose_markdowns(db, as_of, model_path=path).proposals
    held = next(p for p in again if (p.sku, p.lot_code) == (cut.sku, cut.lot_code))
    assert held.current_ratio == pytest.approx(0.9)
    assert held.ratio_now == held.current_ratio
    assert "no more price changes today (2 made)" in str(held.reason)


def test_a_lot_the_days_demand_warrants_keeps_its_price_until_the_days_sales_are_seen(
    demo: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    """At opening, a lot baked this morning that the day's demand warrants
    (with what a shrink-aware order would hold) is not marked down, and is
    marked as waiting (no channel is offered it), before a sale; in the
    afternoon, once the product has sold (from any lot), or with more stock
    than that, the plan decides as usual (on copies of the
    bakery: they sell and receive)."""
    db, summary = demo
    path = tmp_path / "m.pkl"
    opening = summary.default_as_of.replace(hour=6, minute=30)
    early = clearance.propose_markdowns(db, opening, model_path=path).proposals
    held = [p for p in early if str(p.reason).startswith("received today")]
    assert held, [str(p.reason) for p in early]
    assert all(not p.changes for p in held)
    # and no channel is offered what it may have left (test_channel_lines)
    assert all(p.waiting_for_sales for p in held)
    afternoon = summary.default_as_of.replace(hour=15)
    later = clearance.propose_markdowns(db, afternoon, model_path=path).proposals
    assert not [p for p in later if str(p.reason).startswith("received today")]
    assert not [p for p in later if p.waiting_for_sales]
    first = held[0]
    # one sale of the product, first-expired-first-out from an older lot if
    # it has one: the day's sales have begun, so the fresh lot is not held
    (tmp_path / "sold").mkdir()
    sold = _copy(db, tmp_path / "sold")
    one = inventory.SaleLine(quantity=Decimal(1), sku=first.sku)
    at = opening + timedelta(minutes=5)
    inventory.record_sale(sold, inventory.RecordSale(first.location, (one,), at))
    after = clearance.propose_markdowns(sold, opening + timedelta(minutes=10), model_path=path)
    mine = [p for p in after.proposals if (p.location, p.sku) == (first.location, first.sku)]
    assert mine and not [p for p in mine if str(p.reason).startswith("received today")]
    # far more of the product than the day needs: no longer held on that ground
    copy = _copy(db, tmp_path)
    inventory.receive_lot(
        copy,
        inventory.ReceiveLot(
            first.location, first.sku, "EXTRA", 50 * first.on_hand, opening - timedelta(minutes=20)
        ),
    )
    again = clearance.propose_markdowns(copy, opening, model_path=path).proposals
    mine = [p for p in again if p.sku == first.sku and p.location == first.location]
    assert mine and not [p for p in mine if str(p.reason).startswith("received today")]


def _copy(db: Database, tmp_path: Path) -> Database:
    """The module's demo bakery copied for a test that writes to it. The
    backup API, not a file copy: the demo runs in WAL mode, so recent writes
    may still be in the -wal file beside it."""
    copy = tmp_path / "copy.db"
    source = str(make_url(db.url).database)
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(copy)) as target:
        origin.backup(target)
    return Database(f"sqlite:///{copy}")
