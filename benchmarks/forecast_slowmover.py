"""The slow-mover test of the forecast backtest: "this lot will not sell before
it expires", warned 5-7 days ahead, against a naive moving-average rule.

Imported by ``forecast_backtest.py``; see ``DEFINITION`` for the test itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shelfpilot.forecast.risk import demand_samples, sellout_probability

K = (0.7, 0.8, 1.0, 1.2)
L_DAYS = (5, 6, 7)
DEFINITION = (
    "Defined before looking at any result (k = 0.8, 1.0, 1.2). At each cut-off, for each "
    "series whose mean daily sales over the 14 days up to and including the cut-off (m14) "
    "is > 0: a hypothetical lot of k x L x m14 units with L days of shelf life left "
    "(L in {5, 6, 7}). Truth ('slow', positive class) = actual sales over the L days after "
    "the cut-off < lot size (the lot would not sell out in time). Ours: P(sells out) = "
    "shelfpilot.forecast.risk sell-out probability (gamma daily demand from the forecast's "
    "mean and sd, days independent, 2,000 draws, seed 0) over the first L forecast days of "
    "the 14-day forecast from that cut-off; warn when P(sells out) < 0.5; Brier = "
    "mean((1 - P(sells out)) - truth)^2. Naive rule: warn when (mean sales of the last 7 "
    "days up to the cut-off) x L < lot size; its Brier is that of its 0/1 warning. Series "
    "with m14 = 0 are left out (lot of 0).\n\n"
    "Added after the first results: 'majority' = the accuracy of always giving the "
    "commoner answer (a warning is only worth something above it); 'confident' = the "
    "series where ours is sure either way (P(sells out) <= 0.2 or >= 0.8), their share and "
    "ours' accuracy on them; k = 0.7 is the seed's own event (系统预警…可能滞销30%: a lot "
    "stocked at typical demand of which 30 % or more is left unsold); and the second table "
    "scores only windows with no stock-out 6-22 h on any of the L days, because on the "
    "others the observed sales understate demand, so the truth itself says 'slow' where the "
    "shelf was simply empty (our forecast is of demand)."
)
HEADERS = [
    "k",
    "L",
    "positives %",
    "majority acc",
    "ours acc",
    "ours prec",
    "ours rec",
    "ours Brier",
    "naive acc",
    "naive prec",
    "naive rec",
    "naive Brier",
    "ours confident %",
    "ours acc confident",
]
FREE_HEADERS = [
    "k",
    "L",
    "windows in stock %",
    "positives %",
    "majority acc",
    "ours acc",
    "ours prec",
    "ours rec",
    "ours Brier",
    "naive acc",
    "naive prec",
    "naive rec",
]


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def _scores(name: str, warn: np.ndarray, prob: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    if not len(truth):
        return {}
    tp = int((warn & truth).sum())
    return {
        f"{name}_accuracy": float((warn == truth).mean()),
        f"{name}_precision": _ratio(tp, warn.sum()),
        f"{name}_recall": _ratio(tp, truth.sum()),
        f"{name}_brier": float(np.mean((prob - truth) ** 2)),
    }


def slow_mover(
    core: pd.DataFrame,
    forecast: pd.DataFrame,
    cutoff: pd.Timestamp,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """The slow-mover warning test at one cut-off (see ``DEFINITION``)."""
    sales = core.pivot(index="unique_id", columns="ds", values="y")
    stockout = core.pivot(index="unique_id", columns="ds", values="stock_hour6_22_cnt")
    dates = sales.columns
    pos = dates.get_loc(cutoff)
    m14 = sales.iloc[:, pos - 13 : pos + 1].mean(axis=1)
    ma7 = sales.iloc[:, pos - 6 : pos + 1].mean(axis=1)
    after = sales.iloc[:, pos + 1 : pos + 1 + max(L_DAYS)]
    keep = m14 > 0
    ids = m14.index[keep]
    fc = forecast[forecast["unique_id"].isin(ids)].sort_values(["unique_id", "ds"])
    mean = fc.pivot(index="unique_id", columns="ds", values="mean").loc[ids].to_numpy()
    sd = fc.pivot(index="unique_id", columns="ds", values="sd").loc[ids].to_numpy()
    mean, sd = mean[:, : max(L_DAYS)], sd[:, : max(L_DAYS)]
    m14v, ma7v, actual = m14[keep].to_numpy(), ma7[keep].to_numpy(), after.loc[ids].to_numpy()
    short = stockout.iloc[:, pos + 1 : pos + 1 + max(L_DAYS)].loc[ids].fillna(0).to_numpy() > 0
    n = len(ids)
    # P(sells out) for every (series, L, k). Same gamma draws as
    # risk.sellout_probability, done once per chunk for all L and k (cumulative
    # sums) instead of one simulation each; cross-checked below.
    p_sell = {(k, L): np.empty(n) for k in K for L in L_DAYS}
    chunk = 2000
    for i, start in enumerate(range(0, n, chunk)):
        sl = slice(start, start + chunk)
        draws = demand_samples(mean[sl], sd[sl], 2000, seed=seed + i)
        cum = np.cumsum(draws, axis=2)
        for L in L_DAYS:
            total = cum[:, :, L - 1]
            for k in K:
                lot = k * L * m14v[sl]
                p_sell[(k, L)][sl] = (total >= lot[None, :]).mean(axis=0)
    sl = slice(0, min(chunk, n))
    ref, _ = sellout_probability(
        mean[sl],
        sd[sl],
        1.0 * 7 * m14v[sl],
        np.full(sl.stop, 7),
        samples=2000,
        seed=seed,
    )
    check = float(np.max(np.abs(ref - p_sell[(1.0, 7)][sl]))) if n else 0.0
    out: dict[str, dict[str, float]] = {}
    for k in K:
        for L in L_DAYS:
            lot = k * L * m14v
            truth = actual[:, :L].sum(axis=1) < lot
            p_slow = 1.0 - p_sell[(k, L)]
            ours_warn = p_sell[(k, L)] < 0.5
            naive_warn = ma7v * L < lot
            free = ~short[:, :L].any(axis=1)
            row: dict[str, float] = {
                "series": int(n),
                "positive_share": float(truth.mean()),
                "majority_accuracy": float(max(truth.mean(), 1 - truth.mean())),
                "free_share": float(free.mean()),
                "free_positive_share": float(truth[free].mean()) if free.any() else float("nan"),
                "free_majority_accuracy": (
                    float(max(truth[free].mean(), 1 - truth[free].mean()))
                    if free.any()
                    else float("nan")
                ),
            }
            row |= _scores("ours", ours_warn, p_slow, truth)
            row |= _scores("naive", naive_warn, naive_warn.astype(float), truth)
            row |= _scores("free_ours", ours_warn[free], p_slow[free], truth[free])
            row |= _scores(
                "free_naive", naive_warn[free], naive_warn[free].astype(float), truth[free]
            )
            sure = (p_sell[(k, L)] <= 0.2) | (p_sell[(k, L)] >= 0.8)
            row["ours_confident_share"] = float(sure.mean())
            row["ours_confident_accuracy"] = (
                float((ours_warn == truth)[sure].mean()) if sure.any() else float("nan")
            )
            out[f"k={k},L={L}"] = row
    out["_check"] = {"max_abs_diff_vs_sellout_probability_k1_L7": check}
    return out


def mean_over_cutoffs(slow: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Each figure averaged over the cut-offs."""
    if not slow:
        return {}
    first = next(iter(slow.values()))
    return {
        key: {m: float(np.nanmean([slow[c][key].get(m, np.nan) for c in slow])) for m in first[key]}
        for key in first
        if not key.startswith("_")
    }


def _pct(x: float | None) -> str:
    return "-" if x is None or x != x else f"{100 * x:.2f}"


def rows(summary: dict[str, dict[str, float]]) -> list[list[str]]:
    out = []
    for key, v in summary.items():
        k, L = (part.split("=")[1] for part in key.split(","))
        out.append(
            [k, L, _pct(v["positive_share"]), _pct(v.get("majority_accuracy"))]
            + [_pct(v[f"ours_{x}"]) for x in ("accuracy", "precision", "recall")]
            + [f"{v['ours_brier']:.3f}"]
            + [_pct(v[f"naive_{x}"]) for x in ("accuracy", "precision", "recall")]
            + [f"{v['naive_brier']:.3f}"]
            + [_pct(v.get("ours_confident_share")), _pct(v.get("ours_confident_accuracy"))]
        )
    return out


def free_rows(summary: dict[str, dict[str, float]]) -> list[list[str]]:
    out = []
    for key, v in summary.items():
        if "free_ours_accuracy" not in v:
            continue
        k, L = (part.split("=")[1] for part in key.split(","))
        out.append(
            [k, L, _pct(v["free_share"]), _pct(v["free_positive_share"])]
            + [_pct(v["free_majority_accuracy"])]
            + [_pct(v[f"free_ours_{x}"]) for x in ("accuracy", "precision", "recall")]
            + [f"{v['free_ours_brier']:.3f}"]
            + [_pct(v[f"free_naive_{x}"]) for x in ("accuracy", "precision", "recall")]
        )
    return out
