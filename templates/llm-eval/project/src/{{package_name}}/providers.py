"""Providers turn a rendered prompt into an output; every call goes through a disk cache.

    openai    any OpenAI-compatible chat endpoint (hosted, Ollama, vLLM, llama.cpp server):
              httpx with a timeout, retries with exponential backoff on timeouts, 429 and 5xx,
              and a client-side rate limit (requests per second).
    recorded  replays saved outputs (a JSONL file of id, prompt hash, output, produced_by), so a
              suite runs offline and in CI; a prompt that changed since recording is an error
              for that example, not a silent replay of a stale answer.
    local     the project's own deterministic baselines (baselines.py), used to record.
    hf        a local Hugging Face text-generation pipeline (the `hf` extra; hf_provider.py).
    overlap-judge  an offline ROUGE-L grader that answers judge prompts (offline_judge.py).

`Cache` keys each call by a SHA-256 of provider type, model, parameters and prompt, so a warm
re-run makes no provider call. A failure is raised as `ProviderError`; the runner records it
for that example and goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from .suite import Example, SuiteError

__all__ = [
    "Cache",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "RateLimiter",
    "RecordedProvider",
    "build_provider",
    "cache_key",
    "prompt_hash",
]


class ProviderError(RuntimeError):
    """A provider call that failed for one example (timeout, HTTP error, malformed reply)."""


class Provider(Protocol):
    """What the runner needs: an identity for the cache key and a completion call."""

    name: str
    kind: str
    model: str
    params: dict[str, Any]
    cacheable: bool

    def complete(self, prompt: str, example: Example) -> str: ...


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def cache_key(kind: str, model: str, params: Mapping[str, Any], prompt: str) -> str:
    """SHA-256 of provider type, model, parameters (key order ignored) and prompt."""
    blob = json.dumps(
        {"kind": kind, "model": model, "params": dict(params), "prompt": prompt},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    """Outputs on disk in SQLite, keyed by `cache_key`; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, output TEXT)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT output FROM calls WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
            return str(row[0])

    def put(self, key: str, output: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO calls VALUES (?, ?)", (key, output))
            self._db.commit()

    def close(self) -> None:
        self._db.close()


class RateLimiter:
    """At most `per_second` acquisitions per second across threads (evenly spaced)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)


@dataclass
class OpenAIProvider:
    """An OpenAI-compatible `/chat/completions` endpoint, called with one user message."""

    name: str
    base_url: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_s: float = 0.5
    rate_per_second: float | None = None
    transport: httpx.BaseTransport | None = None
    kind: str = "openai"
    cacheable: bool = True
    calls: int = 0

    def __post_init__(self) -> None:
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            timeout=self.timeout_s,
            headers=headers,
            transport=self.transport,
        )
        self._limiter = RateLimiter(self.rate_per_second) if self.rate_per_second else None
        self._count_lock = threading.Lock()

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            if self._limiter is not None:
                self._limiter.acquire()
            with self._count_lock:
                self.calls += 1
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout_s:g} s"
                continue
            except httpx.HTTPError as error:
                last = f"connection failed: {error}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise ProviderError(f"HTTP {response.status_code}: {response.text[:200]}")
            return response
        raise ProviderError(f"{last} ({self.max_retries + 1} attempts)")

    def complete(self, prompt: str, example: Example) -> str:
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}]}
        body.update(self.params)
        response = self._post(body)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError(f"malformed reply: {response.text[:200]!r}") from None
        if not isinstance(content, str):
            raise ProviderError(f"malformed reply: content is {type(content).__name__}")
        return content

    def close(self) -> None:
        self._client.close()


@dataclass
class RecordedProvider:
    """Replays outputs saved by `record` (or any run), by example id, checking the prompt hash."""

    name: str
    path: Path
    kind: str = "recorded"
    cacheable: bool = False  # replaying is already a lookup: caching it would only copy it
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        if not self.path.is_file():
            raise SuiteError(f"recorded responses {self.path} not found: run `record` first")
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    self.records[str(row["id"])] = row
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise SuiteError(
                        f"{self.path}, line {number}: not a JSON object with an 'id'"
                    ) from None
        produced = {str(r.get("produced_by", "unknown")) for r in self.records.values()}
        self.produced_by = "; ".join(sorted(produced))
        self.model = self.produced_by

    def complete(self, prompt: str, example: Example) -> str:
        row = self.records.get(example.id)
        if row is None:
            raise ProviderError(f"no recorded response for example {example.id!r}")
        if row.get("prompt_sha256") not in (None, prompt_hash(prompt)):
            raise ProviderError("the prompt changed since this response was recorded")
        if "error" in row and row.get("output") is None:
            raise ProviderError(f"recorded error: {row['error']}")
        output = row.get("output")
        if not isinstance(output, str):
            raise ProviderError("recorded output is not a string")
        return output


def build_provider(
    spec: Mapping[str, Any], root: Path, local: Mapping[str, Callable[[Example], str]]
) -> Provider:
    """A provider from a suite entry; relative paths are resolved against the suite's folder.

    `local` maps the names of the project's own baselines to their functions.
    """
    kind = spec["type"]
    name = str(spec["name"])
    if kind == "recorded":
        if "path" not in spec:
            raise SuiteError(f"provider {name}: a recorded provider needs a 'path'")
        return RecordedProvider(name, root / str(spec["path"]))
    if kind == "openai":
        for key in ("base_url", "model"):
            if key not in spec:
                raise SuiteError(f"provider {name}: an openai provider needs '{key}'")
        key_env = spec.get("api_key_env")
        return OpenAIProvider(
            name,
            base_url=os.path.expandvars(str(spec["base_url"])),
            model=str(spec["model"]),
            params=dict(spec.get("params", {})),
            api_key=os.environ.get(str(key_env)) if key_env else None,
            timeout_s=float(spec.get("timeout_s", 30)),
            max_retries=int(spec.get("max_retries", 3)),
            rate_per_second=spec.get("rate_per_second"),
        )
    if kind == "local":
        system = str(spec.get("system", name))
        if system not in local:
            raise SuiteError(
                f"provider {name}: unknown local system {system!r}; known: {sorted(local)}"
            )
        return LocalProvider(name, system, local[system])
    if kind == "hf":
        from .hf_provider import HFPipelineProvider

        if "model" not in spec:
            raise SuiteError(f"provider {name}: an hf provider needs 'model' (a folder or hub id)")
        model = str(spec["model"])
        beside = root / model  # a folder beside suite.yaml; otherwise a path or a cached hub id
        return HFPipelineProvider(
            name, str(beside) if beside.is_dir() else model, dict(spec.get("params", {}))
        )
    if kind == "overlap-judge":
        from .offline_judge import OverlapJudge

        return OverlapJudge(name, margin=float(spec.get("margin", 0.05)))
    known = "openai, recorded, local, hf, overlap-judge"
    raise SuiteError(f"provider {name}: unknown type {kind!r}; known: {known}")


@dataclass
class LocalProvider:
    """One of the project's deterministic baselines, called in-process on the example's input."""

    name: str
    model: str
    function: Callable[[Example], str]
    kind: str = "local"
    cacheable: bool = False  # microseconds per call: a cache lookup costs as much
    params: dict[str, Any] = field(default_factory=dict)

    def complete(self, prompt: str, example: Example) -> str:
        return self.function(example)
