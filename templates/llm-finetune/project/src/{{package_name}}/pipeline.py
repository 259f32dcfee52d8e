"""Build the compared systems from one base model: what `eval` scores and `serve` answers with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from .data import EXTRACT, Example, Task
from .finetune import TrainConfig, TrainResult, load_adapter, merge, train_lora
from .model import LoadedModel
from .progress import Progress, stderr
from .prompts import choose_shots
from .systems import ApiSettings, ApiSystem, LocalSystem, Prediction

DESCRIPTIONS = {
    "zero": "zero-shot prompting",
    "few": "{k}-shot prompting",
    "lora": "a LoRA fine-tune",
    "api": "an OpenAI-compatible endpoint",
}


class System(Protocol):
    name: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...


@dataclass
class Built:
    """The systems, and how the LoRA one was made (None when it was loaded or not built)."""

    systems: dict[str, System]
    training: TrainResult | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # system -> why it was not built


def build_systems(
    lm: LoadedModel,
    names: Sequence[str],
    *,
    train: Sequence[Example],
    validation: Sequence[Example],
    shots: int,
    seed: int,
    task: Task = EXTRACT,
    constrained: bool = False,
    train_config: TrainConfig | None = None,
    adapter: Path | None = None,
    checkpoint_dir: Path | None = None,
    max_new_tokens: int = 32,
    progress: Progress = stderr,
) -> Built:
    """Each named system on `lm` for `task`: the LoRA adapter is loaded from `adapter` or
    trained here; local systems decode under the answer constraint when `constrained`."""
    built = Built({})
    examples = choose_shots(train, shots, seed)
    local = partial(LocalSystem, task=task, constrained=constrained, max_new_tokens=max_new_tokens)
    for name in names:
        if name == "zero":
            built.systems[name] = local("zero", lm)
        elif name == "few":
            built.systems[name] = local("few", lm, examples)
        elif name == "lora":
            if adapter is not None:
                merged = load_adapter(lm, adapter)
            else:
                progress(f"training a LoRA adapter on {len(train)} messages")
                model, built.training = train_lora(
                    lm,
                    train,
                    validation,
                    train_config or TrainConfig(seed=seed),
                    task=task,
                    out=checkpoint_dir,
                    progress=progress,
                )
                merged = merge(model, lm)
            built.systems[name] = local("lora", merged)
        elif name == "api":
            settings = ApiSettings.from_env()
            if settings is None:
                built.skipped[name] = "LLM_API_BASE is not set"
                progress("api system skipped: LLM_API_BASE is not set")
                continue
            built.systems[name] = ApiSystem(settings, examples, task=task)
        else:
            raise ValueError(f"unknown system {name!r}: one of zero, few, lora, api")
    return built
