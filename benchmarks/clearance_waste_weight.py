"""What weighing waste more costs or earns: the whole engine planning with a
higher cost per unit thrown away than the store pays.

    python benchmarks/clearance_waste_weight.py [--series 300] [--days 7] [--weights 0,0.25,0.5]

A brand may count a unit thrown away as costing more than its cost and its
haulage (a zero-waste pledge, the seed's 98 % cleared before expiry), and
tell the plans so through the disposal cost (``SHELFPILOT_DISPOSAL_COST``),
which the markdown plan, the channel allocation and the shrink-aware order
all weigh. This runs, on the same whole stores as ``clearance_sim.py``
(seed 0, until at least ``--series`` series are in) and a few of its cells,
no markdown, the last-day sticker and the whole engine (``ours_all``:
optimiser, actions, channels and ordering) planning with the benchmark's
disposal cost plus each weight in ``--weights`` (a share of list price).
Every run is scored with the benchmark's own money (list 1.0, unit cost 0.5,
disposal 0.05, donation 0.1): the weight changes the plans, not the books.
The whole engine forecasts with the engine's model, as in ``clearance_sim.py``.
Results: ``results/clearance_waste_weight.md`` and ``.json`` with the command.
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
    LEVELS,
    POLICIES,
    SEED_DAYS,
    cells,
    freshretail,
    load,
    make_outlooks,
    outlook_key,
    results_head,
    save_results,
    summary,
)
from shelfpilot.pricing.response import fit_price_response
from shelfpilot.simulation.engine import Setting, run
from shelfpilot.simulation.outlook import Outlook
from shelfpilot.simulation.replay import DemandReplay, build_replay

BASELINES = ("none", "sticker")
CELLS = (
    "life 1 d, cover 1.2",
    "life 2 d, cover 1.6",
    "life 3 d, cover 2.0",
    "seed's case: demand -40 %, 5-day life",
)
_REPLAY: DemandReplay | None = None
_OUTLOOKS: dict[tuple[int, float, int], Outlook] = {}


def _job(args: tuple[str, Setting, str, float]) -> tuple[str, str, dict[str, Any]]:
    cell, setting, policy, weight = args
    assert _REPLAY is not None
    e = setting.economics
    planning = replace(setting, economics=replace(e, disposal_cost=e.disposal_cost + weight))
    start = time.perf_counter()
    tally = run(_REPLAY, planning, POLICIES[policy](_OUTLOOKS.get(outlook_key(setting))))
    name = policy if policy in BASELINES else f"{policy} +{weight:g}"
    return cell, name, summary(tally, setting, time.perf_counter() - start)


def main() -> int:
    global _REPLAY
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--weights", default="0,0.25,0.5")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results"))
    args = parser.parse_args()
    console = Console()
    weights = [float(w) for w in args.weights.split(",")]
    if not weights or min(weights) < 0:
        parser.error("--weights: shares of list price, 0 or more, separated by commas")
    path = freshretail(console, args.data)
    if path is None:
        return 0
    frame = load(path, args.series)
    _REPLAY = build_replay(frame, fit_price_response(frame, LEVELS))
    first = _REPLAY.hourly.shape[1] - max(args.days, SEED_DAYS) - 4
    grid = {c: s for c, s in cells(args.days, first).items() if c in CELLS}
    _OUTLOOKS.update(make_outlooks(console, _REPLAY, frame, list(grid.values())))
    jobs = [(c, s, p, 0.0) for c, s in grid.items() for p in BASELINES]
    jobs += [(c, s, "ours_all", w) for c, s in grid.items() for w in weights]
    results: dict[str, dict[str, Any]] = {c: {} for c in grid}
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("fork")) as pool:
        for cell, name, row in pool.map(_job, jobs):
            results[cell][name] = row
            console.print(f"  {cell} / {name}: {row['seconds']:.0f} s")
    console.print(
        save_results(
            args.output,
            "clearance_waste_weight",
            path,
            _REPLAY,
            {"weights": weights, "results": results},
            render,
        )
    )
    return 0


COLUMNS = (
    ("profit", "profit", "{:,.1f}"),
    ("sold or donated %", "cleared_share", "{:.1%}"),
    ("waste %", "waste_share", "{:.1%}"),
    ("avg price ratio", "avg_price_ratio", "{:.3f}"),
    ("lost sales %", "lost_share", "{:.1%}"),
    ("on clearance % (mean)", "clearance_exposure", "{:.1%}"),
    ("s", "seconds", "{:.0f}"),
)


def render(payload: dict[str, Any]) -> str:
    title = "Weighing waste more: the whole engine with a higher planning cost per unit thrown away"
    lines = [
        *results_head(title, payload, __doc__),
        "Rows `ours_all +w` plan with a disposal cost of 0.05 + w of list; "
        "profit in list-price units with the benchmark's own money.",
    ]
    head = ["policy", *(c[0] for c in COLUMNS)]
    for cell, rows in payload["results"].items():
        lines += ["", f"## {cell}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for name, r in rows.items():
            values = [fmt.format(r[key]).replace("%", "") for _, key, fmt in COLUMNS]
            lines.append("| " + " | ".join([name, *values]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
