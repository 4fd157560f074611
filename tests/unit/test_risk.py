import numpy as np

from shelfpilot.forecast.risk import demand_quantile, demand_samples, sellout_probability


def test_samples_have_the_forecast_mean_and_spread() -> None:
    draws = demand_samples(np.array([[4.0, 0.0]]), np.array([[2.0, 1.0]]), 20000, seed=1)
    assert abs(draws[:, 0, 0].mean() - 4.0) < 0.05
    assert abs(draws[:, 0, 0].std() - 2.0) < 0.05
    assert (draws[:, 0, 1] == 0).all()
    assert (draws >= 0).all()


def test_more_stock_is_less_likely_to_sell_out() -> None:
    mean = np.full((3, 7), 2.0)
    sd = np.full((3, 7), 1.0)
    p, left = sellout_probability(mean, sd, np.array([5.0, 14.0, 30.0]), np.array([7, 7, 7]))
    assert ((p >= 0) & (p <= 1)).all()
    assert p[0] > p[1] > p[2]
    assert left[0] < left[1] < left[2]
    assert p[0] > 0.99 and p[2] < 0.01


def test_the_quantile_is_of_the_demand_the_samples_are_drawn_from() -> None:
    mean, sd = np.array([0.8, 5.0, 40.0, 0.0]), np.array([1.2, 2.0, 8.0, 1.0])
    draws = demand_samples(mean[:, None], sd[:, None], 40_000, seed=3)[:, :, 0]
    for level in (0.2, 0.476, 0.8):
        below = (draws <= demand_quantile(level, mean, sd)[None, :]).mean(axis=0)
        np.testing.assert_allclose(below[:3], level, atol=0.01)
        assert below[3] == 1.0  # no demand: nothing to hold
    # unknown in, unknown out (not a silent zero)
    assert np.isnan(demand_quantile(0.5, np.array([np.nan]), np.array([1.0]))).all()
    assert np.isnan(demand_quantile(0.5, np.array([1.0]), np.array([np.nan]))).all()
