"""The evaluation harness: index a BEIR dataset with each retriever, rank, score, compare, report.

    python -m rag_eval eval                       # the shipped demo set, bm25 + dense + hybrid
    python -m rag_eval eval --quick               # fewer queries, for CI (seconds)
    python -m rag_eval eval --dataset ~/data/scifact --split test --k 10

Documents are chunked; each retriever ranks chunks, and a document takes the score of its best
chunk (MaxP, Dai and Callan, 2019), because the judgments are per document. Outputs in `--out`:

    metrics.json           the shared results schema (one system per retriever)
    report.md              tables, significance tests, the worst queries of each retriever
    retrieval_curves.png   recall@k and nDCG@k for k = 1..K, one line per retriever
    runs/<retriever>.trec  the document rankings, for trec_eval or ir-measures
    per_query.json         every metric of every query, for your own failure analysis
    significance.json      the paired tests between every pair of retrievers
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as M
from .answer import ChatClient, LLMConfig, LLMError, answer_question, judge_answer
from .beir import BeirDataset, load_beir, write_trec_run
from .config import ChunkingConfig, RetrievalConfig
from .ingest import chunk_documents
from .results import Headline, SystemResult, write_metrics
from .retrievers import RETRIEVERS, SearchHit, build_index

__all__ = ["DEMO_DATASET", "EvalConfig", "EvalOutcome", "run_eval"]

DEMO_DATASET = Path(__file__).parent / "demo_data"
PRETTY = {"ndcg": "nDCG", "recall": "Recall", "mrr": "MRR", "map": "MAP", "precision": "P"}
Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run; every field is recorded in metrics.json."""

    dataset: Path = DEMO_DATASET
    split: str = "test"
    retrievers: tuple[str, ...] = ("bm25", "dense", "hybrid")
    k: int = 10
    out: Path = Path("results")
    # --quick evaluates a seeded sample of this many queries, for CI smoke runs.
    quick: bool = False
    quick_queries: int = 15
    seed: int = 0
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    # extractive (offline, deterministic), llm (needs RAG_EVAL_LLM_* set) or none.
    answerer: str = "extractive"
    # Passages handed to the answerer: few, so that citation precision means something.
    answer_k: int = 3
    judge: bool = False
    # 10,000 resamples put the Monte-Carlo error of p = 0.05 near +-0.002.
    n_resamples: int = 10_000

    def validate(self) -> None:
        if not 1 <= self.k <= 1000:
            raise ValueError(f"--k must be between 1 and 1000, got {self.k}")
        unknown = [r for r in self.retrievers if r not in RETRIEVERS]
        if unknown or not self.retrievers:
            raise ValueError(f"unknown retrievers {unknown}: choose from {', '.join(RETRIEVERS)}")
        if len(set(self.retrievers)) != len(self.retrievers):
            raise ValueError("each retriever may be named once")
        if self.answerer not in ("extractive", "llm", "none"):
            raise ValueError("--answerer must be extractive, llm or none")
        if self.judge and self.answerer == "none":
            raise ValueError("--judge grades answers: it cannot run with --answerer none")
        self.chunking.validate()


@dataclass
class SystemRun:
    """Everything measured for one retriever."""

    name: str
    per_query: dict[str, dict[str, float]]
    run: dict[str, list[tuple[str, float]]]
    timings_s: dict[str, float]
    answer_metrics: dict[str, float] = field(default_factory=dict)

    def means(self) -> dict[str, float]:
        return M.mean_metrics(self.per_query)


@dataclass
class EvalOutcome:
    """What `run_eval` produced: the systems, the tests and the files written."""

    systems: list[SystemRun]
    tests: list[M.PairedTest]
    headline: Headline
    files: list[Path]


def curve_cutoffs(k: int) -> list[int]:
    """Cut-offs of the plotted curves: 1..k and a few beyond, up to max(k, 20)."""
    top = max(k, 20)
    return sorted({*range(1, k + 1), *[c for c in (15, 20, 30, 50, 100) if c <= top], k})


def _doc_ranking(hits: Sequence[SearchHit], depth: int) -> list[tuple[str, float]]:
    """MaxP: each document ranked by its best chunk, at most `depth` documents."""
    ranking: list[tuple[str, float]] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.chunk.doc_id not in seen:
            seen.add(hit.chunk.doc_id)
            ranking.append((hit.chunk.doc_id, hit.score))
            if len(ranking) == depth:
                break
    return ranking


def _percentile_ms(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, q)) if samples else 0.0


def _evaluate_system(
    name: str,
    dataset: BeirDataset,
    qids: list[str],
    cfg: EvalConfig,
    chunks: list[Any],
    clients: tuple[ChatClient | None, ChatClient | None],
    progress: Progress,
) -> SystemRun:
    depth = max(curve_cutoffs(cfg.k))
    start = time.perf_counter()
    index = build_index(chunks, name, cfg.retrieval)
    index_s = time.perf_counter() - start
    progress(f"  {name}: indexed {len(chunks)} chunks in {index_s:.2f} s")
    # Documents have several chunks: fetch enough chunks to fill `depth` documents.
    chunk_depth = min(len(chunks), depth * 8)
    latencies: list[float] = []
    hits_by_query: dict[str, list[SearchHit]] = {}
    for qid in qids:
        t0 = time.perf_counter()
        hits_by_query[qid] = index.search(dataset.queries[qid], chunk_depth)
        latencies.append(time.perf_counter() - t0)
    run = {qid: _doc_ranking(hits_by_query[qid], depth) for qid in qids}
    qrels = {qid: dataset.qrels[qid] for qid in qids}
    per_query = M.evaluate_run(qrels, {q: [d for d, _ in r] for q, r in run.items()},
                               curve_cutoffs(cfg.k))
    timings = {
        "index": round(index_s, 4),
        "query_p50_ms": round(_percentile_ms(latencies, 50), 3),
        "query_p95_ms": round(_percentile_ms(latencies, 95), 3),
    }
    system = SystemRun(name=name, per_query=per_query, run=run, timings_s=timings)
    if cfg.answerer != "none":
        system.answer_metrics = _answer_metrics(dataset, qids, hits_by_query, cfg, *clients)
    return system


def _answer_metrics(
    dataset: BeirDataset,
    qids: list[str],
    hits_by_query: dict[str, list[SearchHit]],
    cfg: EvalConfig,
    client: ChatClient | None,
    judge: ChatClient | None,
) -> dict[str, float]:
    """Citation precision/recall for every query; token F1 (and the judge) where a reference
    answer exists. `client` None means the extractive answerer."""
    f1s, precisions, recalls, judged = [], [], [], []
    for qid in qids:
        question = dataset.queries[qid]
        hits = hits_by_query[qid][: cfg.answer_k]
        answer = answer_question(question, hits, client)
        p, r = M.citation_precision_recall(answer.cited_docs, dataset.qrels[qid])
        precisions.append(p)
        recalls.append(r)
        reference = dataset.answers.get(qid)
        if reference is not None:
            f1s.append(M.token_f1(answer.text, reference))
            if judge is not None:
                judged.append(judge_answer(judge, question, reference, answer.text))
    out = {
        "citation_precision": float(np.mean(precisions)),
        "citation_recall": float(np.mean(recalls)),
    }
    if f1s:
        out["answer_f1"] = float(np.mean(f1s))
    if judged:
        out["judge_score"] = float(np.mean(judged))
    return out


def _headline(systems: list[SystemRun], tests: list[M.PairedTest], k: int, n: int) -> Headline:
    metric = f"ndcg@{k}"
    means = {s.name: s.means()[metric] for s in systems}
    best = max(means, key=lambda name: (means[name], name == "bm25"))
    baseline = "bm25" if "bm25" in means else systems[0].name
    label = f"nDCG@{k}"
    if best == baseline:
        claim = (
            f"Benchmarked {len(systems)} retrievers on {n} queries with significance tests; "
            f"the {best} baseline led with {label} {means[best]:.3f}"
        )
    else:
        test = next(
            (t for t in tests if {t.a, t.b} == {best, baseline} and t.metric == metric), None
        )
        p = f" (Holm-adjusted p = {test.p_holm:.3f})" if test else ""
        claim = (
            f"Built a {best} retriever that moves {label} from {means[baseline]:.3f} "
            f"({baseline}) to {means[best]:.3f} on {n} queries{p}"
        )
    return Headline(system=best, metric=metric, value=round(means[best], 4), claim=claim)


def run_eval(cfg: EvalConfig, progress: Progress = _stderr) -> EvalOutcome:
    """Run the whole evaluation and write every output file; see the module docstring."""
    cfg.validate()
    dataset = load_beir(cfg.dataset, cfg.split)
    for warning in dataset.warnings:
        progress(f"warning: {warning}")
    qids = sorted(dataset.qrels)
    if cfg.quick and len(qids) > cfg.quick_queries:
        qids = sorted(random.Random(cfg.seed).sample(qids, cfg.quick_queries))
    client: ChatClient | None = None
    if cfg.answerer == "llm" or cfg.judge:
        llm = LLMConfig.from_env()
        if llm is None:
            raise LLMError("--answerer llm and --judge need RAG_EVAL_LLM_BASE_URL and _MODEL set")
        client = ChatClient(llm)
    clients = (client if cfg.answerer == "llm" else None, client if cfg.judge else None)
    chunks = chunk_documents(dataset.corpus, cfg.chunking)
    progress(
        f"dataset {dataset.name}: {len(dataset.corpus)} documents -> {len(chunks)} chunks "
        f"({cfg.chunking.strategy}), {len(qids)} queries"
    )
    systems: list[SystemRun] = []
    for name in cfg.retrievers:
        system = _evaluate_system(name, dataset, qids, cfg, chunks, clients, progress)
        systems.append(system)
        progress(f"  {name}: ndcg@{cfg.k} = {system.means()[f'ndcg@{cfg.k}']:.4f}")
    tests: list[M.PairedTest] = []
    if len(systems) > 1:
        for metric in (f"ndcg@{cfg.k}", f"recall@{cfg.k}"):
            tests.extend(
                M.paired_tests(
                    {s.name: s.per_query[metric] for s in systems},
                    metric,
                    n_resamples=cfg.n_resamples,
                    seed=cfg.seed,
                )
            )
    headline = _headline(systems, tests, cfg.k, len(qids))
    files = _write_outputs(cfg, dataset, qids, chunks, systems, tests, headline)
    return EvalOutcome(systems=systems, tests=tests, headline=headline, files=files)


def _system_metrics(system: SystemRun, k: int) -> dict[str, float]:
    means = system.means()
    chosen = {f"{m}@{k}": round(means[f"{m}@{k}"], 4) for m in M.METRICS}
    chosen.update({name: round(value, 4) for name, value in system.answer_metrics.items()})
    return chosen


def _write_outputs(
    cfg: EvalConfig,
    dataset: BeirDataset,
    qids: list[str],
    chunks: list[Any],
    systems: list[SystemRun],
    tests: list[M.PairedTest],
    headline: Headline,
) -> list[Path]:
    out = cfg.out
    files: list[Path] = []
    for system in systems:
        files.append(write_trec_run(out / "runs" / f"{system.name}.trec", system.run, system.name))
    stats = dataset.stats()
    stats.update({"queries": len(qids), "chunks": len(chunks)})
    config = {
        "seed": cfg.seed,
        "k": cfg.k,
        "split": cfg.split,
        "quick": cfg.quick,
        "retrievers": list(cfg.retrievers),
        "chunking": asdict(cfg.chunking),
        "retrieval": asdict(cfg.retrieval),
        "answerer": cfg.answerer,
        "answer_k": cfg.answer_k,
    }
    files.append(
        write_metrics(
            out,
            dataset_name=dataset.name,
            dataset_stats=stats,
            config=config,
            systems=[
                SystemResult(s.name, _system_metrics(s, cfg.k), s.timings_s) for s in systems
            ],
            headline=headline,
        )
    )
    per_query = {s.name: s.per_query for s in systems}
    files.append(_write_json(out / "per_query.json", per_query))
    files.append(_write_json(out / "significance.json", [asdict(t) for t in tests]))
    files.append(plot_curves(systems, cfg.k, out / "retrieval_curves.png"))
    report = render_report(cfg, dataset, qids, systems, tests, headline)
    (out / "report.md").write_text(report, encoding="utf-8")
    files.append(out / "report.md")
    return files


def _write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def plot_curves(systems: Sequence[SystemRun], k: int, path: Path) -> Path:
    """Recall@k and nDCG@k against k, one line per retriever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cutoffs = curve_cutoffs(k)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, metric in zip(axes, ("recall", "ndcg")):
        for system in systems:
            means = system.means()
            ax.plot(cutoffs, [means[f"{metric}@{c}"] for c in cutoffs], marker="o", ms=3,
                    label=system.name)
        ax.set_xlabel("k (documents)")
        ax.set_ylabel(f"{PRETTY[metric]}@k")
        ax.set_xscale("log")
        ax.set_xticks(cutoffs if len(cutoffs) <= 8 else [1, 2, 5, 10, 20, 50, 100][: len(cutoffs)])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(f"{PRETTY[metric]}@k")
    axes[0].legend(loc="lower right")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def render_report(
    cfg: EvalConfig,
    dataset: BeirDataset,
    qids: list[str],
    systems: Sequence[SystemRun],
    tests: Sequence[M.PairedTest],
    headline: Headline,
) -> str:
    """The Markdown report: what ran, the numbers, the tests, and the queries that failed."""
    k = cfg.k
    lines = [
        f"# Retrieval evaluation: {dataset.name}",
        "",
        f"{len(dataset.corpus)} documents, {len(qids)} queries (split `{cfg.split}`), "
        f"chunking `{cfg.chunking.strategy}` ({cfg.chunking.chunk_tokens} words, "
        f"{cfg.chunking.overlap_tokens} overlap), seed {cfg.seed}"
        + (", quick run" if cfg.quick else "")
        + ".",
        "",
        f"**Headline:** {headline.claim}.",
        "",
        "## Retrieval",
        "",
        "| retriever | " + " | ".join(f"{m}@{k}" for m in M.METRICS)
        + " | index s | p50 ms | p95 ms |",
        "|---|" + "---:|" * (len(M.METRICS) + 3),
    ]
    for s in systems:
        means = s.means()
        cells = [f"{means[f'{m}@{k}']:.4f}" for m in M.METRICS]
        t = s.timings_s
        cells += [f"{t['index']:.2f}", f"{t['query_p50_ms']:.2f}", f"{t['query_p95_ms']:.2f}"]
        lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
    lines += ["", "![Recall and nDCG curves](retrieval_curves.png)", ""]
    if any(s.answer_metrics for s in systems):
        names = sorted({m for s in systems for m in s.answer_metrics})
        lines += [
            f"## Answers ({cfg.answerer}, top {cfg.answer_k} passages)",
            "",
            "| retriever | " + " | ".join(names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        for s in systems:
            cells = [f"{s.answer_metrics[n]:.4f}" if n in s.answer_metrics else "" for n in names]
            lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
        lines.append("")
    if tests:
        lines += [
            "## Paired significance tests",
            "",
            f"Two-sided paired randomisation test ({cfg.n_resamples} resamples) and paired "
            "t-test over the same queries; Holm's correction across all pairs of each metric.",
            "",
            "| metric | A | B | mean A | mean B | B - A | p (rand.) | p (t) | p (Holm) |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for t in tests:
            lines.append(
                f"| {t.metric} | {t.a} | {t.b} | {t.mean_a:.4f} | {t.mean_b:.4f} | "
                f"{t.difference:+.4f} | {t.p_randomisation:.4f} | {t.p_ttest:.4f} | "
                f"{t.p_holm:.4f} |"
            )
        lines.append("")
    lines += [f"## Where each retriever fails (lowest nDCG@{k})", ""]
    for s in systems:
        scores = s.per_query[f"ndcg@{k}"]
        worst = sorted(qids, key=lambda q: (scores[q], q))[:5]
        lines += [f"### {s.name}", "", "| query | nDCG | relevant | retrieved top 3 |",
                  "|---|---:|---|---|"]
        for qid in worst:
            relevant = ", ".join(d for d, g in sorted(dataset.qrels[qid].items()) if g > 0)
            top = ", ".join(d for d, _ in s.run[qid][:3]) or "(nothing)"
            text = dataset.queries[qid].replace("|", "\\|")
            lines.append(f"| {qid}: {text} | {scores[qid]:.3f} | {relevant} | {top} |")
        lines.append("")
    if dataset.warnings:
        lines += ["## Data warnings", ""] + [f"- {w}" for w in dataset.warnings] + [""]
    return "\n".join(lines)
