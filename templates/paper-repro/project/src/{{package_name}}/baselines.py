"""The strong simple baselines a reproduction must beat: most-popular and item-item cosine.

Both score every item for a user from that user's training watches only (no future watches):

- `Popularity`: the number of training watches of each item; the same list for everyone.
- `ItemItem`: cosine similarity between items' training-user vectors (Sarwar et al., WWW 2001);
  a user's score for item j is the sum of its similarities to the items they watched.

Scores are (n_users, n_items) arrays, column j for item index j + 1 (as in `sequences`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .sequences import SequenceData

__all__ = ["BASELINES", "ItemItem", "Popularity"]


@dataclass
class Popularity:
    """Most-watched items in training, the same for every user."""

    name: str = "popularity"
    counts: np.ndarray | None = None
    fit_seconds: float = 0.0

    def fit(self, data: SequenceData) -> Popularity:
        start = time.perf_counter()
        self.counts = data.train_counts()[1:]
        self.fit_seconds = time.perf_counter() - start
        return self

    def score(self, histories: list[np.ndarray]) -> np.ndarray:
        if self.counts is None:
            raise RuntimeError("fit the model first")
        return np.tile(self.counts, (len(histories), 1))


@dataclass
class ItemItem:
    """Sum of cosine similarities to the items in the user's training history."""

    name: str = "itemknn"
    similarity: np.ndarray | None = None
    fit_seconds: float = 0.0

    def fit(self, data: SequenceData) -> ItemItem:
        start = time.perf_counter()
        matrix = np.zeros((len(data.histories), data.n_items), dtype=np.float32)
        for user, watches in enumerate(data.histories):
            matrix[user, watches - 1] = 1.0
        gram = matrix.T @ matrix
        norms = np.sqrt(np.diag(gram))
        denom = np.outer(norms, norms)
        similarity = np.divide(gram, denom, out=np.zeros_like(gram), where=denom > 0)
        np.fill_diagonal(similarity, 0.0)
        self.similarity = similarity
        self.fit_seconds = time.perf_counter() - start
        return self

    def score(self, histories: list[np.ndarray]) -> np.ndarray:
        if self.similarity is None:
            raise RuntimeError("fit the model first")
        out = np.zeros((len(histories), self.similarity.shape[0]), dtype=np.float32)
        for row, watches in enumerate(histories):
            if len(watches):
                out[row] = self.similarity[watches - 1].sum(axis=0)
        return out


BASELINES = {"popularity": Popularity, "itemknn": ItemItem}
