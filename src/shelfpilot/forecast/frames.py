"""Loaders into the long format the models take: ``unique_id``, ``ds``, ``y``,
drivers, hierarchy and (when known) hourly sales and stock status."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FRESHRETAIL = "freshretailnet50k/train.parquet"
FRESHRETAIL_SAMPLE = "freshretailnet50k/sample_1000series.parquet"
HIERARCHY = [
    "city_id",
    "store_id",
    "management_group_id",
    "first_category_id",
    "second_category_id",
    "third_category_id",
    "product_id",
]
RENAMES = {
    "sale_amount": "y",
    "dt": "ds",
    "activity_flag": "promo",
    "holiday_flag": "holiday",
    "precpt": "precipitation",
    "avg_temperature": "temperature",
    "avg_humidity": "humidity",
    "avg_wind_level": "wind",
}


def load_freshretail(path: Path, *, hourly: bool = True, series: int | None = None) -> pd.DataFrame:
    """FreshRetailNet-50K (CC-BY-4.0, Dingdong-Inc) as a long frame; one series is
    one store × product. ``series`` keeps the first N series (for quick runs)."""
    frame = pd.read_parquet(path)
    frame = frame.rename(columns=RENAMES)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["unique_id"] = frame["store_id"].astype(str) + "/" + frame["product_id"].astype(str)
    if series is not None:
        keep = np.sort(frame["unique_id"].unique())[:series]
        frame = frame[frame["unique_id"].isin(keep)]
    if not hourly:
        frame = frame.drop(columns=["hours_sale", "hours_stock_status"])
    return frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
