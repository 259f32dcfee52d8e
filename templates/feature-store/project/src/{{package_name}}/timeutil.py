"""Timestamp policy: every timestamp is normalised to UTC with microsecond precision.

A timezone-aware timestamp is converted to UTC; a naive one is taken to be UTC already (not
local time), so the same data gives the same answer on every machine. Internally timestamps are
naive UTC (`datetime64[us]`) or integer microseconds since the epoch; results handed back to the
user are UTC-aware.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pandas as pd

__all__ = ["from_micros", "normalize_column", "now_micros", "to_micros"]

_EPOCH = pd.Timestamp("1970-01-01")


def normalize_column(values: pd.Series, column: str) -> pd.Series:
    """Naive-UTC `datetime64[us]` from datetimes, ISO 8601 strings, aware or naive.

    Raises ValueError naming `column` when values are not timestamps or contain nulls.
    """
    try:
        if pd.api.types.is_datetime64_any_dtype(values):
            ts = pd.to_datetime(values, utc=True)
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise ValueError(f"dtype {values.dtype} (use datetimes or ISO 8601 strings)")
        else:
            ts = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {column!r} does not hold timestamps: {exc}") from exc
    if ts.isna().any():
        raise ValueError(f"column {column!r} has {int(ts.isna().sum())} missing timestamp(s)")
    return ts.dt.tz_localize(None).astype("datetime64[us]")


def to_micros(value: datetime | pd.Timestamp | str) -> int:
    """Microseconds since the epoch (UTC; naive values are taken as UTC)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int((ts - _EPOCH) // pd.Timedelta(microseconds=1))


def from_micros(us: int) -> datetime:
    """A UTC-aware datetime from microseconds since the epoch."""
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).replace(
        microsecond=us % 1_000_000
    )


def now_micros() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1_000
