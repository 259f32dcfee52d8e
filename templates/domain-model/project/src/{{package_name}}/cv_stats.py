"""The paired test behind the headline: Nadeau and Bengio's corrected resampled t-test.

Cross-validation folds share training rows, so per-fold scores are correlated and a plain
paired t-test over folds is overconfident (it rejects "no difference" far too often). Nadeau &
Bengio (2003, "Inference for the generalization error", Machine Learning 52) inflate the
variance of the mean difference from s^2 / k to (1 / k + n_test / n_train) * s^2. With
n_test / n_train = 0 the test is the ordinary paired t-test (scipy.stats.ttest_rel), which the
tests check. Holm's adjustment and bootstrap intervals are in the shared stats.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _stats

__all__ = ["TestResult", "corrected_interval", "corrected_paired_ttest"]


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
