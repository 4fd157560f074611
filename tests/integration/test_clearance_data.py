"""Price response and the demand replay on the FreshRetailNet sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shelfpilot.config import dataset
from shelfpilot.forecast.frames import FRESHRETAIL_SAMPLE, load_freshretail
from shelfpilot.pricing.response import ELASTICITY_BOUNDS, fit_price_response
from shelfpilot.simulation.engine import Setting, run
from shelfpilot.simulation.policies import NoMarkdown, Optimiser
from shelfpilot.simulation.replay import build_replay

pytestmark = pytest.mark.data
LEVELS = ["first_category_id", "second_category_id", "third_category_id"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    path = dataset(FRESHRETAIL_SAMPLE)
    if path is None:
        pytest.skip(f"{FRESHRETAIL_SAMPLE} not found under SHELFPILOT_DATA or ../shared/data")
    return load_freshretail(path)


def test_discounts_raise_demand_on_real_data(frame: pd.DataFrame) -> None:
    response = fit_price_response(frame, LEVELS)
    pooled = response.pooled
    assert pooled is not None
    assert pooled.beta < -0.5 and pooled.se < 0.5  # clearly negative, clearly measured
    table = response.table()
    assert set(table["level"]) >= {"all", *LEVELS}
    lo, hi = ELASTICITY_BOUNDS
    some = table[table["level"] == "third_category_id"].head(20)
    for key in some["key"]:
        assert lo <= response.elasticity({"third_category_id": key}) <= hi


def test_replay_restores_sold_out_hours_and_takes_out_discounts(frame: pd.DataFrame) -> None:
    sub = frame[frame["unique_id"].isin(frame["unique_id"].unique()[:60])]
    response = fit_price_response(frame, LEVELS)
    rep = build_replay(sub, response)
    assert rep.hourly.shape == (60, sub["ds"].nunique(), 24)
    assert (rep.hourly >= 0).all()
    # on fully stocked, undiscounted days the replay is the observed sales
    ok = sub[(sub["stock_hour6_22_cnt"] == 0) & (sub["discount"] == 1.0)]
    row = ok.iloc[0]
    i = list(rep.ids).index(row["unique_id"])
    d = (row["ds"] - rep.dates[0]).days
    if not np.asarray(row["hours_stock_status"]).any():
        assert rep.hourly[i, d].sum() == pytest.approx(row["y"], rel=1e-6)
    # a sold-out day's demand is at least its sales
    out = sub[sub["stock_hour6_22_cnt"] >= 8].iloc[0]
    j = list(rep.ids).index(out["unique_id"])
    assert rep.hourly[j, (out["ds"] - rep.dates[0]).days].sum() >= out["y"] - 1e-9


def test_optimiser_runs_on_real_demand_and_keeps_the_books(frame: pd.DataFrame) -> None:
    sub = frame[frame["unique_id"].isin(frame["unique_id"].unique()[:40])]
    rep = build_replay(sub, fit_price_response(frame, LEVELS))
    setting = Setting(shelf_life_days=2, cover_days=1.6, first_day=50, days=5)
    base, ours = run(rep, setting, NoMarkdown()), run(rep, setting, Optimiser(ordering=True))
    for t in (base, ours):
        np.testing.assert_allclose(t.sold + t.donated + t.wasted, t.ordered, atol=1e-6)
    assert max(ours.exposure) <= 1.0
