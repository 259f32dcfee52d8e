"""Online store interface and its SQLite implementation.

An online store keeps, per feature view and entity key, the latest feature row (values, event
time, created time). Writes are conditional (a row never replaces a newer one, so replaying a
materialisation is harmless) and atomic per batch: `write` consumes an iterable inside one
transaction, and an exception part-way leaves the store exactly as it was. Reads of a batch
come from one snapshot, so a reader never sees half of a concurrent write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["OnlineRow", "OnlineStore", "OnlineStoreError", "SQLiteOnlineStore"]


class OnlineStoreError(RuntimeError):
    """The online store cannot be reached or used; the message says what to check."""


@dataclass(frozen=True)
class OnlineRow:
    """One entity's latest row of one view; times in microseconds since the epoch (UTC)."""

    key: str
    event_us: int
    created_us: int | None
    values: dict[str, Any]


class OnlineStore(ABC):
    """What every online store implements; the test suite runs against each of them."""

    name: str

    @abstractmethod
    def write(self, view: str, rows: Iterable[OnlineRow], watermark_us: int | None = None) -> int:
        """Upsert rows that are newer than what is stored, atomically; return rows consumed.

        With `watermark_us`, the view's watermark moves forward to it in the same transaction.
        """

    @abstractmethod
    def read(self, view: str, keys: Sequence[str]) -> list[OnlineRow | None]:
        """The stored rows for `keys` (None where absent), from one consistent snapshot."""

    @abstractmethod
    def watermark(self, view: str) -> int | None:
        """The end of the last incremental materialisation of `view`, if any."""

    @abstractmethod
    def ping(self) -> None:
        """Raise OnlineStoreError if the store is not usable."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every row and watermark (tests and the eval harness use it)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS online (
    view TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    event_us INTEGER NOT NULL,
    created_us INTEGER,
    vals TEXT NOT NULL,
    PRIMARY KEY (view, entity_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watermarks (view TEXT PRIMARY KEY, ts_us INTEGER NOT NULL);
"""

# Replace only when the incoming (event time, created time) is at least the stored one.
_UPSERT = """
INSERT INTO online (view, entity_key, event_us, created_us, vals) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (view, entity_key) DO UPDATE SET
    event_us = excluded.event_us, created_us = excluded.created_us, vals = excluded.vals
WHERE excluded.event_us > online.event_us
   OR (excluded.event_us = online.event_us
       AND coalesce(excluded.created_us, -1) >= coalesce(online.created_us, -1))
"""

_READ = """
SELECT entity_key, event_us, created_us, vals FROM online
WHERE view = ? AND entity_key IN (SELECT value FROM json_each(?))
"""


class SQLiteOnlineStore(OnlineStore):
    """SQLite in WAL mode: one file, readers never block the writer and see committed data."""

    name = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        con = self._con()
        con.executescript(_SCHEMA)

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute("PRAGMA busy_timeout=5000")
            except sqlite3.Error as exc:
                raise OnlineStoreError(
                    f"cannot open SQLite online store {self.path}: {exc}"
                ) from exc
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    def write(self, view: str, rows: Iterable[OnlineRow], watermark_us: int | None = None) -> int:
        con = self._con()
        count = 0

        def params() -> Iterable[tuple[Any, ...]]:
            nonlocal count
            for r in rows:
                count += 1
                yield (view, r.key, r.event_us, r.created_us, json.dumps(r.values))

        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(_UPSERT, params())
            if watermark_us is not None:
                con.execute(
                    "INSERT INTO watermarks (view, ts_us) VALUES (?, ?) ON CONFLICT (view) "
                    "DO UPDATE SET ts_us = max(ts_us, excluded.ts_us)",
                    (view, watermark_us),
                )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return count

    def read(self, view: str, keys: Sequence[str]) -> list[OnlineRow | None]:
        rows = self._con().execute(_READ, (view, json.dumps(list(keys)))).fetchall()
        found = {k: OnlineRow(k, e, c, json.loads(v)) for k, e, c, v in rows}
        return [found.get(k) for k in keys]

    def watermark(self, view: str) -> int | None:
        row = self._con().execute("SELECT ts_us FROM watermarks WHERE view = ?", (view,)).fetchone()
        return None if row is None else int(row[0])

    def ping(self) -> None:
        try:
            self._con().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise OnlineStoreError(f"SQLite online store {self.path} is not usable: {exc}") from exc

    def clear(self) -> None:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        con.execute("DELETE FROM online")
        con.execute("DELETE FROM watermarks")
        con.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()
        self._local = threading.local()
