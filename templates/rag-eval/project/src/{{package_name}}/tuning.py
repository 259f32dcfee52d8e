"""A dev/test split of the queries, and a small grid search on the dev queries only.

Choosing chunk size, BM25 parameters or the fusion constant on the queries that are then
reported overstates the result; here every choice is made on the dev queries and the report
gives figures for the test queries alone.

    dev, test = split_queries(qids, dev_fraction=0.3, seed=0)
    result = tune(dataset, dev, chunking, retrieval, k=10)

The split is by a seeded hash of each query id, so adding a query never moves another one
between dev and test. The search is coordinate-wise (one setting at a time, in `STAGES`
order, each keeping the best value found so far), so it costs a few dozen BM25 indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import metrics as M
from .beir import BeirDataset
from .config import ChunkingConfig, RetrievalConfig
from .ingest import Chunk, chunk_documents
from .retrievers import Index, Retriever, build_index

__all__ = ["STAGES", "TuningResult", "split_queries", "tune"]

# (setting, values): chunking first (it changes every index), then BM25's term processing and
# parameters, then the fusion constant. "document" scores whole documents instead of chunks.
STAGES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("chunking", ("headings", "tokens", "document")),
    ("chunk_tokens", (60, 120, 200)),
    ("bm25_stemmer", (False, True)),
    ("bm25_stopwords", (False, True)),
    ("bm25_k1", (0.9, 1.2, 1.5, 2.0)),
    ("bm25_b", (0.3, 0.5, 0.75, 0.9)),
    ("rrf_k", (10, 30, 60, 100)),
)


def split_queries(
    qids: Sequence[str], dev_fraction: float, seed: int
) -> tuple[list[str], list[str]]:
    """(dev, test) query ids: the `dev_fraction` of queries with the smallest seeded hash."""
    if not 0 <= dev_fraction < 1:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    ordered = sorted(qids, key=lambda q: hashlib.sha256(f"{seed}:{q}".encode()).hexdigest())
    n_dev = round(dev_fraction * len(ordered))
    if dev_fraction > 0 and len(ordered) - n_dev < 2:
        raise ValueError(f"{len(ordered)} queries are too few to hold out a dev split")
    return sorted(ordered[:n_dev]), sorted(ordered[n_dev:])


@dataclass(frozen=True)
class TuningResult:
    """The settings chosen on dev, and every trial as (setting, value, dev nDCG@k)."""

    chunking: ChunkingConfig
    retrieval: RetrievalConfig
    trials: list[tuple[str, str, float]]
    dev_queries: int


def _dev_ndcg(index: Index, dataset: BeirDataset, dev: Sequence[str], k: int) -> float:
    depth = min(len(index.chunks), 8 * k)
    run = {}
    for qid in dev:
        docs: list[str] = []
        for hit in index.search(dataset.queries[qid], depth):
            if hit.chunk.doc_id not in docs:
                docs.append(hit.chunk.doc_id)
        run[qid] = docs[:k]
    qrels = {qid: dataset.qrels[qid] for qid in dev}
    return float(np.mean(list(M.evaluate_run(qrels, run, [k], ["ndcg"])[f"ndcg@{k}"].values())))


def tune(
    dataset: BeirDataset,
    dev: Sequence[str],
    chunking: ChunkingConfig,
    retrieval: RetrievalConfig,
    *,
    k: int = 10,
    fusion: str = "hybrid",
    min_gain: float = 0.01,
) -> TuningResult:
    """Coordinate search over `STAGES` by dev nDCG@k: BM25 for every stage but the last, the
    `fusion` retriever (its LSA part built once) for the fusion constant.

    A value replaces the current one only when it beats it on dev by more than `min_gain`:
    on a few dozen dev queries smaller gains are noise, and chasing them overfits dev.
    """
    if not dev:
        raise ValueError("tuning needs dev queries")
    trials: list[tuple[str, str, float]] = []
    chunks_cache: dict[ChunkingConfig, list[Chunk]] = {}

    def chunks_for(config: ChunkingConfig) -> list[Chunk]:
        if config not in chunks_cache:
            chunks_cache[config] = chunk_documents(dataset.corpus, config)
        return chunks_cache[config]

    def score(
        ch: ChunkingConfig, rc: RetrievalConfig, name: str, built: dict[str, Retriever]
    ) -> float:
        return _dev_ndcg(build_index(chunks_for(ch), name, rc, built), dataset, dev, k)

    for setting, values in STAGES:
        fused = setting == "rrf_k"
        built: dict[str, Retriever] = {}
        best_value: Any = None
        best_score = -1.0
        margin = 0.0  # the current value (tried first) must be beaten by min_gain
        if setting == "chunking":
            current: Any = chunking.strategy
        elif setting == "chunk_tokens":
            current = chunking.chunk_tokens
        else:
            current = getattr(retrieval, setting)
        ordered = [current, *[v for v in values if v != current]]
        for value in ordered:
            ch, rc = chunking, retrieval
            if setting == "chunking":
                ch = replace(chunking, strategy=value)
            elif setting == "chunk_tokens":
                if chunking.strategy == "document":
                    continue
                overlap = min(chunking.overlap_tokens, value // 4)
                ch = replace(chunking, chunk_tokens=value, overlap_tokens=overlap)
            else:
                rc = replace(retrieval, **{setting: value})
            if fused:
                # Fusion re-ranks the same two part rankings: the parts are built once.
                built = {p: r for p, r in built.items() if p != fusion}
            value_score = score(ch, rc, fusion if fused else "bm25", built if fused else {})
            trials.append((setting, str(value), round(value_score, 4)))
            if value_score > best_score + margin + 1e-9:
                best_value, best_score = value, value_score
            margin = min_gain
        if setting == "chunking":
            chunking = replace(chunking, strategy=best_value)
        elif setting == "chunk_tokens" and best_value is not None:
            chunking = replace(
                chunking,
                chunk_tokens=best_value,
                overlap_tokens=min(chunking.overlap_tokens, best_value // 4),
            )
        elif best_value is not None and setting != "chunk_tokens":
            retrieval = replace(retrieval, **{setting: best_value})
    return TuningResult(chunking, retrieval, trials, len(dev))
