"""What clearance teaches: which actions clear which products best, and which
products keep needing clearance.

Outcomes are one row per decided clearance action (a markdown, a donation, a
rejected proposal kept as the control): units on hand when it was decided
(``offered``) and their list value, units sold after it and their revenue, units donated and wasted,
and hours from the decision to the last unit. Rates are shrunk towards the
action's pooled rate with ``PRIOR_UNITS`` pseudo-units, so one lucky lot does
not top the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shelfpilot.clearance.ordering import learned_salvage, lot_recovery, pooled_salvage
from shelfpilot.domain.errors import InvalidValue

OUTCOME_COLUMNS = [
    "location", "sku", "lot", "action", "segment", "offered", "sold", "revenue",
    "list_value", "donated", "wasted", "hours_to_clear", "closed",
]  # fmt: skip
#: pseudo-units of the action's pooled rate added to every group's own
PRIOR_UNITS = 10.0


def rank_actions(
    outcomes: pd.DataFrame, by: Sequence[str] = ("sku", "action", "segment")
) -> pd.DataFrame:
    """One row per group: lots, units, shrunken sell-through (share of the
    units offered that sold), recovery (revenue per unit of list value
    offered) and median hours to clear; best recovery first."""
    missing = set(OUTCOME_COLUMNS) - set(outcomes.columns)
    if missing:
        raise InvalidValue(f"outcomes lack the columns {sorted(missing)}")
    keys = list(by)
    if outcomes.empty:
        return pd.DataFrame(columns=[*keys, "lots", "offered", "sold", "sell_through", "recovery"])
    frame = outcomes
    pooled = frame.groupby("action")[["sold", "offered", "revenue"]].sum()
    pooled_rate = (pooled["sold"] / pooled["offered"].where(pooled["offered"] > 0)).fillna(0.0)
    grouped = frame.groupby(keys, dropna=False)
    table = grouped.agg(
        lots=("lot", "count"),
        offered=("offered", "sum"),
        sold=("sold", "sum"),
        donated=("donated", "sum"),
        wasted=("wasted", "sum"),
        revenue=("revenue", "sum"),
        list_value=("list_value", "sum"),
        hours_to_clear=("hours_to_clear", "median"),
    ).reset_index()
    prior = (
        table["action"].map(pooled_rate).fillna(0.0)
        if "action" in keys
        else float(pooled_rate.mean())
    )
    table["sell_through"] = (table["sold"] + PRIOR_UNITS * prior) / (table["offered"] + PRIOR_UNITS)
    value = table["list_value"]
    table["recovery"] = (table["revenue"] / value.where(value > 0)).fillna(0.0)
    table["waste_share"] = table["wasted"] / table["offered"].where(table["offered"] > 0)
    return table.sort_values(["recovery", "sell_through"], ascending=False).reset_index(drop=True)


def clearance_pressure(lots: pd.DataFrame, threshold: float = 0.3) -> pd.DataFrame:
    """Per product and location, from one row per received lot (columns
    location, sku, received, sold_full, sold_discounted, revenue_discounted,
    list_price, donated, wasted; optionally sold_anyway, the discounted sales
    that would have sold at list, ``ordering.sold_anyway``): the share of
    lots that needed clearance
    (any discounted sale, donation or waste), the waste share of units, and
    what one more left-over unit would have recovered, as a share of list
    (the ``salvage`` a shrink-aware order uses: ``marginal_recovery`` per lot,
    the product's mean shrunk toward its location's, ``learned_salvage``).
    Products at or above ``threshold`` are flagged."""
    if not 0 < threshold <= 1:
        raise InvalidValue("the clearance threshold is a share between 0 and 1")
    if lots.empty:
        return pd.DataFrame(
            columns=[
                "location",
                "sku",
                "lots",
                "cleared_share",
                "waste_share",
                "salvage",
                "flagged",
            ]
        )
    frame = _with_recoveries(lots)
    frame["needed"] = frame["left_over"] > 0
    table = (
        frame.groupby(["location", "sku"])
        .agg(
            lots=("needed", "size"),
            needing=("needed", "sum"),
            received=("received", "sum"),
            wasted=("wasted", "sum"),
            recoveries=("marginal", "sum"),
            lots_left_over=("marginal", "count"),
        )
        .reset_index()
    )
    table["cleared_share"] = table["needing"] / table["lots"]
    table["waste_share"] = table["wasted"] / table["received"].where(table["received"] > 0)
    table["salvage"] = learned_salvage(
        table["recoveries"].to_numpy(float),
        table["lots_left_over"].to_numpy(float),
        table["location"].astype(str).to_numpy(),
    )
    table["flagged"] = table["cleared_share"] >= threshold
    return table.drop(columns=["needing", "recoveries", "lots_left_over"])


def store_salvage(lots: pd.DataFrame) -> dict[str, float]:
    """Per location, the clearance recovery a product with no lots of its own
    there yet counts on (a new product, or one only pre-ordered): the mean of
    the location's lots' ``marginal_recovery``, the figure every product's own
    is shrunk toward in ``clearance_pressure``; ``DEFAULT_SALVAGE`` where no
    lot had anything left over. Locations with no lots are absent."""
    if lots.empty:
        return {}
    frame = _with_recoveries(lots)
    marginal = frame["marginal"].to_numpy(float)
    seen = ~np.isnan(marginal)
    locations = frame["location"].astype(str).to_numpy()
    pooled = pooled_salvage(np.where(seen, marginal, 0.0), seen.astype(float), locations)
    return dict(zip(locations.tolist(), pooled.tolist(), strict=True))


def _with_recoveries(lots: pd.DataFrame) -> pd.DataFrame:
    """The lots with what was left over of each, and what one more left-over
    unit would have recovered (``marginal``, NaN where nothing was left)."""
    frame = lots.copy()
    frame["left_over"] = frame["sold_discounted"] + frame["donated"] + frame["wasted"]
    sold, revenue, donated, wasted, price = (
        frame[c].to_numpy(float)
        for c in ("sold_discounted", "revenue_discounted", "donated", "wasted", "list_price")
    )
    anyway = np.asarray(frame.get("sold_anyway", 0.0), dtype=np.float64)
    frame["marginal"] = lot_recovery(sold, revenue, donated, wasted, price, anyway)
    return frame
