"""Metrics for structured extraction, their confidence intervals and paired tests.

- exact match (0-1): the predicted label equals the gold label on every field.
- field precision / recall / F1 (0-1), micro-averaged over (field, value) pairs: each gold label
  holds one pair per field; a prediction holds one pair per field it filled (none when it is
  not valid JSON). Equals scikit-learn's `precision_recall_fscore_support(average="micro")` on
  the pairs one-hot encoded by `MultiLabelBinarizer` (tests check this).
- JSON validity (0-1): the share of outputs that are a label, raw or after repair/retry.
- percentile bootstrap intervals over test messages; McNemar's exact test on exact match and
  a paired bootstrap test on field F1 between two systems scored on the same messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .data import FIELDS

Label = dict[str, str]


@dataclass(frozen=True)
class Counts:
    """Per-message counts: true positives, predicted pairs and gold pairs; exact match."""

    tp: np.ndarray
    predicted: np.ndarray
    gold: np.ndarray
    exact: np.ndarray


def counts(gold: Sequence[Label], predicted: Sequence[Label | None]) -> Counts:
    """Per-message field counts for gold labels and predictions (None: no valid label)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp, pred, gold_n, exact = [], [], [], []
    for g, p in zip(gold, predicted, strict=True):
        filled = {f: v for f, v in (p or {}).items() if f in FIELDS and v}
        tp.append(sum(filled.get(f) == g[f] for f in FIELDS))
        pred.append(len(filled))
        gold_n.append(len(FIELDS))
        exact.append(p is not None and all(p.get(f) == g[f] for f in FIELDS))
    return Counts(np.array(tp), np.array(pred), np.array(gold_n), np.array(exact, dtype=bool))


def prf(tp: float, predicted: float, gold: float) -> tuple[float, float, float]:
    """Micro precision, recall and F1 from totals (0 where undefined, as scikit-learn)."""
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def field_f1(c: Counts, index: np.ndarray | None = None) -> float:
    """Micro field F1 over the messages in `index` (all when None)."""
    sel = slice(None) if index is None else index
    return prf(float(c.tp[sel].sum()), float(c.predicted[sel].sum()), float(c.gold[sel].sum()))[2]


def summary(c: Counts, valid: Sequence[bool]) -> dict[str, float]:
    precision, recall, f1 = prf(float(c.tp.sum()), float(c.predicted.sum()), float(c.gold.sum()))
    return {
        "exact_match": float(c.exact.mean()),
        "field_precision": precision,
        "field_recall": recall,
        "field_f1": f1,
        "json_validity": float(np.mean(valid)),
    }


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    n: int,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(index)` over `n` resampled messages."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(resamples)])
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def mcnemar_exact(a_right: Sequence[bool], b_right: Sequence[bool]) -> float:
    """Two-sided exact McNemar p-value on paired right/wrong outcomes.

    A binomial test at 1/2 of the discordant pairs; equals
    `scipy.stats.binomtest(b, b + c, 0.5).pvalue` (McNemar 1947).
    """
    only_a = sum(a and not b for a, b in zip(a_right, b_right, strict=True))
    only_b = sum(b and not a for a, b in zip(a_right, b_right, strict=True))
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def paired_bootstrap(a: Counts, b: Counts, *, resamples: int = 1000, seed: int = 0) -> float:
    """Two-sided paired bootstrap p-value for "field F1 of a equals that of b".

    Messages are resampled together for both systems; the p-value is twice the share of
    resamples whose difference falls on the other side of zero from the observed one
    (Koehn 2004; Berg-Kirkpatrick et al. 2012), with +1 smoothing so it is never 0.
    """
    n = len(a.tp)
    observed = field_f1(a) - field_f1(b)
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    flipped = 0
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        diff = field_f1(a, index) - field_f1(b, index)
        if diff * observed <= 0:
            flipped += 1
    return min(1.0, 2 * (flipped + 1) / (resamples + 1))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
