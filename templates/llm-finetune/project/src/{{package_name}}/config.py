"""The settings of one evaluation run; every field is recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYSTEMS = ("zero", "few", "lora", "api")


@dataclass(frozen=True)
class EvalConfig:
    """One run of the harness: which model, which systems, how much data."""

    out: Path = Path("results")
    seed: int = 0
    # "extract" (message to a JSON label) or "classify" (message to one intent name).
    task: str = "extract"
    # --quick: 16 test and 64 training messages, 2 epochs, 200 resamples, 10 timed requests;
    # the same code path, for CI and the smoke tests.
    quick: bool = False
    # "tiny" runs offline in seconds (random weights: a pipeline check); a Hugging Face id such
    # as HuggingFaceTB/SmolLM2-135M-Instruct gives results worth reporting.
    model: str = "tiny"
    systems: tuple[str, ...] = SYSTEMS  # "api" is skipped unless LLM_API_BASE is set
    # Three examples: one per intent for half the intents, and short enough for a 135M model's
    # context to stay small; more shots cost prompt tokens on every message.
    shots: int = 3
    data: Path | None = None  # a folder of train/validation/test .jsonl or .csv; default shipped
    # A Hugging Face dataset by name (e.g. PolyAI/banking77 with --task classify): downloads,
    # so only when asked; its test split is kept, validation is drawn from train by the seed.
    hf: str | None = None
    # Also run every local system under constrained decoding (outputs limited to the label set)
    # and report validity and accuracy with and without it; costs one more pass per system.
    constrained: bool = True
    epochs: int = 8
    max_new_tokens: int = 32  # a label is about 18 tokens (tiny tokenizer), 25 for SmolLM2's
    resamples: int = 1000  # bootstrap resamples for intervals and the paired test
    alpha: float = 0.05
    latency_requests: int = 50  # HTTP requests timed against the served LoRA system; 0 skips
