"""A local Hugging Face text-generation pipeline as a provider (the `hf` extra).

    providers:
      - name: qwen-0.5b
        type: hf
        model: models/qwen2.5-0.5b-instruct     # a local folder, or a hub id already cached
        params: {max_new_tokens: 48}

The model is loaded on the first call, once, and never downloaded here: the hub is switched off
(HF_HUB_OFFLINE), so a model must be a local folder or already in the Hugging Face cache
(`huggingface-cli download <id>` fetches one). Decoding is greedy unless `params` say
otherwise, so a run is repeatable and its cache key (which includes `params`) means something.
Calls are serialised with a lock: the runner's threads would otherwise share one model's state.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any

from .providers import ProviderError
from .suite import Example, SuiteError

__all__ = ["HFPipelineProvider", "hf_available"]


def hf_available() -> bool:
    """True when the `hf` extra (transformers and torch) is installed."""
    return find_spec("transformers") is not None and find_spec("torch") is not None


@dataclass
class HFPipelineProvider:
    """Greedy text generation with a local `transformers` pipeline; returns only the new text."""

    name: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "hf"
    cacheable: bool = True

    def __post_init__(self) -> None:
        if not hf_available():
            raise SuiteError(
                f"provider {self.name}: type hf needs the hf extra: pip install -e '.[hf]'"
            )
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never fetch weights during a run
        from transformers import pipeline

        try:
            return pipeline("text-generation", model=self.model, device="cpu")
        except (OSError, ValueError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise SuiteError(
                f"provider {self.name}: cannot load model {self.model!r} offline: {first}"
            ) from None

    def complete(self, prompt: str, example: Example) -> str:
        options = {"do_sample": False, "max_new_tokens": 64, **self.params}
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._load()
            try:
                result = self._pipeline(prompt, return_full_text=False, **options)
            except (RuntimeError, ValueError, TypeError) as error:
                raise ProviderError(f"generation failed: {error}") from None
        try:
            text = result[0]["generated_text"]
        except (IndexError, KeyError, TypeError):
            raise ProviderError(f"malformed pipeline output: {str(result)[:200]}") from None
        if not isinstance(text, str):
            raise ProviderError(f"malformed pipeline output: {type(text).__name__}")
        return text.strip()
