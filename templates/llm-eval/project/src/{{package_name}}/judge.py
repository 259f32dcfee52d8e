"""LLM-as-judge: rubric grading, pairwise preference with position swapping, judge agreement.

- `RubricJudge` asks a provider to grade one output against a rubric on a 1-5 scale and to reply
  with a JSON object `{"score": n, "reason": "..."}`; the score is mapped to [0, 1].
- `PairwiseJudge` asks which of two outputs is better twice, with the outputs in both orders.
  Judges prefer a position (Zheng et al. 2023, "Judging LLM-as-a-Judge"); a verdict counts only
  when it survives the swap, otherwise it is a tie, and the swap-consistency rate is reported.
- `cohen_kappa` measures agreement between the judge and human labels beyond chance:
  kappa = (p_o - p_e) / (1 - p_e) (Cohen 1960), as sklearn.metrics.cohen_kappa_score; with
  `weights="quadratic"` a near miss on an ordinal 1-5 scale costs less than a far one.
  `agreement` applies it to a judge's grades and a file of hand grades.

A reply that does not parse raises `JudgeParseError`, which the caller records for that example.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from .providers import Provider, ProviderError
from .stats import mcnemar_exact_p
from .suite import Example, SuiteError

__all__ = [
    "Agreement",
    "JudgeParseError",
    "PairwiseJudge",
    "PairwiseSummary",
    "PairwiseVerdict",
    "RubricJudge",
    "agreement",
    "cohen_kappa",
    "load_labels",
    "pairwise_over",
    "swap_consistency",
]


class JudgeParseError(ProviderError):
    """A judge reply that does not hold the verdict asked for."""


RUBRIC_PROMPT = Template(
    """You grade an answer against a rubric.

Rubric: $rubric

Input: $input
Reference: $reference
Answer: $output

Reply with only a JSON object: {"score": <integer 1-5>, "reason": "<one sentence>"}"""
)

PAIRWISE_PROMPT = Template(
    """Which answer is better for the input? Criteria: $rubric

Input: $input
Reference: $reference
Answer A: $first
Answer B: $second

Reply with only a JSON object: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}"""
)


def _json_object(reply: str) -> dict[str, object]:
    match = re.search(r"\{.*\}", reply, re.DOTALL)
    if match is None:
        raise JudgeParseError(f"judge reply holds no JSON object: {reply[:120]!r}")
    try:
        value = json.loads(match.group())
    except json.JSONDecodeError:
        raise JudgeParseError(f"judge reply is not valid JSON: {reply[:120]!r}") from None
    if not isinstance(value, dict):
        raise JudgeParseError("judge reply is not a JSON object")
    return value


@dataclass
class RubricJudge:
    """Grades one output on 1-5 against a rubric; `score` returns (score - 1) / 4 in [0, 1]."""

    provider: Provider
    rubric: str

    def grade(self, example: Example, output: str) -> int:
        prompt = RUBRIC_PROMPT.substitute(
            rubric=self.rubric,
            input=json.dumps(example.input, ensure_ascii=False),
            reference=json.dumps(example.reference, ensure_ascii=False),
            output=output,
        )
        value = _json_object(self.provider.complete(prompt, example)).get("score")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise JudgeParseError(f"judge score must be an integer 1-5, got {value!r}")
        return value

    def score(self, example: Example, output: str) -> float:
        return (self.grade(example, output) - 1) / 4


@dataclass(frozen=True)
class PairwiseVerdict:
    """The swap-controlled verdict ("baseline", "candidate" or "tie") and both raw answers."""

    winner: str
    first_order: str
    swapped_order: str

    @property
    def consistent(self) -> bool:
        return self.winner != "tie" or self.first_order == self.swapped_order == "tie"


@dataclass
class PairwiseJudge:
    """Compares two outputs in both orders; a preference must survive the swap."""

    provider: Provider
    rubric: str

    def _ask(self, example: Example, first: str, second: str) -> str:
        prompt = PAIRWISE_PROMPT.substitute(
            rubric=self.rubric,
            input=json.dumps(example.input, ensure_ascii=False),
            reference=json.dumps(example.reference, ensure_ascii=False),
            first=first,
            second=second,
        )
        winner = str(_json_object(self.provider.complete(prompt, example)).get("winner", ""))
        if winner not in {"A", "B", "tie"}:
            raise JudgeParseError(f"judge winner must be A, B or tie, got {winner!r}")
        return winner

    def compare(self, example: Example, baseline: str, candidate: str) -> PairwiseVerdict:
        forward = self._ask(example, baseline, candidate)  # A = baseline
        backward = self._ask(example, candidate, baseline)  # A = candidate
        as_names = {
            "forward": {"A": "baseline", "B": "candidate", "tie": "tie"}[forward],
            "backward": {"A": "candidate", "B": "baseline", "tie": "tie"}[backward],
        }
        agreed = as_names["forward"] == as_names["backward"]
        return PairwiseVerdict(as_names["forward"] if agreed else "tie", forward, backward)


def swap_consistency(verdicts: Sequence[PairwiseVerdict]) -> float:
    """The share of comparisons whose two orders named the same winner (or both a tie)."""
    if not verdicts:
        raise ValueError("no verdicts")
    same = sum(
        {"A": "baseline", "B": "candidate", "tie": "tie"}[v.first_order]
        == {"A": "candidate", "B": "baseline", "tie": "tie"}[v.swapped_order]
        for v in verdicts
    )
    return same / len(verdicts)


@dataclass(frozen=True)
class PairwiseSummary:
    """Swap-controlled preferences over a suite, with a sign test on wins against losses."""

    candidate_wins: int
    baseline_wins: int
    ties: int
    errors: dict[str, str]
    swap_consistency: float
    p_value: float
    # Comparisons where the judge named whichever answer it saw first (second), in both orders.
    first_position: int = 0
    second_position: int = 0

    @property
    def position_bias_rate(self) -> float:
        """The share of comparisons whose verdict flipped when the two answers swapped places."""
        return 1 - self.swap_consistency

    def summary(self) -> str:
        return (
            f"candidate preferred on {self.candidate_wins}, baseline on {self.baseline_wins}, "
            f"tie or position-inconsistent on {self.ties}, judge errors on {len(self.errors)}; "
            f"swap consistency {self.swap_consistency:.3f} (position-bias rate "
            f"{self.position_bias_rate:.3f}: first answer shown chosen in both orders "
            f"{self.first_position} times, second {self.second_position}); "
            f"sign test p = {self.p_value:.4g}"
        )


def pairwise_over(
    judge: PairwiseJudge,
    examples: Sequence[Example],
    baseline: Mapping[str, str],
    candidate: Mapping[str, str],
) -> PairwiseSummary:
    """Judge every example both runs answered; a failed judge call is kept as that example's error.

    The p-value is the two-sided sign test of candidate wins against baseline wins (ties
    dropped): the exact binomial test at 1/2, as McNemar's exact test.
    """
    verdicts: list[PairwiseVerdict] = []
    errors: dict[str, str] = {}
    for example in examples:
        if example.id not in baseline or example.id not in candidate:
            continue
        try:
            verdicts.append(judge.compare(example, baseline[example.id], candidate[example.id]))
        except ProviderError as error:
            errors[example.id] = str(error)
    if not verdicts:
        raise ValueError("the judge gave no verdict: " + "; ".join(list(errors.values())[:3]))
    wins = Counter(v.winner for v in verdicts)
    return PairwiseSummary(
        wins["candidate"],
        wins["baseline"],
        wins["tie"],
        errors,
        swap_consistency(verdicts),
        mcnemar_exact_p(wins["baseline"], wins["candidate"]),
        sum(v.first_order == v.swapped_order == "A" for v in verdicts),
        sum(v.first_order == v.swapped_order == "B" for v in verdicts),
    )


def cohen_kappa(
    first: Sequence[Hashable], second: Sequence[Hashable], weights: str | None = None
) -> float:
    """Cohen's kappa between two raters' labels of the same items, in [-1, 1].

    `weights` None counts only exact agreement; "linear" or "quadratic" weigh a disagreement by
    the distance (or its square) between the two labels' ranks in the sorted label set.
    """
    if len(first) != len(second) or not first:
        raise ValueError("kappa needs two equally long, non-empty label lists")
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    labels = sorted(set(first) | set(second), key=lambda label: (str(type(label)), label))
    if len(labels) == 1:
        return 1.0  # one shared label throughout: full agreement (sklearn gives nan here)
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    observed = np.zeros((k, k))
    for a, b in zip(first, second, strict=True):
        observed[index[a], index[b]] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    cost = {None: (distance > 0).astype(float), "linear": distance, "quadratic": distance**2}
    w = cost[weights]
    return float(1 - (w * observed).sum() / (w * expected).sum())


@dataclass(frozen=True)
class Agreement:
    """A judge's grades against hand grades of the same outputs."""

    n: int
    exact: float
    kappa: float
    weighted_kappa: float

    def summary(self) -> str:
        return (
            f"{self.n} outputs graded by both: exact agreement {self.exact:.3f}, Cohen's kappa "
            f"{self.kappa:.3f}, quadratic-weighted kappa {self.weighted_kappa:.3f}"
        )


def load_labels(path: Path) -> dict[str, int]:
    """Hand grades from a labels file: `{"labels": {"<system>/<id>": 1-5}}` (or the bare map)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    labels = doc.get("labels", doc) if isinstance(doc, dict) else None
    if not isinstance(labels, dict):
        raise SuiteError(f"{path}: expected an object of labels by '<system>/<id>'")
    for key, grade in labels.items():
        if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
            raise SuiteError(f"{path}: label {key!r} must be an integer 1-5, got {grade!r}")
    return {str(k): int(v) for k, v in labels.items()}


def agreement(judge: Mapping[str, int], human: Mapping[str, int]) -> Agreement:
    """Kappa (plain and quadratic-weighted) over the outputs that both graded."""
    shared = sorted(set(judge) & set(human))
    if len(shared) < 2:
        raise ValueError(f"agreement needs 2 or more outputs graded by both, got {len(shared)}")
    a, b = [human[k] for k in shared], [judge[k] for k in shared]
    exact = sum(x == y for x, y in zip(a, b, strict=True)) / len(shared)
    return Agreement(len(shared), exact, cohen_kappa(a, b), cohen_kappa(a, b, "quadratic"))
