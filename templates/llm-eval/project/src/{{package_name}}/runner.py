"""Run a suite: render each prompt, call each provider (through the cache), score the output.

    python -m llm_eval run suites/qa/suite.yaml --out runs/qa

writes one JSONL file per provider, `<out>/<provider>.jsonl`, a line per example:
`{"id", "output", "scores", "error", "latency_s", "cached"}`. A provider failure (timeout,
malformed reply, missing recording) is recorded as the example's `error` with every score 0,
so one bad call never stops the run and the denominators stay the same across systems. The
lines are written as they finish, so an interrupted run keeps what it already scored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .providers import Cache, Provider, ProviderError, build_provider, cache_key
from .scorers import Scorer, build_scorer
from .suite import Example, Suite, SuiteError

__all__ = ["ExampleResult", "call", "load_run", "mean_scores", "run_provider", "run_suite", "write_run"]


@dataclass
class ExampleResult:
    """One example's output and scores under one provider."""

    id: str
    output: str | None
    scores: dict[str, float]
    error: str | None = None
    latency_s: float = 0.0
    cached: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


def call(provider: Provider, prompt: str, example: Example, cache: Cache | None) -> tuple[str, bool]:
    """The provider's output for `prompt`, from the cache when it holds it; (output, cached)."""
    if cache is None or not provider.cacheable:
        return provider.complete(prompt, example), False
    key = cache_key(provider.kind, provider.model, provider.params, prompt)
    hit = cache.get(key)
    if hit is not None:
        return hit, True
    output = provider.complete(prompt, example)
    cache.put(key, output)
    return output, False


def _one(
    provider: Provider,
    suite: Suite,
    scorers: Sequence[Scorer],
    example: Example,
    cache: Cache | None,
) -> ExampleResult:
    prompt = suite.prompt.render(example)  # an unknown field is a SuiteError: fix the suite
    start = time.perf_counter()
    try:
        output, cached = call(provider, prompt, example, cache)
    except ProviderError as error:
        zero = {s.name: 0.0 for s in scorers}
        elapsed = time.perf_counter() - start
        return ExampleResult(example.id, None, zero, str(error), elapsed, False, example.metadata)
    elapsed = time.perf_counter() - start
    scores = {s.name: s.score(output, example.reference) for s in scorers}
    return ExampleResult(example.id, output, scores, None, elapsed, cached, example.metadata)


def run_provider(
    provider: Provider,
    suite: Suite,
    *,
    cache: Cache | None = None,
    concurrency: int = 4,
    on_result: Callable[[ExampleResult], None] | None = None,
) -> list[ExampleResult]:
    """All examples of `suite` under `provider`, at most `concurrency` calls at once."""
    scorers = [build_scorer(spec) for spec in suite.scorers]
    for example in suite.examples:  # fail on a bad template before the first paid call
        suite.prompt.render(example)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(_one, provider, suite, scorers, e, cache) for e in suite.examples]
        results = []
        for future in futures:
            result = future.result()
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results


def write_run(path: Path, results: Iterable[ExampleResult]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    return path


def load_run(path: Path) -> list[ExampleResult]:
    """A run file written by `write_run`; a bad line is an error naming its line number."""
    if not path.is_file():
        raise SuiteError(f"run file {path} not found")
    results = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                results.append(ExampleResult(**row))
            except (json.JSONDecodeError, TypeError) as error:
                raise SuiteError(f"{path}, line {number}: not a run result ({error})") from None
    return results


def mean_scores(results: Sequence[ExampleResult]) -> dict[str, float]:
    """Each scorer's mean over all examples (errors count as 0), plus the error rate."""
    if not results:
        raise ValueError("no results")
    names = list(results[0].scores)
    means = {n: sum(r.scores[n] for r in results) / len(results) for n in names}
    means["error_rate"] = sum(r.error is not None for r in results) / len(results)
    return means


def run_suite(
    suite: Suite,
    out_dir: Path,
    *,
    cache: Cache | None = None,
    concurrency: int = 4,
    local: dict[str, Callable[[Example], str]] | None = None,
) -> dict[str, list[ExampleResult]]:
    """Every provider of the suite; writes `<out_dir>/<provider>.jsonl` for each."""
    from .baselines import SYSTEMS

    runs = {}
    for spec in suite.providers:
        provider = build_provider(spec, suite.root, local if local is not None else SYSTEMS)
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / f"{provider.name}.jsonl").open("w", encoding="utf-8") as out:

            def keep(result: ExampleResult, out: Any = out) -> None:
                out.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
                out.flush()

            runs[provider.name] = run_provider(
                provider, suite, cache=cache, concurrency=concurrency, on_result=keep
            )
    return runs
