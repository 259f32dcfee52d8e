"""Online state for sliding-window aggregates: each entity key's recent events.

The offline store computes an aggregate at any time from the full log (`offline.py`). Online,
each key keeps the events of its view's longest window, stored as one row of the online store
under the view name + `WINDOW_SUFFIX`: values `{"events": [[event_us, column values...], ...]}`,
event time the newest event's. A push merges its events into that list (incremental: no
offline read), a materialisation rebuilds it from the log; a lookup at `now` aggregates the
events in [now - window, now], the same rule as offline, so the two agree.

Each key keeps the events within the longest window of its newest event (older ones can no
longer count), so a lookup at or after a key's newest event time is exact; the only lookups
before it are those the allowed clock skew lets through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from .definitions import FeatureView
from .online import OnlineRow

__all__ = ["WINDOW_SUFFIX", "aggregate", "merge_events", "state_columns"]

# View names are identifiers, so this suffix never names a real view.
WINDOW_SUFFIX = "#window"
_MICRO = timedelta(microseconds=1)


def state_columns(view: FeatureView) -> list[str]:
    """The feature columns the view's aggregations read, in a fixed order."""
    return sorted({a.column for a in view.aggregations if a.function != "count" and a.column})


def merge_events(
    view: FeatureView,
    key: str,
    stored: OnlineRow | None,
    events: Iterable[list[Any]],
    created_us: int,
) -> OnlineRow:
    """The key's state with `events` ([event_us, *column values]) added and old ones pruned."""
    merged = list(stored.values["events"]) if stored is not None else []
    merged.extend(events)
    newest = max(e[0] for e in merged)
    horizon = newest - view.max_window() // _MICRO
    kept = sorted((e for e in merged if e[0] >= horizon), key=lambda e: e[0])
    return OnlineRow(key, newest, created_us, {"events": kept})


def aggregate(
    view: FeatureView, names: list[str], state: OnlineRow | None, now_us: int
) -> dict[str, tuple[Any, int | None]]:
    """Per aggregate name: (value at `now_us`, newest event time in its window or None).

    With no event in the window: count 0, sum 0.0, mean None (as offline).
    """
    events = state.values["events"] if state is not None else []
    index = {c: i + 1 for i, c in enumerate(state_columns(view))}
    out: dict[str, tuple[Any, int | None]] = {}
    for name in names:
        a = view.aggregation(name)
        start = now_us - a.window // _MICRO
        inside = [e for e in events if start <= e[0] <= now_us]
        newest = max((e[0] for e in inside), default=None)
        if a.function == "count":
            out[name] = (len(inside), newest)
            continue
        col = index[str(a.column)]
        values = [float(e[col]) for e in inside if e[col] is not None]
        if a.function == "sum":
            out[name] = (sum(values), newest)
        else:
            out[name] = (sum(values) / len(values) if values else None, newest)
    return out
