"""How much the relaxed clearance cap loosens the guardrail bound.

    python benchmarks/clearance_bound_tightness.py [--series 60] [--days 7]

The clairvoyant bound within the guardrails (``simulation.clairvoyant``)
relaxes "on clearance" to a share of a pricing period; ``whole_periods=True``
makes it yes or no per period (a MILP, solved to optimality). On the whole
stores drawn as in ``clearance_sim.py`` (seed 0, until at least ``--series``
series are in) and the common orders of the no-markdown run, this solves both
in the cells where the MILP finishes in seconds, and reports the gap (with
a life of 2 days and 2.0 days of cover it ran for over 30 minutes without
finishing, so that cell is left out). Results:
``results/clearance_bound_tightness.md`` and ``.json`` with the command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from clearance_sim import LEVELS, freshretail, load
from shelfpilot.domain.guardrails import PriceLadder
from shelfpilot.pricing.response import fit_price_response
from shelfpilot.simulation.clairvoyant import clairvoyant
from shelfpilot.simulation.engine import Setting, run
from shelfpilot.simulation.policies import NoMarkdown
from shelfpilot.simulation.replay import build_replay

CELLS = ((1, 1.2), (1, 2.0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results"))
    args = parser.parse_args()
    console = Console()
    path = freshretail(console, args.data)
    if path is None:
        return 0
    frame = load(path, args.series)
    replay = build_replay(frame, fit_price_response(frame, LEVELS))
    first = replay.hourly.shape[1] - args.days - 4
    rows = []
    for life, cover in CELLS:
        setting = Setting(shelf_life_days=life, cover_days=cover, first_day=first, days=args.days)
        orders = run(replay, setting, NoMarkdown()).orders
        floor = setting.guardrails.floor
        ladder = [r for r in PriceLadder().ratios if r >= floor - 1e-9]
        found = {}
        for whole in (False, True):
            start = time.perf_counter()
            bound = clairvoyant(
                replay.hourly, replay.elasticity, orders, setting, ladder,
                stores=replay.stores, exposure_cap=setting.guardrails.exposure_cap,
                whole_periods=whole,
            )  # fmt: skip
            found[whole] = (float(bound.profit.sum()), time.perf_counter() - start)
        gap = 1 - found[True][0] / found[False][0]
        row = {
            "life_days": life, "cover_days": cover, "relaxed": round(found[False][0], 1),
            "whole_periods": round(found[True][0], 1), "gap_pct": round(100 * gap, 2),
            "relaxed_s": round(found[False][1], 1), "whole_s": round(found[True][1], 1),
        }  # fmt: skip
        rows.append(row)
        console.print(rows[-1])
    payload = {
        "benchmark": "clearance_bound_tightness",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "series": len(replay.ids),
        "stores": len(set(replay.stores.tolist())),
        "rows": rows,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "clearance_bound_tightness.json").write_text(json.dumps(payload, indent=2))
    header = list(rows[0])
    lines = [
        "# Clearance bound: relaxed cap against whole periods",
        "",
        f"- command: `{payload['command']}`",
        f"- date: {payload['date']}; {payload['series']} series in {payload['stores']} store(s)",
        "",
        (__doc__ or "").strip(),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows),
    ]
    (args.output / "clearance_bound_tightness.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
