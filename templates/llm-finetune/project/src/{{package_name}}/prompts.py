"""The prompts: one instruction, zero or k worked examples, the message to extract from.

Every system sees the same instruction, so the systems differ only in what the comparison is
about (examples in the prompt, or weights fine-tuned). A model with a chat template (every
instruct model) gets the messages through it; the tiny offline model, which has none, gets a
plain `System: / User: / Assistant:` transcript. The few-shot examples are drawn from the
training split by a seeded sample, so a run is repeatable and the test split is never shown.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from .data import ALLOWED, FIELDS, Example

SYSTEM_PROMPT = (
    "Extract the support request as a JSON object with keys "
    + ", ".join(FIELDS)
    + ". "
    + " ".join(f"{field}: one of {', '.join(values)}." for field, values in ALLOWED.items())
    + " Answer with the JSON object only."
)
RETRY_SUFFIX = "Reply with one JSON object and nothing else."

Message = dict[str, str]


def messages_for(text: str, shots: Sequence[Example] = (), *, retry: bool = False) -> list[Message]:
    """The chat messages: instruction, k (user, assistant) example pairs, then `text`."""
    messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for shot in shots:
        messages.append({"role": "user", "content": shot.text})
        messages.append({"role": "assistant", "content": shot.label_json()})
    content = f"{text}\n{RETRY_SUFFIX}" if retry else text
    messages.append({"role": "user", "content": content})
    return messages


def render(tokenizer: PreTrainedTokenizerBase, messages: Sequence[Message]) -> str:
    """The prompt text, ending where the assistant's answer starts."""
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
        return str(text)
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"


def choose_shots(train: Sequence[Example], k: int, seed: int) -> list[Example]:
    """k training examples, fixed by `seed` (one per intent first, so the examples vary)."""
    if k <= 0:
        return []
    rng = random.Random(seed)
    pool = list(train)
    rng.shuffle(pool)
    chosen: list[Example] = []
    seen: set[str] = set()
    for row in pool:
        if row.label["intent"] not in seen and len(chosen) < k:
            chosen.append(row)
            seen.add(row.label["intent"])
    for row in pool:
        if len(chosen) >= k:
            break
        if row not in chosen:
            chosen.append(row)
    return chosen


def fingerprint(shots: Sequence[Example] = ()) -> str:
    """A short hash of the instruction and the examples: a changed prompt is a new result."""
    digest = hashlib.sha256(SYSTEM_PROMPT.encode())
    for shot in shots:
        digest.update(shot.text.encode() + shot.label_json().encode())
    return digest.hexdigest()[:12]
