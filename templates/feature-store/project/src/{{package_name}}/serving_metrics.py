"""Serving observability in Prometheus format, for `GET /metrics`.

Per app (its own registry, so several apps in one process never clash):
- `feature_store_request_seconds{route}`: request latency histogram, handler included;
- `feature_store_served_values_total{view, status}`: entity lookups per feature view by status
  (present, expired, missing); the expired share is
  `rate(...{status="expired"}) / ignoring(status) sum without(status) (rate(...))`;
- `feature_store_served_value_age_seconds{view}`: age (now minus event time) of each value
  served as present: the freshness a model actually saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .timeutil import to_micros

__all__ = ["CONTENT_TYPE_LATEST", "ServingMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_AGE_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)


class ServingMetrics:
    """The metrics of one app and the text exposition of them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "feature_store_request_seconds",
            "HTTP request latency by route, handler included",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.served = Counter(
            "feature_store_served_values",
            "Entity lookups per feature view by status (present, expired, missing)",
            ["view", "status"],
            registry=self.registry,
        )
        self.age = Histogram(
            "feature_store_served_value_age_seconds",
            "Age (now minus event time) of values served as present",
            ["view"],
            buckets=_AGE_BUCKETS,
            registry=self.registry,
        )

    def observe_lookup(
        self,
        views: Mapping[str, str],
        statuses: Sequence[Mapping[str, str]],
        event_timestamps: Sequence[Mapping[str, str | None]],
        now_us: int,
    ) -> None:
        """Count one response: `views` maps each view to one of its served feature names."""
        for view, name in views.items():
            for status_row, ts_row in zip(statuses, event_timestamps, strict=True):
                status = status_row[name]
                self.served.labels(view, status).inc()
                ts = ts_row.get(name)
                if status == "present" and ts is not None:
                    self.age.labels(view).observe(max(0.0, (now_us - to_micros(ts)) / 1e6))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
