"""Where the dense retrievers (`lsa`, `st`) keep their chunk vectors, and how they search them.

    exact     a numpy matrix in this process, one matrix product per query batch: exact
    hnsw      a faiss HNSW graph in this process (the `ann` extra): approximate, for corpora
              where scanning every vector per query gets slow (see benchmarks/bench_retrieval.py)
    pgvector  a PostgreSQL table with pgvector's HNSW index (the `pgvector` extra), chosen by
              giving a DSN: for corpora that outgrow one process, or one index that several
              servers share

`open_store` picks one from the `RetrievalConfig`: pgvector when `pgvector_dsn` is set; else
HNSW when `ann` is "hnsw", or "auto" with at least `ann_min_chunks` vectors and faiss installed;
else exact. Every store answers in the same form, `(position, score)` pairs with the inner
product as the score, best first, ties to the lower position, so fusion (`hybrid`) and
everything downstream work the same whichever store holds the vectors.

A pgvector table is named after its content (retriever and a digest of the vectors), so an
index saved with it keeps pointing at the same rows; the saved DSN has its password removed
(libpq then reads PGPASSWORD or ~/.pgpass when the index is loaded).
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import RetrievalConfig

__all__ = [
    "ExactStore",
    "HnswStore",
    "PgVectorStore",
    "Ranking",
    "VectorStore",
    "VectorStoreError",
    "load_store",
    "open_store",
    "pgvector_available",
    "redact_dsn",
    "top_k",
]

Ranking = list[tuple[int, float]]
FloatArray = npt.NDArray[np.float32]
# pgvector refuses hnsw.ef_search above 1000.
PG_MAX_EF_SEARCH = 1000


class VectorStoreError(RuntimeError):
    """A store that cannot be built, reached or loaded; the message says why."""


def top_k(scores: npt.NDArray[np.floating], k: int) -> Ranking:
    """The `k` best positions of a score vector, best first; ties go to the lower position."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return []
    if k < scores.shape[0]:
        candidates = np.argpartition(-scores, k - 1)[:k]
        # Positions tied with the k-th score are chosen by position, not by argpartition's
        # internal order, so results do not depend on the numpy version.
        threshold = np.min(scores[candidates])
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)[: k - above.shape[0]]
        candidates = np.concatenate([above, tied])
    else:
        candidates = np.arange(k)
    chosen = candidates[np.lexsort((candidates, -scores[candidates]))]
    return [(int(i), float(scores[i])) for i in chosen]


def _ordered(pairs: list[tuple[int, float]], k: int) -> Ranking:
    """Best first, ties to the lower position: the order `top_k` gives, for any store."""
    return sorted(pairs, key=lambda p: (-p[1], p[0]))[:k]


class VectorStore(ABC):
    """Unit vectors stored by position; searched by inner product (= cosine)."""

    kind: str

    @abstractmethod
    def add(self, vectors: FloatArray) -> None:
        """Store `vectors` (one row per chunk), replacing what was stored."""

    @abstractmethod
    def search(self, queries: FloatArray, k: int) -> list[Ranking]:
        """For each query row, up to `k` `(position, inner product)` pairs, best first."""

    @abstractmethod
    def _save(self, path: Path) -> dict[str, Any]:
        """Write the store's files under `path`; return what `load_store` needs to reopen it."""

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        meta = {"kind": self.kind, **self._save(path)}
        (path / "store.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


class ExactStore(VectorStore):
    """Every vector scored for every query: exact, and fast enough to tens of thousands."""

    kind = "exact"

    def __init__(self) -> None:
        self.vectors: FloatArray = np.zeros((0, 0), dtype=np.float32)

    def add(self, vectors: FloatArray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def search(self, queries: FloatArray, k: int) -> list[Ranking]:
        return [top_k(row, k) for row in queries @ self.vectors.T]

    def _save(self, path: Path) -> dict[str, Any]:
        np.save(path / "vectors.npy", self.vectors)
        return {}

    @classmethod
    def load(cls, path: Path) -> ExactStore:
        store = cls()
        store.vectors = np.load(path / "vectors.npy")
        return store


class HnswStore(VectorStore):
    """faiss's HNSW graph (see ann.py): approximate, a few thousand vectors visited per query."""

    kind = "hnsw"

    def __init__(self, config: RetrievalConfig) -> None:
        self.config = config
        self.index: Any = None

    def add(self, vectors: FloatArray) -> None:
        from .ann import HnswIndex

        c = self.config
        self.index = HnswIndex(vectors.shape[1], c.hnsw_m, c.hnsw_ef_construction, c.hnsw_ef_search)
        self.index.add(vectors)

    def search(self, queries: FloatArray, k: int) -> list[Ranking]:
        ids, scores = self.index.search(queries, k)
        return [
            _ordered([(int(i), float(s)) for i, s in zip(row, srow, strict=True) if i >= 0], k)
            for row, srow in zip(ids, scores, strict=True)
        ]

    def _save(self, path: Path) -> dict[str, Any]:
        self.index.write(path / "hnsw.faiss")
        return {}

    @classmethod
    def load(cls, path: Path, config: RetrievalConfig) -> HnswStore:
        from .ann import HnswIndex

        store = cls(config)
        store.index = HnswIndex.read(path / "hnsw.faiss", ef_search=config.hnsw_ef_search)
        return store


def pgvector_available() -> bool:
    """True when the `pgvector` extra (psycopg and the pgvector client) is installed."""
    from importlib.util import find_spec

    return find_spec("psycopg") is not None and find_spec("pgvector") is not None


def redact_dsn(dsn: str) -> str:
    """`dsn` without its password, fit for metrics.json and a saved index."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        raise VectorStoreError(f"pgvector DSN is not a connection string: {error}") from None
    params.pop("password", None)
    return make_conninfo(**{k: str(v) for k, v in params.items()})


class PgVectorStore(VectorStore):
    """Vectors in a PostgreSQL table `(id int, embedding vector(dim))` with an HNSW index.

    Searched with pgvector's inner-product operator `<#>` (the negative inner product);
    `exact=True` turns index scans off for the session, so PostgreSQL scans every row and
    the result is exact (the parity test's reference).
    """

    kind = "pgvector"

    def __init__(self, config: RetrievalConfig, name: str, *, exact: bool = False) -> None:
        if not pgvector_available():
            raise VectorStoreError(
                "a pgvector DSN needs the pgvector extra: pip install -e '.[pgvector]'"
            )
        if not config.pgvector_dsn:
            raise VectorStoreError("the pgvector store needs a DSN (--pgvector)")
        self.config = config
        self.dsn = config.pgvector_dsn
        self.name = name
        self.exact = exact
        self.table = ""
        self.size = 0
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        """One connection per store, opened on first use (searches hold the lock)."""
        if self._conn is None or self._conn.closed:
            import psycopg
            from pgvector.psycopg import register_vector

            try:
                conn = psycopg.connect(self.dsn, autocommit=True)
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as error:  # libpq's message spans lines: keep it to one
                reason = " ".join(str(error).split())
                raise VectorStoreError(f"pgvector at {redact_dsn(self.dsn)}: {reason}") from None
            register_vector(conn)
            if self.exact:
                conn.execute("SET enable_indexscan = off")
            self._conn = conn
        return self._conn

    def add(self, vectors: FloatArray) -> None:
        from psycopg import sql

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        digest = hashlib.sha1(vectors.tobytes()).hexdigest()[:16]
        self.table = f"rag_{self.name}_{digest}"
        self.size, dim = vectors.shape
        table = sql.Identifier(self.table)
        c = self.config
        with self._lock:
            conn = self._connect()
            with conn.transaction():
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
                create = sql.SQL("CREATE TABLE {} (id integer PRIMARY KEY, embedding vector({}))")
                conn.execute(create.format(table, sql.Literal(dim)))
                copy_rows = sql.SQL("COPY {} (id, embedding) FROM STDIN WITH (FORMAT BINARY)")
                with conn.cursor().copy(copy_rows.format(table)) as copy:
                    copy.set_types(["int4", "vector"])
                    for position, vector in enumerate(vectors):
                        copy.write_row((position, vector))
                conn.execute(
                    sql.SQL(
                        "CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) "
                        "WITH (m = {}, ef_construction = {})"
                    ).format(table, sql.Literal(c.hnsw_m), sql.Literal(c.hnsw_ef_construction))
                )

    def search(self, queries: FloatArray, k: int) -> list[Ranking]:
        from psycopg import sql

        query = sql.SQL(
            "SELECT id, (embedding <#> %(q)s) * -1 FROM {} ORDER BY embedding <#> %(q)s LIMIT %(k)s"
        ).format(sql.Identifier(self.table))
        ef = min(PG_MAX_EF_SEARCH, max(self.config.hnsw_ef_search, k))
        out: list[Ranking] = []
        with self._lock:
            conn = self._connect()
            conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef),))
            for vector in np.asarray(queries, dtype=np.float32):
                rows = conn.execute(query, {"q": vector, "k": k}).fetchall()
                out.append(_ordered([(int(i), float(s)) for i, s in rows], k))
        return out

    def _save(self, path: Path) -> dict[str, Any]:
        return {"dsn": redact_dsn(self.dsn), "table": self.table, "size": self.size}

    @classmethod
    def load(cls, meta: dict[str, Any], config: RetrievalConfig, name: str) -> PgVectorStore:
        from dataclasses import replace

        dsn = config.pgvector_dsn or str(meta["dsn"])
        store = cls(replace(config, pgvector_dsn=dsn), name, exact=config.ann == "exact")
        store.table, store.size = str(meta["table"]), int(meta["size"])
        return store

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _faiss_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("faiss") is not None


def open_store(config: RetrievalConfig, name: str, size: int) -> VectorStore:
    """The store `config` asks for, for `size` vectors of retriever `name` (module docstring)."""
    if config.pgvector_dsn:
        return PgVectorStore(config, name, exact=config.ann == "exact")
    if config.ann == "hnsw":
        if not _faiss_installed():
            raise VectorStoreError("ann='hnsw' needs the ann extra: pip install -e '.[ann]'")
        return HnswStore(config)
    if config.ann == "auto" and size >= config.ann_min_chunks and _faiss_installed():
        return HnswStore(config)
    return ExactStore()


def load_store(path: Path, config: RetrievalConfig, name: str) -> VectorStore:
    """Reopen a store written by `VectorStore.save`."""
    try:
        meta = json.loads((path / "store.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VectorStoreError(f"{path} holds no vector store (no store.json)") from None
    kind = meta.get("kind")
    if kind == "exact":
        return ExactStore.load(path)
    if kind == "hnsw":
        return HnswStore.load(path, config)
    if kind == "pgvector":
        return PgVectorStore.load(meta, config, name)
    raise VectorStoreError(f"{path / 'store.json'}: unknown vector store {kind!r}")
