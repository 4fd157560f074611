"""Will each lot sell before it leaves sale? A FEFO simulation over demand draws.

For one product at one location: the daily demand forecast (``mean``, ``sd``
per day, as ``GlobalDemandModel.predict`` gives them) and its lots. Demand is
drawn with ``risk.demand_samples`` (gamma, days independent) and, sample by
sample (vectorised), taken day by day from the sellable lots in FEFO order:
the lot that leaves sale first is sold from first, ties by receipt. So a young
lot queued behind an old one sees only the demand the old one leaves over.

Positions on the forecast's time line are *demand-days*: day 0 is the rest of
the as-of day (its mean already scaled to the share still to come), day ``k``
the ``k``-th local day after it, and a fraction is the share of that day's
demand that falls before the moment (an hour-of-day sales profile converts a
clock time to it, see ``demand_position``). A lot is sellable from the start
of its arrival day (planned receipts join the queue on their receipt day) up
to its ``sellable_days`` position. Within a day, demand is served in order:
a lot leaving at 0.4 of day 3 can take at most the first 40 % of day 3's
demand, less whatever older lots took. That is exact when the order in which
lots leave sale follows the FEFO order, as it does for one product under one
expiry ladder.

``multiplier`` scales each day's demand for what-ifs ("sell at 70 % of list
from day 2"); the forecast itself already takes planned discounts as a driver
(``discount`` in the future frame), so do not apply a planned discount twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shelfpilot.domain.lots import require_aware, utc
from shelfpilot.forecast.risk import demand_samples

Array = npt.NDArray[np.float64]

#: Lots leaving sale this many demand-days ahead are warned about.
DEFAULT_WINDOW = (5.0, 10.0)
DEFAULT_THRESHOLD = 0.5
#: A product warning needs at least this many units expected left in the window.
DEFAULT_MIN_LEFT = 0.5
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class LotSupply:
    """One lot's place in the queue. ``sellable_days`` is where it leaves sale
    in demand-days (2.5 = days 0 and 1 and the first half of day 2's demand);
    ``arrives_day`` is 0 for stock on hand, ``k`` for a planned receipt joining
    at the start of day ``k``."""

    lot: str
    on_hand: float
    sellable_days: float
    arrives_day: int = 0


@dataclass(frozen=True, slots=True)
class LotRisk:
    lot: str
    on_hand: float
    sellable_days: float
    p_sell_out: float
    """Probability that the lot sells out before it leaves sale (within the horizon)."""
    expected_left: float
    """Mean units left when it leaves sale (at the horizon's end if later)."""
    run_out_day: int | None
    """Median day its stock reaches 0, or None when it does not in most draws."""
    beyond_horizon: bool
    """It is still sellable after the last forecast day: the figures cover the horizon only."""
    warn: bool


@dataclass(frozen=True, slots=True)
class SeriesRisk:
    lots: list[LotRisk]
    """In the order the lots were given."""
    left_in_window: float
    """Expected units left over in the lots leaving sale within the warning window."""
    warn: bool


def demand_position(
    moment: datetime, as_of: datetime, zone: ZoneInfo, profile: Array | None = None
) -> float:
    """Where ``moment`` falls on the demand-day time line that starts at ``as_of``:
    ``k + share`` for the local day ``k`` days after the as-of day, with ``share``
    the part of that day's demand before the moment (``profile``: 24 hourly
    shares of a day's demand; uniform when None). Day 0 counts only the demand
    still to come after ``as_of``; a moment before ``as_of`` is 0."""
    shares = _profile(profile)
    start = require_aware(as_of, "as-of time").astimezone(zone)
    if utc(moment) <= utc(start):
        return 0.0
    local = moment.astimezone(zone)
    day = (local.date() - start.date()).days
    share = _share_before(shares, local.time())
    if day == 0:
        done = _share_before(shares, start.time())
        rest = 1.0 - done
        return 0.0 if rest <= _EPS else min(1.0, (share - done) / rest)
    return day + share


def remaining_share(as_of: datetime, zone: ZoneInfo, profile: Array | None = None) -> float:
    """The share of the as-of day's demand still to come after ``as_of``."""
    return 1.0 - _share_before(_profile(profile), as_of.astimezone(zone).time())


def _profile(profile: Array | None) -> Array:
    if profile is None:
        return np.full(24, 1 / 24)
    shares = np.maximum(np.asarray(profile, dtype=np.float64), 0.0)
    total = shares.sum()
    return shares / total if total > 0 else np.full(24, 1 / 24)


def _share_before(shares: Array, clock: time) -> float:
    hours = clock.hour + clock.minute / 60 + clock.second / 3600
    whole = int(hours)
    return float(shares[:whole].sum() + (hours - whole) * (shares[whole] if whole < 24 else 0.0))


def simulate(draws: Array, lots: Sequence[LotSupply]) -> tuple[Array, npt.NDArray[np.int64], Array]:
    """Run the FEFO queue over demand ``draws`` (samples × days).

    Returns, per lot in the order given: units left when it leaves sale
    (samples × lots), the day it ran out (-1 = never) and whether it sold out."""
    samples, horizon = draws.shape
    order = sorted(range(len(lots)), key=lambda i: (lots[i].sellable_days, lots[i].arrives_day, i))
    stock = np.tile(np.array([max(lot.on_hand, 0.0) for lot in lots]), (samples, 1))
    left = np.full((samples, len(lots)), np.nan)
    run_out = np.full((samples, len(lots)), -1, dtype=np.int64)
    for day in range(horizon):
        demand = draws[:, day]
        cursor = np.zeros(samples)
        for i in order:
            lot = lots[i]
            if lot.arrives_day > day:
                continue
            reach = min(max(lot.sellable_days - day, 0.0), 1.0)  # share of today it may sell
            if reach <= 0.0:
                continue
            room = np.maximum(reach * demand - cursor, 0.0)
            had = stock[:, i].copy()
            taken = np.minimum(had, room)
            stock[:, i] = had - taken
            cursor = cursor + taken
            emptied = (had > _EPS) & (stock[:, i] <= _EPS) & (run_out[:, i] < 0)
            run_out[emptied, i] = day
            if lot.sellable_days <= day + 1:  # leaves sale today
                left[:, i] = stock[:, i]
    for i in range(len(lots)):
        if np.isnan(left[:, i]).all():  # still on sale at the horizon's end (or never arrived)
            left[:, i] = stock[:, i]
    sold_out = run_out >= 0
    return left, run_out, sold_out.astype(np.float64)


def lot_risk(
    mean: Array,
    sd: Array,
    lots: Sequence[LotSupply],
    *,
    multiplier: Array | None = None,
    samples: int = 2000,
    seed: int = 0,
    threshold: float = DEFAULT_THRESHOLD,
    window: tuple[float, float] = DEFAULT_WINDOW,
    min_left: float = DEFAULT_MIN_LEFT,
) -> SeriesRisk:
    """Risk per lot for one product at one location.

    ``mean``/``sd``: the daily demand forecast from day 0 (day 0 already scaled
    to the rest of the as-of day). ``multiplier``: optional per-day demand
    factor for what-ifs. A lot is warned about when P(sells out in time) is
    under ``threshold`` and it leaves sale within ``window`` demand-days; the
    product is when the lots leaving in the window are expected to leave more
    than ``min_left`` units over in total."""
    mean = np.asarray(mean, dtype=np.float64).ravel()
    sd = np.asarray(sd, dtype=np.float64).ravel()
    if mean.shape != sd.shape:
        raise ValueError("mean and sd need one value per forecast day each")
    horizon = len(mean)
    if not lots:
        return SeriesRisk([], 0.0, False)
    draws = demand_samples(mean[None, :], sd[None, :], samples, seed)[:, 0, :]
    if multiplier is not None:
        factor = np.asarray(multiplier, dtype=np.float64).ravel()
        if factor.shape != mean.shape:
            raise ValueError("the demand multiplier needs one value per forecast day")
        draws = draws * np.maximum(factor, 0.0)[None, :]
    left, run_out, sold_out = simulate(draws, lots)
    lo, hi = window
    risks: list[LotRisk] = []
    for i, lot in enumerate(lots):
        p = float(sold_out[:, i].mean()) if lot.on_hand > _EPS else 1.0
        day: int | None = None
        if lot.on_hand > _EPS and p >= 0.5:
            day = int(np.median(np.where(run_out[:, i] >= 0, run_out[:, i], horizon + 1)))
            day = day if day <= horizon else None
        in_window = lo <= lot.sellable_days <= hi
        risks.append(
            LotRisk(
                lot=lot.lot,
                on_hand=lot.on_hand,
                sellable_days=lot.sellable_days,
                p_sell_out=min(max(p, 0.0), 1.0),
                expected_left=float(left[:, i].mean()),
                run_out_day=day,
                beyond_horizon=lot.sellable_days > horizon,
                warn=in_window and p < threshold,
            )
        )
    in_window_left = sum(r.expected_left for r in risks if lo <= r.sellable_days <= hi)
    return SeriesRisk(risks, in_window_left, in_window_left > min_left)


def arrival_day(received_at: datetime, as_of: datetime, zone: ZoneInfo) -> int:
    """The forecast day a planned receipt joins the queue (0 = on hand or today)."""
    start = as_of.astimezone(zone).date()
    return max(0, (received_at.astimezone(zone).date() - start).days)
