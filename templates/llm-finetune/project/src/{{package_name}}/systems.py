"""The systems compared: prompting a local model (zero- or few-shot, or fine-tuned), or an API.

Each system turns messages into `Prediction`s. Validity is measured in three steps, kept apart
so a reader sees what the repair step adds: the raw output parses as a label (`raw`); else
`repair` fixes common slips (`repaired`: for JSON, text around the object, single quotes,
trailing commas, missing closing braces; for a class, case, spaces or a sentence around the
name); else the model is asked once more with a stricter instruction (`retried`). A prediction
that is still not a label counts as wrong on every field.

Constrained decoding is the alternative to repair: `AnswerConstraint`, a logits processor,
lets the model pick only tokens that keep its output a prefix of some valid answer (the label
set as text: every class name, or every JSON object the schema allows, as the tokenizer writes
it) and end only on a whole answer, so every output is valid by construction (`constrained`).
Local systems run either way (`constrained=True`); `eval` measures both, on the same messages.

The API system sends the same messages to any OpenAI-compatible endpoint (hosted, Ollama, vLLM),
configured by environment variables: LLM_API_BASE (e.g. http://localhost:11434/v1),
LLM_API_MODEL and LLM_API_KEY (optional for local servers). Unset, the system is skipped.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from .data import EXTRACT, Example, Task
from .model import LoadedModel
from .prompts import Message, messages_for, render


@dataclass(frozen=True)
class Prediction:
    """One system's answer to one message."""

    output: str  # the model's final text (after the retry, when there was one)
    label: dict[str, str] | None  # the parsed label; None when no valid JSON label came out
    # "raw", "repaired", "retried", "constrained" or "invalid": how the label was obtained
    stage: str
    prompt_tokens: int
    output_tokens: int
    seconds: float


def as_label(value: object, task: Task = EXTRACT) -> dict[str, str] | None:
    """`value` as a label: an object with a string for every field (extra keys ignored)."""
    if not isinstance(value, dict):
        return None
    if not all(isinstance(value.get(field), str) for field in task.fields):
        return None
    return {field: str(value[field]) for field in task.fields}


def parse_strict(text: str, task: Task = EXTRACT) -> dict[str, str] | None:
    """The output as a label only if the whole text is one JSON object (or one class name)."""
    if task.is_classify:
        answer = text.strip()
        return {task.fields[0]: answer} if answer in task.classes else None
    try:
        return as_label(json.loads(text.strip()), task)
    except json.JSONDecodeError:
        return None


def repair_json(text: str, task: Task = EXTRACT) -> dict[str, str] | None:
    """Best-effort repair of a near-JSON answer; None when it still is not a label."""
    start = text.find("{")
    if start < 0:
        return None
    candidate = text[start:]
    end = candidate.rfind("}")
    if end >= 0 and candidate.count("{") <= candidate[: end + 1].count("}"):
        candidate = candidate[: end + 1]
    candidate = re.sub(r"'([^'\"]*)'", r'"\1"', candidate)  # single to double quotes
    candidate = re.sub(r",\s*([}\]])", r"\1", candidate)  # trailing commas
    if candidate.count('"') % 2:
        candidate += '"'
    candidate += "}" * max(0, candidate.count("{") - candidate.count("}"))
    try:
        return as_label(json.loads(candidate), task)
    except json.JSONDecodeError:
        return None


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def repair_class(text: str, task: Task) -> dict[str, str] | None:
    """A class name written loosely ("Card arrival.") or inside a sentence; a name found only
    as part of a longer found name does not count, and two distinct names are ambiguous."""
    said = _normalise(text)
    by_form = {_normalise(name): name for name in task.classes}
    if said in by_form:
        return {task.fields[0]: by_form[said]}
    found = [form for form in by_form if form and f"_{form}_" in f"_{said}_"]
    outer = [form for form in found if not any(form != other and form in other for other in found)]
    return {task.fields[0]: by_form[outer[0]]} if len(outer) == 1 else None


def repair(text: str, task: Task = EXTRACT) -> dict[str, str] | None:
    """The task's repair step: JSON slips for extraction, loose class names for classification."""
    return repair_class(text, task) if task.is_classify else repair_json(text, task)


END = -1  # marks, in the answer trie, a node where a whole answer ends


class AnswerConstraint(LogitsProcessor):
    """Masks every token that would leave the trie of valid answers (a logits processor).

    The trie holds each answer's token ids (`prefix + answer`, encoded as the tokenizer writes
    it); after the prompt's `prompt_length` tokens, a row may continue only along the trie, and
    may stop (EOS) only where a whole answer ends. A finished row is left to EOS and padding.
    """

    def __init__(
        self, tokenizer: Any, answers: Sequence[str], prompt_length: int, prefix: str = ""
    ) -> None:
        self.eos = int(tokenizer.eos_token_id)
        self.prompt_length = prompt_length
        self.trie: dict[int, Any] = {}
        self.longest = 0
        for answer in answers:
            ids = tokenizer.encode(prefix + answer, add_special_tokens=False)
            self.longest = max(self.longest, len(ids))
            node = self.trie
            for token in ids:
                node = node.setdefault(int(token), {})
            node[END] = {}

    def allowed(self, generated: Sequence[int]) -> list[int]:
        """The tokens that may follow `generated` (EOS alone once off the trie)."""
        node: dict[int, Any] | None = self.trie
        for token in generated:
            node = node.get(token) if node is not None else None
        if node is None:
            return [self.eos]
        return [t for t in node if t != END] + ([self.eos] if END in node else [])

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        mask = torch.full_like(scores, float("-inf"))
        for row, ids in enumerate(input_ids[:, self.prompt_length :].tolist()):
            mask[row, self.allowed(ids)] = 0
        return scores + mask


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float


@torch.inference_mode()
def generate(
    lm: LoadedModel,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = 32,
    batch_size: int = 16,
    answers: Sequence[str] | None = None,
) -> list[Generation]:
    """Greedy decoding of `prompts` in left-padded batches; per-prompt token counts and time.

    With `answers`, decoding is constrained to them (`AnswerConstraint`), and given room for
    the longest one whatever `max_new_tokens` says.
    """
    from .finetune import answer_prefix

    tokenizer = lm.tokenizer
    tokenizer.padding_side = "left"
    results: list[Generation] = []
    for start in range(0, len(prompts), batch_size):
        batch = list(prompts[start : start + batch_size])
        encoded = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
        encoded = {key: value.to(lm.device) for key, value in encoded.items()}
        processors = LogitsProcessorList()
        budget = max_new_tokens
        if answers is not None:
            constraint = AnswerConstraint(
                tokenizer, answers, encoded["input_ids"].shape[1], answer_prefix(lm)
            )
            processors.append(constraint)
            budget = max(max_new_tokens, constraint.longest + 1)
        began = time.perf_counter()
        output = lm.model.generate(
            **encoded,
            logits_processor=processors,
            max_new_tokens=budget,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        elapsed = time.perf_counter() - began
        new = output[:, encoded["input_ids"].shape[1] :]
        prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        for row, prompt_length in zip(new, prompt_lengths, strict=True):
            ids = row.tolist()
            if tokenizer.eos_token_id in ids:
                ids = ids[: ids.index(tokenizer.eos_token_id)]
            ids = [i for i in ids if i != tokenizer.pad_token_id]
            results.append(
                Generation(
                    str(tokenizer.decode(ids, skip_special_tokens=True)),
                    int(prompt_length),
                    len(ids),
                    elapsed / len(batch),
                )
            )
    return results


class LocalSystem:
    """Prompting a local model: zero-shot (no shots), few-shot (k shots) or a fine-tuned model;
    answers repaired and retried, or decoded under the answer constraint (`constrained`)."""

    def __init__(
        self,
        name: str,
        lm: LoadedModel,
        shots: Sequence[Example] = (),
        *,
        task: Task = EXTRACT,
        constrained: bool = False,
        max_new_tokens: int = 32,
        batch_size: int = 16,
    ) -> None:
        self.name = name
        self.lm = lm
        self.shots = list(shots)
        self.task = task
        self.constrained = constrained
        self.answers = task.answers() if constrained else None
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size

    def with_constraint(self, constrained: bool = True) -> LocalSystem:
        """The same system (model, shots, task) decoding with or without the constraint."""
        return LocalSystem(
            self.name,
            self.lm,
            self.shots,
            task=self.task,
            constrained=constrained,
            max_new_tokens=self.max_new_tokens,
            batch_size=self.batch_size,
        )

    def _run(self, texts: Sequence[str], retry: bool) -> list[Generation]:
        prompts = [
            render(self.lm.tokenizer, messages_for(t, self.shots, task=self.task, retry=retry))
            for t in texts
        ]
        return generate(
            self.lm,
            prompts,
            max_new_tokens=self.max_new_tokens,
            batch_size=self.batch_size,
            answers=self.answers,
        )

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        first = self._run(texts, retry=False)
        if self.constrained:
            return [
                Prediction(
                    gen.text,
                    label := parse_strict(gen.text, self.task),
                    "constrained" if label is not None else "invalid",
                    gen.prompt_tokens,
                    gen.output_tokens,
                    gen.seconds,
                )
                for gen in first
            ]
        stages: list[tuple[str, dict[str, str] | None]] = []
        for gen in first:
            label = parse_strict(gen.text, self.task)
            if label is not None:
                stages.append(("raw", label))
                continue
            label = repair(gen.text, self.task)
            stages.append(("repaired", label) if label is not None else ("invalid", None))
        failed = [i for i, (stage, _) in enumerate(stages) if stage == "invalid"]
        second = dict(zip(failed, self._run([texts[i] for i in failed], retry=True), strict=True))
        predictions = []
        for i, gen in enumerate(first):
            stage, label = stages[i]
            prompt_tokens, output_tokens, seconds, output = (
                gen.prompt_tokens,
                gen.output_tokens,
                gen.seconds,
                gen.text,
            )
            if i in second:
                again = second[i]
                label = parse_strict(again.text, self.task) or repair(again.text, self.task)
                stage = "retried" if label is not None else "invalid"
                prompt_tokens += again.prompt_tokens
                output_tokens += again.output_tokens
                seconds += again.seconds
                output = again.text
            predictions.append(
                Prediction(output, label, stage, prompt_tokens, output_tokens, seconds)
            )
        return predictions


class ApiError(RuntimeError):
    """The endpoint is misconfigured or failed (one-line message)."""


@dataclass(frozen=True)
class ApiSettings:
    base_url: str
    model: str
    api_key: str | None

    @classmethod
    def from_env(cls) -> ApiSettings | None:
        """The endpoint from LLM_API_BASE / LLM_API_MODEL / LLM_API_KEY; None when unset."""
        base = os.environ.get("LLM_API_BASE", "").strip()
        if not base:
            return None
        model = os.environ.get("LLM_API_MODEL", "").strip()
        if not model:
            raise ApiError("LLM_API_BASE is set but LLM_API_MODEL is not: name the model to call")
        key = os.environ.get("LLM_API_KEY", "").strip() or None
        if key is None and "api.openai.com" in base:
            raise ApiError("LLM_API_KEY is not set: the endpoint at api.openai.com needs a key")
        return cls(base.rstrip("/"), model, key)


class ApiSystem:
    """The same messages sent to an OpenAI-compatible /chat/completions endpoint."""

    def __init__(
        self,
        settings: ApiSettings,
        shots: Sequence[Example] = (),
        timeout: float = 60,
        task: Task = EXTRACT,
    ):
        self.name = "api"
        self.settings = settings
        self.shots = list(shots)
        self.timeout = timeout
        self.task = task

    def _chat(self, messages: list[Message]) -> tuple[str, int, int, float]:
        body = json.dumps(
            {"model": self.settings.model, "messages": messages, "temperature": 0}
        ).encode()
        headers = {"content-type": "application/json"}
        if self.settings.api_key:
            headers["authorization"] = f"Bearer {self.settings.api_key}"
        request = urllib.request.Request(
            f"{self.settings.base_url}/chat/completions", data=body, headers=headers
        )
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                doc = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ApiError(
                f"{self.settings.base_url} answered {error.code}: {error.reason}"
            ) from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise ApiError(f"cannot reach {self.settings.base_url}: {error}") from None
        elapsed = time.perf_counter() - began
        usage = doc.get("usage") or {}
        text = str(doc["choices"][0]["message"]["content"])
        return (
            text,
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
            elapsed,
        )

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        predictions = []
        for text in texts:
            task = self.task
            output, p_tok, o_tok, seconds = self._chat(messages_for(text, self.shots, task=task))
            label = parse_strict(output, task)
            stage = "raw"
            if label is None:
                label = repair(output, task)
                stage = "repaired"
            if label is None:
                output, p2, o2, s2 = self._chat(
                    messages_for(text, self.shots, task=task, retry=True)
                )
                p_tok, o_tok, seconds = p_tok + p2, o_tok + o2, seconds + s2
                label = parse_strict(output, task) or repair(output, task)
                stage = "retried" if label is not None else "invalid"
            predictions.append(Prediction(output, label, stage, p_tok, o_tok, seconds))
        return predictions
