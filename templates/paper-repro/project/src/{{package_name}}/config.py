"""Settings of the model, of its ablations and of one evaluation run (recorded in metrics.json)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["ABLATIONS", "FULL_MODEL", "QUICK_MODEL", "EvalConfig", "ModelConfig", "model_variants"]

FULL_MODEL = "youtube-dnn"


@dataclass(frozen=True)
class ModelConfig:
    """One candidate-generation network; an ablation changes exactly one field of the full model."""

    name: str = FULL_MODEL
    embedding_dim: int = 64  # the paper uses 256 on millions of videos; 64 suits 10^3-10^4 items
    hidden: tuple[int, ...] = (128,)  # ReLU tower widths; () is the paper's "depth 0" (linear)
    output_dim: int = 64  # user and item vector size: what the ANN index stores
    pooling: str = "mean"  # "mean" of watched embeddings (the paper) or "last" watch only
    example_age: bool = True  # the paper's freshness feature (section 3.3)
    log_q_correction: bool = True  # subtract log expected count from sampled logits
    negatives: int = 200  # sampled items per batch (the paper samples thousands of millions)
    epochs: int = 8
    batch_size: int = 256
    learning_rate: float = 0.01
    weight_decay: float = 0.0  # L2 on user vectors; 0 keeps the paper's plain softmax


# `--quick`: a model small enough to train in about a second (CI, the smoke tests, the tests).
QUICK_MODEL = ModelConfig(embedding_dim=16, hidden=(32,), output_dim=16, negatives=40, epochs=4)

# Each ablation: the system name in metrics.json, what it removes, and the field it changes.
ABLATIONS: dict[str, tuple[str, dict[str, object]]] = {
    "youtube-dnn-no-age": ("without the example-age feature", {"example_age": False}),
    "youtube-dnn-last-item": ("last-watch instead of average pooling", {"pooling": "last"}),
    "youtube-dnn-depth-0": ("a linear map instead of the ReLU tower", {"hidden": ()}),
    "youtube-dnn-no-logq": ("no log-Q correction in sampled softmax", {"log_q_correction": False}),
}


def model_variants(base: ModelConfig, ablations: tuple[str, ...]) -> list[ModelConfig]:
    """The full model, then each named ablation of it."""
    unknown = [a for a in ablations if a not in ABLATIONS]
    if unknown:
        raise ValueError(f"unknown ablation {unknown[0]!r}: choose from {', '.join(ABLATIONS)}")
    variants = [replace(base, name=FULL_MODEL)]
    for name in ablations:
        changes = ABLATIONS[name][1]
        variants.append(replace(base, name=name, **changes))  # type: ignore[arg-type]
    return variants


@dataclass(frozen=True)
class EvalConfig:
    """One run of the harness: data, models, the paired tests and the latency measurement."""

    out: Path = Path("results")
    paper: str = "youtube-dnn"
    data: Path | None = None  # None: the synthetic watch log (no file, no network)
    fmt: str = "movielens"  # "movielens" (ml-100k u.data) or "ml-1m" (ratings.dat)
    k: int = 10  # the list a user sees; metrics are @k
    history: int = 50  # watches in a context (the paper uses the last 50)
    max_examples_per_user: int = 100  # latest examples per user, so heavy users do not dominate
    model: ModelConfig = ModelConfig()
    ablations: tuple[str, ...] = tuple(ABLATIONS)
    seed: int = 0
    quick: bool = False  # a small log and a tiny model: seconds, for CI and the smoke tests
    # Sign flips of the paired randomisation test; 10,000 puts the Monte Carlo error of a p-value
    # near 0.05 at about 0.002.
    resamples: int = 10_000
    alpha: float = 0.05  # significance level, after Holm's correction
    ann: str = "auto"  # serving index: hnswlib's HNSW when installed, else exact search
    latency_requests: int = 300  # GET /recommend requests timed over HTTP; 0 skips
