"""Next-day re-forecast: how long it takes to bring a saved model up to date
with one new day of sales and forecast all series again, without retraining.

    python benchmarks/forecast_refresh.py [--sample] [--train-days 28] [--n-estimators 200]

Data: FreshRetailNet-50K (CC-BY-4.0, Dingdong-Inc, arXiv:2505.16319).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from shelfpilot.config import dataset
from shelfpilot.forecast.frames import FRESHRETAIL, FRESHRETAIL_SAMPLE, HIERARCHY, load_freshretail
from shelfpilot.forecast.model import GlobalDemandModel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--train-days", type=int, default=28)
    parser.add_argument("--n-estimators", type=int, default=200)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    name = FRESHRETAIL_SAMPLE if args.sample else FRESHRETAIL
    path = dataset(name, args.data)
    if path is None:
        print(f"{name} not found (set SHELFPILOT_DATA or --data); nothing measured")
        return 0
    frame = load_freshretail(path)
    last = frame["ds"].max()
    history, new_day = frame[frame["ds"] < last], frame[frame["ds"] == last]
    series = frame["unique_id"].nunique()
    model = GlobalDemandModel(
        static_cols=HIERARCHY,
        group_col="third_category_id",
        train_days=args.train_days,
        n_estimators=args.n_estimators,
    )
    started = time.perf_counter()
    model.fit(history)
    fit_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "model.pkl"
        model.save(saved)
        started = time.perf_counter()
        loaded = GlobalDemandModel.load(saved)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        loaded.update(new_day)
        update_s = time.perf_counter() - started
        started = time.perf_counter()
        forecast = loaded.predict(14)
        predict_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("full fit (once)", fit_s),
        ("load saved model", load_s),
        ("update with the new day (no refit)", update_s),
        ("predict 14 days, all series", predict_s),
        ("next-day re-forecast = load + update + predict", load_s + update_s + predict_s),
    ]
    command = "python " + " ".join(sys.argv)
    table = "\n".join(f"| {what} | {seconds:.1f} |" for what, seconds in rows)
    text = f"""# Next-day re-forecast ({name})

- command: `{command}`
- date: {datetime.now(UTC).isoformat(timespec="seconds")}
- machine: {os.cpu_count()} cores, Python {platform.python_version()}; peak RSS {peak_mb:,.0f} MB
- {series:,} series; model: train_days={args.train_days}, n_estimators={args.n_estimators}; forecast rows {len(forecast):,}
- data: FreshRetailNet-50K, Dingdong-Inc, CC-BY-4.0 (arXiv:2505.16319)

| step | seconds |
|---|---|
{table}
"""
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    tag = "sample" if args.sample else "full"
    (args.output / f"forecast_refresh_{tag}.md").write_text(text)
    payload = {"command": command, "series": series, "peak_rss_mb": peak_mb, "steps": dict(rows)}
    (args.output / f"forecast_refresh_{tag}.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
