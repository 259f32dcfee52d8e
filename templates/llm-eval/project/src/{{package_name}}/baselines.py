"""The project's own deterministic systems, which produce the shipped recorded responses.

They are real (if simple) systems of different strength, so the harness has a true difference to
find; the `record` command re-runs them and rewrites suites/*/recorded/*.jsonl, each line
labelled with the system that produced it. Swap in a model by adding an `openai` provider.

Question answering (SQuAD format, input fields `context` and `question`):
    sentence-overlap   the passage sentence sharing the most words with the question.
    bm25-span          ranks sentences by BM25 (k1 1.5, b 0.75) and extracts a short span by the
                       question's type (a date for "when", a name for "who", a quantity for
                       "how many/long", else the longest run of words the question lacks).

Summarisation (input field `document`, output two of its sentences):
    lead-2             the first two sentences: the classic news baseline (See et al. 2017).
    textrank           the two most central sentences, in document order: PageRank (damping
                       0.85) over a graph whose edge weights are content-word overlap divided by
                       log(len(s1)) + log(len(s2)) (Mihalcea and Tarau 2004).

JSON extraction (input field `text`, output a JSON object):
    regex              one fixed pattern per field (ISO dates, plain amounts, currency codes).
    rules              patterns plus normalisation: currency symbols, thousands separators,
                       dates written with month names or day/month/year.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import date

import numpy as np

from .suite import Example

__all__ = [
    "SYSTEMS",
    "PRODUCED_BY",
    "bm25_span",
    "lead_2",
    "make_invoices",
    "rules",
    "regex",
    "sentence_overlap",
    "textrank",
]

_STOPWORD_TEXT = """a an the of in on at to for by with from and or is was were are be been what
which who whom when where how many much long does did do its it this that as into than s"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[\w'-]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def sentence_overlap(example: Example) -> str:
    """The sentence with the most question content words in common (ties: the earlier one)."""
    question = set(content_words(str(example.input["question"])))
    candidates = sentences(str(example.input["context"]))
    return max(candidates, key=lambda s: len(question & set(content_words(s))))


def bm25_scores(
    query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75
) -> list[float]:
    """Okapi BM25 of `query` against each tokenised doc, IDF log(1 + (N - n + .5) / (n + .5))."""
    n_docs = len(docs)
    average = sum(len(d) for d in docs) / n_docs
    frequency = Counter(term for d in docs for term in set(d))
    scores = []
    for doc in docs:
        counts = Counter(doc)
        score = 0.0
        for term in set(query):
            if term not in counts:
                continue
            idf = math.log(1 + (n_docs - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = counts[term]
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / average))
        scores.append(score)
    return scores


_MONTHS = "January February March April May June July August September October November December"
_MONTH = "|".join(_MONTHS.split())
_DATE = re.compile(r"\b\d{1,2} (?:" + _MONTH + r") \d{4}\b|\b(?:" + _MONTH + r") \d{1,2}, \d{4}\b")
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")
_QUANTITY = re.compile(
    r"\b(?:about |around )?\d[\d,.]*(?: (?:percent|billion|million|kilometres|metres|species))?"
)
_CENTURY = re.compile(r"\bthe \d+(?:st|nd|rd|th) century(?: BC| AD)?\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?: (?:van |de )?[A-Z][a-z]+)+\b|\b[A-Z][a-z]+\b")
_MONTH_ONLY = re.compile(r"\b(?:in )?(" + _MONTH + r")\b")


def _span_by_type(question: str, sentence: str) -> str | None:
    q = question.lower()
    asked = set(words(question))
    if q.startswith(("when", "in what year", "in which year")) or "what year" in q:
        for pattern in (_DATE, _CENTURY, _YEAR):
            found = [m.group() for m in pattern.finditer(sentence)]
            found = [f for f in found if not set(words(f)) <= asked]
            if found:
                return found[0]
        if "month" in q:
            month = _MONTH_ONLY.search(sentence)
            return month.group(1) if month else None
    if "month" in q:
        month = _MONTH_ONLY.search(sentence)
        return month.group(1) if month else None
    if q.startswith(("how many", "how long", "what share", "what is the elevation", "how much")):
        found = [m.group() for m in _QUANTITY.finditer(sentence) if not _YEAR.fullmatch(m.group())]
        if found:
            return found[0]
    if q.startswith("who") or " whom" in q:
        names = [m.group() for m in _NAME.finditer(sentence)]
        names = [
            n for n in names if not set(words(n)) & asked and n.split()[0] not in {"The", "In"}
        ]
        if names:
            return max(names, key=len)
    return None


def _novel_run(question: str, sentence: str) -> str:
    """The longest run of sentence words that the question does not contain."""
    asked = set(words(question))
    best: list[str] = []
    run: list[str] = []
    for token in sentence.rstrip(".").split():
        if token.lower().strip(",.'") in asked:
            run = []
            continue
        run.append(token)
        if len(run) > len(best):
            best = list(run)
    while best and best[0].lower() in STOPWORDS - {"the"}:
        best = best[1:]
    return " ".join(best).strip(",") or sentence


def bm25_span(example: Example) -> str:
    """The best BM25 sentence, narrowed to a span of the type the question asks for."""
    question = str(example.input["question"])
    candidates = sentences(str(example.input["context"]))
    scores = bm25_scores(content_words(question), [content_words(s) for s in candidates])
    best = candidates[max(range(len(candidates)), key=lambda i: (scores[i], -i))]
    return _span_by_type(question, best) or _novel_run(question, best)


# Summarisation ----------------------------------------------------------------------------------

SUMMARY_SENTENCES = 2


def lead_2(example: Example) -> str:
    """The document's first two sentences."""
    return " ".join(sentences(str(example.input["document"]))[:SUMMARY_SENTENCES])


def textrank_scores(tokenised: list[list[str]], damping: float = 0.85) -> list[float]:
    """TextRank centrality of each sentence: PageRank by power iteration on the overlap graph."""
    n = len(tokenised)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            common = len(set(tokenised[i]) & set(tokenised[j]))
            norm = math.log(max(len(tokenised[i]), 2)) + math.log(max(len(tokenised[j]), 2))
            weights[i, j] = weights[j, i] = common / norm
    out = weights.sum(axis=1, keepdims=True)
    # a sentence sharing no word with any other links to every sentence alike
    transition = np.divide(weights, out, out=np.full((n, n), 1.0 / n), where=out > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        updated = (1 - damping) / n + damping * transition.T @ rank
        if np.abs(updated - rank).sum() < 1e-10:
            break
        rank = updated
    return [float(r) for r in updated]


def textrank(example: Example) -> str:
    """The two most central sentences (ties: the earlier), kept in document order."""
    candidates = sentences(str(example.input["document"]))
    scores = textrank_scores([content_words(s) for s in candidates])
    best = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[:SUMMARY_SENTENCES]
    return " ".join(candidates[i] for i in sorted(best))


# JSON extraction --------------------------------------------------------------------------------

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}


def regex(example: Example) -> str:
    """One fixed pattern per field; a field the pattern misses is null."""
    text = str(example.input["text"])

    def first(pattern: str) -> str | None:
        match = re.search(pattern, text)
        return match.group(1) if match else None

    amount = first(r"\b(\d+\.\d{2})\b")
    return json.dumps(
        {
            "invoice_id": first(r"\b(INV-\d+)\b"),
            "vendor": first(r"\bfrom ([A-Z][\w&]*(?: [A-Z][\w&.]*)*)"),
            "amount": float(amount) if amount else None,
            "currency": first(r"\b(EUR|USD|GBP)\b"),
            "due_date": first(r"\b(\d{4}-\d{2}-\d{2})\b"),
        }
    )


def _iso_date(text: str) -> str | None:
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        return iso.group()
    months = {name: i for i, name in enumerate(_MONTHS.split(), start=1)}
    day_month = re.search(r"\b(\d{1,2}) (" + _MONTH + r") (\d{4})\b", text)
    if day_month:
        day, month, year = day_month.groups()
        return date(int(year), months[month], int(day)).isoformat()
    month_day = re.search(r"\b(" + _MONTH + r") (\d{1,2}), (\d{4})\b", text)
    if month_day:
        month, day, year = month_day.groups()
        return date(int(year), months[month], int(day)).isoformat()
    slashed = re.search(r"\b(\d{2})/(\d{2})/(\d{4})\b", text)
    if slashed:
        day, month, year = slashed.groups()
        return date(int(year), int(month), int(day)).isoformat()
    return None


def rules(example: Example) -> str:
    """Patterns plus normalisation of symbols, separators, date formats and vendor cues."""
    text = str(example.input["text"])
    invoice = re.search(r"\b(?:INV-|invoice #|Ref INV-)(\d+)\b", text)
    vendor = re.search(
        r"(?:\bfrom |\bto |Vendor: |\()([A-Z][\w&]*(?: [A-Z][\w&]*\.?)*)(?=[:,)( ]| by| sent|\.)",
        text,
    ) or re.match(r"([A-Z][\w&]*(?: [A-Z][\w&]*\.?)*) sent", text)
    money = re.search(
        r"([€$£])\s?(\d[\d,]*\.\d{2})"
        r"|(\d[\d,]*\.\d{2}) (EUR|USD|GBP)"
        r"|(EUR|USD|GBP) (\d[\d,]*\.\d{2})",
        text,
    )
    amount: float | None = None
    currency: str | None = None
    if money:
        symbol, value1, value2, code2, code3, value3 = money.groups()
        value = value1 or value2 or value3
        amount = float(value.replace(",", ""))
        currency = _SYMBOLS.get(symbol or "") or code2 or code3
    return json.dumps(
        {
            "invoice_id": f"INV-{invoice.group(1)}" if invoice else None,
            "vendor": vendor.group(1) if vendor else None,
            "amount": amount,
            "currency": currency,
            "due_date": _iso_date(text),
        }
    )


_VENDORS = [
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam GmbH",
    "Initech",
    "Globex Corporation",
    "Umbrella Supplies",
    "Stark Industries",
    "Wayne Logistics",
    "Acme Tools",
    "Tyrell Systems",
]


def make_invoices(seed: int = 0, n: int = 60) -> list[dict[str, object]]:
    """The synthetic invoice messages of the JSON-extraction suite, in five phrasings.

    Synthetic on purpose: the reference is known exactly because the text is generated from it.
    """
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    months = _MONTHS.split()
    for i in range(n):
        number = rng.randint(1000, 9999)
        vendor = rng.choice(_VENDORS)
        cents = rng.randint(1000, 2_000_000)
        amount = cents / 100
        currency = rng.choice(["EUR", "USD", "GBP"])
        symbol = {v: k for k, v in _SYMBOLS.items()}[currency]
        due = date(2024, rng.randint(1, 12), rng.randint(1, 28))
        plain = f"{amount:.2f}"
        grouped = f"{amount:,.2f}"
        style = i % 5
        if style == 0:
            text = f"Invoice INV-{number} from {vendor}: {currency} {plain} due {due.isoformat()}."
        elif style == 1:
            text = (
                f"{vendor} sent invoice #{number} for {symbol}{grouped}, payable by "
                f"{due.day} {months[due.month - 1]} {due.year}."
            )
        elif style == 2:
            text = (
                f"Please pay {symbol}{grouped} to {vendor} by {months[due.month - 1]} {due.day}, "
                f"{due.year} (invoice INV-{number})."
            )
        elif style == 3:
            text = (
                f"Reminder: invoice INV-{number} ({vendor}) of {grouped} {currency} is due on "
                f"{due.isoformat()}."
            )
        else:
            text = (
                f"Amount due: {symbol}{plain}. Vendor: {vendor}. Ref INV-{number}. "
                f"Due date: {due.day:02d}/{due.month:02d}/{due.year}."
            )
        reference = {
            "invoice_id": f"INV-{number}",
            "vendor": vendor,
            "amount": amount,
            "currency": currency,
            "due_date": due.isoformat(),
        }
        rows.append(
            {
                "id": f"inv-{i + 1:03d}",
                "input": {"text": text},
                "reference": reference,
                "metadata": {"phrasing": style + 1},
            }
        )
    return rows


SYSTEMS: dict[str, Callable[[Example], str]] = {
    "sentence-overlap": sentence_overlap,
    "bm25-span": bm25_span,
    "regex": regex,
    "rules": rules,
    "lead-2": lead_2,
    "textrank": textrank,
}

# What each recorded line says produced it: the function in this module, and what it is.
PRODUCED_BY = {
    "sentence-overlap": "baselines.py sentence_overlap (extractive: best-overlap sentence)",
    "bm25-span": "baselines.py bm25_span (extractive: BM25 sentence ranker + typed span rules)",
    "regex": "baselines.py regex (one regular expression per field)",
    "rules": "baselines.py rules (patterns + normalisation rules)",
    "lead-2": "baselines.py lead_2 (extractive: the first two sentences)",
    "textrank": "baselines.py textrank (extractive: two most central sentences by TextRank)",
}
