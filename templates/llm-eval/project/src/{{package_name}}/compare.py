"""Paired comparison of two runs over the same examples, and the regression gate.

    python -m llm_eval gate --baseline runs/qa/a.jsonl --candidate runs/qa/b.jsonl --metric f1

Both runs score the same examples, so the comparison is paired, example by example:
- the paired bootstrap resamples examples (with replacement) and reads the 95% interval of the
  mean difference candidate - baseline from the percentiles of the resampled means (Efron &
  Tibshirani 1993, percentile method; Koehn 2004 for MT evaluation);
- McNemar's test on a pass/fail outcome (score >= threshold) looks only at the examples where
  exactly one run passes: b (baseline only) and c (candidate only). The exact two-sided p-value
  is a binomial test of min(b, c) out of b + c at 1/2 (statsmodels' mcnemar(exact=True)); the
  chi-square version is (|b - c| - 1)^2 / (b + c) on one degree of freedom
  (mcnemar(exact=False, correction=True)).
The gate fails when the whole interval lies below -margin: the candidate is worse beyond noise.
An equal candidate has an interval around 0 and passes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .runner import ExampleResult

__all__ = [
    "GateResult",
    "Paired",
    "bootstrap_ci",
    "gate",
    "mcnemar_chi2_p",
    "mcnemar_exact_p",
    "pair",
]


@dataclass(frozen=True)
class Paired:
    """Per-example scores of one metric for two runs, in the same example order."""

    ids: list[str]
    metric: str
    baseline: list[float]
    candidate: list[float]


def pair(baseline: Sequence[ExampleResult], candidate: Sequence[ExampleResult], metric: str) -> Paired:
    """Line up two runs by example id; they must cover the same examples and hold `metric`."""
    a = {r.id: r for r in baseline}
    b = {r.id: r for r in candidate}
    if set(a) != set(b):
        only_a = sorted(set(a) - set(b))[:3]
        only_b = sorted(set(b) - set(a))[:3]
        raise ValueError(
            f"the runs cover different examples (only in baseline: {only_a}, "
            f"only in candidate: {only_b}): compare runs of the same suite"
        )
    ids = [r.id for r in baseline]
    for name, run in (("baseline", a), ("candidate", b)):
        if metric not in run[ids[0]].scores:
            known = ", ".join(run[ids[0]].scores)
            raise ValueError(f"the {name} run has no metric {metric!r} (it has: {known})")
    return Paired(
        ids, metric, [a[i].scores[metric] for i in ids], [b[i].scores[metric] for i in ids]
    )


def bootstrap_ci(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean paired difference (candidate - baseline) and its percentile bootstrap interval."""
    diff = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    if diff.size == 0:
        raise ValueError("no paired examples")
    rng = np.random.default_rng(seed)
    index = rng.integers(0, diff.size, size=(n_resamples, diff.size))
    means = diff[index].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(diff.mean()), float(low), float(high)


def mcnemar_exact_p(only_baseline: int, only_candidate: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of the discordant pairs at 1/2."""
    n = only_baseline + only_candidate
    if n == 0:
        return 1.0
    k = min(only_baseline, only_candidate)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def mcnemar_chi2_p(only_baseline: int, only_candidate: int) -> float:
    """McNemar's chi-square test with continuity correction; chi2(1) survival = erfc(sqrt(x/2))."""
    n = only_baseline + only_candidate
    if n == 0:
        return 1.0
    statistic = (abs(only_baseline - only_candidate) - 1) ** 2 / n
    return math.erfc(math.sqrt(statistic / 2))


def discordant(paired: Paired, threshold: float = 1.0) -> tuple[int, int]:
    """(b, c): examples that pass (score >= threshold) only in baseline, only in candidate."""
    b = sum(x >= threshold > y for x, y in zip(paired.baseline, paired.candidate, strict=True))
    c = sum(y >= threshold > x for x, y in zip(paired.baseline, paired.candidate, strict=True))
    return b, c


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict with the numbers behind it."""

    metric: str
    n: int
    baseline_mean: float
    candidate_mean: float
    difference: float
    ci_low: float
    ci_high: float
    only_baseline: int
    only_candidate: int
    mcnemar_p: float
    margin: float
    passed: bool

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL: candidate is worse beyond noise"
        return (
            f"{verdict}\n{self.metric} over {self.n} paired examples: baseline "
            f"{self.baseline_mean:.4f}, candidate {self.candidate_mean:.4f}, difference "
            f"{self.difference:+.4f} (95% paired bootstrap CI {self.ci_low:+.4f} to "
            f"{self.ci_high:+.4f}; margin {self.margin:g})\n"
            f"McNemar (pass = score >= 1): {self.only_baseline} pass only in baseline, "
            f"{self.only_candidate} only in candidate, exact p = {self.mcnemar_p:.4g}"
        )


def gate(paired: Paired, *, margin: float = 0.0, seed: int = 0, n_resamples: int = 10_000) -> GateResult:
    """Fail when the 95% interval of candidate - baseline lies wholly below -margin."""
    difference, low, high = bootstrap_ci(
        paired.baseline, paired.candidate, seed=seed, n_resamples=n_resamples
    )
    b, c = discordant(paired)
    n = len(paired.ids)
    return GateResult(
        metric=paired.metric,
        n=n,
        baseline_mean=sum(paired.baseline) / n,
        candidate_mean=sum(paired.candidate) / n,
        difference=difference,
        ci_low=low,
        ci_high=high,
        only_baseline=b,
        only_candidate=c,
        mcnemar_p=mcnemar_exact_p(b, c),
        margin=margin,
        passed=not high < -margin,
    )
