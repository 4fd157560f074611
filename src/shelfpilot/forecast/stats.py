"""statsforecast models behind the same interface as ``GlobalDemandModel``:
``fit(frame)``, ``predict(h)`` → ``unique_id, ds, mean, sd, q10, q50, q90``,
``update(frame)``, ``save``/``load``. Useful as a check on the default model
and for series too short or too few for a global model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, CrostonOptimized, SeasonalNaive, WindowAverage

from shelfpilot.forecast.model import prepare
from shelfpilot.forecast.persistence import load_tagged, save_tagged

#: z of the 90th percentile of a normal distribution: turns an 80 % interval into an sd
Z90 = 1.2815515655446004
FORMAT = "shelfpilot-stats-model/1"
MODELS: dict[str, Any] = {
    "AutoETS": lambda season: AutoETS(season_length=season),
    "SeasonalNaive": lambda season: SeasonalNaive(season_length=season),
    "WindowAverage": lambda season: WindowAverage(window_size=season),
    "CrostonOptimized": lambda season: CrostonOptimized(),
}
WITH_INTERVALS = {"AutoETS", "SeasonalNaive"}


class StatsDemandModel:
    def __init__(
        self,
        model: str = "AutoETS",
        *,
        season_length: int = 7,
        censoring: str = "sold_out_days",
        n_jobs: int = 1,
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}")
        self.model = model
        self.alias = model
        self.season_length = season_length
        self.censoring = censoring
        self.n_jobs = n_jobs
        self.history_: pd.DataFrame | None = None

    def _long(self, frame: pd.DataFrame) -> pd.DataFrame:
        prepared = prepare(frame, censoring=self.censoring)
        return prepared[["unique_id", "ds", "demand"]].rename(columns={"demand": "y"})

    def fit(self, frame: pd.DataFrame) -> StatsDemandModel:
        self.history_ = self._long(frame)
        return self

    def update(self, frame: pd.DataFrame) -> StatsDemandModel:
        """Local models refit at every forecast anyway; this appends the days."""
        if self.history_ is None:
            return self.fit(frame)
        self.history_ = pd.concat([self.history_, self._long(frame)]).drop_duplicates(
            ["unique_id", "ds"], keep="last"
        )
        return self

    def predict(self, h: int, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """``future`` drivers are not used: these models see only the series."""
        if self.history_ is None:
            raise RuntimeError("fit the model before predicting")
        forecaster = StatsForecast(
            models=[MODELS[self.model](self.season_length)], freq="D", n_jobs=self.n_jobs
        )
        kwargs: dict[str, Any] = {"level": [80]} if self.model in WITH_INTERVALS else {}
        raw = forecaster.forecast(df=self.history_.sort_values(["unique_id", "ds"]), h=h, **kwargs)
        raw = raw.reset_index() if "unique_id" not in raw.columns else raw
        result = pd.DataFrame(
            {
                "unique_id": raw["unique_id"],
                "ds": raw["ds"],
                "mean": raw[self.model].clip(lower=0.0),
            }
        )
        if self.model in WITH_INTERVALS:
            lo, hi = (
                raw[f"{self.model}-lo-80"].clip(lower=0.0),
                raw[f"{self.model}-hi-80"].clip(lower=0.0),
            )
        else:
            lo = hi = result["mean"]
        result["sd"] = np.maximum((hi - lo) / (2 * Z90), 1e-9)
        result["q10"], result["q50"], result["q90"] = lo, result["mean"], hi
        return result.reset_index(drop=True)

    def save(self, path: Path) -> None:
        """Pickle the model (load only files you made: pickle runs code)."""
        save_tagged(self, path, FORMAT)

    @classmethod
    def load(cls, path: Path) -> StatsDemandModel:
        return load_tagged(path, FORMAT, cls, "statistical demand model")
