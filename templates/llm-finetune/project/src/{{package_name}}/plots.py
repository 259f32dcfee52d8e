"""The run's plots: metrics by system with bootstrap intervals, and the LoRA loss curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def metric_by_system(
    values: Mapping[str, Mapping[str, float]],
    intervals: Mapping[str, Mapping[str, tuple[float, float]]],
    metrics: Sequence[str],
    path: Path,
) -> Path:
    """Grouped bars: one group per metric, one bar per system, 95% bootstrap intervals."""
    systems = list(values)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(len(systems), 1)
    for i, system in enumerate(systems):
        xs = [m + i * width for m in range(len(metrics))]
        ys = [values[system][m] for m in metrics]
        lows = [ys[j] - intervals[system][m][0] for j, m in enumerate(metrics)]
        highs = [intervals[system][m][1] - ys[j] for j, m in enumerate(metrics)]
        ax.bar(xs, ys, width, yerr=[lows, highs], capsize=3, label=system)
    ax.set_xticks([m + width * (len(systems) - 1) / 2 for m in range(len(metrics))], list(metrics))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (95% bootstrap CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def loss_curves(history: Sequence[Mapping[str, float]], path: Path) -> Path:
    """Training and validation loss per epoch of the LoRA run."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    epochs = [row["epoch"] for row in history]
    ax.plot(epochs, [row["train_loss"] for row in history], marker="o", label="train")
    ax.plot(epochs, [row["validation_loss"] for row in history], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("answer-token cross-entropy")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
