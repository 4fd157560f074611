"""ECharts options the pages share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shelfpilot.services.forecasting import DayForecast
from shelfpilot.web.templating import ui

GRID = {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True}


def forecast_band(
    days: Sequence[DayForecast], language: str, lead: int = 0
) -> list[dict[str, Any]]:
    """The forecast line over its 80 % interval (the 10 % quantile, then the
    band stacked on it); ``lead`` empty places come first (days of history
    drawn on the same axis)."""
    blank: list[float | None] = [None] * lead
    return [
        {"type": "line", "name": ui(language, "Low (10%%)"), "stack": "band", "symbol": "none",
         "lineStyle": {"opacity": 0}, "data": blank + [round(d.q10, 2) for d in days]},
        {"type": "line", "name": ui(language, "80%% interval"), "stack": "band", "symbol": "none",
         "lineStyle": {"opacity": 0}, "areaStyle": {"color": "#fed7aa"},
         "data": blank + [round(d.q90 - d.q10, 2) for d in days]},
        {"type": "line", "name": ui(language, "Forecast"), "itemStyle": {"color": "#c2410c"},
         "data": blank + [round(d.mean, 2) for d in days]},
    ]  # fmt: skip
