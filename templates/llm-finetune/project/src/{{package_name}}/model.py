"""The language model behind every system: a real small instruct model, or the tiny offline one.

`load_model("tiny")` builds, with no download, a Llama-architecture model of about 0.2M
parameters initialised RANDOMLY from a config (seeded) and a byte-level BPE tokenizer trained
in code on the shipped training messages and prompts. It exists so the whole pipeline
(prompting, LoRA training, merging, evaluation, serving) runs offline in seconds: its outputs
are noise until fine-tuned, and no number it produces says anything about LLMs.
`load_model(<Hugging Face id>)`, e.g. `HuggingFaceTB/SmolLM2-135M-Instruct`, downloads that model
on first use (then it is in the Hugging Face cache); a GPU is used when present.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from .data import EXTRACT, Example, Task, fingerprint, load_split

TINY = "tiny"
REAL_DEFAULT = "HuggingFaceTB/SmolLM2-135M-Instruct"


class ModelError(RuntimeError):
    """A model that does not exist or cannot be loaded (one-line message)."""


@dataclass
class LoadedModel:
    """A causal LM, its tokenizer, and the facts a result must record about it."""

    name: str
    # Any: transformers' own annotations differ between releases; these are a PreTrainedModel
    # (causal LM) and a PreTrainedTokenizerBase.
    model: Any
    tokenizer: Any
    device: torch.device
    fingerprint: str  # hash of the model id and, for the tiny model, its config and seed

    @property
    def is_tiny(self) -> bool:
        return self.name == TINY

    def describe(self) -> str:
        """How a claim must name the model."""
        if self.is_tiny:
            return (
                "a randomly initialised tiny Llama-architecture model"
                " (a pipeline check, not an LLM result)"
            )
        return self.name


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def tokenizer_corpus(rows: list[Example], task: Task = EXTRACT) -> list[str]:
    """What the tiny tokenizer is trained on: the prompts' fixed text, messages and answers."""
    from .prompts import instruction, retry_suffix

    corpus = [instruction(task), retry_suffix(task), "System: User: Assistant:"]
    corpus += [row.text for row in rows] + [task.answer(row.label) for row in rows]
    corpus += [json.dumps({f: v}) for f in task.fields for v in task.allowed[f]]
    return corpus


def train_tiny_tokenizer(corpus: list[str], vocab_size: int = 1500) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (the `tokenizers` library) trained on `corpus`.

    Byte-level, so any input text encodes (unseen characters fall back to bytes).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


TINY_CONFIG: dict[str, Any] = {
    # Small enough that a LoRA step takes milliseconds on one CPU core, big enough to learn
    # the synthetic task's few templates when fine-tuned.
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 512,
}


def _to(model: Any, device: torch.device) -> Any:
    """`model` on `device` (untyped: transformers wraps `.to` differently across releases)."""
    return model.to(device)


def build_tiny(
    seed: int = 0, task: Task = EXTRACT, train: list[Example] | None = None
) -> LoadedModel:
    """The offline model: random weights (seeded), a tokenizer trained on the train split
    (the task's shipped one unless `train` is given)."""
    rows = train if train is not None else load_split("train", task=task.name)
    tokenizer = train_tiny_tokenizer(tokenizer_corpus(rows, task))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        **TINY_CONFIG,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    device = _device()
    digest = hashlib.sha256(
        json.dumps([TINY, TINY_CONFIG, seed, task.name, fingerprint(rows)]).encode()
    ).hexdigest()[:12]
    return LoadedModel(TINY, _to(model, device), tokenizer, device, digest)


def load_model(
    name: str, seed: int = 0, task: Task = EXTRACT, train: list[Example] | None = None
) -> LoadedModel:
    """`tiny` (offline, random; its tokenizer learns `task`'s text) or a Hugging Face model id
    (downloaded on first use)."""
    set_threads(name)
    if name == TINY:
        return build_tiny(seed, task, train)
    device = _device()
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name)
    except (OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"cannot load model {name!r}: {first}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return LoadedModel(name, _to(model, device), tokenizer, device, digest)


def set_threads(name: str) -> int:
    """Torch CPU threads: 1 for the tiny model, else at most 2 (LLM_THREADS overrides).

    The tiny model's matrices are too small for threads to pay; on a busy machine extra
    threads spin and wait, which made a training step ten times slower in our measurements.
    """
    import os

    threads = int(os.environ.get("LLM_THREADS", "0")) or (1 if name == TINY else 2)
    torch.set_num_threads(threads)
    return threads


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
