"""Serving that follows aliases: `POST /predict/{name}@{alias}` answers with the version the
alias points to now, and switches when the alias moves, without a restart.

Each request resolves the alias (one indexed lookup, about 0.2 ms) and takes the loaded model
for that version from a small cache, loading it (sha256 verified, signature checked) on first
use. A request holds its own reference to the model it started with, so a request in flight
when the alias moves finishes on the old version; the next one gets the new version.

An optional shadow alias (`?shadow=challenger`) runs the shadow version on the same inputs after
the champion and logs both predictions side by side (`ShadowLog`); the caller only ever gets
the champion's answer, and a failing shadow never fails the request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from .registry import LoadedModel, Registry

__all__ = ["AliasServer", "ShadowLog", "ShadowRecord"]


@dataclass(frozen=True)
class ShadowRecord:
    at: float
    model: str
    champion_version: int
    shadow_version: int
    champion: list[Any]
    shadow: list[Any] | None
    error: str | None  # the shadow's error, if it failed

    @property
    def agreement(self) -> float | None:
        """Fraction of rows where champion and shadow predict the same value."""
        if self.shadow is None or not self.champion:
            return None
        same = sum(a == b for a, b in zip(self.champion, self.shadow, strict=True))
        return same / len(self.champion)


class ShadowLog:
    """The last `size` shadow comparisons, in memory (a real deployment ships them to a log)."""

    def __init__(self, size: int = 1000) -> None:
        self._records: deque[ShadowRecord] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, record: ShadowRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[ShadowRecord]:
        with self._lock:
            return list(self._records)


def _listed(values: Any) -> list[Any]:
    tolist = getattr(values, "tolist", None)
    return list(tolist() if callable(tolist) else values)


class AliasServer:
    """Predict through an alias; loaded versions are cached (LRU of `cache_size`)."""

    def __init__(self, registry: Registry, *, cache_size: int = 8) -> None:
        self.registry = registry
        self.cache_size = cache_size
        self.shadow_log = ShadowLog()
        self._cache: OrderedDict[tuple[str, int], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # versions loaded from the store (a cache miss each)

    def model_for(self, name: str, alias: str) -> LoadedModel:
        """The loaded version `name@alias` points to right now."""
        _, version = self.registry.resolve_ref(f"models:/{name}@{alias}")
        key = (name, version)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        loaded = self.registry.load_model(f"models:/{name}/{version}")  # outside the lock
        with self._lock:
            self.loads += 1
            self._cache[key] = loaded
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return loaded

    def predict(
        self, name: str, alias: str, inputs: Any, *, shadow: str | None = None
    ) -> tuple[int, list[Any]]:
        """(version used, predictions); with `shadow`, also log the shadow's predictions."""
        champion = self.model_for(name, alias)
        predictions = _listed(champion.predict(inputs))
        if shadow:
            self._shadow(name, shadow, champion, predictions, inputs)
        return champion.version.version, predictions

    def _shadow(
        self, name: str, alias: str, champion: LoadedModel, predictions: list[Any], inputs: Any
    ) -> None:
        try:
            model = self.model_for(name, alias)
        except Exception as exc:  # noqa: BLE001 - the shadow must never fail the request
            self.shadow_log.add(
                ShadowRecord(time.time(), name, champion.version.version, -1, predictions,
                             None, str(exc))
            )  # fmt: skip
            return
        try:
            shadow: list[Any] | None = _listed(model.predict(inputs))
            error = None
        except Exception as exc:  # noqa: BLE001
            shadow, error = None, str(exc)
        self.shadow_log.add(
            ShadowRecord(time.time(), name, champion.version.version, model.version.version,
                         predictions, shadow, error)
        )  # fmt: skip
