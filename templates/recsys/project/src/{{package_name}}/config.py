"""The settings of one evaluation run and of one simulated A/B test; recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .abtest import ClickModel
from .models import DEFAULT_MODELS

__all__ = ["ABConfig", "EvalConfig"]


@dataclass(frozen=True)
class EvalConfig:
    """One offline evaluation of every model in `models` (and the A/B simulation after it)."""

    out: Path = Path("results")
    ratings: Path | None = None  # None: the synthetic demo log, which has a ground truth
    fmt: str = "movielens"  # 'movielens' (any of its formats) or 'csv'
    split: str = "temporal"  # the split that matches deployment: train on the past only
    k: int = 10  # list length users see; metrics are @k
    test_fraction: float = 0.2  # share of interactions (or of each user's) held out
    min_rating: float | None = None  # keep ratings >= this as positives; None keeps every row
    models: tuple[str, ...] = DEFAULT_MODELS  # spark-als only when named (`spark` extra)
    seed: int = 0
    quick: bool = False  # a small synthetic log and A/B population, for CI and smoke tests
    # Search each model's grid (tuning.GRIDS) on a validation split carved from the training
    # part before the one test evaluation; off, the models' shipped defaults are used.
    tune: bool = False
    abtest: bool = True  # also run the A/B simulation (synthetic data only)
    # Sign flips of the paired randomisation test; 10,000 puts the Monte Carlo error of a
    # p-value near 0.05 at about 0.002, small against the 0.05 threshold.
    resamples: int = 10_000
    alpha: float = 0.05  # significance level of the paired tests, after Holm's correction
    # Bootstrap resamples of the test users for every metric's 95% interval; 2,000 puts the
    # Monte Carlo error of an interval end well under its width.
    bootstrap: int = 2_000
    # Runs over seeds seed, seed+1, ...: the split (where it is random) and the model
    # initialisation change, giving each model's mean and spread across runs.
    seeds: int = 3
    quick_seeds: int = 2
    # HTTP requests timed against the served best model (GET /recommend on loopback); 0 skips.
    latency_requests: int = 300


@dataclass(frozen=True)
class ABConfig:
    """One simulated online experiment of model `b` (treatment) against `a` (control)."""

    a: str = "popularity"  # control
    b: str = "ease"  # treatment
    users: int = 20000  # population size; every user is enrolled once, in random order
    n_items: int = 1000
    k: int = 10
    seed: int = 0
    relative_mde: float = 0.05  # smallest relative lift worth detecting (sets power and tau)
    alpha: float = 0.05
    power: float = 0.8
    click: ClickModel = field(default_factory=ClickModel)
    # Off-policy evaluation: the logging policy shows one of control's top k, uniformly, and
    # with this probability any catalogue item instead (exploration the estimators rely on).
    ope_epsilon: float = 0.3
