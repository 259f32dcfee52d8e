"""Answer a question from retrieved chunks, with numbered citations.

Two answerers share one output, an `Answer` whose `[n]` markers point at `citations[n - 1]`:

- `ChatClient`: any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
  llama.cpp server), configured by environment variables:

      RAG_EVAL_LLM_BASE_URL   e.g. https://api.openai.com/v1 or http://localhost:11434/v1
      RAG_EVAL_LLM_MODEL      e.g. gpt-4o-mini or llama3.2
      RAG_EVAL_LLM_API_KEY    optional (local servers usually need none)

- `extractive_answer`: with no endpoint configured, the sentences of the retrieved chunks that
  share the most (idf-weighted) words with the question, so the pipeline runs offline.

The extractive answerer is used only when no endpoint is configured: a configured endpoint that
fails raises `LLMError`, never a silent switch to another answerer.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from .retrievers import SearchHit
from .text import split_sentences, tokenize

__all__ = [
    "Answer",
    "Chat",
    "ChatClient",
    "Citation",
    "LLMConfig",
    "LLMError",
    "answer_question",
    "build_messages",
    "extractive_answer",
    "judge_answer",
    "parse_citations",
]

ENV_BASE_URL = "RAG_EVAL_LLM_BASE_URL"
ENV_MODEL = "RAG_EVAL_LLM_MODEL"
ENV_API_KEY = "RAG_EVAL_LLM_API_KEY"
NO_ANSWER = "The indexed documents do not answer this question."

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages provided. Cite every claim with "
    "the passage number in square brackets, like [1] or [2][3]. If the passages do not contain "
    "the answer, say so in one sentence and cite nothing. Be concise."
)
JUDGE_PROMPT = (
    "You grade answers. Compare the candidate answer with the reference answer for the "
    'question. Reply with JSON only: {"score": N} where N is an integer from 1 (wrong or '
    "unsupported) to 5 (fully correct and complete)."
)


class LLMError(RuntimeError):
    """The configured chat endpoint failed; the message says how."""


@dataclass(frozen=True)
class LLMConfig:
    """Where the chat endpoint is, which model to ask, and the key (if any)."""

    base_url: str
    model: str
    api_key: str = ""
    timeout_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The configuration from the environment, or None when no base URL is set."""
        env = os.environ if env is None else env
        base_url = env.get(ENV_BASE_URL, "").strip()
        if not base_url:
            return None
        model = env.get(ENV_MODEL, "").strip()
        if not model:
            raise LLMError(f"{ENV_BASE_URL} is set but {ENV_MODEL} is not: name the model to use")
        if not base_url.startswith(("http://", "https://")):
            raise LLMError(f"{ENV_BASE_URL}={base_url!r} must start with http:// or https://")
        return cls(base_url=base_url.rstrip("/"), model=model, api_key=env.get(ENV_API_KEY, ""))


class Chat(Protocol):
    """Anything with `ChatClient.complete`: a live client, or a replay of recorded replies."""

    def complete(self, messages: Sequence[Mapping[str, str]], temperature: float = 0.0) -> str: ...


class ChatClient:
    """Minimal client for `POST {base_url}/chat/completions` (the OpenAI wire format)."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config

    def complete(self, messages: Sequence[Mapping[str, str]], temperature: float = 0.0) -> str:
        """The assistant message for `messages`; raises `LLMError` on any failure."""
        url = f"{self.config.base_url}/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        body = {"model": self.config.model, "messages": list(messages), "temperature": temperature}
        try:
            response = httpx.post(url, json=body, headers=headers, timeout=self.config.timeout_s)
        except httpx.TimeoutException:
            raise LLMError(
                f"LLM endpoint {url} did not answer within {self.config.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise LLMError(f"LLM endpoint {url} is unreachable: {error}") from None
        if response.status_code != 200:
            raise LLMError(
                f"LLM endpoint {url} answered HTTP {response.status_code}: {response.text[:200]}"
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(
                f"LLM endpoint {url} sent an unexpected body: {response.text[:200]}"
            ) from None
        if not isinstance(content, str):
            raise LLMError(f"LLM endpoint {url} sent a non-text message")
        return content


@dataclass(frozen=True)
class Citation:
    """Passage `[number]` of an answer: which chunk, document and span it came from."""

    number: int
    chunk_id: str
    doc_id: str
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """An answer text with `[n]` markers, the passages it cites, and which answerer wrote it."""

    text: str
    citations: list[Citation]
    mode: str

    @property
    def cited_docs(self) -> list[str]:
        return [c.doc_id for c in self.citations]


def build_messages(question: str, hits: Sequence[SearchHit]) -> list[dict[str, str]]:
    """The chat messages: instructions, then the numbered passages and the question."""
    passages = "\n\n".join(
        f"[{i}] {hit.chunk.title} ({hit.chunk.source})\n{hit.chunk.text}"
        for i, hit in enumerate(hits, start=1)
    )
    user = f"Passages:\n\n{passages}\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_citations(text: str, n_passages: int) -> list[int]:
    """Distinct passage numbers cited as `[n]` or `[n, m]`, in order; out-of-range ones dropped."""
    numbers: list[int] = []
    for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", text):
        for part in group.split(","):
            n = int(part)
            if 1 <= n <= n_passages and n not in numbers:
                numbers.append(n)
    return numbers


def _citations(numbers: Sequence[int], hits: Sequence[SearchHit]) -> list[Citation]:
    return [
        Citation(
            number=n,
            chunk_id=hits[n - 1].chunk.chunk_id,
            doc_id=hits[n - 1].chunk.doc_id,
            source=hits[n - 1].chunk.source,
            start=hits[n - 1].chunk.start,
            end=hits[n - 1].chunk.end,
        )
        for n in numbers
    ]


def extractive_answer(question: str, hits: Sequence[SearchHit], max_sentences: int = 2) -> Answer:
    """The best-supported sentences of the passages, each followed by its citation.

    A sentence scores the sum of idf weights of the question words it contains (idf computed
    over the candidate sentences), plus a small bonus for the passage's rank; sentences with
    no question word are never chosen.
    """
    terms = set(tokenize(question))
    candidates: list[tuple[int, str, set[str]]] = []
    for number, hit in enumerate(hits, start=1):
        for start, end in split_sentences(hit.chunk.text):
            sentence = hit.chunk.text[start:end]
            if sentence.lstrip().startswith("#"):
                continue
            candidates.append((number, sentence, set(tokenize(sentence))))
    n = len(candidates)
    df = {t: sum(1 for _, _, toks in candidates if t in toks) for t in terms}
    scored = []
    for order, (number, sentence, toks) in enumerate(candidates):
        matched = terms & toks
        if not matched:
            continue
        score = sum(math.log(1 + n / df[t]) for t in matched) + 0.1 / number
        scored.append((-score, order, number, sentence))
    chosen = sorted(sorted(scored)[:max_sentences], key=lambda item: item[1])
    if not chosen:
        return Answer(text=NO_ANSWER, citations=[], mode="extractive")
    text = " ".join(f"{' '.join(sentence.split())} [{number}]" for _, _, number, sentence in chosen)
    numbers = parse_citations(text, len(hits))
    return Answer(text=text, citations=_citations(numbers, hits), mode="extractive")


def answer_question(question: str, hits: Sequence[SearchHit], client: Chat | None) -> Answer:
    """Answer with the LLM when a client is given, else extractively."""
    if client is None:
        return extractive_answer(question, hits)
    if not hits:
        return Answer(text=NO_ANSWER, citations=[], mode="llm")
    text = client.complete(build_messages(question, hits)).strip()
    return Answer(
        text=text, citations=_citations(parse_citations(text, len(hits)), hits), mode="llm"
    )


def judge_answer(client: Chat, question: str, reference: str, answer: str) -> float:
    """LLM-as-judge score in [0, 1]: the judge's 1-5 grade mapped linearly ((g - 1) / 4)."""
    user = f"Question: {question}\nReference answer: {reference}\nCandidate answer: {answer}"
    reply = client.complete(
        [{"role": "system", "content": JUDGE_PROMPT}, {"role": "user", "content": user}]
    )
    match = re.search(r"\{[^{}]*\}", reply)
    try:
        grade = json.loads(match.group(0))["score"] if match else int(reply.strip())
        grade = int(grade)
    except (ValueError, KeyError, TypeError):
        raise LLMError(f"judge reply is not a 1-5 score: {reply[:100]!r}") from None
    if not 1 <= grade <= 5:
        raise LLMError(f"judge score {grade} is outside 1-5")
    return (grade - 1) / 4
