"""Price response: recovers a known elasticity through confounding promotions,
and shrinks thin categories towards their parent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shelfpilot.pricing.response import (
    DEFAULT_ELASTICITY,
    ELASTICITY_BOUNDS,
    demand_multiplier,
    fit_price_response,
)


def synthetic(
    elasticity: dict[int, float], series_per_cat: dict[int, int], days: int = 60, seed: int = 0
) -> pd.DataFrame:
    """Promotion days lift demand by 80 % and are nearly always discounted:
    a fit that ignores promotions reads the lift as price response."""
    rng = np.random.default_rng(seed)
    rows = []
    for cat, beta in elasticity.items():
        for s in range(series_per_cat[cat]):
            level = rng.uniform(5, 50)
            promo = rng.random(days) < 0.3
            ratio = np.where(promo, rng.uniform(0.6, 0.9, days), 1.0)
            ratio = np.where(
                ~promo & (rng.random(days) < 0.15), rng.uniform(0.8, 0.95, days), ratio
            )
            mean = level * ratio**beta * np.where(promo, 1.8, 1.0)
            y = rng.poisson(mean).astype(float)
            rows.append(
                pd.DataFrame(
                    {
                        "unique_id": f"{cat}/{s}",
                        "ds": pd.date_range("2024-01-01", periods=days),
                        "y": y,
                        "discount": ratio,
                        "promo": promo.astype(int),
                        "holiday": 0,
                        "cat": cat,
                        "group": 1,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_recovers_the_elasticity_controlling_for_promotions() -> None:
    frame = synthetic({1: -2.0}, {1: 80})
    fitted = fit_price_response(frame, ["cat"])
    est = fitted.estimates[("cat", 1)]
    assert est.beta == pytest.approx(-2.0, abs=0.25)
    assert 0 < est.se < 0.3
    naive = fit_price_response(frame, ["cat"], controls=())
    assert naive.estimates[("cat", 1)].beta < est.beta - 0.5  # confounded: too steep


def test_thin_category_borrows_from_its_parent() -> None:
    frame = synthetic(
        {1: -2.0, 2: -1.0, 3: -1.5, 4: -0.5, 5: -3.0},
        {1: 60, 2: 60, 3: 60, 4: 12, 5: 3},
        seed=1,
    )
    fitted = fit_price_response(frame, ["group", "cat"], min_rows=50)
    thin = fitted.estimates[("cat", 4)]
    parent = fitted.estimates[("group", 1)]
    assert thin.se > fitted.estimates[("cat", 1)].se
    # the shrunk value lies between its own estimate and the parent's
    lo, hi = sorted((thin.beta, parent.shrunk))
    assert lo - 1e-9 <= thin.shrunk <= hi + 1e-9
    assert fitted.estimates[("cat", 1)].shrunk == pytest.approx(-2.0, abs=0.35)
    # three series are too few to trust a clustered error: the parent's value
    assert ("cat", 5) not in fitted.estimates
    assert fitted.elasticity({"group": 1, "cat": 5}) == pytest.approx(parent.shrunk)


def test_lookup_falls_back_and_is_capped() -> None:
    frame = synthetic({1: -2.0}, {1: 30})
    fitted = fit_price_response(frame, ["cat"])
    assert fitted.elasticity({"cat": 99}) == pytest.approx(fitted.pooled.shrunk)  # type: ignore[union-attr]
    empty = fit_price_response(frame.iloc[:0], ["cat"])
    assert empty.elasticity({"cat": 1}) == DEFAULT_ELASTICITY
    lo, hi = ELASTICITY_BOUNDS
    assert lo <= fitted.elasticity({"cat": 1}) <= hi


def test_sold_out_days_are_not_learned_from() -> None:
    frame = synthetic({1: -2.0}, {1: 40})
    # mark half the deep-discount days sold out and cut their sales: a fit that
    # used them would see a flatter response
    deep = frame["discount"] < 0.8
    frame["stockout"] = deep & (np.arange(len(frame)) % 2 == 0)
    frame.loc[frame["stockout"], "y"] = 0.0
    fitted = fit_price_response(frame, ["cat"])
    assert fitted.estimates[("cat", 1)].beta == pytest.approx(-2.0, abs=0.3)


def test_multiplier() -> None:
    assert demand_multiplier(0.5, -1.0) == pytest.approx(2.0)
    assert demand_multiplier(1.0, -3.0) == pytest.approx(1.0)


def test_a_prior_holds_a_shop_with_few_discount_days_near_it() -> None:
    """Plenty of discount days: the shop's own estimate, the prior barely
    moves it. A few: pulled toward the prior. None: the prior itself."""
    plenty = synthetic({1: -3.0}, {1: 80})
    own = fit_price_response(plenty, ["cat"], controls=("promo",), prior=(-1.5, 0.5))
    assert own.pooled is not None and own.pooled.shrunk == pytest.approx(-3.0, abs=0.35)
    few = synthetic({1: -3.0}, {1: 12}, days=20, seed=2)
    raw = fit_price_response(few, ["cat"], controls=("promo",))
    held = fit_price_response(few, ["cat"], controls=("promo",), prior=(-1.5, 0.5))
    assert raw.pooled is not None and held.pooled is not None
    lo, hi = sorted((raw.pooled.beta, -1.5))
    assert lo - 1e-9 <= held.pooled.shrunk <= hi + 1e-9
    assert abs(held.pooled.shrunk - -1.5) < abs(raw.pooled.beta - -1.5)
    assert held.pooled.shrunk_se < raw.pooled.se
    none = fit_price_response(plenty.iloc[:0], ["cat"], prior=(-1.2, 0.4))
    assert none.elasticity({"cat": 1}) == pytest.approx(-1.2)
