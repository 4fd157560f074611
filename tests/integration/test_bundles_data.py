"""Bundle partners mined from the real baskets of ../shared/data/baskets."""

from __future__ import annotations

import pandas as pd
import pytest

from shelfpilot.clearance.baskets import (
    complements,
    load_breadbasket,
    load_groceries,
    mine_pairs,
)
from shelfpilot.clearance.bundles import (
    BundleOffer,
    best_bundle,
)
from shelfpilot.clearance.markdown import Economics
from shelfpilot.config import dataset

pytestmark = pytest.mark.data
BREADBASKET = "baskets/breadbasket.csv"
GROCERIES = "baskets/groceries.csv"


def _load(relative: str) -> pd.DataFrame:
    path = dataset(relative)
    if path is None:
        pytest.skip(f"{relative} not found under SHELFPILOT_DATA or ../shared/data")
    return load_breadbasket(path) if relative == BREADBASKET else load_groceries(path)


@pytest.fixture(scope="module")
def bakery() -> pd.DataFrame:
    return _load(BREADBASKET)


@pytest.fixture(scope="module")
def bakery_pairs(bakery: pd.DataFrame) -> pd.DataFrame:
    return mine_pairs(bakery)


@pytest.fixture(scope="module")
def groceries() -> pd.DataFrame:
    return _load(GROCERIES)


def co_bought(frame: pd.DataFrame, anchor: str) -> pd.Series:
    """Baskets each item shares with ``anchor``, counted directly (no matrix)."""
    with_anchor = frame.loc[frame["item"] == anchor, "basket"]
    shared = frame[frame["basket"].isin(with_anchor) & (frame["item"] != anchor)]
    return shared["item"].value_counts()


def test_bakery_baskets(bakery: pd.DataFrame) -> None:
    # 9,531 transactions less 66 of only NONE lines and the one Adjustment
    assert bakery["basket"].nunique() == 9464
    assert bakery["item"].nunique() == 93
    assert not bakery["item"].isin(["NONE", "Adjustment"]).any()
    assert not bakery.duplicated().any()
    counts = bakery["item"].value_counts()
    assert counts.index[0] == "Coffee" and counts.iloc[0] == 4528


def test_bakery_pairs_are_symmetric_and_agree_with_a_direct_count(
    bakery: pd.DataFrame, bakery_pairs: pd.DataFrame
) -> None:
    pairs = bakery_pairs
    assert len(pairs) > 100 and (pairs["lift"] > 0).all() and (pairs["lift"] >= 1.0).all()
    assert (pairs["together"] >= 5).all()
    assert (pairs["lift_low"] <= pairs["lift"]).all()
    back = pairs.rename(columns={"anchor": "partner", "partner": "anchor"})
    both = pairs.merge(back, on=["anchor", "partner"], suffixes=("", "_back"))
    assert len(both) == len(pairs)
    assert (both["together"] == both["together_back"]).all()
    assert (both["lift_low"] == both["lift_low_back"]).all()
    direct = co_bought(bakery, "Medialuna")
    mined = pairs[pairs["anchor"] == "Medialuna"].set_index("partner")["together"]
    assert (direct.reindex(mined.index) == mined).all()
    assert mined["Coffee"] == 333


@pytest.mark.parametrize("anchor", ["Medialuna", "Pastry", "Cookies"])
def test_bakery_partners_are_items_bought_with_the_anchor(
    bakery: pd.DataFrame, bakery_pairs: pd.DataFrame, anchor: str
) -> None:
    best = complements(bakery_pairs, anchor, k=3)
    assert not best.empty and (best["lift_low"] >= 1.0).all()
    assert anchor not in set(best["partner"])
    top = best.iloc[0]["partner"]
    # among the five items most often in the same basket as the anchor
    assert top in set(co_bought(bakery, anchor).head(5).index)


def test_a_medialuna_bundle_on_bakery_demand(
    bakery: pd.DataFrame, bakery_pairs: pd.DataFrame
) -> None:
    """Coffee is a weaker complement than Pastry by lift but has five times
    the buyers: priced out, the Coffee bundle earns more."""
    path = dataset(BREADBASKET)
    assert path is not None
    days = pd.read_csv(path, usecols=["Date"])["Date"].nunique()
    assert days == 159
    baskets_per_day = bakery["item"].value_counts() / days
    prices = {"Coffee": 2.20, "Pastry": 2.20, "Hot chocolate": 2.50, "Alfajores": 2.00}
    medialuna = Economics(list_price=1.50, unit_cost=0.40, disposal_cost=0.05)
    values = {}
    for pair in complements(bakery_pairs, "Medialuna", k=4).to_dict("records"):
        partner = str(pair["partner"])
        offer = BundleOffer(
            anchor="Medialuna",
            partner=partner,
            anchor_economics=medialuna,
            units_at_risk=9.0,
            partner_price=prices.get(partner, 2.00),
            partner_daily_demand=float(baskets_per_day[partner]),
            days_left=1.0,
            take_rate=float(pair["reverse_low"]),
            lift=float(pair["lift"]),
            age_days=1,
        )
        values[partner] = best_bundle(offer)
    assert complements(bakery_pairs, "Medialuna", k=1).iloc[0]["partner"] == "Pastry"
    winner = max(values.values(), key=lambda v: v.gain)
    assert winner.offer.partner == "Coffee" and winner.gain > 0
    assert 0 < winner.bundles <= 9.0
    assert winner.describe().startswith("Pair the 1-day-old Medialuna with Coffee")


def test_groceries(groceries: pd.DataFrame) -> None:
    assert groceries["basket"].nunique() == 9835
    assert groceries["item"].nunique() == 169
    assert groceries["item"].value_counts().index[0] == "whole milk"
    pairs = mine_pairs(groceries)
    yogurt = pairs[pairs["anchor"] == "yogurt"]
    # whole milk is yogurt's most frequent companion, and more than by chance
    milk = yogurt.sort_values("together", ascending=False).iloc[0]
    assert milk["partner"] == "whole milk" and milk["together"] == 551
    assert milk["lift_low"] > 1.4
    # by lift, the closer complements are other dairy (curd, cheese)
    best = complements(pairs, "yogurt", k=3)
    assert "curd" in set(best["partner"])
    assert "whole milk" in set(complements(pairs, "yogurt", k=50)["partner"])
