"""Brute-force point-in-time join, written for clarity, not speed: the oracle for tests and eval.

For every entity row it scans every feature row of the same key. It shares no code with the
DuckDB join in `offline.py`; both follow the same rule:

    candidates = rows with the same key and t - ttl <= event_ts <= t
    winner     = max(candidates, by (event_ts, created_ts or -inf, position in the log))

where the log is the source files followed by the push-log files, each in order.

`window_reference` does the same for sliding-window aggregates: every row of the key with
t - window <= event_ts <= t counts, ties included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

__all__ = ["LogRow", "point_in_time_reference", "read_log", "window_reference"]


@dataclass(frozen=True)
class LogRow:
    """One feature row; `position` is its place in the log (file order, then row order)."""

    key: Hashable
    event_ts: datetime  # naive UTC
    created_ts: datetime | None
    position: int
    values: dict[str, Any]


def read_log(
    files: Sequence[Path],
    key: str | Sequence[str],
    timestamp: str,
    created: Sequence[str],
    features: Sequence[str],
) -> list[LogRow]:
    """Rows of the Parquet files in order; `created` lists candidate created-column names.

    With several key columns a row's key is the tuple of their values.
    """
    rows: list[LogRow] = []
    for path in files:
        for rec in pq.read_table(path).to_pylist():
            created_ts = next((rec[c] for c in created if c in rec), None)
            rows.append(
                LogRow(
                    key=rec[key] if isinstance(key, str) else tuple(rec[k] for k in key),
                    event_ts=_naive_utc(rec[timestamp]),
                    created_ts=None if created_ts is None else _naive_utc(created_ts),
                    position=len(rows),
                    values={f: rec[f] for f in features},
                )
            )
    return rows


def _naive_utc(ts: datetime) -> datetime:
    if ts.tzinfo is not None:
        offset = ts.utcoffset()
        ts = ts.replace(tzinfo=None) - (offset if offset is not None else timedelta(0))
    return ts


def point_in_time_reference(
    rows: Sequence[LogRow],
    entity_rows: Sequence[tuple[Hashable, datetime]],
    ttl: timedelta | None,
) -> list[dict[str, Any] | None]:
    """For each (key, t): the winning row's values, or None when no row qualifies."""
    by_key: dict[Hashable, list[LogRow]] = defaultdict(list)
    for r in rows:
        by_key[r.key].append(r)
    out: list[dict[str, Any] | None] = []
    for key, t in entity_rows:
        t = _naive_utc(t)
        best: LogRow | None = None
        for r in by_key.get(key, []):
            if r.event_ts > t or (ttl is not None and r.event_ts < t - ttl):
                continue
            if best is None or _rank(r) > _rank(best):
                best = r
        out.append(None if best is None else dict(best.values))
    return out


def _rank(r: LogRow) -> tuple[datetime, int, datetime, int]:
    # A missing created timestamp ranks below any present one.
    created = (0, datetime.min) if r.created_ts is None else (1, r.created_ts)
    return (r.event_ts, created[0], created[1], r.position)


def window_reference(
    rows: Sequence[LogRow],
    entity_rows: Sequence[tuple[Hashable, datetime]],
    function: str,
    column: str | None,
    window: timedelta,
) -> list[float | int | None]:
    """For each (key, t): count, sum or mean over the key's rows in [t - window, t]."""
    out: list[float | int | None] = []
    for key, t in entity_rows:
        t = _naive_utc(t)
        inside = [r for r in rows if r.key == key and t - window <= r.event_ts <= t]
        if function == "count":
            out.append(len(inside))
            continue
        picked = [r.values.get(str(column)) for r in inside]
        values = [float(v) for v in picked if v is not None]
        if function == "sum":
            out.append(sum(values))
        elif function == "mean":
            out.append(sum(values) / len(values) if values else None)
        else:
            raise ValueError(f"unknown aggregation function {function!r}")
    return out
