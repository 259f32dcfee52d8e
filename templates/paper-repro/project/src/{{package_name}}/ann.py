"""Top-k by inner product over the item vectors: an HNSW index, or exact search as the reference.

The paper serves candidate generation as a nearest-neighbour search in the dot-product space
(section 3.2): the softmax score u . v_j + b_j is an inner product of [u, 1] and [v_j, b_j].

- `hnsw`: hnswlib's HNSW graph (Malkov and Yashunin, 2018) in inner-product space, built with one
  thread and a fixed seed so it is the same on every run.
- `exact`: a numpy matrix product and a partial sort; always correct, O(items) per query.

`ItemIndex(vectors, backend="auto")` uses hnswlib when it is installed and falls back to exact
search otherwise (`.backend` says which was used). `recall_against_exact` measures how much the
approximation loses.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np

__all__ = ["BACKENDS", "ItemIndex", "hnswlib_available", "recall_against_exact", "top_k"]

BACKENDS = ("auto", "hnsw", "exact")


def hnswlib_available() -> bool:
    return importlib.util.find_spec("hnswlib") is not None


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k highest scores of each row, best first (ties by lower index)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    return np.take_along_axis(part, order, axis=1)


class ItemIndex:
    """Inner-product top-k over `vectors` (n_items, d); results are row numbers of `vectors`."""

    def __init__(
        self,
        vectors: np.ndarray,
        *,
        backend: str = "auto",
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 100,
        seed: int = 0,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown ANN backend {backend!r}: use one of {', '.join(BACKENDS)}")
        if backend == "hnsw" and not hnswlib_available():
            raise ModuleNotFoundError("the hnsw backend needs hnswlib: pip install hnswlib")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.backend = "hnsw" if backend in {"auto", "hnsw"} and hnswlib_available() else "exact"
        self.ef_search = ef_search
        self._index = None
        if self.backend == "hnsw":
            import hnswlib

            n, dim = self.vectors.shape
            index = hnswlib.Index(space="ip", dim=dim)
            index.init_index(max_elements=n, ef_construction=ef_construction, M=m, random_seed=seed)
            index.add_items(self.vectors, np.arange(n), num_threads=1)
            index.set_ef(ef_search)
            self._index = index

    def __len__(self) -> int:
        return len(self.vectors)

    def query(
        self, queries: np.ndarray, k: int, exclude: Sequence[np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top-k rows and their inner products for each query, skipping rows in `exclude`.

        Returns (ids, scores), each (n_queries, k'), k' = min(k, items left after exclusion).
        """
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        excluded = [np.asarray(e, dtype=np.int64) for e in exclude] if exclude else None
        extra = max((len(e) for e in excluded), default=0) if excluded else 0
        fetch = min(k + extra, len(self))
        if self._index is not None:
            self._index.set_ef(max(self.ef_search, fetch))
            labels, _ = self._index.knn_query(queries, k=fetch, num_threads=1)
            ids = labels.astype(np.int64)
        else:
            ids = top_k(queries @ self.vectors.T, fetch)
        rows_out, scores_out = [], []
        for row, candidates in enumerate(ids):
            if excluded is not None:
                candidates = candidates[~np.isin(candidates, excluded[row])]
            candidates = candidates[:k]
            rows_out.append(candidates)
            scores_out.append(self.vectors[candidates] @ queries[row])
        width = min(len(r) for r in rows_out) if rows_out else 0
        return (
            np.stack([r[:width] for r in rows_out]),
            np.stack([s[:width] for s in scores_out]),
        )


def recall_against_exact(index: ItemIndex, queries: np.ndarray, k: int) -> float:
    """Share of the exact top-k that the index returns, averaged over queries (1.0 = exact)."""
    exact = top_k(np.atleast_2d(queries).astype(np.float32) @ index.vectors.T, k)
    found, _ = index.query(queries, k)
    hits = [len(set(e.tolist()) & set(f.tolist())) for e, f in zip(exact, found, strict=True)]
    return float(np.sum(hits) / exact.size)
