"""The paired test behind the headline: does one policy change every job's wait, or not?

Both policies replay the same jobs, so each job gives one paired difference in wait. The paired
randomisation (sign-flip) test asks how often randomly swapping the two policies' labels within
each job gives a mean difference at least as large as the one observed (Fisher 1935; the
`permutation_type="samples"` test of scipy.stats.permutation_test).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def paired_randomisation_p(
    a: ArrayLike, b: ArrayLike, *, permutations: int = 10_000, seed: int = 0
) -> float:
    """Two-sided p-value of mean(a - b) = 0 by random sign flips of the paired differences.

    Monte-Carlo with the observed labelling counted as one permutation, so p is never 0:
    (1 + #{|mean of flipped| >= |observed|}) / (1 + permutations).
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("paired samples must be two 1-d sequences of the same length")
    diff = x - y
    if len(diff) == 0 or not np.any(diff):
        return 1.0
    observed = abs(diff.mean())
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, permutations, 1000):
        size = min(1000, permutations - start)
        signs = rng.choice([-1.0, 1.0], size=(size, len(diff)))
        hits += int(np.sum(np.abs(signs @ diff) / len(diff) >= observed - 1e-12))
    return (1 + hits) / (1 + permutations)


def exact_paired_p(a: ArrayLike, b: ArrayLike) -> float:
    """The exact sign-flip p-value over all 2^n labellings (small n only; for the tests)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(diff)
    if n > 20:
        raise ValueError("exact enumeration is for n <= 20")
    observed = abs(diff.mean())
    signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    return float(np.mean(np.abs(signs @ diff) / n >= observed - 1e-12))
