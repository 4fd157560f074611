"""How long our optimiser takes to plan a whole chain's clearance for one
decision point: every open lot of every store × product in FreshRetailNet-50K.

The chain is the simulator's store (shelf life 2 days, 1.6 days of cover)
after two days without markdowns, so every series holds a real mix of old and
fresh lots. The plan is one call of ``Optimiser.decide`` (a markdown
optimisation per open lot, the hold comparison for every proposed markdown,
the 20 % clearance cap per store). With ``--workers 2`` the stores are split
in two halves planned in two processes at once; the wall time is the slower
half. Preparation (loading, price response, replay) is timed apart.

Data: FreshRetailNet-50K, Dingdong-Inc, CC-BY-4.0 (arXiv 2505.16319)::

    python benchmarks/clearance_plan_chain.py [--sample] [--workers 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import os
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from shelfpilot.pricing.response import fit_price_response
from shelfpilot.simulation.engine import Setting, Store, run
from shelfpilot.simulation.policies import NoMarkdown, Optimiser
from shelfpilot.simulation.replay import DemandReplay, build_replay

sys.path.insert(0, str(Path(__file__).parent))
from clearance_sim import LEVELS, freshretail, load

_REPLAY: DemandReplay | None = None


class Snapshot(NoMarkdown):
    """No markdowns until the chosen decision point, then time one plan."""

    def __init__(self, day: int, hour: int) -> None:
        self.at = (day, hour)
        self.result: dict[str, Any] = {}

    def decide(self, store: Store) -> None:
        if (store.day, store.hour) != self.at or self.result:
            return
        work = copy.deepcopy(store)
        lots = int((work.qty > 1e-9).sum())
        before = work.ratio.copy()
        start = time.perf_counter()
        Optimiser().decide(work)
        self.result = {
            "seconds": time.perf_counter() - start,
            "open_lots": lots,
            "series": len(work.replay.ids),
            "marked_down": int(((work.ratio < before - 1e-9) & (work.qty > 1e-9)).sum()),
        }


def _half(rows: np.ndarray) -> dict[str, Any]:
    assert _REPLAY is not None
    part = _REPLAY.take(rows)
    days = part.hourly.shape[1]
    setting = Setting(shelf_life_days=2, cover_days=1.6, first_day=days - 6, days=3)
    policy = Snapshot(days - 4, 17)
    run(part, setting, policy)
    return policy.result


def main() -> int:
    global _REPLAY
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    console = Console()
    path = freshretail(console, args.data, sample=args.sample)
    if path is None:
        return 0
    t0 = time.perf_counter()
    frame = load(path, None)
    t1 = time.perf_counter()
    response = fit_price_response(frame, LEVELS)
    t2 = time.perf_counter()
    _REPLAY = build_replay(frame, response)
    del frame
    t3 = time.perf_counter()
    stores = np.unique(_REPLAY.stores)
    halves = [
        np.flatnonzero(np.isin(_REPLAY.stores, s)) for s in np.array_split(stores, args.workers)
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("fork")) as pool:
        parts = list(pool.map(_half, halves))
    wall = max(p["seconds"] for p in parts)
    payload = {
        "benchmark": "clearance_plan_chain",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "data": path.name,
        "series": len(_REPLAY.ids),
        "stores": len(stores),
        "open_lots": sum(p["open_lots"] for p in parts),
        "marked_down": sum(p["marked_down"] for p in parts),
        "plan_seconds_wall": wall,
        "plan_seconds_per_worker": [p["seconds"] for p in parts],
        "workers": args.workers,
        "prepare_seconds": {
            "load": t1 - t0,
            "price_response": t2 - t1,
            "replay": t3 - t2,
            "simulate_to_the_decision_point_and_plan": time.perf_counter() - start,
        },
    }
    args.output.mkdir(parents=True, exist_ok=True)
    stem = f"clearance_plan_chain_{'sample' if args.sample else 'full'}"
    (args.output / f"{stem}.json").write_text(json.dumps(payload, indent=2) + "\n")
    md = [
        "# Planning a chain's clearance for one decision point",
        "",
        f"- command: `{payload['command']}`",
        f"- date: {payload['date']}; {payload['cores']} cores, {args.workers} worker processes",
        f"- data: {path.name} (FreshRetailNet-50K, Dingdong-Inc, CC-BY-4.0)",
        "",
        (__doc__ or "").split("Data:")[0].strip(),
        "",
        "| series | stores | open lots | lots marked down | plan wall s | per worker s |",
        "|---|---|---|---|---|---|",
        f"| {payload['series']:,} | {payload['stores']} | {payload['open_lots']:,} | "
        f"{payload['marked_down']:,} | {wall:.1f} | "
        + ", ".join(f"{s:.1f}" for s in payload["plan_seconds_per_worker"])
        + " |",
        "",
        "Preparation (not part of the plan): "
        + ", ".join(f"{k} {v:.0f} s" for k, v in payload["prepare_seconds"].items()),
        "",
    ]
    (args.output / f"{stem}.md").write_text("\n".join(md))
    console.print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
