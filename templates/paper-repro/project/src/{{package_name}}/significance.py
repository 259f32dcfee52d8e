"""Paired significance tests over the same test users, for comparing two systems offline.

Each user gives one paired difference (e.g. their nDCG@10 under system B minus under A). The
paired randomisation (sign-flip) test asks how often randomly swapping the two systems' labels
within users gives a mean difference at least as large as the observed one (Fisher's
randomisation test; for retrieval, Smucker, Allan and Carterette, CIKM 2007). It assumes nothing
about the differences' distribution, which for a one-item nDCG is mostly zeros.

- `paired_randomisation_test`: two-sided p-value; exact when 2**n <= resamples, else Monte Carlo
  with `resamples` seeded sign flips and the add-one correction (p never reported as 0).
- `holm`: Holm's step-down correction (Holm, 1979) for a family of comparisons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["holm", "paired_randomisation_test"]


def paired_randomisation_test(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 10_000, seed: int = 0, batch: int = 1_000
) -> float:
    """Two-sided p-value of "mean(b - a) = 0" for paired per-user values `a` and `b`.

    The exact case equals scipy.stats.permutation_test(..., permutation_type="samples") with the
    mean difference as the statistic.
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
        signs = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
        return float(np.mean(np.abs(signs @ diff) / n >= observed - tolerance))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        signs = rng.integers(0, 2, size=(size, n), dtype=np.int8) * 2 - 1
        hits += int(np.sum(np.abs(signs @ diff) / n >= observed - tolerance))
    return (hits + 1) / (resamples + 1)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values in the input order: compare each with alpha directly."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
