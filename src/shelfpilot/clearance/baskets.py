"""Complementary items mined from real baskets: which fresh item customers
already buy with a near-expiry one.

**Which partner.** Pairs are mined from baskets given as a long frame of
(basket id, item) rows, so the public files (``load_breadbasket``,
``load_groceries``) and the shop's own ledger (sale reference, product) go
through the same code. An item counts once per basket (quantities do not make
a pair more likely). With ``X`` the basket × item incidence matrix, every pair
count is one sparse product, ``X.T @ X`` (its diagonal is the item counts):
Apriori restricted to pairs is exactly this co-occurrence count, so
``mlxtend`` (which would bring scikit-learn and matplotlib) buys nothing here.
``lift`` = P(both) / (P(anchor) P(partner)): how many times more often the two
meet than by chance (the columns are listed at ``PAIR_COLUMNS``).

**Rare pairs do not win by chance.** A raw lift computed from one or two
baskets is mostly noise: a partner bought once, with the anchor, has a lift of
1 / P(anchor). Each confidence gets its Wilson lower bound (one-sided 95 %,
``z`` = 1.645), and ``lift_low`` is the smaller of the two lifts they imply,
``confidence_low / P(partner)`` and ``reverse_low / P(anchor)``: the lift the
pair has at least, whichever item one starts from (symmetric, like the lift).
Partners are ranked by it. The Wilson bound needs no prior to tune (an
empirical-Bayes shrinkage of lift needs a prior strength per catalogue) and
it is deliberately prudent: picking the best of several noisy partners and
then valuing it at its point estimate would overstate it (the winner's
curse), so the take-up rate of a bundle is a lower bound too
(``reverse_low``).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from shelfpilot.domain.errors import InvalidValue

Array = npt.NDArray[np.float64]

#: one-sided 95 % normal quantile for the Wilson lower bounds
Z_LOWER = 1.645
#: fewer baskets than this together is an anecdote, not a pattern
MIN_SUPPORT_COUNT = 5
#: till lines of breadbasket.csv that are not goods (as ``demo.DROPPED_ITEMS``)
BREADBASKET_DROPPED = frozenset({"NONE", "Adjustment"})
PAIR_COLUMNS = (
    "anchor",
    "partner",
    "together",  # baskets with both
    "anchor_count",  # baskets with the anchor
    "partner_count",  # baskets with the partner
    "support",  # together / baskets
    "confidence",  # P(partner | anchor)
    "reverse_confidence",  # P(anchor | partner)
    "lift",  # P(both) / (P(anchor) P(partner))
    "confidence_low",  # Wilson lower bound of confidence
    "reverse_low",  # Wilson lower bound of reverse_confidence
    "lift_low",  # the smaller lift the two bounds imply
)


def _presence(basket: Iterable[object], item: Iterable[object]) -> pd.DataFrame:
    frame = pd.DataFrame({"basket": list(basket), "item": [str(i).strip() for i in item]})
    frame = frame[frame["item"] != ""]
    return frame.drop_duplicates().reset_index(drop=True)


def load_breadbasket(path: Path | str) -> pd.DataFrame:
    """The Bread Basket till lines (``Date,Time,Transaction,Item``) as one row
    per (basket, item), without the lines that are not goods."""
    raw = pd.read_csv(path, usecols=["Transaction", "Item"])
    raw = raw[~raw["Item"].str.strip().isin(BREADBASKET_DROPPED)]
    return _presence(raw["Transaction"].astype("int64"), raw["Item"])


def load_groceries(path: Path | str) -> pd.DataFrame:
    """groceries.csv (one basket a line, comma-separated items) as one row per
    (basket, item); baskets are numbered by line from 0."""
    baskets: list[int] = []
    items: list[str] = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle)):
            baskets.extend([number] * len(row))
            items.extend(row)
    return _presence(baskets, items)


def wilson_lower(successes: Array, trials: Array, z: float = Z_LOWER) -> Array:
    """Wilson score lower bound of a proportion (0 where there are no trials)."""
    k, n = np.asarray(successes, dtype=np.float64), np.asarray(trials, dtype=np.float64)
    safe, z2 = np.maximum(n, 1.0), z * z
    p = k / safe
    spread = z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe))
    low = (p + z2 / (2 * safe) - spread) / (1 + z2 / safe)
    return np.asarray(np.where(n > 0, np.clip(low, 0.0, 1.0), 0.0), dtype=np.float64)


def _empty_pairs() -> pd.DataFrame:
    names, ints = ("anchor", "partner"), ("together", "anchor_count", "partner_count")
    kinds = {
        c: "object" if c in names else "int64" if c in ints else "float64" for c in PAIR_COLUMNS
    }
    return pd.DataFrame({c: pd.Series(dtype=kinds[c]) for c in PAIR_COLUMNS})


def mine_pairs(
    baskets: pd.DataFrame,
    *,
    min_support_count: int = MIN_SUPPORT_COUNT,
    min_lift: float = 1.0,
    z: float = Z_LOWER,
    basket: str = "basket",
    item: str = "item",
) -> pd.DataFrame:
    """Every ordered pair (anchor, partner) of distinct items bought together
    in at least ``min_support_count`` baskets with a lift of at least
    ``min_lift``, best ``lift_low`` first (columns ``PAIR_COLUMNS``). Both
    orders of a pair are present. ``baskets`` is a long frame of (basket id,
    item) rows; repeated rows count once."""
    missing = {basket, item} - set(baskets.columns)
    if missing:
        raise InvalidValue(f"the baskets lack the columns {sorted(missing)}")
    if min_support_count < 1:
        raise InvalidValue("a pair needs at least one basket (min_support_count >= 1)")
    lines = baskets[[basket, item]].dropna().drop_duplicates()
    if lines.empty:
        return _empty_pairs()
    (rows, _), (cols, names) = pd.factorize(lines[basket]), pd.factorize(lines[item])
    ones = np.ones(len(lines), dtype=np.int64)
    x = sparse.csr_array((ones, (rows, cols)), shape=(rows.max() + 1, len(names)))
    co = (x.T @ x).tocoo()
    counts = np.asarray(x.sum(axis=0), dtype=np.int64).ravel()
    n = float(x.shape[0])
    keep = (co.row != co.col) & (co.data >= min_support_count)
    a, p = co.row[keep], co.col[keep]
    together = co.data[keep].astype(np.int64)
    n_a, n_p = counts[a].astype(np.float64), counts[p].astype(np.float64)
    conf_low, rev_low = wilson_lower(together, n_a, z), wilson_lower(together, n_p, z)
    out = pd.DataFrame(
        {
            "anchor": np.asarray(names.take(a), dtype=object),
            "partner": np.asarray(names.take(p), dtype=object),
            "together": together,
            "anchor_count": counts[a],
            "partner_count": counts[p],
            "support": together / n,
            "confidence": together / n_a,
            "reverse_confidence": together / n_p,
            "lift": together * n / (n_a * n_p),
            "confidence_low": conf_low,
            "reverse_low": rev_low,
            "lift_low": np.minimum(conf_low * n / n_p, rev_low * n / n_a),
        }
    )
    out = out[out["lift"] >= min_lift]
    out = out.sort_values(
        ["lift_low", "together", "anchor", "partner"], ascending=[False, False, True, True]
    )
    return out.reset_index(drop=True)


def complements(
    pairs: pd.DataFrame,
    anchor: str,
    *,
    exclude: Collection[str] = (),
    in_stock: Collection[str] | None = None,
    k: int = 3,
    min_lift_low: float = 1.0,
) -> pd.DataFrame:
    """The ``k`` best partners of ``anchor`` (rows of ``mine_pairs``), best
    ``lift_low`` first: never the anchor itself nor an item of ``exclude``,
    only items of ``in_stock`` when given, and only pairs bought together
    more often than chance even at the lower bound (``min_lift_low``)."""
    rows = pairs[(pairs["anchor"] == anchor) & (pairs["partner"] != anchor)]
    rows = rows[~rows["partner"].isin(list(exclude))]
    if in_stock is not None:
        rows = rows[rows["partner"].isin(list(in_stock))]
    rows = rows[rows["lift_low"] >= min_lift_low]
    rows = rows.sort_values(["lift_low", "together", "partner"], ascending=[False, False, True])
    return rows.head(k).reset_index(drop=True)
