"""Answer-level evaluation: is each sentence of an answer supported by the passages it cites?

Retrieval metrics say whether the right documents came back; these say whether the answer
written from them is grounded. An answer is split into statements (its sentences); each keeps
the `[n]` markers it carries. A support judge decides whether some passages support a claim.

    citation recall     (ALCE, Gao et al., EMNLP 2023) per statement: 1 when it cites at least
                        one passage and the cited passages together support it; mean over the
                        statements of an answer
    citation precision  (ALCE) per citation: 0 when the statement is not supported by its
                        citations, or when the citation neither supports the statement alone
                        nor is needed by the others (removing it keeps the support); the
                        share of all citations of an answer that count
    faithfulness        per statement, citations ignored: supported by all the passages the
                        answerer was given (sentences stand in for RAGAS's extracted claims)

Judges:

- `LexicalJudge` (offline, default): a claim is supported when at least `threshold` of its
  content words occur in the passages. A proxy: it cannot see a changed number or a negation,
  which is why its agreement with human labels (`cohen_kappa` on `demo/support_labels.jsonl`)
  is reported beside every figure it produces.
- `LLMJudge`: asks an OpenAI-compatible model with the rubric `SUPPORT_RUBRIC`.

`ReplayClient` records every chat request and response to a JSON-lines file and replays
them, so answer-level runs and their tests work offline once recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .answer import Chat, ChatClient, LLMError
from .text import split_sentences, tokenize

__all__ = [
    "SUPPORT_RUBRIC",
    "AnswerGrounding",
    "LLMJudge",
    "LexicalJudge",
    "ReplayClient",
    "Statement",
    "SupportJudge",
    "SupportLabel",
    "calibrate",
    "cohen_kappa",
    "grade_answer",
    "load_support_labels",
    "split_statements",
]

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

SUPPORT_RUBRIC = (
    "You check whether a claim is supported by the given passages.\n"
    "Supported: every fact in the claim is stated in the passages or follows directly from "
    "them; wording may differ.\n"
    "Not supported: the claim adds a fact the passages do not state (a number, a name, a "
    "command, a condition), contradicts them, or changes a negation. Background knowledge "
    "does not count; a claim that is true but not in the passages is not supported.\n"
    'Reply with JSON only: {"supported": true} or {"supported": false}.'
)


class SupportJudge(Protocol):
    """Decides whether `passages`, read together, support `claim`."""

    name: str

    def supports(self, passages: Sequence[str], claim: str) -> bool: ...


@dataclass(frozen=True)
class Statement:
    """One sentence of an answer, without its markers, and the passage numbers it cites."""

    text: str
    citations: tuple[int, ...]


def split_statements(answer: str) -> list[Statement]:
    """The sentences of `answer`, each with the `[n]` markers inside it (distinct, in order).

    A marker that opens a sentence (after the previous full stop, "... done. [2]") belongs to
    the sentence before it, as writers place it.
    """
    spans = split_sentences(answer)
    statements: list[Statement] = []
    for start, end in spans:
        sentence = answer[start:end]
        leading = re.match(r"^(\s*\[\d+(?:\s*,\s*\d+)*\])+", sentence)
        if leading and statements:
            moved = _numbers(leading.group(0))
            last = statements[-1]
            statements[-1] = Statement(last.text, _merge(last.citations, moved))
            sentence = sentence[leading.end() :]
        text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_MARKER.sub(" ", sentence).split()))
        if text:
            statements.append(Statement(text, tuple(_numbers(sentence))))
    return statements


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for group in _MARKER.findall(text):
        for part in group.split(","):
            if int(part) not in out:
                out.append(int(part))
    return out


def _merge(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys([*a, *b]))


@dataclass(frozen=True)
class AnswerGrounding:
    """The answer-level scores of one answer, each in [0, 1]."""

    citation_recall: float
    citation_precision: float
    faithfulness: float
    statements: int
    citations: int


def grade_answer(answer: str, passages: Sequence[str], judge: SupportJudge) -> AnswerGrounding:
    """ALCE citation recall and precision and faithfulness of `answer`, whose `[n]` markers
    point at `passages[n - 1]`; markers outside 1..len(passages) cite nothing."""
    statements = split_statements(answer)
    if not statements:
        return AnswerGrounding(0.0, 0.0, 0.0, 0, 0)
    supported = 0
    precise = 0
    total_citations = 0
    faithful = 0
    for statement in statements:
        refs = [n for n in statement.citations if 1 <= n <= len(passages)]
        total_citations += len(refs)
        joint = bool(refs) and judge.supports([passages[n - 1] for n in refs], statement.text)
        supported += joint
        if joint and len(refs) > 1:
            for n in refs:
                alone = judge.supports([passages[n - 1]], statement.text)
                others = [passages[m - 1] for m in refs if m != n]
                needed = alone or not judge.supports(others, statement.text)
                precise += needed
        else:
            precise += joint  # one citation: precise exactly when it supports the statement
        faithful += judge.supports(list(passages), statement.text) if passages else 0
    return AnswerGrounding(
        citation_recall=supported / len(statements),
        citation_precision=precise / total_citations if total_citations else 0.0,
        faithfulness=faithful / len(statements),
        statements=len(statements),
        citations=total_citations,
    )


class LexicalJudge:
    """Supported when every number of the claim and at least `threshold` of its content-word
    stems occur in the passages.

    Offline and deterministic, but blind to negation, reversed relations and paraphrase, so
    it disagrees with people often (the report gives its kappa on the human labels). The 0.7
    default was picked on those same labels, so that kappa is an optimistic estimate.
    """

    name = "lexical"

    def __init__(self, threshold: float = 0.7) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        words = set(tokenize(claim, stemmer=True))
        if not words:
            return False
        known = {t for passage in passages for t in tokenize(passage, stemmer=True)}
        if any(word.isdigit() and word not in known for word in words):
            return False  # "kept for 90 days" is not supported by "kept for 30 days"
        return len(words & known) / len(words) >= self.threshold


class LLMJudge:
    """Support judged by a chat model with `SUPPORT_RUBRIC`; one request per decision."""

    name = "llm"

    def __init__(self, client: Chat) -> None:
        self.client = client

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        numbered = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, start=1))
        user = f"Passages:\n\n{numbered}\n\nClaim: {claim}"
        reply = self.client.complete(
            [{"role": "system", "content": SUPPORT_RUBRIC}, {"role": "user", "content": user}]
        )
        match = re.search(r"\{[^{}]*\}", reply)
        try:
            verdict = json.loads(match.group(0))["supported"] if match else None
        except (ValueError, KeyError, TypeError):
            verdict = None
        if not isinstance(verdict, bool):
            expected = '{"supported": true|false}'
            raise LLMError(f"support judge reply is not {expected}: {reply[:100]!r}")
        return verdict


def _request_key(messages: Sequence[Mapping[str, str]], temperature: float) -> str:
    body = json.dumps({"messages": list(messages), "temperature": temperature}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class ReplayClient:
    """Replays recorded chat replies from a JSON-lines file; with `live`, records new ones.

    Each line is `{"key": sha256 of the request, "request": ..., "reply": "..."}`. Without a
    live client a request that was never recorded is an error that says so, never a guess.
    """

    def __init__(self, path: Path, live: ChatClient | None = None) -> None:
        self.path = path
        self.live = live
        self.replies: dict[str, str] = {}
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    self.replies[str(entry["key"])] = str(entry["reply"])
                except (ValueError, KeyError, TypeError):
                    raise LLMError(f"{path}:{number}: not a recorded reply") from None
        elif live is None:
            raise LLMError(f"no recorded replies at {path}: record them with a live endpoint")

    def complete(self, messages: Sequence[Mapping[str, str]], temperature: float = 0.0) -> str:
        key = _request_key(messages, temperature)
        if key in self.replies:
            return self.replies[key]
        if self.live is None:
            raise LLMError(
                f"{self.path} has no recorded reply for this request: record it again with "
                "RAG_EVAL_LLM_BASE_URL set (the prompt or the passages changed)"
            )
        reply = self.live.complete(messages, temperature)
        self.replies[key] = reply
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            entry = {"key": key, "request": list(messages), "reply": reply}
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        return reply


@dataclass(frozen=True)
class SupportLabel:
    """A human judgment: does `passage` support `claim` (written for this project's demo)."""

    label_id: str
    passage: str
    claim: str
    supported: bool


def load_support_labels(path: Path) -> list[SupportLabel]:
    """Read `support_labels.jsonl` (`_id`, `passage`, `claim`, `supported`), one label a line."""
    labels: list[SupportLabel] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            supported = row["supported"]
            if not isinstance(supported, bool):
                raise TypeError
            labels.append(SupportLabel(str(row["_id"]), row["passage"], row["claim"], supported))
        except (ValueError, KeyError, TypeError):
            raise ValueError(
                f"{path}:{number}: expected _id, passage, claim and a true/false supported"
            ) from None
    return labels


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa of two binary labelings: (p_o - p_e) / (1 - p_e) (Cohen, 1960).

    1 is perfect agreement, 0 what chance gives with the same label rates; 1.0 when both
    raters give one identical constant label (no disagreement is possible to measure).
    """
    if len(a) != len(b) or not a:
        raise ValueError("kappa needs two labelings of the same, non-zero length")
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected == 1.0:
        return 1.0
    return (observed - expected) / (1 - expected)


def calibrate(judge: SupportJudge, labels: Sequence[SupportLabel]) -> dict[str, float]:
    """The judge's agreement with human labels: Cohen's kappa, accuracy, and its errors."""
    verdicts = [judge.supports([label.passage], label.claim) for label in labels]
    truth = [label.supported for label in labels]
    pairs = list(zip(verdicts, truth, strict=True))
    return {
        "kappa": cohen_kappa(verdicts, truth),
        "accuracy": sum(v == t for v, t in pairs) / len(pairs),
        "false_support": float(sum(v and not t for v, t in pairs)),
        "missed_support": float(sum(t and not v for v, t in pairs)),
        "labels": float(len(pairs)),
    }
