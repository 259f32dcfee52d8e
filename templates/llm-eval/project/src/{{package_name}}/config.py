"""The settings of one evaluation run; every field is recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run: every shipped suite, its two recorded systems compared."""

    out: Path = Path("results")
    seed: int = 0
    # --quick resamples less (the same examples and code path): CI and the smoke tests.
    quick: bool = False
    # 10,000 resamples put the bootstrap interval's end points within about 0.003 of their
    # limit on these suites; --quick's 1,000 are enough to see the sign.
    n_resamples: int = 10_000
    # The usual 95% interval; the gate uses the same.
    confidence: float = 0.95
