"""Nearest-neighbour search over unit vectors: exact (one matrix product) or approximate (HNSW).

Exact search costs one dot product per stored vector per query, which is fine for the demo
and for tens of thousands of chunks; past that an HNSW graph (Malkov and Yashunin, 2018; here
faiss's `IndexHNSWFlat`, the `ann` extra) visits a few thousand vectors instead of all of them,
at the price of sometimes missing a true neighbour. `recall_at_k` measures that price against
exact search; `benchmarks/bench_retrieval.py --ann` prints it with the latency saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["HnswIndex", "ann_available", "exact_search", "recall_at_k"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def ann_available() -> bool:
    """True when faiss (the `ann` extra, faiss-cpu) is installed."""
    from importlib.util import find_spec

    return find_spec("faiss") is not None


def exact_search(vectors: FloatArray, queries: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Top-`k` positions and inner products of each query, best first.

    A partial selection (argpartition) then a sort of the `k` chosen, as a fair exact baseline:
    a full sort of every score would make exact search look slower than it is.
    """
    scores = queries @ vectors.T
    k = min(k, vectors.shape[0])
    if k < vectors.shape[0]:
        candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        candidates = np.broadcast_to(np.arange(k), (scores.shape[0], k))
    chosen = np.take_along_axis(scores, candidates, axis=1)
    order = np.lexsort((candidates, -chosen), axis=1)
    ids = np.take_along_axis(candidates, order, axis=1)
    return ids.astype(np.int64), np.take_along_axis(scores, ids, axis=1).astype(np.float32)


@dataclass
class HnswIndex:
    """An HNSW graph over unit vectors, searched by inner product (= cosine).

    `m` links per node and `ef_construction` shape the graph (more: better recall, slower
    build); `ef_search` is how many candidates a query keeps (more: better recall, slower).
    """

    dim: int
    m: int = 32
    ef_construction: int = 200
    ef_search: int = 128

    def __post_init__(self) -> None:
        import faiss

        self._index: Any = faiss.IndexHNSWFlat(self.dim, self.m, faiss.METRIC_INNER_PRODUCT)
        self._index.hnsw.efConstruction = self.ef_construction
        self._index.hnsw.efSearch = self.ef_search
        self.size = 0

    def add(self, vectors: FloatArray) -> None:
        """Insert `vectors` (rows); their positions continue from the current size."""
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.size += vectors.shape[0]

    def search(self, queries: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
        """Approximate top-`k` positions and inner products; -1 pads when fewer exist."""
        self._index.hnsw.efSearch = max(self.ef_search, k)
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return ids.astype(np.int64), scores.astype(np.float32)

    def write(self, path: Path) -> None:
        """Save the graph and its vectors to one file (faiss's own format)."""
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def read(cls, path: Path, *, ef_search: int = 128) -> HnswIndex:
        """An index saved by `write`; `ef_search` is a search setting, so it is not stored."""
        import faiss

        raw = faiss.read_index(str(path))
        index = cls(raw.d, ef_search=ef_search)
        index._index = raw
        index._index.hnsw.efSearch = ef_search
        index.size = int(raw.ntotal)
        return index


def recall_at_k(approximate: Sequence[Sequence[int]], exact: Sequence[Sequence[int]]) -> float:
    """Mean share of the exact top-k that the approximate top-k also found."""
    if len(approximate) != len(exact) or not exact:
        raise ValueError("recall needs one approximate and one exact ranking per query")
    shares = [
        len(set(a) & set(e)) / len(e) for a, e in zip(approximate, exact, strict=True) if len(e)
    ]
    return float(np.mean(shares)) if shares else 0.0
