"""Fitting the models (numpy only, no I/O): monotone binning, WOE, logistic regression, PDO points.

Conventions, fixed once: `bad` = 1 is the event being predicted; WOE = ln(%good / %bad)
(higher is better); odds are good:bad, as in the PDO scaling of scoring.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from credit_scoring.scoring import band_shares, score_of_values

SMOOTHING = 0.5
MIN_IV = 0.02


def logistic_irls(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, iterations: int = 60) -> np.ndarray:
    """Logistic regression by Newton/IRLS with a small ridge; returns [intercept, coefficients...]."""
    design = np.hstack([np.ones((x.shape[0], 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        z = np.clip(design @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        w = p * (1 - p)
        gradient = design.T @ (y - p) - penalty @ beta
        hessian = design.T @ (design * w[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def predict(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = np.clip(beta[0] + x @ beta[1:], -35, 35)
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return probabilities


# --- metrics ----------------------------------------------------------------------


def auc(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half)."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sorted_p = p[order]
    i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y)) ** 2))


def ks(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float:
    """Kolmogorov–Smirnov: the largest gap between the bad and good cumulative score distributions."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    thresholds = np.unique(p)
    bads, goods = max(1, int(y.sum())), max(1, int((1 - y).sum()))
    best = 0.0
    for t in thresholds:
        above = p >= t
        best = max(best, abs(float(y[above].sum()) / bads - float((1 - y)[above].sum()) / goods))
    return best


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index Σ (a − e) × ln(a / e) over matching shares (floored at 0.0001)."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, 1e-4), max(a, 1e-4)
        total += (a - e) * math.log(a / e)
    return total


# --- monotone binning and WOE -------------------------------------------------------


def _woe(good: float, bad: float, goods: float, bads: float) -> float:
    return math.log(((good + SMOOTHING) / (goods + SMOOTHING)) / ((bad + SMOOTHING) / (bads + SMOOTHING)))


def monotone_bins(
    values: Sequence[float | None], bad: Sequence[int], *, max_bins: int = 5, min_share: float = 0.05
) -> list[dict[str, Any]]:
    """Bins of one characteristic whose bad rate moves one way only (pool-adjacent-violators on deciles).

    Returns [{"lower", "upper", "good", "bad"}...] plus a {"missing": True} bin when values are missing.
    """
    pairs = [(v, b) for v, b in zip(values, bad, strict=True) if v is not None]
    missing = [b for v, b in zip(values, bad, strict=True) if v is None]
    xs = np.array([v for v, _ in pairs], dtype=float)
    ys = np.array([b for _, b in pairs], dtype=float)
    bins: list[dict[str, Any]] = []
    if len(xs):
        cuts = sorted(set(np.quantile(xs, np.linspace(0.1, 0.9, 9)).round(4).tolist()))
        edges = [None, *[c for c in cuts if c > xs.min()], None]
        for lower, upper in itertools.pairwise(edges):
            mask = np.ones(len(xs), dtype=bool)
            if lower is not None:
                mask &= xs >= lower
            if upper is not None:
                mask &= xs < upper
            if mask.any():
                bins.append({"lower": lower, "upper": upper, "bad": float(ys[mask].sum()), "n": int(mask.sum())})
        increasing = float(np.corrcoef(xs, ys)[0, 1]) >= 0 if len(set(xs.tolist())) > 1 and ys.std() > 0 else True

        def rate(b: dict[str, Any]) -> float:
            return float(b["bad"] / b["n"])

        def merge(i: int) -> None:
            a, b = bins[i], bins[i + 1]
            bins[i : i + 2] = [
                {"lower": a["lower"], "upper": b["upper"], "bad": a["bad"] + b["bad"], "n": a["n"] + b["n"]}
            ]

        changed = True
        while changed and len(bins) > 1:
            changed = False
            for i in range(len(bins) - 1):
                violates = rate(bins[i]) > rate(bins[i + 1]) if increasing else rate(bins[i]) < rate(bins[i + 1])
                small = min(bins[i]["n"], bins[i + 1]["n"]) < min_share * len(xs)
                if violates or small:
                    merge(i)
                    changed = True
                    break
        while len(bins) > max_bins:
            gaps = [abs(rate(bins[i]) - rate(bins[i + 1])) for i in range(len(bins) - 1)]
            merge(int(np.argmin(gaps)))
    if missing:
        bins.append({"missing": True, "bad": float(sum(missing)), "n": len(missing)})
    return bins


def fit_scorecard(
    rows: Sequence[Mapping[str, float | None]],
    bad: Sequence[int],
    *,
    version: str,
    names: Sequence[str],
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    tiers: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Fit a PDO-scaled scorecard: monotone bins → WOE → IV ≥ 0.02 → logistic regression → integer points."""
    y = np.asarray(bad, dtype=float)
    bads, goods = float(y.sum()), float(len(y) - y.sum())
    tables: dict[str, list[dict[str, Any]]] = {}
    columns: dict[str, np.ndarray] = {}
    ivs: dict[str, float] = {}
    for name in names:
        values = [r.get(name) for r in rows]
        bins = monotone_bins(values, bad)
        iv = 0.0
        for b in bins:
            b_bad, b_good = b["bad"], b["n"] - b["bad"]
            b["woe"] = _woe(b_good, b_bad, goods, bads)
            iv += ((b_good + SMOOTHING) / (goods + SMOOTHING) - (b_bad + SMOOTHING) / (bads + SMOOTHING)) * b["woe"]
        ivs[name] = iv
        tables[name] = bins
        columns[name] = np.array([_woe_of(bins, v) for v in values])
    kept = [n for n in names if ivs[n] >= MIN_IV]
    # Drop characteristics whose coefficient comes out with the wrong sign (collinearity), then refit.
    while True:
        beta = logistic_irls(np.column_stack([columns[n] for n in kept]), y)
        wrong = [n for n, b in zip(kept, beta[1:], strict=True) if b >= 0]
        if not wrong or len(kept) == 1:
            break
        kept.remove(max(wrong, key=lambda n: beta[1 + kept.index(n)]))
    factor = pdo / math.log(2)
    offset = base_score - factor * math.log(base_odds)
    share = (offset - factor * beta[0]) / len(kept)
    characteristics = []
    for name, coefficient in zip(kept, beta[1:], strict=True):
        bins = []
        for b in tables[name]:
            out: dict[str, Any] = {k: b[k] for k in ("lower", "upper", "missing") if k in b}
            out["woe"] = round(b["woe"], 6)
            out["points"] = round(-factor * coefficient * b["woe"] + share)
            out["count"] = b["n"]
            out["bad_rate"] = round(b["bad"] / b["n"], 6) if b["n"] else 0.0
            bins.append(out)
        characteristics.append(
            {"name": name, "iv": round(ivs[name], 6), "coefficient": round(float(coefficient), 6), "bins": bins}
        )
    model: dict[str, Any] = {
        "kind": "scorecard",
        "version": version,
        "scaling": {"pdo": pdo, "base_score": base_score, "base_odds": base_odds},
        "intercept": round(float(beta[0]), 6),
        "tiers": dict(tiers or {"A": 600, "B": 570, "C": 530}),
        "characteristics": characteristics,
        "information_values": {n: round(v, 6) for n, v in ivs.items()},
        "trained_on": {"rows": len(y), "bad": int(bads)},
    }
    scores = [score_of_values(model, r) for r in rows]
    model["score_distribution"] = [round(share, 6) for share in band_shares(scores)]
    model["metrics"] = {"auc_in_sample": round(auc(y, [-s for s in scores]), 4)}
    return model


def _woe_of(bins: Sequence[Mapping[str, Any]], value: float | None) -> float:
    for b in bins:
        if value is None:
            if b.get("missing"):
                return float(b["woe"])
            continue
        if b.get("missing"):
            continue
        if (b["lower"] is None or value >= b["lower"]) and (b["upper"] is None or value < b["upper"]):
            return float(b["woe"])
    return 0.0


def fit_late_payment(
    rows: Sequence[Mapping[str, float]], late: Sequence[int], *, version: str, features: Sequence[str], days_late: int
) -> dict[str, Any]:
    """Fit the late-payment model: logistic regression on standardised features."""
    x = np.array([[r.get(f, 0.0) for f in features] for r in rows], dtype=float)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    beta = logistic_irls((x - means) / scales, np.asarray(late, dtype=float), l2=1.0)
    fitted = predict(beta, (x - means) / scales)
    return {
        "kind": "late_payment",
        "version": version,
        "days_late": days_late,
        "features": list(features),
        "intercept": float(beta[0]),
        "coefficients": [float(b) for b in beta[1:]],
        "means": [float(m) for m in means],
        "scales": [float(s) for s in scales],
        "trained_on": {"rows": len(rows), "late": int(sum(late))},
        "metrics": {"auc_in_sample": round(auc(late, fitted), 4), "brier_in_sample": round(brier(late, fitted), 4)},
    }
