"""How the shop's own customers answer a markdown, learned from its ledger.

The shop's daily sales history (``services.sales_history``: units sold and
the mean price paid over list per store × product and day, sold-out days
flagged) is fitted with ``pricing.response``: within each series, so the
elasticity comes from one product selling at different prices, weekday as a
control (the ledger has no promotion flags; the calendar's are not joined
yet), by category, each category shrunk toward the shop's pooled estimate
and that toward ``DEFAULT_ELASTICITY`` (the FreshRetailNet estimate) with a
standard error of ``PRIOR_SE``. A shop that has never marked anything down
plans with the default; one with a few markdown days moves from it as far as
they show. Series-clustered errors need at least 10 products with price
variation (``pricing.response.MIN_CLUSTERS``), the pooled figure too: a shop
with fewer plans with the default. The day's price is what the shelf's
customers paid (channel, pre-order and bundle sales are left out of it,
``domain.ledger.off_shelf``, though their units count in the day's sales);
"list" is today's list price, so a list price changed since reads as a
discount.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from shelfpilot.domain.errors import InvalidValue
from shelfpilot.domain.lots import require_aware
from shelfpilot.pricing.response import DEFAULT_ELASTICITY, PriceResponse, fit_price_response
from shelfpilot.services.forecasting import local_today
from shelfpilot.services.sales_history import sales_history
from shelfpilot.storage import Database

#: the hierarchy a shop's price response is learned along (coarsest first)
LEVELS = ["category"]
#: how far the shop's pooled estimate may be from the default before its own
#: data says so: one standard error
PRIOR_SE = 0.5
#: a category's own estimate needs this many stocked days of its products
MIN_ROWS = 60


@dataclass(frozen=True, slots=True)
class ElasticityRow:
    level: str  # "all" for the shop's pooled figure, else "category"
    key: str
    rows: int
    series: int
    #: the fit on the shop's own days alone (None: no price variation to learn from)
    estimate: float | None
    se: float | None
    #: what the plans use: the estimate shrunk toward its parent, capped
    used: float


def response_from_history(history: pd.DataFrame, categories: Mapping[str, str]) -> PriceResponse:
    """The price response of ``history`` (the frame ``sales_history`` returns)
    with each product's category from ``categories`` (SKU → category)."""
    frame = history.assign(category=history["sku"].map(dict(categories)).fillna(""))
    return fit_price_response(
        frame, LEVELS, controls=(), min_rows=MIN_ROWS, prior=(DEFAULT_ELASTICITY, PRIOR_SE)
    )


def shop_categories(db: Database) -> dict[str, str]:
    with db.transaction(readonly=True) as uow:
        return {p.sku: p.category for p in uow.catalog.products()}


def price_response(db: Database, as_of: datetime) -> PriceResponse:
    """Learned from every store's sales up to the day before ``as_of`` (the
    demand model's history: a category's customers are taken to answer a
    markdown alike across the brand's stores)."""
    at = require_aware(as_of, "as-of time")
    first, _ = local_today(db, at, None)
    history = sales_history(db, until=first - timedelta(days=1))
    return response_from_history(history, shop_categories(db))


def check_elasticity(fixed: float | None) -> None:
    if fixed is not None and not -10 <= fixed <= 0:
        raise InvalidValue("the price elasticity must be between -10 and 0")


def by_category(fixed: float | None, learn: Callable[[], PriceResponse]) -> Callable[[str], float]:
    """A product category's elasticity for the plans: ``fixed`` when given (a
    manager's or a test's figure), else learned (``learn`` is called only then)."""
    check_elasticity(fixed)
    if fixed is not None:
        return lambda _category: fixed
    response = learn()
    return lambda category: response.elasticity({"category": category})


def elasticity_table(response: PriceResponse) -> list[ElasticityRow]:
    """The pooled figure first, then each category with an estimate of its own
    (a category missing here plans with the pooled figure)."""
    out = []
    estimates = [response.pooled] if response.pooled is not None else []
    estimates += sorted(response.estimates.values(), key=lambda e: str(e.key))
    for e in estimates:
        path = None if e.level == "all" else {e.level: e.key}
        out.append(
            ElasticityRow(
                level=e.level,
                key=str(e.key),
                rows=e.rows,
                series=e.series,
                estimate=e.beta if e.learned else None,
                se=e.se if e.learned else None,
                used=response.elasticity(path),
            )
        )
    return out
