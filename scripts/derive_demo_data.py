"""Rebuild the demo bakery's bundled data from the public source.

    python scripts/derive_demo_data.py [--data FOLDER] [--output FILE]

Reads ``baskets/breadbasket.csv`` ("The Bread Basket", Edinburgh) from
``--data``, else ``SHELFPILOT_DATA``, else ``../shared/data``, and writes
``src/shelfpilot/demo/data/breadbasket_lines.csv.gz``: the same till lines
(date, time, transaction, item) minus the ``NONE`` lines (no item recorded)
and the one ``Adjustment`` line (a till correction). Nothing else changes, so
the demo built from either file is the same. The output is byte for byte
reproducible: same input, same bytes (no timestamp in the gzip header).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

from shelfpilot.config import dataset
from shelfpilot.demo import (
    BUNDLED,
    DROPPED_ITEMS,
    SOURCE_DATASET,
    baskets,
    read_lines,
    write_derived,
)

MAX_BYTES = 300_000


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder holding baskets/breadbasket.csv")
    parser.add_argument("--output", type=Path, default=BUNDLED, help="derived file to write")
    args = parser.parse_args(argv)
    source = dataset(SOURCE_DATASET, args.data)
    if source is None:
        sys.stderr.write(
            f"{SOURCE_DATASET} not found: pass --data FOLDER or set SHELFPILOT_DATA "
            "(the bundled file is left as it is)\n"
        )
        return 2
    with source.open(encoding="utf-8") as handle:
        raw_lines = sum(1 for _ in handle) - 1
    lines = read_lines(source)
    write_derived(lines, args.output)
    size = args.output.stat().st_size
    items = Counter(line.item for line in lines)
    out = sys.stdout
    out.write(f"source   {source} ({raw_lines} lines, sha256 {sha256(source)})\n")
    out.write(f"dropped  {raw_lines - len(lines)} lines: {', '.join(DROPPED_ITEMS)}\n")
    out.write(f"kept     {len(lines)} lines, {len(baskets(lines))} baskets, {len(items)} items, ")
    out.write(f"{min(line.day for line in lines)} -> {max(line.day for line in lines)}\n")
    out.write(f"wrote    {args.output} ({size} bytes, sha256 {sha256(args.output)})\n")
    if size >= MAX_BYTES:
        sys.stderr.write(f"the derived file is {size} bytes; keep it under {MAX_BYTES}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
