"""The settings of one evaluation run; every field is recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run of the classifier against the majority baseline."""

    out: Path = Path("results")
    seed: int = 0
    # --quick keeps every second row: half the work, the same code path, for CI.
    quick: bool = False
    # Thirty percent held out: with forty rows, fewer test rows make accuracy too coarse.
    test_fraction: float = 0.3
