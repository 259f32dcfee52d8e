"""Tokenisation shared by BM25, the TF-IDF encoder, the extractive answerer and token F1.

One tokenizer for every lexical component keeps the comparison between retrievers fair: a
difference in nDCG comes from the model, not from two ways of splitting words.

    >>> tokenize("How do I set max_retries for FW-1203?")
    ['set', 'max_retries', 'fw', '1203']
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["STOPWORDS", "split_sentences", "stem", "tokenize", "words"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[])|\n{2,}|\n(?=\s*[-*#>]|\s*\d+\.)")

# A short English stop list: function words that carry no topic. Kept small on purpose, so that
# words such as "not" or "without", which change the meaning of a query, are still indexed.
_STOPWORD_LIST = """
    a about an and are as at be been being but by can could did do does doing for from had has
    have having he her here hers him his how i if in into is it its itself me my of on or our
    ours she should so than that the their theirs them then there these they this those to too
    us was we were what when where which while who whom why will with would you your yours
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits and `_`), stop words kept."""
    return [match.group().lower() for match in _WORD.finditer(text)]


def tokenize(text: str, *, stopwords: bool = True, stemmer: bool = False) -> list[str]:
    """Lower-cased word tokens: the index and query vocabulary.

    `stopwords` drops the words of `STOPWORDS`; `stemmer` reduces each word to its Snowball
    English stem ("retries", "retried" -> "retri"), so inflections match each other.
    """
    tokens = words(text)
    if stopwords:
        tokens = [token for token in tokens if token not in STOPWORDS]
    return stem(tokens) if stemmer else tokens


@functools.lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(tokens: list[str]) -> list[str]:
    """Snowball English stems of `tokens` (PyStemmer, the C implementation bm25s uses)."""
    return list(_english_stemmer().stemWords(tokens))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and list items) of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed: list[tuple[int, int]] = []
    for begin, end in spans:
        # A Markdown heading line is a segment of its own, never the start of a sentence.
        for line_start, line_end in _heading_split(text, begin, end):
            segment = text[line_start:line_end]
            stripped = segment.strip()
            if stripped:
                offset = line_start + len(segment) - len(segment.lstrip())
                trimmed.append((offset, offset + len(stripped)))
    return trimmed


def _heading_split(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    while text[begin:end].lstrip().startswith("#") and "\n" in text[begin:end].lstrip():
        newline = text.index("\n", begin + len(text[begin:end]) - len(text[begin:end].lstrip()))
        parts.append((begin, newline))
        begin = newline + 1
    parts.append((begin, end))
    return parts
