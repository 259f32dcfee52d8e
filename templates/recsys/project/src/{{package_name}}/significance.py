"""Paired significance tests over test users, for comparing two recommenders offline.

Both models rank items for the same test users, so each user gives one paired difference
(e.g. nDCG@10 of model B minus model A). The paired randomisation (sign-flip) test asks how
often a random swap of the two models' labels within each user gives a mean difference at
least as large as the one observed (Fisher's randomisation test; for information retrieval,
Smucker, Allan and Carterette, CIKM 2007). It assumes nothing about the distribution of the
differences, which for per-user nDCG is far from normal (many users score 0 with both models).

- `paired_randomisation_test`: two-sided p-value; exact (all 2**n sign patterns) when
  2**n <= resamples, else Monte Carlo with `resamples` seeded sign flips and the add-one
  correction, p = (hits + 1) / (resamples + 1), which never reports p = 0.
- `holm`: Holm's step-down correction (Holm, 1979) for several comparisons at once.
- `bootstrap_weights` / `bootstrap_ci`: percentile bootstrap intervals of a mean over users
  (Efron & Tibshirani, 1993). One set of resampled users is shared by every model and metric,
  so an interval of a difference between two models is a paired one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "bootstrap_weights", "holm", "paired_randomisation_test"]


def paired_randomisation_test(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 10_000, seed: int = 0, batch: int = 1_000
) -> float:
    """Two-sided p-value for "mean(b - a) = 0" from paired values `a` and `b` (one per user).

    The exact case equals scipy.stats.permutation_test(..., permutation_type="samples",
    n_resamples=inf) with the mean difference as the statistic.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("a and b must be non-empty 1-D arrays of the same length")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    diff = b - a
    n = diff.size
    observed = abs(diff.mean())
    tolerance = 1e-12 * max(1.0, observed)  # equal sums in floating point count as ties
    if n <= 20 and 2**n <= resamples:
        patterns = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
        means = np.abs(patterns @ diff) / n
        return float(np.mean(means >= observed - tolerance))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        signs = rng.integers(0, 2, size=(size, n), dtype=np.int8) * 2 - 1
        hits += int(np.sum(np.abs(signs @ diff) / n >= observed - tolerance))
    return (hits + 1) / (resamples + 1)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: compare each with alpha directly."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def bootstrap_weights(n: int, *, resamples: int = 2_000, seed: int = 0) -> np.ndarray:
    """(resamples, n) counts: how often each of n users is drawn in each bootstrap resample."""
    if n < 1 or resamples < 1:
        raise ValueError("need at least one user and one resample")
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)


def bootstrap_ci(
    values: np.ndarray, weights: np.ndarray, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile interval of mean(values) over the resamples in `weights`.

    Pass `b - a` (per user) for a paired interval of a difference between two models.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or weights.shape[1] != values.size:
        raise ValueError("values must be 1-D with one entry per column of weights")
    means = weights @ values / values.size
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
