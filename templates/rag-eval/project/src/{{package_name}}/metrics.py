"""Metrics: ranking quality (through ir-measures), answer quality, and paired significance tests.

Ranking metrics are computed by ir-measures (MacAvaney et al., ECIR 2022) on its trec_eval
backend, the reference implementation that IR papers report, so the numbers are comparable to
published ones. (ranx computes the same measures, but its numba JIT compilation took about 40 s
at first use on a 2-core machine, longer than the whole demo evaluation.) All are per query, in
[0, 1], then averaged over every judged query (a query with no retrieved document scores 0;
trec_eval itself would skip it):

    recall@k      relevant documents in the top k / all relevant documents
    precision@k   relevant documents in the top k / k
    mrr@k         1 / rank of the first relevant document (0 if none in the top k)
    ndcg@k        DCG of the top k / DCG of the ideal ranking; gain = the graded judgment,
                  discount 1 / log2(rank + 1) (Jarvelin and Kekalainen, 2002; trec_eval's form)
    map@k         mean of precision at the rank of each relevant document in the top k,
                  divided by the number of relevant documents
    hit_rate@k    1 if any relevant document is in the top k, else 0

"Relevant" means a judgment of 1 or more; nDCG uses the grades themselves.

Significance: for each pair of systems, a two-sided paired randomisation test on the per-query
differences (Smucker, Allan and Carterette, CIKM 2007) and a paired t-test; `holm_correct`
applies Holm's correction to both p-values over the whole family of tests a run makes (every
pair on every metric tested), not one metric at a time. The generic statistics (the
randomisation test, Holm, bootstrap intervals, the minimum detectable effect) live in
`stats.py`; this module only decides which pairs are compared.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .stats import holm, paired_randomisation_p

__all__ = [
    "METRICS",
    "PairedTest",
    "evaluate_run",
    "holm_correct",
    "mean_metrics",
    "paired_tests",
    "token_f1",
]

METRICS = ("recall", "precision", "mrr", "ndcg", "map", "hit_rate")
_IR_MEASURES_NAMES = {
    "recall": "R",
    "precision": "P",
    "mrr": "RR",
    "ndcg": "nDCG",
    "map": "AP",
    "hit_rate": "Success",
}

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]


def evaluate_run(
    qrels: Qrels, run: Run, cutoffs: Iterable[int], metrics: Sequence[str] = METRICS
) -> dict[str, dict[str, float]]:
    """Per-query values `{"ndcg@10": {qid: value}}` for each metric and cut-off.

    `run` maps a query to its ranked document ids, best first; the ranking is passed to
    trec_eval as strictly decreasing scores, so ties cannot re-order it. Every query of
    `qrels` gets a value; queries of `run` without judgments are ignored.
    """
    import ir_measures

    cutoffs = sorted(set(cutoffs))
    if not cutoffs or cutoffs[0] < 1:
        raise ValueError(f"cut-offs must be positive integers, got {cutoffs}")
    unknown = [m for m in metrics if m not in _IR_MEASURES_NAMES]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}: choose from {METRICS}")
    measures = {
        ir_measures.parse_measure(f"{_IR_MEASURES_NAMES[m]}@{k}"): f"{m}@{k}"
        for m in metrics
        for k in cutoffs
    }
    scored_run = {
        qid: {doc: float(len(docs) - i) for i, doc in enumerate(docs)}
        for qid, docs in run.items()
        if qid in qrels and docs
    }
    judged = {qid: dict(docs) for qid, docs in qrels.items()}
    values = {name: dict.fromkeys(qrels, 0.0) for name in measures.values()}
    if scored_run:
        for metric in ir_measures.iter_calc(list(measures), judged, scored_run):
            values[measures[metric.measure]][metric.query_id] = float(metric.value)
    return values


def mean_metrics(per_query: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Average of each metric over queries."""
    return {
        name: float(np.mean(list(values.values()))) if values else 0.0
        for name, values in per_query.items()
    }


@dataclass(frozen=True)
class PairedTest:
    """Paired comparison of systems `a` and `b` on one metric over the same queries."""

    metric: str
    a: str
    b: str
    mean_a: float
    mean_b: float
    p_randomisation: float
    p_ttest: float
    # Holm-adjusted randomisation and t-test p-values, over the family the test was corrected in.
    p_holm: float = float("nan")
    p_holm_ttest: float = float("nan")

    @property
    def difference(self) -> float:
        return self.mean_b - self.mean_a


def paired_tests(
    per_system: Mapping[str, Mapping[str, float]],
    metric: str,
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> list[PairedTest]:
    """Every pair of systems compared on `metric`, given `{system: {qid: value}}`."""
    from scipy import stats

    names = list(per_system)
    tests: list[PairedTest] = []
    for a, b in itertools.combinations(names, 2):
        queries = sorted(set(per_system[a]) & set(per_system[b]))
        if len(queries) < 2:
            raise ValueError(f"need at least 2 shared queries to compare {a} and {b}")
        xa = np.array([per_system[a][q] for q in queries])
        xb = np.array([per_system[b][q] for q in queries])
        diffs = xb - xa
        if np.allclose(diffs, diffs[0]):
            p_t = 1.0 if diffs[0] == 0 else 0.0
        else:
            p_t = float(stats.ttest_rel(xb, xa).pvalue)
        tests.append(
            PairedTest(
                metric=metric,
                a=a,
                b=b,
                mean_a=float(xa.mean()),
                mean_b=float(xb.mean()),
                p_randomisation=paired_randomisation_p(xa, xb, resamples=n_resamples, seed=seed),
                p_ttest=p_t,
            )
        )
    return holm_correct(tests)


def holm_correct(tests: Sequence[PairedTest]) -> list[PairedTest]:
    """`tests` with both p-values Holm-adjusted over all of them: pass every test of a run
    (every pair, every metric) so that the family-wise error rate holds for the whole report."""
    from dataclasses import replace

    p_rand = holm([t.p_randomisation for t in tests])
    p_t = holm([t.p_ttest for t in tests])
    return [
        replace(t, p_holm=a, p_holm_ttest=b) for t, a, b in zip(tests, p_rand, p_t, strict=True)
    ]


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = re.compile(r"[^\w\s]")


def _answer_tokens(text: str) -> list[str]:
    """SQuAD normalisation: lower case, drop punctuation and articles, split on spaces."""
    text = _PUNCT.sub(" ", text.lower())
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    """Token-overlap F1 in [0, 1] between an answer and a reference (Rajpurkar et al., 2016).

    precision = shared tokens / prediction tokens, recall = shared tokens / reference tokens,
    shared tokens counted with multiplicity; two empty texts score 1, one empty text 0.
    Citation markers such as `[2]` are removed before comparing.
    """
    pred = _answer_tokens(re.sub(r"\[\d+\]", " ", prediction))
    ref = _answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    shared = sum((Counter(pred) & Counter(ref)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(pred), shared / len(ref)
    return 2 * precision * recall / (precision + recall)
