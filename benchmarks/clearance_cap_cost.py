"""What the 20 % clearance cap costs our optimiser, against what it costs the bound.

    python benchmarks/clearance_cap_cost.py [--series 300] [--days 7]

The clairvoyant bounds of ``clearance_sim.py`` say that keeping the floor and
the cap costs a policy that knows the future 0–7 % of its profit in most
cells. That bound relaxes the cap (to shares of a period) and knows which
lots will be left over, so it says little about what the cap costs a policy
that has to guess. This runs, on the same whole stores (drawn as in
``clearance_sim.py``, seed 0, until at least ``--series`` series are in) and
the same cells, the policies without guardrails (no markdown, the last-day
sticker, the seed's tiers), our optimiser under the cap, and our optimiser
with the cap lifted (every other guardrail kept: floor, steps, no increase,
changes a day), and the two clairvoyant bounds. Our optimiser forecasts with
the 7-day mean here (``clearance_sim.py --forecast window``). A diagnostic: the cap is a
brand rule and our plans keep it. Results:
``results/clearance_cap_cost.md`` and ``.json`` with the command.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from clearance_sim import (
    POLICIES,
    SEED_DAYS,
    bounds,
    cells,
    freshretail,
    results_head,
    save_results,
    summary,
    whole_stores,
)
from shelfpilot.simulation.engine import Setting, run
from shelfpilot.simulation.replay import DemandReplay

RUNS = ("none", "sticker", "seed_rules", "ours", "ours_no_cap")
_REPLAY: DemandReplay | None = None


def _job(args: tuple[str, Setting, str]) -> tuple[str, str, dict[str, Any], Any]:
    cell, setting, name = args
    assert _REPLAY is not None
    if name == "ours_no_cap":
        setting = replace(setting, guardrails=replace(setting.guardrails, exposure_cap=1.0))
    start = time.perf_counter()
    tally = run(_REPLAY, setting, POLICIES[name.removesuffix("_no_cap")](None))
    return cell, name, summary(tally, setting, time.perf_counter() - start), tally.orders


def _bounds(setting: Setting, orders: Any) -> dict[str, float]:
    assert _REPLAY is not None
    return {
        "clairvoyant" + suffix: float(bound.profit.sum())
        for suffix, bound, _ in bounds(_REPLAY, setting, orders)
    }


def main() -> int:
    global _REPLAY
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results"))
    args = parser.parse_args()
    console = Console()
    path = freshretail(console, args.data)
    if path is None:
        return 0
    _REPLAY = whole_stores(path, args.series)
    first = _REPLAY.hourly.shape[1] - max(args.days, SEED_DAYS) - 4
    grid = cells(args.days, first)
    jobs = [(c, s, p) for c, s in grid.items() for p in RUNS]
    results: dict[str, dict[str, Any]] = {c: {} for c in grid}
    orders: dict[str, Any] = {}
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("fork")) as pool:
        for cell, name, row, ords in pool.map(_job, jobs):
            results[cell][name] = row
            if name == "none":
                orders[cell] = ords
            console.print(f"  {cell} / {name}: {row['seconds']:.0f} s")
    for cell, setting in grid.items():
        rows = results[cell]
        rows["bounds"] = _bounds(setting, orders[cell])
        rows["cap_cost_ours"] = _cost(rows["ours"]["profit"], rows["ours_no_cap"]["profit"])
        free, kept = rows["bounds"]["clairvoyant"], rows["bounds"]["clairvoyant_guardrails"]
        rows["guardrail_cost_bound"] = _cost(kept, free)
    console.print(
        save_results(args.output, "clearance_cap_cost", path, _REPLAY, {"results": results}, render)
    )
    return 0


def render(payload: dict[str, Any]) -> str:
    head = ["cell", *RUNS, "the cap costs ours", "the guardrails cost the bound"]
    title = "What the clearance cap costs: our optimiser with and without it"
    lines = [
        *results_head(title, payload, __doc__),
        "Gross profit in list-price units (waste share; mean share of displayed "
        "products on clearance). A cost is a share of the profit without the rule, "
        "or the difference in profit when either is not above zero:",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for cell, rows in payload["results"].items():
        parts = [cell]
        for name in RUNS:
            r = rows[name]
            parts.append(
                f"{r['profit']:,.1f} ({100 * r['waste_share']:.1f} %; "
                f"{100 * r['clearance_exposure']:.0f} %)"
            )
        parts += [_share(rows["ours"]["profit"], rows["ours_no_cap"]["profit"])]
        parts += [_share(rows["bounds"]["clairvoyant_guardrails"], rows["bounds"]["clairvoyant"])]
        lines.append("| " + " | ".join(parts) + " |")
    return "\n".join(lines) + "\n"


def _cost(kept: float, without: float) -> float | None:
    """What a rule costs as a share of the profit without it; None when either
    profit is not above zero (a share of it would say nothing)."""
    return 1 - kept / without if kept > 0 and without > 0 else None


def _share(kept: float, without: float) -> str:
    cost = _cost(kept, without)
    return f"{without - kept:,.1f} (profit)" if cost is None else f"{100 * cost:.1f} %"


if __name__ == "__main__":
    raise SystemExit(main())
