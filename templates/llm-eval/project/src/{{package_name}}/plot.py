"""The evaluation's figure: each suite's systems on its primary metric, and their difference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@dataclass(frozen=True)
class SuitePanel:
    """One suite's two systems on its primary metric and the bootstrap interval of the gap."""

    suite: str
    metric: str
    baseline: str
    baseline_value: float
    candidate: str
    candidate_value: float
    difference: float
    ci_low: float
    ci_high: float


def comparison_png(panels: Sequence[SuitePanel], path: Path) -> Path:
    """Bars per system (left) and a forest plot of candidate - baseline with its 95% CI (right)."""
    fig, (bars, forest) = plt.subplots(1, 2, figsize=(10, 3.6))
    labels, values, colours = [], [], []
    for panel in panels:
        labels += [f"{panel.suite}\n{panel.baseline}", f"{panel.suite}\n{panel.candidate}"]
        values += [panel.baseline_value, panel.candidate_value]
        colours += ["#9aa5b1", "#2f6fdf"]
    bars.bar(range(len(values)), values, color=colours)
    bars.set_xticks(range(len(values)), labels, fontsize=8)
    bars.set_ylim(0, 1)
    bars.set_ylabel("primary metric (mean over examples)")
    bars.set_title("Systems per suite")
    for i, panel in enumerate(panels):
        forest.errorbar(
            panel.difference,
            i,
            xerr=[[panel.difference - panel.ci_low], [panel.ci_high - panel.difference]],
            fmt="o",
            color="#2f6fdf",
            capsize=4,
        )
    forest.axvline(0, color="#555", linewidth=1, linestyle="--")
    forest.set_yticks(
        range(len(panels)),
        [f"{p.suite}: {p.candidate} - {p.baseline}\n({p.metric})" for p in panels],
        fontsize=8,
    )
    forest.set_xlabel("paired difference, 95% bootstrap CI")
    forest.set_title("Candidate minus baseline")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
