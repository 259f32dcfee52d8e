"""The plots the README embeds: every system's metrics, and the ablations against the full model.

Matplotlib with the non-interactive Agg backend, so plots render on servers and in CI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_ablations", "plot_systems"]


def plot_systems(
    names: Sequence[str], metrics: Sequence[dict[str, float]], keys: Sequence[str], path: Path
) -> Path:
    """Grouped bars: one group per metric in `keys`, one bar per system."""
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(keys))
    for i, (name, values) in enumerate(zip(names, metrics, strict=True)):
        ax.bar(x + i * width, [values[key] for key in keys], width, label=name)
    ax.set_xticks(x + width * (len(names) - 1) / 2, list(keys))
    ax.set_ylim(0, None)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Next-watch prediction, full ranking")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_ablations(
    names: Sequence[str],
    means: Sequence[float],
    half_widths: Sequence[float],
    p_values: Sequence[float | None],
    metric: str,
    path: Path,
) -> Path:
    """Horizontal bars with 95% intervals; each ablation is labelled with its Holm p-value."""
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(names) + 1.5))
    y = np.arange(len(names))[::-1]
    colours = ["#2b6cb0" if p is None else "#a0aec0" for p in p_values]
    ax.barh(y, means, xerr=half_widths, color=colours, capsize=4)
    labels = [
        n if p is None else f"{n}  (p={p:.3g} vs full)"
        for n, p in zip(names, p_values, strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel(f"{metric} (mean over test users, 95% interval)")
    ax.set_title("Ablations of the full model (dark)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
