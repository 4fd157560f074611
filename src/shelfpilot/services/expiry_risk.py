"""Expiry risk per open lot, and slow-mover warnings per product × location:
will each lot sell before it leaves sale, given the demand forecast, its place
in the FEFO queue and what is on the way (``forecast.lot_risk``)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware, utc
from shelfpilot.forecast.lot_risk import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    LotSupply,
    demand_position,
    lot_risk,
    remaining_share,
)
from shelfpilot.services.forecasting import (
    UNITS,
    NotEnoughHistory,
    local_today,
    model_for,
    predict_days,
)
from shelfpilot.storage import Database, LotView, UnitOfWork


@dataclass(frozen=True, slots=True)
class LotRiskRow:
    location: str
    sku: str
    product_name: str
    lot_code: str
    on_hand: Decimal
    expires_at: datetime
    sellable_until: datetime
    p_sell_out: float
    expected_left: Decimal
    expected_run_out: date | None
    warn: bool
    planned: bool = False
    beyond_horizon: bool = False


@dataclass(frozen=True, slots=True)
class ProductWarning:
    location: str
    sku: str
    product_name: str
    expected_left: Decimal
    """Expected units left over in the lots leaving sale within the window."""


@dataclass(frozen=True)
class RiskReport:
    as_of: datetime
    rows: list[LotRiskRow]
    products: list[ProductWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[LotRiskRow]:
        return [r for r in self.rows if r.warn]


def expiry_risk(
    db: Database,
    as_of: datetime,
    *,
    model_path: Path | None = None,
    horizon: int = 14,
    location: str | None = None,
    retrain: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    window: tuple[float, float] = DEFAULT_WINDOW,
    samples: int = 2000,
    include_planned: bool = False,
    train: bool = True,
) -> RiskReport:
    """Per open lot (with ``include_planned``, also lots recorded to arrive
    after ``as_of`` within the horizon, queued from their receipt day): the
    probability it sells out before it leaves sale, the units expected left
    then, the expected run-out day and the slow-mover warning.

    Too little history gives an empty report with a note, never an error."""
    at = require_aware(as_of, "as-of time")
    if horizon < 1:
        raise InvalidValue("the risk horizon must be at least one day")
    first, zones = local_today(db, at, location)
    try:
        ready = model_for(db, first - timedelta(days=1), model_path, retrain, train=train)
    except NotEnoughHistory as error:
        return RiskReport(at, [], [], [f"no expiry risk: {error}"])
    forecast = predict_days(ready, first, horizon + 1)
    by_series = {str(uid): rows for uid, rows in forecast.groupby("unique_id")}
    with db.transaction(readonly=True) as uow:
        lots = _lots(uow, at, location, horizon if include_planned else 0)
        policy = uow.catalog.ladder_policy()
    notes = list(ready.notes)
    rows: list[LotRiskRow] = []
    products: list[ProductWarning] = []
    missing = 0
    for (loc, sku), group in sorted(lots.items()):
        zone = zones.get(loc) or ZoneInfo(group[0][0].timezone)
        today = at.astimezone(zone).date()
        found = by_series.get(f"{loc}/{sku}")
        if found is None:
            missing += 1
            continue
        profile = ready.history.profiles.get(loc)
        mean, sd = demand_from_now(found, at, zone, profile, horizon)
        if len(mean) < horizon:
            missing += 1
            continue
        supplies = []
        untils = []
        for view, planned in group:
            ladder = policy.for_sku(view.lot.sku, view.category)
            until = ladder.sellable_until(view.lot.expires_at)
            untils.append(until)
            supplies.append(
                LotSupply(
                    view.lot.code,
                    float(view.lot.quantity if planned else view.on_hand),
                    demand_position(until, at, zone, profile),
                    max(0, (view.lot.received_at.astimezone(zone).date() - today).days),
                )
            )
        result = lot_risk(mean, sd, supplies, samples=samples, threshold=threshold, window=window)
        for (view, planned), until, risk in zip(group, untils, result.lots, strict=True):
            rows.append(
                LotRiskRow(
                    location=loc,
                    sku=sku,
                    product_name=view.name_en or view.name_zh,
                    lot_code=view.lot.code,
                    on_hand=view.lot.quantity if planned else view.on_hand,
                    expires_at=view.lot.expires_at,
                    sellable_until=until.astimezone(zone),
                    p_sell_out=risk.p_sell_out,
                    expected_left=_units(risk.expected_left),
                    expected_run_out=None
                    if risk.run_out_day is None
                    else today + timedelta(days=risk.run_out_day),
                    warn=risk.warn,
                    planned=planned,
                    beyond_horizon=risk.beyond_horizon,
                )
            )
        if result.warn:
            view = group[0][0]
            products.append(
                ProductWarning(
                    loc, sku, view.name_en or view.name_zh, _units(result.left_in_window)
                )
            )
    if missing:
        notes.append(
            f"no forecast for {missing} product(s) at a location with stock: no sales "
            "recorded yet, or new since the model was trained (retrain to include them)"
        )
    return RiskReport(at, rows, products, notes)


def demand_from_now(
    forecast: pd.DataFrame, at: datetime, zone: ZoneInfo, profile: Any, horizon: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """One series' daily forecast mean and sd from the as-of day on (at most
    ``horizon`` days), the as-of day cut to the demand still to come."""
    days = forecast[forecast["ds"] >= pd.Timestamp(at.astimezone(zone).date())].head(horizon)
    mean = days["mean"].to_numpy(dtype=np.float64).copy()
    sd = days["sd"].to_numpy(dtype=np.float64).copy()
    if len(mean):
        share = remaining_share(at, zone, profile)
        mean[0] *= share
        sd[0] *= math.sqrt(share)
    return mean, sd


def _lots(
    uow: UnitOfWork, at: datetime, location: str | None, horizon: int
) -> dict[tuple[str, str], list[tuple[LotView, bool]]]:
    """Open lots with stock, and lots recorded to arrive within the horizon."""
    grouped: dict[tuple[str, str], list[tuple[LotView, bool]]] = defaultdict(list)
    for view in uow.stock.lots_with_totals(at, location_code=location):
        if view.on_hand > 0:
            grouped[(view.lot.location_code, view.lot.sku)].append((view, False))
    if horizon <= 0:
        return grouped
    later = at + timedelta(days=horizon)
    for view in uow.stock.lots_with_totals(later, location_code=location, open_only=False):
        if utc(view.lot.received_at) > utc(at):
            grouped[(view.lot.location_code, view.lot.sku)].append((view, True))
    return grouped


def _units(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(UNITS, rounding=ROUND_HALF_UP)
