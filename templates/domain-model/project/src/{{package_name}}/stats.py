"""The paired test behind the headline: Nadeau and Bengio's corrected resampled t-test.

Cross-validation folds share training rows, so per-fold scores are correlated and a plain
paired t-test over folds is overconfident (it rejects "no difference" far too often). Nadeau &
Bengio (2003, "Inference for the generalization error", Machine Learning 52) inflate the
variance of the mean difference from s^2 / k to (1 / k + n_test / n_train) * s^2. With
n_test / n_train = 0 the test is the ordinary paired t-test (scipy.stats.ttest_rel), which the
tests check. Also here: Holm's adjustment for several comparisons, and a percentile
bootstrap for intervals of statistics over rows (slice metrics).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as _stats

__all__ = [
    "TestResult",
    "bootstrap_interval",
    "corrected_interval",
    "corrected_paired_ttest",
    "holm",
]


@dataclass(frozen=True)
class TestResult:
    """The mean difference (a - b) over folds, its t statistic and two-sided p-value."""

    mean_difference: float
    t: float
    p_value: float
    folds: int


def _corrected_variance(values: np.ndarray, test_train_ratio: float) -> float:
    k = len(values)
    return float((1 / k + test_train_ratio) * np.var(values, ddof=1))


def corrected_paired_ttest(a: np.ndarray, b: np.ndarray, test_train_ratio: float) -> TestResult:
    """Two-sided corrected resampled t-test of per-fold scores `a` against `b` (k - 1 d.o.f.)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError("need the same two or more folds for both systems")
    diff = a - b
    mean = float(diff.mean())
    variance = _corrected_variance(diff, test_train_ratio)
    if variance == 0:
        return TestResult(
            mean, 0.0 if mean == 0 else math.copysign(math.inf, mean), float(mean == 0), len(a)
        )
    t = mean / math.sqrt(variance)
    p = float(2 * _stats.t.sf(abs(t), df=len(a) - 1))
    return TestResult(mean, t, p, len(a))


def corrected_interval(
    values: np.ndarray, test_train_ratio: float, level: float = 0.95
) -> tuple[float, float]:
    """A t confidence interval for the CV mean of `values`, with the same variance correction."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        m = float(values.mean()) if len(values) else float("nan")
        return m, m
    half = _stats.t.ppf(0.5 + level / 2, df=len(values) - 1) * math.sqrt(
        _corrected_variance(values, test_train_ratio)
    )
    return float(values.mean() - half), float(values.mean() + half)


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    n: int,
    seed: int,
    resamples: int = 1000,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(rows)` over `n` rows resampled with
    replacement; resamples where the statistic is undefined (NaN) are left out."""
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(rng.integers(0, n, n)) for _ in range(resamples)], dtype=float)
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values (family-wise error), in the input order."""
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return [float(v) for v in adjusted]
