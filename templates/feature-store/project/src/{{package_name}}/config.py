"""The settings of one evaluation run; every field is recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EvalConfig:
    """One run of the harness: correctness of the joins, then speed of the online path."""

    out: Path = Path("results")
    seed: int = 0
    # --quick: the same code path on about 5% of the data, for CI and the smoke tests.
    quick: bool = False
    # Feature rows; the brute-force reference check costs O(rows per key x entity rows).
    rows: int = 100_000
    # Distinct keys: sets rows per key, the cost driver of the join.
    entities: int = 500
    # Rows in the entity dataframe for the point-in-time join.
    entity_rows: int = 10_000
    # Short next to the 7-day window, so expiry happens often in the join.
    ttl_minutes: int = 180
    # Latency samples per batch size (1 and 100 entities), in-process and over HTTP.
    lookups_batch1: int = 2_000
    lookups_batch100: int = 300
    # Batched against per-key reads over HTTP: this many random key sets of this many keys,
    # each read both ways; enough sets for an exact sign test to reach p < 0.001.
    compare_sets: int = 30
    compare_keys: int = 100
    # Streaming ingestion: events published at a steady rate while the consumer runs (the
    # freshness figures), then the same number published at once (throughput under a backlog).
    stream_events: int = 5_000
    stream_rate: float = 1_000.0

    @classmethod
    def quick_run(cls, *, out: Path = Path("results"), seed: int = 0) -> EvalConfig:
        """The --quick sizes: seconds, not minutes."""
        return cls(
            out=out,
            seed=seed,
            quick=True,
            rows=5_000,
            entities=100,
            entity_rows=1_000,
            lookups_batch1=300,
            lookups_batch100=50,
            compare_sets=12,
            compare_keys=20,
            stream_events=500,
        )
