"""Metrics for a binary classifier's scores, written out in NumPy so each definition is visible.

The tests check every one against scikit-learn (or a hand computation where scikit-learn has no
equivalent). `y` is 0/1 with 1 the positive (rare) class; `scores` are probabilities or any
score that is higher for the positive class.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "average_precision",
    "best_threshold",
    "brier",
    "expected_calibration_error",
    "expected_cost",
    "recall_at_precision",
    "roc_auc",
]


def _check(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).astype(np.int64)
    scores = np.asarray(scores, dtype=float)
    if y.shape != scores.shape:
        raise ValueError(f"{len(y)} labels but {len(scores)} scores")
    return y, scores


def _pr_points(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every distinct threshold, from the highest score down."""
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(t)[last_of_tie]
    predicted = last_of_tie + 1
    return tp / predicted, tp / max(int(y.sum()), 1)


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC as average precision: sum over thresholds of (R_k - R_k-1) * P_k. Range 0-1; a
    random scorer gets the positive rate. As sklearn.metrics.average_precision_score."""
    y, scores = _check(y, scores)
    if y.sum() == 0:
        return float("nan")
    precision, recall = _pr_points(y, scores)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC as the Mann-Whitney statistic: the chance a random positive outscores a random
    negative, ties counting one half. Range 0-1, 0.5 = random. As sklearn's roc_auc_score."""
    y, scores = _check(y, scores)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties (1-based).
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def recall_at_precision(y: np.ndarray, scores: np.ndarray, min_precision: float) -> float:
    """The highest recall at any threshold whose precision is at least `min_precision` (0 when
    none reaches it): "how many frauds do we catch if 9 in 10 alerts must be real?"."""
    y, scores = _check(y, scores)
    if y.sum() == 0:
        return float("nan")
    precision, recall = _pr_points(y, scores)
    ok = precision >= min_precision
    return float(recall[ok].max()) if ok.any() else 0.0


def brier(y: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean squared error of the probabilities, 0 (perfect) to 1. As sklearn's brier_score_loss."""
    y, probabilities = _check(y, probabilities)
    return float(np.mean((probabilities - y) ** 2))


def expected_calibration_error(y: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """ECE: over equal-width probability bins, the row-weighted gap |mean predicted - observed
    rate|. 0 = calibrated. Guo et al. (2017), "On calibration of modern neural networks"."""
    y, probabilities = _check(y, probabilities)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gap = abs(probabilities[members].mean() - y[members].mean())
            total += gap * members.sum() / len(y)
    return float(total)


def expected_cost(
    y: np.ndarray, scores: np.ndarray, threshold: float, cost_fp: float, cost_fn: float
) -> float:
    """Mean cost per row when rows scoring >= `threshold` are flagged: a false alarm costs
    `cost_fp`, a missed positive `cost_fn` (correct decisions cost nothing)."""
    y, scores = _check(y, scores)
    flagged = scores >= threshold
    fp = np.sum(flagged & (y == 0))
    fn = np.sum(~flagged & (y == 1))
    return float((cost_fp * fp + cost_fn * fn) / len(y))


def best_threshold(y: np.ndarray, scores: np.ndarray, cost_fp: float, cost_fn: float) -> float:
    """The threshold with the lowest expected cost on (validation) rows: each distinct score,
    plus the next float above the maximum (flag nothing). Ties go to the higher threshold
    (fewer alerts)."""
    y, scores = _check(y, scores)
    candidates = np.r_[np.unique(scores), np.nextafter(scores.max(), np.inf)]
    order = np.argsort(scores)
    s, t = scores[order], y[order]
    # Flagging s >= c: false negatives are positives below c, false positives negatives at or above.
    below = np.searchsorted(s, candidates, side="left")
    pos_below = np.r_[0, np.cumsum(t)][below]
    neg_above = (len(t) - below) - (int(t.sum()) - pos_below)
    costs = cost_fp * neg_above + cost_fn * pos_below
    best = np.flatnonzero(costs == costs.min())[-1]
    return float(candidates[best])
