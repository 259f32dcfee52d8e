"""The prompts: one instruction per task, zero or k worked examples, then the message.

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

from .data import EXTRACT, Example, Task

Message = dict[str, str]


def instruction(task: Task) -> str:
    """The system prompt: the output format and every allowed value."""
    if task.is_classify:
        return (
            "Classify the customer message into exactly one of these intents: "
            + ", ".join(task.classes)
            + ". Answer with the intent name only."
        )
    return (
        "Extract the support request as a JSON object with keys "
        + ", ".join(task.fields)
        + ". "
        + " ".join(f"{field}: one of {', '.join(task.allowed[field])}." for field in task.fields)
        + " Answer with the JSON object only."
    )


SYSTEM_PROMPT = instruction(EXTRACT)


def retry_suffix(task: Task) -> str:
    """What the retry adds to the message when the first answer was not a label."""
    if task.is_classify:
        return "Reply with one intent name from the list and nothing else."
    return "Reply with one JSON object and nothing else."


def messages_for(
    text: str, shots: Sequence[Example] = (), *, task: Task = EXTRACT, retry: bool = False
) -> list[Message]:
    """The chat messages: instruction, k (user, assistant) example pairs, then `text`."""
    messages: list[Message] = [{"role": "system", "content": instruction(task)}]
    for shot in shots:
        messages.append({"role": "user", "content": shot.text})
        messages.append({"role": "assistant", "content": task.answer(shot.label)})
    content = f"{text}\n{retry_suffix(task)}" if retry else text
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
    """k training examples, fixed by `seed` (one per value of the first field first, so the
    examples cover different intents or classes)."""
    if k <= 0:
        return []
    rng = random.Random(seed)
    pool = list(train)
    rng.shuffle(pool)
    chosen: list[Example] = []
    seen: set[str] = set()
    for row in pool:
        first = next(iter(row.label.values()))
        if first not in seen and len(chosen) < k:
            chosen.append(row)
            seen.add(first)
    for row in pool:
        if len(chosen) >= k:
            break
        if row not in chosen:
            chosen.append(row)
    return chosen


def fingerprint(shots: Sequence[Example] = (), task: Task = EXTRACT) -> str:
    """A short hash of the instruction, the retry text and the examples: a changed prompt is a
    new result."""
    digest = hashlib.sha256((instruction(task) + retry_suffix(task)).encode())
    for shot in shots:
        digest.update(shot.text.encode() + task.answer(shot.label).encode())
    return digest.hexdigest()[:12]
