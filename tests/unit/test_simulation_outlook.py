"""Our simulated policies forecast as the engine does, from the past only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shelfpilot.forecast.model import GlobalDemandModel
from shelfpilot.simulation.engine import Setting, Store, run
from shelfpilot.simulation.outlook import Outlook, model_outlook
from shelfpilot.simulation.policies import Optimiser
from shelfpilot.simulation.replay import DemandReplay


def weekly_replay(n: int = 6, days: int = 60, seed: int = 0) -> DemandReplay:
    """Demand with a weekly shape (weekends busier), spread over the day."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-03-01", periods=days)
    level = rng.uniform(1.0, 6.0, size=(n, 1))
    week = np.where(dates.dayofweek >= 5, 1.8, 1.0)[None, :]
    daily = rng.poisson(level * week).astype(np.float64)
    hourly = np.repeat(daily[:, :, None] / 24.0, 24, axis=2)
    return DemandReplay(
        ids=np.array([f"s{i}" for i in range(n)], dtype=object),
        stores=np.zeros(n, dtype=np.int64),
        dates=dates,
        hourly=hourly,
        elasticity=np.full(n, -2.0),
    )


def window_outlook(rep: DemandReplay, setting: Setting, horizon: int = 3) -> Outlook:
    """The store's own 7-day mean and 28-day spread, for every day ahead."""
    store = Store(rep, setting)
    days = rep.hourly.shape[1] - setting.first_day
    mean = np.stack([store.forecast(setting.first_day + k) for k in range(days)], axis=1)
    sd = np.stack([store.recent_sd(setting.first_day + k) for k in range(days)], axis=1)
    return Outlook(
        setting.first_day,
        np.repeat(mean[:, :, None], horizon, axis=2),
        np.repeat(sd[:, :, None], horizon, axis=2),
    )


def test_an_outlook_of_the_7_day_mean_plans_and_orders_as_without_one() -> None:
    rep = weekly_replay(days=40)
    setting = Setting(shelf_life_days=2, cover_days=1.6, first_day=30, days=6)
    for ordering in (False, True):
        plain = run(rep, setting, Optimiser(ordering=ordering))
        same = run(rep, setting, Optimiser(ordering=ordering, outlook=window_outlook(rep, setting)))
        for field in ("ordered", "sold", "revenue", "donated", "wasted"):
            np.testing.assert_allclose(getattr(same, field), getattr(plain, field))


def test_orders_follow_the_outlook() -> None:
    rep = weekly_replay(days=40)
    setting = Setting(shelf_life_days=1, cover_days=1.2, first_day=30, days=6)
    base = window_outlook(rep, setting)
    none = Outlook(base.first_day, np.zeros_like(base.mean), np.zeros_like(base.sd))
    more = Outlook(base.first_day, base.mean * 2.0, base.sd)
    ordered = {
        name: run(rep, setting, Optimiser(ordering=True, outlook=o)).ordered.sum()
        for name, o in (("none", none), ("base", base), ("more", more))
    }
    assert ordered["none"] == 0.0
    assert ordered["base"] < ordered["more"]


def small_model() -> GlobalDemandModel:
    return GlobalDemandModel(
        censoring="none", n_estimators=20, min_data_in_leaf=5, calibration_days=0, threads=1
    )


def test_a_morning_forecast_sees_nothing_of_its_own_day_or_later() -> None:
    rep = weekly_replay()
    setting = Setting(shelf_life_days=2, first_day=45, days=10)
    before = model_outlook(rep, setting, horizon=3, model=small_model())
    changed = rep.hourly.copy()
    day = setting.first_day + 4
    changed[:, day] *= 5.0  # a day nobody could have seen coming
    after = model_outlook(
        DemandReplay(rep.ids, rep.stores, rep.dates, changed, rep.elasticity),
        setting,
        horizon=3,
        model=small_model(),
    )
    k = day - setting.first_day
    np.testing.assert_array_equal(after.mean[:, : k + 1], before.mean[:, : k + 1])
    assert not np.allclose(after.mean[:, k + 1], before.mean[:, k + 1])
    assert before.mean.shape == (len(rep.ids), rep.hourly.shape[1] - setting.first_day, 3)
    assert (before.sd > 0).all()


def test_the_model_outlook_sees_the_weekly_shape() -> None:
    rep = weekly_replay(n=20, days=70)
    setting = Setting(shelf_life_days=2, first_day=56, days=7)
    outlook = model_outlook(rep, setting, horizon=1, model=small_model())
    weekend = rep.dates[setting.first_day :].dayofweek >= 5
    by_day = outlook.mean[:, :, 0].sum(axis=0)
    assert by_day[weekend].mean() > 1.3 * by_day[~weekend].mean()
