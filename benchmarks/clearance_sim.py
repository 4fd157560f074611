"""Clearance policies in the perishable simulator, on real FreshRetailNet demand.

Whole stores are drawn (seed 0) from ``train.parquet`` until at least
``--series`` store × product series are in (so the 20 % clearance cap counts a
store's real assortment); ``--sample`` uses the 1,000-series sample instead.
Price response is fitted on the same rows (``pricing.response``); the replay
is latent hourly demand at list price (``simulation.replay``). Then, cell by
cell (shelf life 1, 2, 3 days x stocking 1.2, 1.6, 2.0 days of cover) and in
the seed's case (demand drops 40 % while 5-day lots are on the shelf), every
policy runs on the same series. Then the clairvoyant bounds
(``simulation.clairvoyant``, LPs) are solved on the common orders and again
on each ordering policy's own orders (the bound that policy is compared with):
"clairvoyant" may use every price any policy uses and knows no guardrails;
"clairvoyant_guardrails" keeps the ladder down to the floor and the 20 %
clearance cap per store (relaxed to shares of a period), so our policies'
share of it says how much of what the guardrails leave they earn, and the gap
between the two bounds is what the guardrails cost.

Money is in list-price units: list 1.0, unit cost 0.5, disposal 0.05, donation
value 0.1 a unit, brand dilution 10 % of the discount given (assumptions; the
data has no prices or costs).

"ours_channels" is our optimiser with actions and channels
(``simulation.outlets``): what the markdown plan still expects to be left is
offered to a store's member push, corporate tea-break orders, group-buy
leaders, a Friday livestream, partner cafés, a surplus app, an evening blind
box at 40 % and the food bank, each sized as a share of the store's daily
unit sales, with an assumed sell-through, price ratio and logistics cost; a
share of channel sales is taken from the store's own demand from the hour of
the decision on (served, not lost). The
data has no channel history, so these are assumptions (listed in the results
file); the clairvoyant bound knows no channels, so that policy's share of it
is for reference only. "ours_all" is the whole engine: our optimiser, actions
and channels, and our shrink-aware ordering, which learns from each lot's
outcome (channel sales included) what clearance recovers; its bound
("clairvoyant_all") is solved on its own orders and knows no channels either.

Our policies forecast as the engine does (``--forecast model``, the default):
``GlobalDemandModel`` fitted on the days before the window, then told each
day's demand and asked for the days ahead every morning
(``simulation.outlook``), with the promotions and public holidays known
ahead. The rule policies and the common orders go by the 7-day mean, as the
stocking levels are days of cover of it; ``--forecast window`` gives our
policies the 7-day mean too.

Data: FreshRetailNet-50K, Dingdong-Inc, CC-BY-4.0 (arXiv 2505.16319). Run from
the project root::

    python benchmarks/clearance_sim.py [--sample] [--series 1000] [--days 28]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from shelfpilot import config
from shelfpilot.domain.guardrails import PriceLadder
from shelfpilot.forecast.frames import FRESHRETAIL, FRESHRETAIL_SAMPLE, RENAMES
from shelfpilot.pricing.response import fit_price_response
from shelfpilot.simulation.clairvoyant import Bound, clairvoyant
from shelfpilot.simulation.engine import Policy, Setting, Tally, demand_seen, run
from shelfpilot.simulation.outlets import CANNIBALISED, OUTLETS, WithChannels
from shelfpilot.simulation.outlook import Outlook, model_outlook
from shelfpilot.simulation.policies import (
    NoMarkdown,
    Optimiser,
    last_day_sticker,
    seed_tiers,
)
from shelfpilot.simulation.replay import DemandReplay, build_replay

LEVELS = ["first_category_id", "second_category_id", "third_category_id"]
#: each policy, given the outlook our policies forecast with (None: the 7-day mean)
POLICIES: dict[str, Callable[[Outlook | None], Policy]] = {
    "none": lambda _: NoMarkdown(),
    "sticker": lambda _: last_day_sticker(),
    "seed_rules": lambda _: seed_tiers(),
    "ours": lambda o: Optimiser(outlook=o),
    "ours_channels": lambda o: WithChannels(inner=Optimiser(outlook=o)),
    "ours_ordering": lambda o: Optimiser(ordering=True, outlook=o),
    "ours_all": lambda o: WithChannels(
        inner=Optimiser(ordering=True, outlook=o),
        name="our optimiser + actions + channels + ordering",
    ),
}
OURS = ("ours", "ours_channels", "ours_ordering", "ours_all")
#: the bound each ordering policy is compared with, solved on its own orders
OWN_BOUND = {"ours_ordering": "clairvoyant_ordering", "ours_all": "clairvoyant_all"}
RULES = ("sticker", "seed_rules")
#: every price a compared policy uses (the seed's 0.69 and 0.4 included)
RULE_RATIOS = (1.0, 0.95, 0.9, 0.8, 0.7, 0.69, 0.6, 0.5, 0.4)
CITATION = (
    "FreshRetailNet-50K, Dingdong-Inc, CC-BY-4.0 (arXiv:2505.16319), "
    "https://huggingface.co/datasets/Dingdong-Inc/FreshRetailNet-50K"
)
#: the seed's case runs this many days whatever --days says
SEED_DAYS = 14
_REPLAY: DemandReplay | None = None
#: the outlook of each demand path (``outlook_key``), made before the workers start
_OUTLOOKS: dict[tuple[int, float, int], Outlook] = {}


def load(path: Path, series: int | None) -> pd.DataFrame:
    if series is not None:
        keys = pq.read_table(path, columns=["store_id", "product_id"]).to_pandas()
        sizes = keys.drop_duplicates().groupby("store_id").size()
        order = sizes.sample(frac=1.0, random_state=0)
        stores = order.index[: int(np.searchsorted(order.cumsum().to_numpy(), series)) + 1]
        frame = pd.read_parquet(path, filters=[("store_id", "in", list(stores))])
    else:
        frame = pd.read_parquet(path)
    frame = frame.rename(columns=RENAMES)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["unique_id"] = frame["store_id"].astype(str) + "/" + frame["product_id"].astype(str)
    return frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def freshretail(console: Console, data: Path | None, *, sample: bool = False) -> Path | None:
    """FreshRetailNet-50K's ``train.parquet`` (or the 1,000-series sample),
    or None after saying where it was looked for: every clearance benchmark
    skips the same way when the data is missing."""
    name = FRESHRETAIL_SAMPLE if sample else FRESHRETAIL
    path = config.dataset(name, data)
    if path is None:
        where = data or "SHELFPILOT_DATA (default ../shared/data)"
        console.print(f"[yellow]skipped: FreshRetailNet-50K {name} not found under {where}")
    return path


def whole_stores(path: Path, series: int) -> DemandReplay:
    """The replay of whole stores drawn as ``load`` draws them, with the
    price response fitted on the same rows (what the diagnostic benchmarks
    run on)."""
    frame = load(path, series)
    return build_replay(frame, fit_price_response(frame, LEVELS))


def outlook_key(setting: Setting) -> tuple[int, float, int]:
    """What an outlook depends on: the window's first day and the demand path."""
    return setting.first_day, setting.demand_drop, setting.drop_day


def make_outlooks(
    console: Console, replay: DemandReplay, frame: pd.DataFrame, settings: list[Setting]
) -> dict[tuple[int, float, int], Outlook]:
    """One model outlook per demand path among ``settings`` (``simulation.outlook``)."""
    horizon = max(s.shelf_life_days for s in settings) + 1
    out: dict[tuple[int, float, int], Outlook] = {}
    for setting in settings:
        key = outlook_key(setting)
        if key not in out:
            start = time.perf_counter()
            out[key] = model_outlook(replay, setting, frame, horizon=horizon)
            console.print(f"forecasts for demand x {setting.demand_drop:g}: "
                          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return out


def save_results(
    output: Path,
    benchmark: str,
    path: Path,
    replay: DemandReplay,
    extra: dict[str, Any],
    render: Callable[[dict[str, Any]], str],
) -> str:
    """Write a diagnostic benchmark's results (``benchmark``.json and .md in
    ``output``) with the command that made them, the date and the data;
    ``extra`` follows those. Returns the Markdown."""
    payload = {
        "benchmark": benchmark,
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"file": path.name, "series": len(replay.ids), "citation": CITATION},
        "stores": len(np.unique(replay.stores)),
        **extra,
    }
    markdown = render(payload)
    output.mkdir(parents=True, exist_ok=True)
    (output / f"{benchmark}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (output / f"{benchmark}.md").write_text(markdown)
    return markdown


def results_head(title: str, payload: dict[str, Any], doc: str | None) -> list[str]:
    """The opening lines of a diagnostic benchmark's Markdown: its title, the
    command, date and data ``save_results`` recorded, and what it does."""
    return [
        f"# {title}",
        "",
        f"- command: `{payload['command']}`",
        f"- date: {payload['date']}; {payload['data']['series']:,} series in "
        f"{payload['stores']} stores; {payload['data']['citation']}",
        "",
        (doc or "").strip(),
        "",
    ]


def cells(days: int, first: int) -> dict[str, Setting]:
    out = {
        f"life {life} d, cover {cover}": Setting(
            shelf_life_days=life, cover_days=cover, first_day=first, days=days
        )
        for life in (1, 2, 3)
        for cover in (1.2, 1.6, 2.0)
    }
    out["seed's case: demand -40 %, 5-day life"] = Setting(
        shelf_life_days=5, cover_days=1.0, first_day=first, days=SEED_DAYS, demand_drop=0.6
    )
    return out


def _job(args: tuple[str, Setting, str]) -> tuple[str, str, dict[str, Any], dict[int, Any]]:
    cell, setting, policy = args
    assert _REPLAY is not None
    start = time.perf_counter()
    tally = run(_REPLAY, setting, POLICIES[policy](_OUTLOOKS.get(outlook_key(setting))))
    return cell, policy, summary(tally, setting, time.perf_counter() - start), tally.orders


def summary(t: Tally, s: Setting, seconds: float) -> dict[str, Any]:
    e = s.economics
    ordered, sold = float(t.ordered.sum()), float(t.sold.sum())
    profit = (
        float(t.revenue.sum())
        + e.donation_value * float(t.donated.sum())
        - e.disposal_cost * float(t.wasted.sum())
        - e.unit_cost * ordered
        - float(t.channel_costs.sum())
    )
    return {
        "ordered": ordered,
        "sold_share": sold / ordered,
        "waste_share": float(t.wasted.sum()) / ordered,
        "donated_share": float(t.donated.sum()) / ordered,
        "cleared_share": (sold + float(t.donated.sum())) / ordered,
        "profit": profit,
        "avg_price_ratio": float(t.revenue.sum()) / (sold * e.list_price) if sold else 1.0,
        "discount_depth": float(t.discount_given.sum()) / sold if sold else 0.0,
        "clearance_exposure": float(np.mean(t.exposure)) if t.exposure else 0.0,
        "clearance_exposure_max": float(np.max(t.exposure)) if t.exposure else 0.0,
        "lost_share": float(t.lost.sum()) / max(float(t.demand.sum()), 1e-12),
        "channel_share": float(t.channel_sold.sum()) / ordered,
        "seconds": seconds,
    }


def main() -> int:
    global _REPLAY
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--forecast", choices=("model", "window"), default="model")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    console = Console()
    path = freshretail(console, args.data, sample=args.sample)
    if path is None:
        return 0
    t0 = time.perf_counter()
    frame = load(path, None if args.sample else args.series)
    response = fit_price_response(frame, LEVELS)
    _REPLAY = build_replay(frame, response)
    n_days = _REPLAY.hourly.shape[1]
    first = n_days - max(args.days, SEED_DAYS) - 4
    prep = time.perf_counter() - t0
    console.print(
        f"{len(_REPLAY.ids):,} series in {len(np.unique(_REPLAY.stores))} stores, "
        f"{n_days} days; window from day {first}; prepared in {prep:.0f} s"
    )
    grid = cells(args.days, first)
    _OUTLOOKS.clear()
    if args.forecast == "model":
        _OUTLOOKS.update(make_outlooks(console, _REPLAY, frame, list(grid.values())))
    jobs = [(c, s, p) for c, s in grid.items() for p in POLICIES]
    results: dict[str, dict[str, Any]] = {c: {} for c in grid}
    orders: dict[tuple[str, str], Any] = {}
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("fork")) as pool:
        for cell, policy, row, ords in pool.map(_job, jobs):
            results[cell][policy] = row
            orders[(cell, policy)] = ords
            console.print(f"  {cell} / {policy}: {row['seconds']:.0f} s")
    for cell, setting in grid.items():
        bound_rows(results[cell], setting, orders, cell)
    payload = {
        "benchmark": "clearance_sim",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "forecast": args.forecast,
        "data": {"file": path.name, "series": len(_REPLAY.ids), "citation": CITATION},
        "elasticities": response.table().to_dict(orient="records"),
        "channels": {
            "cannibalised": CANNIBALISED,
            "outlets": [
                {
                    "code": o.code,
                    "share_of_store_daily_units": o.share,
                    "window": str(o.window),
                    "sell_through": o.sell_through,
                    "price_ratio": o.price_ratio,
                    "logistics_of_list": o.logistics,
                    "min_hours_left": o.min_hours_left,
                }
                for o in OUTLETS
            ],
        },
        "results": results,
        "targets": targets(results),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    stem = f"clearance_sim_{'sample' if args.sample else 'full'}"
    (args.output / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (args.output / f"{stem}.md").write_text(render(payload))
    show(console, results)
    console.print(f"written: {args.output / stem}.md / .json")
    return 0


def bound_rows(
    rows: dict[str, dict[str, Any]],
    setting: Setting,
    orders: dict[tuple[str, str], Any],
    cell: str,
) -> None:
    """The clairvoyant bounds of a cell, on the common orders and on the
    ordering policies' own (a bound needs the same orders): with every price any
    policy uses, and within the brand's guardrails (the ladder down to the
    floor, the clearance cap per store); then each policy's share of them."""
    assert _REPLAY is not None
    for source, name in (("none", "clairvoyant"), *OWN_BOUND.items()):
        for suffix, bound, seconds in bounds(_REPLAY, setting, orders[(cell, source)]):
            ordered = rows[source]["ordered"]
            rows[name + suffix] = {
                "profit": float(bound.profit.sum()),
                "sold_share": float(bound.sold.sum()) / ordered,
                "waste_share": float(bound.wasted.sum()) / ordered,
                "donated_share": float(bound.donated.sum()) / ordered,
                "seconds": seconds,
            }
    for policy, row in rows.items():
        if policy.startswith("clairvoyant"):
            continue
        ref = OWN_BOUND.get(policy, "clairvoyant")
        row["share_of_clairvoyant"] = row["profit"] / rows[ref]["profit"]
        if policy in OURS:
            row["share_within_guardrails"] = row["profit"] / rows[ref + "_guardrails"]["profit"]


def bounds(
    replay: DemandReplay, setting: Setting, orders: dict[int, Any]
) -> Iterator[tuple[str, Bound, float]]:
    """The two clairvoyant bounds on ``orders``, with the seconds each took:
    "" may use every price any policy uses and knows no guardrails;
    "_guardrails" keeps the ladder down to the floor and the clearance cap."""
    demand = demand_seen(replay, setting)
    g = setting.guardrails
    ladder = [r for r in PriceLadder().ratios if r >= g.floor - 1e-9]
    for suffix, ratios, cap in (("", RULE_RATIOS, None), ("_guardrails", ladder, g.exposure_cap)):
        start = time.perf_counter()
        bound = clairvoyant(
            demand, replay.elasticity, orders, setting, ratios,
            stores=replay.stores, exposure_cap=cap,
        )  # fmt: skip
        yield suffix, bound, time.perf_counter() - start


def targets(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, bool | float]]]:
    """The issue's targets for each of our policies, cell by cell."""
    out: dict[str, dict[str, dict[str, bool | float]]] = {}
    for cell, rows in results.items():
        none, sticker = rows["none"], rows["sticker"]
        out[cell] = {}
        for name in OURS:
            ours = rows[name]
            cut = (
                1 - ours["waste_share"] / sticker["waste_share"] if sticker["waste_share"] else 0.0
            )
            out[cell][name] = {
                "no_harm": ours["profit"] >= none["profit"],
                "waste_cut_vs_sticker": cut,
                "beats_every_rule": all(ours["profit"] > rows[r]["profit"] for r in RULES),
                "share_of_clairvoyant": ours["share_of_clairvoyant"],
                "share_within_guardrails": ours["share_within_guardrails"],
            }
    return out


COLUMNS = [
    ("sold %", "sold_share"),
    ("waste %", "waste_share"),
    ("donated %", "donated_share"),
    ("profit", "profit"),
    ("% of clairvoyant", "share_of_clairvoyant"),
    ("% of clairvoyant in guardrails", "share_within_guardrails"),
    ("avg price ratio", "avg_price_ratio"),
    ("discount depth %", "discount_depth"),
    ("on clearance % (mean)", "clearance_exposure"),
    ("lost sales %", "lost_share"),
    ("via channels %", "channel_share"),
    ("s", "seconds"),
]


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if key in ("profit", "seconds"):
        return f"{v:,.1f}"
    if key == "avg_price_ratio":
        return f"{v:.3f}"
    return f"{100 * v:.1f}"


def table_rows(rows: dict[str, Any]) -> list[list[str]]:
    return [[p] + [_fmt(k, r.get(k)) for _, k in COLUMNS] for p, r in rows.items()]


def show(console: Console, results: dict[str, dict[str, Any]]) -> None:
    for cell, rows in results.items():
        table = Table(title=cell)
        for head in ["policy", *(c for c, _ in COLUMNS)]:
            table.add_column(head)
        for row in table_rows(rows):
            table.add_row(*row)
        console.print(table)


def render(payload: dict[str, Any]) -> str:
    head = ["policy", *(c for c, _ in COLUMNS)]
    parts = [
        "# Clearance simulator: FreshRetailNet-50K demand",
        "",
        f"- command: `{payload['command']}`",
        f"- date: {payload['date']}; {payload['cores']} cores",
        f"- data: {payload['data']['file']}, {payload['data']['series']:,} series; "
        f"{payload['data']['citation']}",
        f"- our policies' forecast: {payload.get('forecast', 'window')}",
        "",
        (__doc__ or "").split("Data:")[0].strip(),
        "",
        "Channels assumed (share of the store's daily units; sell-through; price ratio; "
        f"logistics; life needed); cannibalised share {payload['channels']['cannibalised']:.0%}:",
        "",
        *(
            f"- {o['code']}: {o['share_of_store_daily_units']:.0%}, {o['window']}, "
            f"{o['sell_through']:.0%}, {o['price_ratio']:.0%} of list, "
            f"{o['logistics_of_list']:.2f}, {o['min_hours_left']:.0f} h"
            for o in payload["channels"]["outlets"]
        ),
        "",
    ]
    for cell, rows in payload["results"].items():
        parts += [f"## {cell}", "", "| " + " | ".join(head) + " |"]
        parts += ["|" + "---|" * len(head)]
        parts += ["| " + " | ".join(r) + " |" for r in table_rows(rows)]
        free, kept = rows["clairvoyant"]["profit"], rows["clairvoyant_guardrails"]["profit"]
        parts += [
            "",
            f"The guardrails (floor, clearance cap) cost about {100 * (1 - kept / free):.1f} % "
            "of the clairvoyant profit on the common orders (the relaxed cap understates it).",
            "",
        ]
        for name, t in payload["targets"][cell].items():
            parts += [
                f"Targets, {name}: no harm {'yes' if t['no_harm'] else 'NO'}; waste cut vs "
                f"sticker {100 * t['waste_cut_vs_sticker']:.1f} %; beats every rule "
                f"{'yes' if t['beats_every_rule'] else 'NO'}; share of clairvoyant "
                f"{100 * t['share_of_clairvoyant']:.1f} % (within the guardrails "
                f"{100 * t['share_within_guardrails']:.1f} %)",
                "",
            ]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
