"""Slice metrics: how the served model does on each segment of the data, with intervals.

A model can look fine on average and fail one segment (a merchant category, a tumour-size band,
long tickets). The segment column is `--slice-column`, else the dataset's first categorical
column with 2-12 levels, else a column named like age or amount, else the first numeric
column; numeric columns are cut into terciles (low, mid, high). Metrics come from the pooled
out-of-fold test predictions, with decisions at each fold's own threshold; the 95% intervals
are percentile bootstraps over the segment's rows (stats.bootstrap_statistic_ci).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .data import DataError, Dataset
from .metrics import average_precision
from .stats import bootstrap_statistic_ci

__all__ = ["SLICE_METRICS", "Segments", "segments", "slice_metrics"]

SLICE_METRICS = ("pr_auc", "recall", "false_alarm_rate")
MAX_LEVELS = 12


@dataclass(frozen=True)
class Segments:
    """The segment of every row, the column it came from and what each level means."""

    column: str
    labels: np.ndarray
    described: dict[str, str]


def _key(level: str) -> str:
    """A level as part of a metric name (lower case, no spaces)."""
    return re.sub(r"[^a-z0-9_.\-]+", "_", level.lower()).strip("_") or "blank"


def _terciles(name: str, values: np.ndarray) -> Segments:
    present = values[~np.isnan(values)]
    low, high = np.quantile(present, [1 / 3, 2 / 3]) if len(present) else (0.0, 0.0)
    labels = np.where(values < low, "low", np.where(values < high, "mid", "high"))
    labels = np.where(np.isnan(values), "missing", labels).astype(object)
    described = {
        "low": f"{name} < {low:.4g}",
        "mid": f"{low:.4g} <= {name} < {high:.4g}",
        "high": f"{name} >= {high:.4g}",
        "missing": f"{name} missing",
    }
    return Segments(name, labels, {k: v for k, v in described.items() if k in set(labels)})


def segments(dataset: Dataset, column: str | None = None) -> Segments:
    """The segment of each row of `dataset` (see the module docstring for the choice)."""
    if dataset.kind == "text":
        if column not in (None, "words"):
            raise DataError(f"--slice-column {column!r}: text is sliced by its length, 'words'")
        words = np.array([len(str(text).split()) for text in dataset.X], dtype=float)
        return _terciles("words", words)
    names = dataset.feature_names
    if column is not None and column not in names:
        raise DataError(f"--slice-column {column!r} is not a feature ({', '.join(names[:12])})")
    if column is None:
        categorical = [n for n in names if 2 <= len(dataset.categories.get(n, [])) <= MAX_LEVELS]
        named = [n for n in names if re.search(r"age|amount", n, re.IGNORECASE)]
        column = (categorical or named or names)[0]
    values = dataset.X[:, names.index(column)].astype(float)
    levels = dataset.categories.get(column)
    if levels is None:
        return _terciles(column, values)
    labels = np.array(["missing" if np.isnan(v) else levels[int(v)] for v in values], dtype=object)
    return Segments(column, labels, {_key(str(v)): f"{column} = {v}" for v in set(labels)})


def _metric(name: str, y: np.ndarray, p: np.ndarray, flagged: np.ndarray) -> float:
    if name == "pr_auc":
        return average_precision(y, p) if 0 < y.sum() < len(y) else float("nan")
    if name == "recall":
        return float(flagged[y == 1].mean()) if y.any() else float("nan")
    return float(flagged[y == 0].mean()) if (y == 0).any() else float("nan")


def _on_rows(
    name: str, y: np.ndarray, p: np.ndarray, flagged: np.ndarray
) -> Callable[[np.ndarray], float]:
    """Metric `name` as a function of the row indices a bootstrap draws."""
    return lambda idx: _metric(name, y[idx], p[idx], flagged[idx])


def slice_metrics(
    y: np.ndarray,
    p: np.ndarray,
    flagged: np.ndarray,
    segs: np.ndarray,
    seed: int,
    resamples: int = 500,
) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per segment level (largest first) and metric: (value, 95% low, 95% high), plus `rows`
    and `positives` as (n, n, n). A level with no positives has NaN recall and PR-AUC."""
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    levels, counts = np.unique(segs.astype(str), return_counts=True)
    for level in levels[np.argsort(-counts, kind="stable")]:
        rows = np.flatnonzero(segs.astype(str) == level)
        ys, ps, fs = y[rows], p[rows], flagged[rows]
        values: dict[str, tuple[float, float, float]] = {
            "rows": (len(rows),) * 3,
            "positives": (int(ys.sum()),) * 3,
        }
        for name in SLICE_METRICS:
            statistic = _on_rows(name, ys, ps, fs)
            value = statistic(np.arange(len(rows)))
            low, high = bootstrap_statistic_ci(statistic, len(rows), resamples=resamples, seed=seed)
            values[name] = (value, low, high)
        out[_key(str(level))] = values
    return out
