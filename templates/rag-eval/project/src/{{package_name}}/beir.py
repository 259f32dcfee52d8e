"""Read BEIR-format datasets and write TREC run files.

A BEIR dataset is a folder (Thakur et al., 2021, https://github.com/beir-cellar/beir):

    corpus.jsonl        {"_id": "d1", "title": "...", "text": "..."}   one document a line
    queries.jsonl       {"_id": "q1", "text": "..."}                    one query a line
    qrels/<split>.tsv   query-id <TAB> corpus-id <TAB> score            with a header line
    answers.jsonl       {"_id": "q1", "answer": "..."}  (optional, this project's extension:
                        reference answers for the answer-quality metrics)

Any dataset downloaded from the BEIR collection (SciFact, NFCorpus, FiQA, ...) can be unzipped
and passed with `--dataset`. A malformed line stops the load with `file:line: reason`;
qrels that name unknown queries or documents are reported in `BeirDataset.warnings`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ingest import Document

__all__ = [
    "BeirDataset",
    "DatasetError",
    "load_answers",
    "load_beir",
    "read_trec_run",
    "write_trec_run",
]


class DatasetError(ValueError):
    """A dataset file that is missing or malformed; the message names the file and line."""


@dataclass
class BeirDataset:
    """Corpus, queries and graded relevance judgments of one split."""

    name: str
    corpus: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    answers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unknown_qrel_docs: int = 0

    def stats(self) -> dict[str, float]:
        judged = sum(len(docs) for docs in self.qrels.values())
        return {
            "documents": len(self.corpus),
            "queries": len(self.qrels),
            "judgments": judged,
            "unknown_qrel_docs": self.unknown_qrel_docs,
        }


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{lineno}: invalid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, record


def _field(record: Mapping[str, Any], key: str, path: Path, lineno: int) -> str:
    value = record.get(key)
    if key == "_id" and isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise DatasetError(f"{path}:{lineno}: missing or non-string field {key!r}")
    return value


def _check_id(value: str, path: Path, lineno: int) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise DatasetError(f"{path}:{lineno}: id {value!r} is empty or contains whitespace")
    return value


def load_corpus(path: Path) -> list[Document]:
    """Documents of a `corpus.jsonl`; duplicate ids are an error."""
    docs: list[Document] = []
    seen: set[str] = set()
    for lineno, record in _jsonl(path):
        doc_id = _check_id(_field(record, "_id", path, lineno), path, lineno)
        if doc_id in seen:
            raise DatasetError(f"{path}:{lineno}: duplicate document id {doc_id!r}")
        seen.add(doc_id)
        title = record.get("title") or ""
        text = _field(record, "text", path, lineno)
        docs.append(Document(doc_id=doc_id, title=str(title), text=text, source=doc_id))
    if not docs:
        raise DatasetError(f"{path}: no documents")
    return docs


def load_queries(path: Path) -> dict[str, str]:
    """Query id to text, from a `queries.jsonl`."""
    queries: dict[str, str] = {}
    for lineno, record in _jsonl(path):
        qid = _check_id(_field(record, "_id", path, lineno), path, lineno)
        queries[qid] = _field(record, "text", path, lineno)
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Graded judgments `{query: {doc: grade}}` from a BEIR qrels TSV (header line optional)."""
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if lineno == 1 and cols[0].strip().lower() in ("query-id", "query_id", "qid"):
                continue
            if len(cols) != 3:
                raise DatasetError(
                    f"{path}:{lineno}: expected 3 tab-separated columns, got {len(cols)}"
                )
            qid, doc_id, grade = (c.strip() for c in cols)
            try:
                value = int(grade)
            except ValueError:
                raise DatasetError(f"{path}:{lineno}: score {grade!r} is not an integer") from None
            qrels.setdefault(qid, {})[doc_id] = value
    if not qrels:
        raise DatasetError(f"{path}: no judgments")
    return qrels


def load_answers(path: Path) -> dict[str, str]:
    """Reference answers `{query: answer}` from an optional `answers.jsonl`."""
    if not path.is_file():
        return {}
    return {_field(r, "_id", path, n): _field(r, "answer", path, n) for n, r in _jsonl(path)}


def load_beir(root: Path, split: str = "test") -> BeirDataset:
    """Load a BEIR folder; queries without judgments are dropped, problems are warned about."""
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset folder not found")
    corpus = load_corpus(root / "corpus.jsonl")
    queries = load_queries(root / "queries.jsonl")
    qrels_path = root / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        available = sorted(p.stem for p in (root / "qrels").glob("*.tsv"))
        raise DatasetError(f"{qrels_path}: file not found (splits available: {available})")
    qrels = load_qrels(qrels_path)
    warnings: list[str] = []
    missing_queries = sorted(q for q in qrels if q not in queries)
    if missing_queries:
        warnings.append(
            f"{len(missing_queries)} judged queries have no text in queries.jsonl and are "
            f"dropped: {missing_queries[:5]}"
        )
        for qid in missing_queries:
            del qrels[qid]
    doc_ids = {d.doc_id for d in corpus}
    unknown = sorted({d for judged in qrels.values() for d in judged if d not in doc_ids})
    if unknown:
        warnings.append(
            f"{len(unknown)} judged documents are not in corpus.jsonl (they count as relevant "
            f"but can never be retrieved): {unknown[:5]}"
        )
    unanswerable = sorted(
        q for q, judged in qrels.items() if not any(g > 0 for g in judged.values())
    )
    if unanswerable:
        warnings.append(
            f"{len(unanswerable)} queries have no relevant document and are dropped: "
            f"{unanswerable[:5]}"
        )
        for qid in unanswerable:
            del qrels[qid]
    if not qrels:
        raise DatasetError(f"{qrels_path}: no query has a judgment with a positive score")
    return BeirDataset(
        name=root.name,
        corpus=corpus,
        queries={q: t for q, t in queries.items() if q in qrels},
        qrels=qrels,
        answers=load_answers(root / "answers.jsonl"),
        warnings=warnings,
        unknown_qrel_docs=len(unknown),
    )


def write_trec_run(path: Path, run: Mapping[str, Sequence[tuple[str, float]]], tag: str) -> Path:
    """Write `{query: [(doc, score), ...]}` (best first) as `qid Q0 doc rank score tag` lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for qid in sorted(run):
            for rank, (doc_id, score) in enumerate(run[qid], start=1):
                handle.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {tag}\n")
    return path


def read_trec_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    """Read a TREC run file back into `{query: [(doc, score), ...]}` in rank order."""
    ranked: dict[str, list[tuple[int, str, float]]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            cols = line.split()
            if not cols:
                continue
            if len(cols) != 6:
                raise DatasetError(f"{path}:{lineno}: expected 6 columns, got {len(cols)}")
            try:
                rank, score = int(cols[3]), float(cols[4])
            except ValueError:
                raise DatasetError(f"{path}:{lineno}: rank or score is not a number") from None
            ranked.setdefault(cols[0], []).append((rank, cols[2], score))
    return {q: [(d, s) for _, d, s in sorted(rows)] for q, rows in ranked.items()}
