"""The harness's two plots: GPU utilisation over time and the queue-wait CDF, per policy."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .simulate import SimResult, utilisation_curve  # noqa: E402


def plot_utilisation(results: list[SimResult], path: Path) -> Path:
    """Fraction of GPUs busy over simulated time, one line per policy."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for result in results:
        centres, busy = utilisation_curve(result)
        ax.plot(centres / 3600, busy, label=result.policy, linewidth=1.2)
    ax.set_xlabel("simulated time (hours)")
    ax.set_ylabel("GPUs busy (fraction)")
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("GPU utilisation over time")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_wait_cdf(results: list[SimResult], path: Path) -> Path:
    """Empirical CDF of queue wait (log scale; a zero wait is drawn at 1 s), one line per policy."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for result in results:
        waits = np.sort(np.maximum(result.waits, 1.0))
        ax.step(waits, np.arange(1, len(waits) + 1) / len(waits), where="post", label=result.policy)
    ax.set_xscale("log")
    ax.set_xlabel("queue wait (s, log scale; 0 shown as 1)")
    ax.set_ylabel("fraction of jobs")
    ax.legend()
    ax.set_title("Queue wait CDF")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
