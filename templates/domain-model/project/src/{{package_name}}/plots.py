"""The report's plots: PR curves, reliability, learning and validation curves, loss, drift.

Matplotlib with the non-interactive Agg backend, so plots render on servers and in CI. Each
function writes one PNG and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

__all__ = [
    "plot_learning_curves",
    "plot_loss_curve",
    "plot_over_time",
    "plot_pr_curves",
    "plot_reliability",
    "plot_validation_curve",
]


def _pooled(parts: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate(list(parts))


def plot_pr_curves(
    labels: Mapping[str, Sequence[np.ndarray]],
    probabilities: Mapping[str, Sequence[np.ndarray]],
    path: Path,
) -> Path:
    """Precision against recall on the pooled out-of-fold test predictions of each system."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for system in probabilities:
        y, p = _pooled(labels[system]), _pooled(probabilities[system])
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, label=system, drawstyle="steps-post")
    base = float(_pooled(next(iter(labels.values()))).mean())
    ax.axhline(base, color="grey", linestyle=":", label=f"positive rate {base:.3f}")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (out-of-fold test rows)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_reliability(
    labels: Mapping[str, Sequence[np.ndarray]],
    probabilities: Mapping[str, Sequence[np.ndarray]],
    path: Path,
    bins: int = 10,
) -> Path:
    """Observed positive rate against mean predicted probability per bin (the diagonal is
    perfect calibration), for the systems whose calibration is in question."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    edges = np.linspace(0, 1, bins + 1)
    for system in ("logreg", "logreg_oversample", "hgb", "hgb_isotonic", "logreg_isotonic"):
        if system not in probabilities:
            continue
        y, p = _pooled(labels[system]), _pooled(probabilities[system])
        which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
        xs = [p[which == b].mean() for b in range(bins) if (which == b).any()]
        ys = [y[which == b].mean() for b in range(bins) if (which == b).any()]
        ax.plot(xs, ys, marker="o", label=system)
    ax.set(
        xlabel="mean predicted probability", ylabel="observed positive rate", title="Reliability"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_learning_curves(curves: Mapping[str, Mapping[str, Sequence[float]]], path: Path) -> Path:
    """Train and test PR-AUC against training rows: a wide gap is variance, two low curves bias."""
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 4), sharey=True)
    for ax, (system, curve) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        ax.plot(curve["rows"], curve["train"], marker="o", label="train")
        ax.plot(curve["rows"], curve["test"], marker="o", label="test fold")
        ax.set(xlabel="training rows", title=system)
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("PR-AUC")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_loss_curve(losses: Sequence[float], path: Path) -> Path:
    """The objective of the from-scratch logistic regression at each gradient step (log x)."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.set_xscale("log")
    ax.set(xlabel="gradient step", ylabel="regularised log loss", title="Batch gradient descent")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_validation_curve(curve: Mapping[str, Sequence[float]], path: Path) -> Path:
    """Train and test PR-AUC as boosting capacity (leaves per tree) grows: where test peaks."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(curve["leaves"], curve["train"], marker="o", label="train")
    ax.plot(curve["leaves"], curve["test"], marker="o", label="test fold")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="max leaves per tree (hgb)", ylabel="PR-AUC", title="Validation curve")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_over_time(simulation: Mapping[str, Sequence[float]], path: Path) -> Path:
    """PR-AUC per period of a frozen and of retrained models (labels late or at once), what
    monitoring sees on the delayed labels, and the inputs' largest PSI (bars)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    period = simulation["period"]
    ax.plot(period, simulation["frozen"], marker="o", label="frozen after period 0")
    ax.plot(period, simulation["retrained"], marker="o", label="retrained on delayed labels")
    ax.plot(
        period, simulation["retrained_instant"], marker=".", linestyle=":", label="labels at once"
    )
    ax.plot(period, simulation["monitored"], marker="x", linestyle="--", label="monitored (lagged)")
    ax.set(xlabel="period", ylabel="PR-AUC on the period", title="Drift over time")
    other = ax.twinx()
    other.bar(period, simulation["max_psi"], alpha=0.2, color="grey", width=0.4)
    other.set_ylabel("largest feature PSI vs period 0 (bars)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
