"""Hyper-parameter search on a validation split, so the test split is used once.

The validation split is carved from the training part by the same protocol as the test split
(a temporal test split gets a temporal validation cut-off inside the training period; a
stratified one a stratified sample of each user's training interactions), so what validation
rewards is what the test measures. Each model's grid in `GRIDS` is searched exhaustively: fit on
the validation-train part, rank the full catalogue for the validation users, keep the setting
with the best mean nDCG@k (ties: the earlier, simpler setting). Only then does the harness fit
the chosen setting on the whole training part and score it on the test split.

The grids are small on purpose: every setting costs one fit, and a 1,000-user log cannot tell
apart settings closer than these.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .data import Interactions, to_matrix
from .evaluate import evaluate_model
from .models import make_model
from .progress import Progress, stderr
from .splits import split

__all__ = ["GRIDS", "Tuned", "tune"]

Params = dict[str, float]

GRIDS: dict[str, list[Params]] = {
    "popularity": [{}],
    "itemknn": [{"neighbours": n} for n in (20, 50, 100, 200, 400)],
    "ease": [{"l2": v} for v in (50.0, 100.0, 200.0, 500.0, 1000.0)],
    "als": [
        {"factors": f, "l2": r, "alpha": a}
        for f in (16, 32)
        for r in (1.0, 5.0, 20.0)
        for a in (2.0, 10.0)
    ],
    "bpr": [
        {"factors": f, "learning_rate": lr, "iterations": 100}
        for f in (32, 64)
        for lr in (0.005, 0.01, 0.02)
    ],
    "content": [{}],
    "hybrid": [{"weight": w} for w in (0.03, 0.1, 0.3, 1.0)],
}


@dataclass(frozen=True)
class Tuned:
    """One model's search: every setting tried with its validation score, and the best."""

    model: str
    best: Params
    best_score: float
    trials: list[tuple[Params, float]]  # (setting, validation nDCG@k), in grid order


def tune(
    train: Interactions,
    n_users: int,
    n_items: int,
    *,
    method: str,
    models: Sequence[str],
    k: int,
    test_fraction: float = 0.2,
    seed: int = 0,
    grids: dict[str, list[Params]] | None = None,
    features: sp.csr_matrix | None = None,
    progress: Progress = stderr,
) -> dict[str, Tuned]:
    """Search each model's grid on a validation split of `train` (the training part only)."""
    grids = GRIDS if grids is None else grids
    parts = split(train, method, test_fraction=test_fraction, seed=seed)
    fit_on = to_matrix(parts.train, n_users, n_items)
    progress(
        f"validation ({method}, carved from training): {len(parts.train)} fit,"
        f" {len(parts.test)} validation interactions"
    )
    results = {}
    for name in models:
        trials = []
        for params in grids.get(name, [{}]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # k clamped by the harness already
                model = make_model(name, seed, params, features=features)
                run = evaluate_model(model, fit_on, parts.test, k, log=parts.train)
            trials.append((params, float(run.per_user_ndcg.mean())))
        best = int(np.argmax([score for _, score in trials]))  # first of equal scores
        results[name] = Tuned(name, trials[best][0], trials[best][1], trials)
        setting = trials[best][0] or "no parameters"
        progress(f"  tuned {name}: {setting} (validation nDCG@{k} {trials[best][1]:.4f})")
    return results
