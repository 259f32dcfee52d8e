"""The job manager's state in SQLite (WAL): jobs, their attempts and the GPUs they hold.

WAL lets the command line (submit, list, cancel) read and write while the manager runs in
another process. Every state change is one transaction guarded by the state it expects
(`UPDATE ... WHERE state = 'PENDING'`), so two writers can never both start or finish a job.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .spec import JobSpec

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT = (
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELLED",
    "TIMED_OUT",
)
TERMINAL = (SUCCEEDED, FAILED, CANCELLED, TIMED_OUT)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    submitted_at REAL NOT NULL,
    next_try_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    exit_code INTEGER,
    gpus TEXT NOT NULL DEFAULT '[]',
    pid INTEGER,
    pid_start TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    job_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    state TEXT NOT NULL,
    exit_code INTEGER,
    gpus TEXT NOT NULL,
    log_path TEXT NOT NULL,
    PRIMARY KEY (job_id, attempt)
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, next_try_at);
"""


class NotFound(KeyError):
    """No job with this id."""

    def __str__(self) -> str:
        return f"no job with id {self.args[0]!r}"


@dataclass(frozen=True)
class Job:
    """One row of `jobs`: the spec and where the job is in its lifecycle."""

    id: str
    spec: JobSpec
    state: str
    attempt: int
    submitted_at: float
    next_try_at: float
    started_at: float | None
    ended_at: float | None
    exit_code: int | None
    gpus: list[int]
    pid: int | None
    pid_start: str | None
    cancel_requested: bool
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("spec", "pid_start")}
        return {**data, "spec": self.spec.model_dump()}


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["spec"] = JobSpec.model_validate_json(data["spec"])
    data["gpus"] = json.loads(data["gpus"])
    data["cancel_requested"] = bool(data["cancel_requested"])
    return Job(**data)


class Store:
    """Jobs and attempts in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: other writers wait instead of interleaving."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add(self, spec: JobSpec, now: float | None = None) -> Job:
        now = time.time() if now is None else now
        job_id = uuid.uuid4().hex[:12]
        with self.transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, spec, state, submitted_at, next_try_at) VALUES (?,?,?,?,?)",
                (job_id, spec.model_dump_json(), PENDING, now, now),
            )
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(job_id)
        return _job(row)

    def jobs(self, state: str | None = None, limit: int = 500) -> list[Job]:
        query = "SELECT * FROM jobs" + (" WHERE state = ?" if state else "")
        query += " ORDER BY submitted_at DESC, id LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (state, limit) if state else (limit,)).fetchall()
        return [_job(row) for row in rows]

    def started(self) -> list[tuple[str, str]]:
        """(id, state) of every job that has had an attempt, oldest first (cheap: no specs)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, state FROM jobs WHERE attempt > 0 ORDER BY submitted_at, id"
            ).fetchall()
        return [(row["id"], row["state"]) for row in rows]

    def attempts(self, job_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM attempts WHERE job_id = ? ORDER BY attempt", (job_id,)
            ).fetchall()
        return [{**dict(row), "gpus": json.loads(row["gpus"])} for row in rows]

    def mark_running(
        self,
        job_id: str,
        gpus: list[int],
        pid: int | None,
        pid_start: str | None,
        log_path: Path,
        now: float,
    ) -> bool:
        """PENDING -> RUNNING with a new attempt; False (and no change) if it was not PENDING."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET state=?, attempt=attempt+1, started_at=?, gpus=?, pid=?, "
                "pid_start=?, ended_at=NULL, exit_code=NULL WHERE id=? AND state=?",
                (RUNNING, now, json.dumps(gpus), pid, pid_start, job_id, PENDING),
            )
            if cursor.rowcount != 1:
                return False
            attempt = db.execute("SELECT attempt FROM jobs WHERE id=?", (job_id,)).fetchone()[0]
            db.execute(
                "INSERT INTO attempts (job_id, attempt, started_at, state, gpus, log_path) "
                "VALUES (?,?,?,?,?,?)",
                (job_id, attempt, now, RUNNING, json.dumps(gpus), str(log_path)),
            )
        return True

    def finish_attempt(
        self,
        job_id: str,
        state: str,
        exit_code: int | None,
        reason: str,
        now: float,
        retry_at: float | None,
    ) -> None:
        """Close the running attempt as `state`; requeue at `retry_at`, else end the job."""
        with self.transaction() as db:
            row = db.execute("SELECT attempt, state FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None or row["state"] != RUNNING:
                return
            db.execute(
                "UPDATE attempts SET state=?, exit_code=?, ended_at=? WHERE job_id=? AND attempt=?",
                (state, exit_code, now, job_id, row["attempt"]),
            )
            if retry_at is not None:
                db.execute(
                    "UPDATE jobs SET state=?, next_try_at=?, exit_code=?, reason=?, pid=NULL, "
                    "gpus='[]' WHERE id=?",
                    (PENDING, retry_at, exit_code, reason, job_id),
                )
            else:
                db.execute(
                    "UPDATE jobs SET state=?, ended_at=?, exit_code=?, reason=?, pid=NULL "
                    "WHERE id=?",
                    (state, now, exit_code, reason, job_id),
                )

    def cancel(self, job_id: str, now: float | None = None) -> Job:
        """Cancel a pending job at once; ask the manager to stop a running one."""
        now = time.time() if now is None else now
        with self.transaction() as db:
            row = db.execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None:
                raise NotFound(job_id)
            if row["state"] == PENDING:
                db.execute(
                    "UPDATE jobs SET state=?, ended_at=?, reason=? WHERE id=?",
                    (CANCELLED, now, "cancelled before it started", job_id),
                )
            elif row["state"] == RUNNING:
                db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=?", (job_id,))
        return self.get(job_id)
