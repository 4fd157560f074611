"""Blind boxes for a store's last-hours stock, proposed from its open lots.

Each lot within ``hours`` of leaving sale offers its whole pieces; the
markdown forecast says how much of it is expected to be left at the end, so
a unit packed avoids that share of its waste cost and gives up the rest of
its shelf price (``clearance.blindbox``). A proposal: staff pack the boxes
and the till records their sales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shelfpilot.clearance.blindbox import BlindBoxPlan, BoxItem, BoxSpec, compose
from shelfpilot.domain.lots import require_aware
from shelfpilot.services.clearance import propose_markdowns
from shelfpilot.storage import Database


@dataclass(frozen=True)
class BlindBoxProposal:
    plan: BlindBoxPlan
    items: list[BoxItem]
    names: dict[str, str]
    notes: list[str]


def propose_blind_boxes(
    db: Database,
    as_of: datetime,
    location: str,
    spec: BoxSpec,
    *,
    hours: float = 24.0,
    **options: Any,
) -> BlindBoxProposal:
    """Boxes from the lots of ``location`` that leave sale within ``hours``."""
    at = require_aware(as_of, "as-of time")
    report = propose_markdowns(db, at, location=location, **options)
    items, names = [], {}
    for p in report.proposals:
        left = (p.sellable_until - at) / timedelta(hours=1)
        units = math.floor(float(p.on_hand) + 1e-9) if p.unit == "pcs" else 0
        if left > hours or units < 1:
            continue
        unsold = min(max(p.left_if_held / float(p.on_hand), 0.0), 1.0)
        key = f"{p.sku}/{p.lot_code}"
        names[key] = f"{p.product_name} (lot {p.lot_code})"
        items.append(
            BoxItem(
                key,
                p.sku,
                p.category or "other",
                float(p.list_price.amount),
                units,
                allergens=p.allergens,
                waste_cost=unsold * p.waste_cost,
                shelf_value=(1 - unsold) * float(p.price_now.amount),
                hours_left=left,
            )
        )
    notes = list(report.notes)
    unknown = sorted({i.sku for i in items if i.allergens is None})
    if spec.exclude and unknown:
        notes.append(
            f"left out, allergens not recorded: {', '.join(unknown)} (fill in the allergens "
            "column of the products sheet; 无 or none for none)"
        )
    return BlindBoxProposal(compose(items, spec), items, names, notes)
