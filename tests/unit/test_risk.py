import numpy as np

from shelfpilot.forecast.risk import demand_samples, sellout_probability


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
