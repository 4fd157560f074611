"""Clearance policies for the simulator: the rules stores use, and ours.

Rule policies ignore the brand guardrails on purpose (they are what stores do
today); ours keeps them. Each policy sees only the past: ours forecast with an
``outlook.Outlook`` when given one (the engine's own forecast, made each
morning), else with the store's 7-day mean (``Store.forecast``); the intraday
shape is the series' last 28 days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from shelfpilot.clearance.exposure import Candidate, within_cap
from shelfpilot.clearance.markdown import MarkdownProblem, fresher_stock, solve
from shelfpilot.clearance.ordering import (
    OrderRule,
    learned_salvage,
    lot_recovery,
    to_receive,
    within_a_days_order,
)
from shelfpilot.domain.guardrails import PriceLadder
from shelfpilot.simulation.engine import HOURS, Store
from shelfpilot.simulation.outlook import Outlook, expected

Array = npt.NDArray[np.float64]
#: weight of the latest decision in a store's running share of markdowns the cap let through
ODDS_WEIGHT = 0.3


class NoMarkdown:
    name = "no markdown"

    def order(self, store: Store) -> Array | None:
        return None

    def decide(self, store: Store) -> None:
        return None


@dataclass
class Tiered:
    """Price by hours left: the first tier whose threshold is reached wins.
    ``LastDaySticker`` and the seed's tiers are instances."""

    name: str
    tiers: tuple[tuple[float, float], ...]  # (hours left at most, ratio), most urgent first

    def order(self, store: Store) -> Array | None:
        return None

    def decide(self, store: Store) -> None:
        left = store.hours_left()
        for hours, ratio in self.tiers:
            hit = (left <= hours) & (store.qty > 0)
            store.ratio = np.where(hit, np.minimum(store.ratio, ratio), store.ratio)


def last_day_sticker() -> Tiered:
    return Tiered("last-day sticker (30 % off, last 24 h)", ((24, 0.7),))


def seed_tiers() -> Tiered:
    """The seed's stages: bundle at 5 days (128 → 88, 0.69 of list), pre-sale
    at 3 days (70 %), blind box at 40 % in the last 24 h."""
    return Tiered("seed's tiered rules", ((24, 0.4), (72, 0.69), (120, 0.69)))


@dataclass
class Optimiser:
    """Our markdown optimiser (``clearance.markdown``) on every open lot at
    every decision hour, with the store's clearance cap."""

    ladder: PriceLadder = field(default_factory=PriceLadder)
    ordering: bool = False
    name: str = "our optimiser"
    #: the demand forecast the plans and orders go by (None: the 7-day mean)
    outlook: Outlook | None = None
    #: units each (series, slot) lot is expected to have left at its end, by the
    #: last decision (what channels may take: none of a lot held on arrival,
    #: as the app offers no channel a lot waiting for the day's sales)
    expected_left: dict[tuple[int, int], float] = field(default_factory=dict)
    #: whether donations count on the store's cap having a place later
    #: (``MarkdownProblem.markdown_odds`` at the store's running share of
    #: markdowns let through). Off: tried and not kept (docs/clearance.md)
    cap_odds: bool = False
    #: per store, the share of wanted new markdowns the cap let through lately
    odds: dict[int, float] = field(default_factory=dict)
    #: per series, the sum and count of its lots' marginal clearance
    #: recoveries (``salvage``)
    _recoveries: Array = field(default_factory=lambda: np.zeros(0))
    _lots_left_over: Array = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.ordering:
            self.name = "our optimiser + shrink-aware ordering"

    # ordering -------------------------------------------------------------------------
    def order(self, store: Store) -> Array | None:
        """Newsvendor on tomorrow's demand, net of the stock still sellable
        tomorrow and of what the last plans expect that stock to have left
        (``left_over``): running short loses the margin; a unit too many costs its
        waste cost less what clearance has recovered so far (``salvage``),
        and with a longer life it often sells the next day instead, so that
        cost is spread over the life."""
        if not self.ordering:
            return None
        return to_receive(self.target(store), store.sellable_today(), self.left_over(store))

    def target(self, store: Store) -> Array:
        """Per series, the stock to hold for today: the newsvendor fractile
        with the recovery learned so far (``salvage``, read once a morning)."""
        s = store.setting
        [(mean, sd)] = expected(store, self.outlook)
        return np.array([
            float(OrderRule(s.economics, s.shelf_life_days, float(salvage)).target(m, d))
            for salvage, m, d in zip(self.salvage(store), mean, sd, strict=True)
        ])  # fmt: skip

    def left_over(self, store: Store) -> Array:
        """Per series, the units the last plans expect the lots still
        sellable today to have left at their end (``ordering.to_receive``)."""
        out = np.zeros(len(store.qty))
        for (i, slot), units in self.expected_left.items():
            if store.expiry[i, slot] >= store.day:
                out[i] += min(units, float(store.qty[i, slot]))
        return out

    def held_on_arrival(self, store: Store, mean: Array, sd: Array) -> npt.NDArray[np.bool_]:
        """Which lots keep their price at the first decision of the day they
        arrive: this morning's lot, when the stock sellable today is within
        what a shrink-aware order would hold for a day of demand ``mean`` and
        ``sd`` (``ordering.within_a_days_order``), as the app's plans do. Later
        decisions, which have seen the day's sales, may mark it down.

        Measured (1,059 series, 14 days, life 1 day): with our ordering,
        opening markdowns on such lots lost money (holding them earned 1.8 %
        more); with the common orders at 1.2 days of cover it changed little,
        and stock of 1.6 or 2 days of cover is beyond the limit."""
        s = store.setting
        if store.hour != s.decision_hours[0]:
            return np.zeros(store.qty.shape, dtype=bool)
        within = within_a_days_order(
            store.sellable_today(), mean, sd, s.economics, s.shelf_life_days
        )
        arrived = store.expiry == store.day + s.shelf_life_days - 1
        return np.asarray(arrived & within[:, None])

    def salvage(self, store: Store) -> Array:
        """What one more left-over unit of each series would recover, learned
        from its lots' outcomes as ``services.feedback`` learns it from the
        ledger (``lot_recovery``: for each lot that expired yesterday, nothing
        if some of it was thrown away, else the revenue of its discounted
        sales, less the list revenue of those that would have sold at list
        anyway, over the list value of the rest of them and of what was
        donated or thrown away; the mean over lots, shrunk toward the
        store's, ``learned_salvage``), channel sales net of the channel's
        logistics."""
        n = len(store.qty)
        if self._recoveries.shape != (n,) or store.day == store.setting.first_day:  # a new run
            self._recoveries, self._lots_left_over = np.zeros(n), np.zeros(n)
        slot, ended = store.expired_yesterday()
        lot = lot_recovery(
            store.lot_cut[:, slot], store.lot_cut_revenue[:, slot], store.lot_donated[:, slot],
            store.lot_wasted[:, slot], store.setting.economics.list_price,
            store.lot_cut_anyway[:, slot],
        )  # fmt: skip
        seen = ended & ~np.isnan(lot)
        self._recoveries += np.where(seen, lot, 0.0)
        self._lots_left_over += seen
        return learned_salvage(self._recoveries, self._lots_left_over, store.replay.stores)

    # pricing --------------------------------------------------------------------------
    def decide(self, store: Store) -> None:
        s = store.setting
        hours = s.decision_hours
        if len(hours) > s.guardrails.max_changes_per_day:
            # a plan changes a lot's price at most once a period
            raise ValueError("more decision hours a day than price changes the guardrails allow")
        profile = _profiles(store)
        horizon = max(s.shelf_life_days, 1)
        ahead = expected(store, self.outlook, horizon)
        daily_mean, daily_sd = ahead[0]
        left = store.hours_left()
        loss = _displaced_loss(store, daily_mean)
        held_now = self.held_on_arrival(store, daily_mean, daily_sd)
        # ratio, donation, gain over holding, donation if held, units left: plan, held
        plans: dict[tuple[int, int], tuple[float, float, float, float, float, float]] = {}
        for i in np.flatnonzero((store.qty > 1e-9).any(axis=1)):
            periods = _periods(store.day, store.hour, hours, int(store.expiry[i].max()))
            shares = np.array([profile[i, a:b].sum() for _, a, b in periods])
            days = [min(d - store.day, horizon - 1) for d, _, _ in periods]
            means = np.array([ahead[k][0][i] for k in days]) * shares
            sds = np.array([ahead[k][1][i] for k in days]) * np.sqrt(shares)
            sds = np.maximum(sds, 0.05 * means + 1e-6)
            for slot in np.argsort(store.expiry[i]):
                if store.qty[i, slot] <= 1e-9:
                    continue
                n = sum(1 for d, _, _ in periods if d <= store.expiry[i, slot])
                fresher = (store.expiry[i] > store.expiry[i, slot]) & (store.qty[i] > 1e-9)
                on_shelf = fresher_stock(
                    float(store.qty[i][fresher].sum()), means[:n], _arrivals(periods[:n], store, i)
                )
                problem = MarkdownProblem(
                    stock=float(store.qty[i, slot]),
                    mean=list(means[:n]),
                    sd=list(sds[:n]),
                    elasticity=float(store.replay.elasticity[i]),
                    economics=s.economics,
                    current=float(store.ratio[i, slot]),
                    donation_periods=_donation_periods(
                        int(left[i, slot]), periods[:n], store.hour, s.guardrails.donation_min_hours
                    ),
                    ladder=self.ladder,
                    guardrails=s.guardrails,
                    ahead=on_shelf,
                    displaced_loss=float(loss[i]),
                    markdown_odds=self._odds(int(store.replay.stores[i])),
                    may_change_now=not held_now[i, slot],
                )
                plan = solve(problem, compare=False)
                gain, donate_if_held, left_if_held = 0.0, plan.donate_now, plan.plan.left
                if plan.ratio_now < problem.current - 1e-9:
                    held = solve(_replace_now(problem), compare=False)
                    gain = plan.plan.objective - held.plan.objective
                    donate_if_held, left_if_held = held.donate_now, held.plan.left
                plans[(i, slot)] = (
                    plan.ratio_now, plan.donate_now, gain, donate_if_held, plan.plan.left,
                    left_if_held,
                )  # fmt: skip
        self._apply(store, plans)
        for i, slot in zip(*np.nonzero(held_now), strict=True):
            self.expected_left.pop((int(i), int(slot)), None)

    def _odds(self, store_id: int) -> float:
        return self.odds.get(store_id, 1.0) if self.cap_odds else 1.0

    def _apply(
        self,
        store: Store,
        plans: dict[tuple[int, int], tuple[float, float, float, float, float, float]],
    ) -> None:
        live = np.asarray(store.qty > 1e-9)
        on_clearance = np.asarray((live & (store.ratio < 1.0 - 1e-9)).any(axis=1))
        wants: dict[int, float] = defaultdict(float)
        for (i, slot), (ratio, _, gain, *_) in plans.items():
            if ratio < store.ratio[i, slot] - 1e-9:
                wants[i] += gain
        by_store: dict[int, list[Candidate]] = defaultdict(list)
        shown: dict[int, int] = defaultdict(int)
        for i in np.flatnonzero(live.any(axis=1)):
            st = int(store.replay.stores[i])
            shown[st] += 1
            by_store[st].append(
                Candidate(int(i), bool(on_clearance[i]), i in wants, wants.get(i, 0.0))
            )
        allowed: set[object] = set()
        for st, cands in by_store.items():
            granted = within_cap(cands, shown[st], store.setting.guardrails.exposure_cap)
            allowed |= granted
            wanting = sum(1 for c in cands if c.wants_markdown and not c.on_clearance)
            if self.cap_odds and wanting:
                share = len(granted) / wanting
                self.odds[st] = (1 - ODDS_WEIGHT) * self.odds.get(st, 1.0) + ODDS_WEIGHT * share
        donations = np.zeros_like(store.qty)
        self.expected_left = {}
        for (i, slot), (ratio, donate, _, donate_if_held, left, left_held) in plans.items():
            if on_clearance[i] or i in allowed:
                store.ratio[i, slot] = min(store.ratio[i, slot], ratio)
                donations[i, slot] = donate
                self.expected_left[(i, slot)] = left
            else:  # the cap holds the price: donate as the held plan would
                donations[i, slot] = donate_if_held
                self.expected_left[(i, slot)] = left_held
        store.donate(donations)


def _donation_periods(
    hours_left: int, periods: list[tuple[int, int, int]], hour: int, min_hours: float
) -> int:
    """How many of the first periods start with at least ``min_hours`` of life left."""
    count = 0
    for d, start, _ in periods:
        elapsed = (d - periods[0][0]) * HOURS + start - hour
        if hours_left - elapsed < min_hours:
            break
        count += 1
    return count


def _displaced_loss(store: Store, daily_mean: Array) -> Array:
    """Share of list price lost when a markdown takes a sale from a fresher
    lot: that unit is lost only if the shop takes in more than it sells at
    list, so the expected unsold share of what arrives (recent receipts
    against the forecast)."""
    recent = [
        store.tally.orders[d]
        for d in range(store.day - 7, store.day + 1)
        if d in store.tally.orders
    ]
    if not recent:
        return np.ones(len(daily_mean))
    received = np.mean(recent, axis=0)
    share = 1.0 - daily_mean / np.where(received > 1e-12, received, np.inf)
    return np.asarray(np.clip(share, 0.0, 1.0), dtype=np.float64)


def _replace_now(p: MarkdownProblem) -> MarkdownProblem:
    return replace(p, may_change_now=False)


def _profiles(store: Store) -> Array:
    """Each series' share of a day's demand by hour over the last 28 days."""
    past = store.demand[:, max(0, store.day - 28) : store.day].sum(axis=1)
    total = past.sum(axis=1, keepdims=True)
    flat = np.full(HOURS, 1.0 / HOURS)
    return np.where(total > 0, past / np.where(total > 0, total, 1.0), flat)


def _periods(
    day: int, hour: int, hours: tuple[int, ...], last_day: int
) -> list[tuple[int, int, int]]:
    """(day, first hour, end hour) of each pricing period from now to the end
    of ``last_day``."""
    out = []
    for d in range(day, last_day + 1):
        for k, start in enumerate(hours):
            end = hours[k + 1] if k + 1 < len(hours) else HOURS
            if d == day and start < hour:
                continue
            out.append((d, start, end))
    return out


def _arrivals(periods: list[tuple[int, int, int]], store: Store, i: int) -> list[float]:
    """The lot expected each morning after today (the common ordering rule)."""
    daily_order = store.setting.cover_days * float(store.forecast(store.day)[i])
    return [daily_order if d > store.day and start == 0 else 0.0 for d, start, _ in periods]
