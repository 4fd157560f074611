"""The store-level clearance cap: at most a share of the products a store
displays may be on clearance at once (the seed's 20 %).

Products already marked down hold their places (a clearance price does not go
back up). New markdowns compete for the places left, best expected gain
first; the choice of the k best gains is optimal for a cap on the count.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    on_clearance: bool
    wants_markdown: bool
    gain: float  # expected gain of marking down now over holding this period


def within_cap(candidates: Iterable[Candidate], displayed: int, cap: float) -> set[Hashable]:
    """Keys of the candidates that may start a markdown now."""
    items = list(candidates)
    places = math.floor(cap * displayed + 1e-9) - sum(c.on_clearance for c in items)
    wanting = sorted(
        (c for c in items if c.wants_markdown and not c.on_clearance),
        key=lambda c: c.gain,
        reverse=True,
    )
    return {c.key for c in wanting[: max(places, 0)]}
