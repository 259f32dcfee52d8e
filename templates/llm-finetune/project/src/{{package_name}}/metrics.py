"""Task metrics: what is scored per message, and the paired bootstrap of a pooled score.

Extraction:
- exact match (0-1): the predicted label equals the gold label on every field.
- field precision / recall / F1 (0-1), micro-averaged over (field, value) pairs: each gold label
  holds one pair per field; a prediction holds one pair per field it filled (none when it is
  not a valid label). Equals scikit-learn's `precision_recall_fscore_support(average="micro")` on
  the pairs one-hot encoded by `MultiLabelBinarizer` (tests check this).
- JSON validity (0-1): the share of outputs that are a label, raw or after repair/retry.

Classification:
- accuracy (0-1): the share of messages whose predicted class is the gold one (exact match).
- macro-F1 (0-1): the unweighted mean over the gold classes of per-class F1, an invalid answer
  counting as a wrong class; equals `sklearn.metrics.f1_score(average="macro", labels=classes,
  zero_division=0)` (tests check this). Rare classes weigh as much as common ones.
- label validity (0-1): the share of outputs that are one of the class names.

Intervals and the generic tests (McNemar, Holm) come from `stats.py`; a pooled score (field F1,
macro-F1) is not a mean over messages, so its paired test is the paired bootstrap here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .stats import mcnemar_exact_p

Label = dict[str, str]
Statistic = Callable[[np.ndarray | None], float]


@dataclass(frozen=True)
class Counts:
    """Per-message counts: true positives, predicted pairs and gold pairs; exact match."""

    tp: np.ndarray
    predicted: np.ndarray
    gold: np.ndarray
    exact: np.ndarray


def counts(
    gold: Sequence[Label], predicted: Sequence[Label | None], fields: Sequence[str]
) -> Counts:
    """Per-message field counts for gold labels and predictions (None: no valid label)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp, pred, gold_n, exact = [], [], [], []
    for g, p in zip(gold, predicted, strict=True):
        filled = {f: v for f, v in (p or {}).items() if f in fields and v}
        tp.append(sum(filled.get(f) == g[f] for f in fields))
        pred.append(len(filled))
        gold_n.append(len(fields))
        exact.append(p is not None and all(p.get(f) == g[f] for f in fields))
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
    """Exact match, field precision/recall/F1 and JSON validity of one extraction run."""
    precision, recall, f1 = prf(float(c.tp.sum()), float(c.predicted.sum()), float(c.gold.sum()))
    return {
        "exact_match": float(c.exact.mean()),
        "field_precision": precision,
        "field_recall": recall,
        "field_f1": f1,
        "json_validity": float(np.mean(valid)),
    }


@dataclass(frozen=True)
class ClassCodes:
    """Gold and predicted classes as integer codes; -1 marks an invalid answer."""

    gold: np.ndarray
    predicted: np.ndarray
    n_classes: int


def class_codes(
    gold: Sequence[str], predicted: Sequence[str | None], classes: Sequence[str]
) -> ClassCodes:
    """Codes for macro-F1; a gold class outside `classes` is an error (the label set is wrong)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    code = {name: i for i, name in enumerate(classes)}
    missing = sorted({g for g in gold if g not in code})
    if missing:
        raise ValueError(f"gold classes not in the label set: {', '.join(missing)}")
    return ClassCodes(
        np.array([code[g] for g in gold]),
        np.array([code.get(p, -1) if p is not None else -1 for p in predicted]),
        len(classes),
    )


def macro_f1(c: ClassCodes, index: np.ndarray | None = None) -> float:
    """Macro-F1 over every class of the label set, on the messages in `index` (all when None).

    A class with neither gold nor predicted messages scores 0, as scikit-learn's
    `f1_score(labels=classes, zero_division=0)` does.
    """
    gold = c.gold if index is None else c.gold[index]
    pred = c.predicted if index is None else c.predicted[index]
    right = gold == pred
    tp = np.bincount(gold[right], minlength=c.n_classes)
    gold_n = np.bincount(gold, minlength=c.n_classes)
    pred_n = np.bincount(pred[pred >= 0], minlength=c.n_classes)
    denominator = gold_n + pred_n
    f1 = np.divide(2 * tp, denominator, out=np.zeros(c.n_classes), where=denominator > 0)
    return float(f1.mean())


def mcnemar(a_right: Sequence[bool] | np.ndarray, b_right: Sequence[bool] | np.ndarray) -> float:
    """McNemar's exact p-value on paired right/wrong outcomes (the discordant pairs)."""
    a, b = np.asarray(a_right, dtype=bool), np.asarray(b_right, dtype=bool)
    return mcnemar_exact_p(int(np.sum(a & ~b)), int(np.sum(b & ~a)))


def paired_bootstrap_p(
    score_a: Statistic, score_b: Statistic, n: int, *, resamples: int = 1000, seed: int = 0
) -> float:
    """Two-sided paired bootstrap p-value for "score a equals score b" on the same `n` messages.

    `score_*(index)` computes a pooled score (field F1, macro-F1) over resampled messages,
    resampled together for both systems; the p-value is twice the share of resamples whose
    difference falls on the other side of zero from the observed one (Koehn 2004;
    Berg-Kirkpatrick et al. 2012), with +1 smoothing so it is never 0.
    """
    observed = score_a(None) - score_b(None)
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    flipped = 0
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        if (score_a(index) - score_b(index)) * observed <= 0:
            flipped += 1
    return min(1.0, 2 * (flipped + 1) / (resamples + 1))
