"""Metadata storage: one interface (`Store`), one SQL implementation, one class per database.

`SqlStore` holds every query; a subclass only says how to connect, how to open a write
transaction and how to lock one model's row. All writes that must not interleave (allocating a
version number, moving an alias, checking a promotion rule and then moving the stage alias)
run inside one transaction that first locks the model:

- SQLite: `BEGIN IMMEDIATE` takes the database's single write lock (WAL mode keeps readers going);
- PostgreSQL: `SELECT ... FOR UPDATE` on the model's row serialises writers of that model only.

The schema is versioned (`SCHEMA_VERSION`, kept in `registry_schema`): opening an older
database upgrades it in place, one step at a time, in the transaction that holds the schema
lock, and audits the upgrade; a database newer than the code is refused.

Version numbers come from a per-model counter that only ever grows (`last_version`), so a number
is never handed out twice, not even after a failed registration. The audit log and the version
rows are protected by database triggers: UPDATE and DELETE on them raise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import (
    AlreadyExistsError,
    ConfigError,
    NotFoundError,
    PromotionRefusedError,
    ValidationError,
)
from .policy import Decision, decide
from .records import (
    STAGE_ALIAS,
    AuditEntry,
    ModelVersion,
    PromotionPolicy,
    RegisteredModel,
    Stage,
    TransitionResult,
    VersionDraft,
)

__all__ = ["SCHEMA_VERSION", "Delivery", "SqlStore", "SqliteStore", "Store", "Webhook"]

Decider = Callable[..., Decision]

GENESIS_HASH = "0" * 64  # the prev_hash of the first audit entry

# 1: scaffold 0.1.0 (no lineage or origin columns, an unchained audit log, deliveries without
#    a schedule, no artifact leases); 2: this code.
SCHEMA_VERSION = 2


def audit_hash(prev: str, *fields: Any) -> str:
    """sha256 over the previous entry's hash and this entry's fields, canonically encoded."""
    at, model, version, action, outcome, actor, reason, details = fields
    canonical = json.dumps(
        [prev, repr(float(at)), model, None if version is None else int(version), action,
         outcome, actor, reason, details],
        separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Webhook:
    id: int
    url: str
    events: tuple[str, ...]  # "transition", "transition.refused", "alias"
    has_secret: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events)}


@dataclass(frozen=True)
class Delivery:
    """One event to POST to one webhook (the outbox row written with the transition)."""

    id: int
    webhook_id: int
    url: str
    secret: str | None
    payload: str
    attempts: int
    status: str = "pending"  # pending, sending, delivered or dead
    last_error: str | None = None
    event_id: str = ""
    next_attempt_at: float = 0.0


class Store(ABC):
    """What the registry needs from a metadata database."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def create_model(
        self, name: str, policy: PromotionPolicy, description: str, actor: str
    ) -> RegisteredModel: ...

    @abstractmethod
    def get_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def list_models(self) -> list[RegisteredModel]: ...

    @abstractmethod
    def set_policy(self, name: str, policy: PromotionPolicy, actor: str, reason: str) -> None: ...

    @abstractmethod
    def add_version(
        self,
        draft: VersionDraft,
        actor: str,
        *,
        create_with: PromotionPolicy | None = None,
        lease: str | None = None,
    ) -> int: ...

    @abstractmethod
    def get_version(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def artifact_of(self, name: str, version: int) -> tuple[str, str]: ...

    @abstractmethod
    def list_versions(self, name: str) -> list[ModelVersion]: ...

    @abstractmethod
    def referenced_digests(self) -> set[str]: ...

    @abstractmethod
    def set_tag(self, name: str, version: int, key: str, value: str, actor: str) -> None: ...

    @abstractmethod
    def delete_tag(self, name: str, version: int, key: str, actor: str) -> None: ...

    @abstractmethod
    def resolve_alias(self, name: str, alias: str) -> int: ...

    @abstractmethod
    def list_aliases(self, name: str) -> dict[str, int]: ...

    @abstractmethod
    def set_alias(
        self, name: str, alias: str, version: int, actor: str, reason: str
    ) -> int | None: ...

    @abstractmethod
    def delete_alias(self, name: str, alias: str, actor: str, reason: str) -> int: ...

    @abstractmethod
    def transition(
        self,
        name: str,
        version: int,
        target: Stage,
        actor: str,
        reason: str,
        *,
        force: bool = False,
        decider: Decider = decide,
    ) -> TransitionResult: ...

    @abstractmethod
    def audit(self, model: str | None = None, *, limit: int | None = None) -> list[AuditEntry]: ...

    @abstractmethod
    def verify_audit(self) -> tuple[int, str] | None: ...

    @abstractmethod
    def add_webhook(
        self, url: str, events: tuple[str, ...], secret: str | None, actor: str = "unknown"
    ) -> Webhook: ...

    @abstractmethod
    def list_webhooks(self) -> list[Webhook]: ...

    @abstractmethod
    def delete_webhook(self, webhook_id: int, actor: str = "unknown") -> None: ...

    @abstractmethod
    def claim_deliveries(
        self, *, limit: int = 100, now: float | None = None, stale_after_s: float = 60.0
    ) -> list[Delivery]: ...

    @abstractmethod
    def finish_delivery(
        self,
        delivery_id: int,
        *,
        state: str,
        attempts: int,
        error: str | None,
        next_attempt_at: float,
    ) -> None: ...

    @abstractmethod
    def redeliver(self, delivery_id: int, actor: str, reason: str = "") -> Delivery: ...

    @abstractmethod
    def list_deliveries(self, status: str | None = None) -> list[Delivery]: ...

    @abstractmethod
    def lease_artifact(self, sha256: str, ttl_s: float = 3600.0) -> str: ...

    @abstractmethod
    def release_lease(self, token: str) -> None: ...

    @abstractmethod
    def collect_garbage(self, delete: Callable[[set[str]], list[str]], actor: str) -> list[str]: ...


_VERSION_COLUMNS = (
    "name, version, artifact_sha256, artifact_size, flavour, framework, signature, params, "
    "metrics, data_fingerprint, git_commit, description, created_by, created_at, run_uri, origin"
)


def _schema(id_column: str) -> list[str]:
    """Tables shared by both databases; `id_column` is the dialect's auto-increment key."""
    return [
        """CREATE TABLE IF NOT EXISTS registered_models (
            name TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            metric TEXT NOT NULL,
            greater_is_better BOOLEAN NOT NULL,
            min_improvement DOUBLE PRECISION NOT NULL,
            required_tags TEXT NOT NULL,
            last_version BIGINT NOT NULL DEFAULT 0,
            created_at DOUBLE PRECISION NOT NULL,
            created_by TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS model_versions (
            name TEXT NOT NULL REFERENCES registered_models (name),
            version BIGINT NOT NULL,
            artifact_sha256 TEXT NOT NULL,
            artifact_size BIGINT NOT NULL,
            flavour TEXT NOT NULL,
            framework TEXT NOT NULL,
            signature TEXT NOT NULL,
            params TEXT NOT NULL,
            metrics TEXT NOT NULL,
            data_fingerprint TEXT,
            git_commit TEXT,
            description TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            run_uri TEXT,
            origin TEXT NOT NULL,
            PRIMARY KEY (name, version))""",
        """CREATE TABLE IF NOT EXISTS version_tags (
            name TEXT NOT NULL,
            version BIGINT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (name, version, key),
            FOREIGN KEY (name, version) REFERENCES model_versions (name, version))""",
        """CREATE TABLE IF NOT EXISTS aliases (
            name TEXT NOT NULL,
            alias TEXT NOT NULL,
            version BIGINT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (name, alias),
            FOREIGN KEY (name, version) REFERENCES model_versions (name, version))""",
        """CREATE TABLE IF NOT EXISTS archived_versions (
            name TEXT NOT NULL,
            version BIGINT NOT NULL,
            archived_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (name, version),
            FOREIGN KEY (name, version) REFERENCES model_versions (name, version))""",
        f"""CREATE TABLE IF NOT EXISTS audit_log (
            id {id_column},
            at DOUBLE PRECISION NOT NULL,
            model TEXT NOT NULL,
            version BIGINT,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS webhooks (
            id {id_column},
            url TEXT NOT NULL,
            events TEXT NOT NULL,
            secret TEXT,
            created_at DOUBLE PRECISION NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS webhook_deliveries (
            id {id_column},
            webhook_id BIGINT NOT NULL,
            url TEXT NOT NULL,
            secret TEXT,
            payload TEXT NOT NULL,
            event_id TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT,
            next_attempt_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS artifact_leases (
            token TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS audit_log_model ON audit_log (model, id)",
        "CREATE INDEX IF NOT EXISTS deliveries_due ON webhook_deliveries (status, next_attempt_at)",
        """CREATE TABLE IF NOT EXISTS registry_schema (
            version BIGINT NOT NULL,
            applied_at DOUBLE PRECISION NOT NULL)""",
    ]


# Version 1 -> 2, in place. Old versions did not record who serialised them, so they count as
# uploads (an old pickle then loads only with the trust opt-in); old deliveries get a schedule
# (due now) and their event id back from the payload; 'failed' was the dead-letter state.
_UPGRADE_1_TO_2 = [
    "ALTER TABLE model_versions ADD COLUMN run_uri TEXT",
    "ALTER TABLE model_versions ADD COLUMN origin TEXT NOT NULL DEFAULT 'upload'",
    "ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE webhook_deliveries ADD COLUMN event_id TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE webhook_deliveries ADD COLUMN next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0",
    "UPDATE webhook_deliveries SET status = 'dead' WHERE status = 'failed'",
    "DROP INDEX IF EXISTS deliveries_status",
]


class SqlStore(Store):
    """Every query of the registry, written once for both SQLite and PostgreSQL."""

    placeholder = "?"

    def __init__(self) -> None:
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    # -- dialect hooks -------------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> Any:
        """A new connection in autocommit mode, schema created."""

    @abstractmethod
    def _transaction(self, conn: Any) -> Any:
        """A context manager around one write transaction on `conn`."""

    @abstractmethod
    def _snapshot(self, conn: Any) -> Any:
        """A context manager around one read-only transaction: every query inside it sees
        the same committed state (a version's tags, aliases and stage agree)."""

    @abstractmethod
    def _lock_model(self, conn: Any, name: str) -> bool:
        """Inside a write transaction: lock the model against other writers; False if absent."""

    def _lock_audit(self, conn: Any) -> None:
        """Inside a write transaction: serialise appends to the audit chain (SQLite: no-op,
        BEGIN IMMEDIATE already holds the database's one write lock)."""

    def _lock_leases(self, conn: Any) -> None:
        """Inside gc's transaction: block new artifact leases until it commits (SQLite: no-op)."""

    @abstractmethod
    def _has_table(self, conn: Any, table: str) -> bool:
        """Whether `table` exists in the database (the current schema, for PostgreSQL)."""

    @abstractmethod
    def _audit_guard_lifted(self, conn: Any) -> Any:
        """A context manager inside which the audit log's UPDATE guard is off (migrations)."""

    # -- schema ----------------------------------------------------------------------------
    def schema_version(self, conn: Any = None) -> int | None:
        """The database's schema version; 1 for a pre-versioning database, None if empty."""
        conn = conn or self._conn()
        if self._has_table(conn, "registry_schema"):
            row = self._x(conn, "SELECT MAX(version) FROM registry_schema").fetchone()
            return int(row[0])
        return 1 if self._has_table(conn, "model_versions") else None

    def _migrate(self, conn: Any, id_column: str) -> bool:
        """Inside the schema lock's transaction: create the schema, or upgrade an older one in
        place. True when the database was empty (the dialect then adds its guards)."""
        found = self.schema_version(conn)
        if found is not None and found > SCHEMA_VERSION:
            raise ConfigError(
                f"the registry database has schema version {found}, newer than this code's "
                f"{SCHEMA_VERSION}: upgrade the package before opening it"
            )
        if found == 1:
            for statement in _UPGRADE_1_TO_2:
                self._x(conn, statement)
            self._backfill_event_ids(conn)
        for statement in _schema(id_column):
            self._x(conn, statement)
        if found == 1:
            self._chain_audit_log(conn)
        if found != SCHEMA_VERSION:
            self._x(conn, "INSERT INTO registry_schema (version, applied_at) VALUES (?, ?)",
                    (SCHEMA_VERSION, time.time()))  # fmt: skip
        if found is not None and found < SCHEMA_VERSION:
            details = {"from": found, "to": SCHEMA_VERSION}
            self._audit(conn, "", None, "migrate", "ok", "registry", "schema upgrade", details)
        return found is None

    def _backfill_event_ids(self, conn: Any) -> None:
        for delivery_id, payload in self._x(
            conn, "SELECT id, payload FROM webhook_deliveries"
        ).fetchall():
            try:
                event_id = str(json.loads(payload).get("event_id") or "")
            except (ValueError, AttributeError):
                event_id = ""
            self._x(conn, "UPDATE webhook_deliveries SET event_id = ? WHERE id = ?",
                    (event_id or f"v1-{delivery_id}", delivery_id))  # fmt: skip

    def _chain_audit_log(self, conn: Any) -> None:
        """Hash-chain the entries written before the chain existed, unchanged, in id order:
        from here on an edit or a removal breaks the chain (see `verify_audit`)."""
        rows = self._x(
            conn,
            "SELECT id, at, model, version, action, outcome, actor, reason, details "
            "FROM audit_log ORDER BY id",
        ).fetchall()
        prev = GENESIS_HASH
        with self._audit_guard_lifted(conn):
            for row in rows:
                digest = audit_hash(prev, *row[1:9])
                self._x(conn, "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                        (prev, digest, row[0]))  # fmt: skip
                prev = digest

    # -- plumbing ------------------------------------------------------------------------
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = self._connect()
            self._local.conn = conn
            self._local.pid = os.getpid()
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):  # closing is best effort
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _x(self, conn: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return conn.execute(sql, params) if params else conn.execute(sql)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        conn = self._conn()
        with self._transaction(conn):
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Any]:
        conn = self._conn()
        with self._snapshot(conn):
            yield conn

    def _audit(
        self,
        conn: Any,
        model: str,
        version: int | None,
        action: str,
        outcome: str,
        actor: str,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry, chained to the previous one by its hash (see `verify_audit`)."""
        self._lock_audit(conn)
        row = self._x(conn, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        prev = row[0] if row else GENESIS_HASH
        fields = (time.time(), model, version, action, outcome, actor, reason,
                  json.dumps(details or {}, sort_keys=True))  # fmt: skip
        self._x(
            conn,
            "INSERT INTO audit_log (at, model, version, action, outcome, actor, reason, details, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev, audit_hash(prev, *fields)),
        )

    def verify_audit(self) -> tuple[int, str] | None:
        """Re-hash the audit chain; the first broken link as (entry id, why), or None if intact."""
        prev = GENESIS_HASH
        rows = self._x(
            self._conn(),
            "SELECT id, at, model, version, action, outcome, actor, reason, details, prev_hash, "
            "hash FROM audit_log ORDER BY id",
        ).fetchall()
        for row in rows:
            entry_id, fields, stored_prev, stored = int(row[0]), row[1:9], row[9], row[10]
            if stored_prev != prev:
                return entry_id, "its prev_hash does not match the entry before it (one removed?)"
            if audit_hash(prev, *fields) != stored:
                return entry_id, "its contents do not match its hash (edited)"
            prev = stored
        return None

    def _enqueue(self, conn: Any, event: str, payload: dict[str, Any]) -> None:
        """Write one outbox row per subscribed webhook, in the caller's transaction."""
        event_id = uuid.uuid4().hex
        body = json.dumps({"event_id": event_id, "event": event, **payload})
        now = time.time()
        for hook_id, url, events, secret in self._x(
            conn, "SELECT id, url, events, secret FROM webhooks"
        ).fetchall():
            if event in events.split(","):
                self._x(
                    conn,
                    "INSERT INTO webhook_deliveries (webhook_id, url, secret, payload, event_id, "
                    "status, attempts, next_attempt_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                    (hook_id, url, secret, body, event_id, now, now),
                )

    # -- models --------------------------------------------------------------------------
    def _insert_model(
        self, conn: Any, name: str, policy: PromotionPolicy, description: str, actor: str
    ) -> bool:
        cur = self._x(
            conn,
            "INSERT INTO registered_models (name, description, metric, greater_is_better, "
            "min_improvement, required_tags, last_version, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (name) DO NOTHING",
            (
                name,
                description,
                policy.metric,
                policy.greater_is_better,
                float(policy.min_improvement),
                json.dumps(list(policy.required_tags)),
                time.time(),
                actor,
            ),
        )
        created = bool(cur.rowcount == 1)
        if created:
            self._audit(
                conn, name, None, "create_model", "ok", actor, description, policy.to_dict()
            )
        return created

    def create_model(
        self, name: str, policy: PromotionPolicy, description: str, actor: str
    ) -> RegisteredModel:
        with self._write() as conn:
            if not self._insert_model(conn, name, policy, description, actor):
                raise AlreadyExistsError(f"model {name!r} already exists")
        return self.get_model(name)

    @staticmethod
    def _model_from_row(row: tuple[Any, ...]) -> RegisteredModel:
        name, description, metric, gib, margin, required, last, created_at, created_by = row
        policy = PromotionPolicy(metric, bool(gib), float(margin), tuple(json.loads(required)))
        return RegisteredModel(name, description, policy, int(last), float(created_at), created_by)

    _MODEL_SQL = (
        "SELECT name, description, metric, greater_is_better, min_improvement, required_tags, "
        "last_version, created_at, created_by FROM registered_models"
    )

    def get_model(self, name: str) -> RegisteredModel:
        row = self._x(self._conn(), self._MODEL_SQL + " WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"model {name!r} does not exist")
        return self._model_from_row(row)

    def list_models(self) -> list[RegisteredModel]:
        rows = self._x(self._conn(), self._MODEL_SQL + " ORDER BY name").fetchall()
        return [self._model_from_row(r) for r in rows]

    def set_policy(self, name: str, policy: PromotionPolicy, actor: str, reason: str) -> None:
        with self._write() as conn:
            if not self._lock_model(conn, name):
                raise NotFoundError(f"model {name!r} does not exist")
            self._x(
                conn,
                "UPDATE registered_models SET metric = ?, greater_is_better = ?, "
                "min_improvement = ?, required_tags = ? WHERE name = ?",
                (
                    policy.metric,
                    policy.greater_is_better,
                    float(policy.min_improvement),
                    json.dumps(list(policy.required_tags)),
                    name,
                ),
            )
            self._audit(conn, name, None, "set_policy", "ok", actor, reason, policy.to_dict())

    # -- versions ------------------------------------------------------------------------
    def add_version(
        self,
        draft: VersionDraft,
        actor: str,
        *,
        create_with: PromotionPolicy | None = None,
        lease: str | None = None,
    ) -> int:
        """Commit a new version; the artifact `lease` (if any) ends in the same transaction."""
        with self._write() as conn:
            if lease is not None:
                self._x(conn, "DELETE FROM artifact_leases WHERE token = ?", (lease,))
            if not self._lock_model(conn, draft.name):
                if create_with is None:
                    raise NotFoundError(f"model {draft.name!r} does not exist")
                self._insert_model(conn, draft.name, create_with, "", actor)
                self._lock_model(conn, draft.name)
            self._x(
                conn,
                "UPDATE registered_models SET last_version = last_version + 1 WHERE name = ?",
                (draft.name,),
            )
            (version,) = self._x(
                conn, "SELECT last_version FROM registered_models WHERE name = ?", (draft.name,)
            ).fetchone()
            version = int(version)
            self._x(
                conn,
                f"INSERT INTO model_versions ({_VERSION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.name,
                    version,
                    draft.artifact_sha256,
                    draft.artifact_size,
                    draft.flavour,
                    draft.framework,
                    json.dumps(draft.signature, sort_keys=True),
                    json.dumps(draft.params, sort_keys=True),
                    json.dumps(draft.metrics, sort_keys=True),
                    draft.data_fingerprint,
                    draft.git_commit,
                    draft.description,
                    actor,
                    time.time(),
                    draft.run_uri,
                    draft.origin,
                ),
            )
            for key, value in sorted(draft.tags.items()):
                self._x(
                    conn,
                    "INSERT INTO version_tags (name, version, key, value) VALUES (?, ?, ?, ?)",
                    (draft.name, version, key, value),
                )
            self._audit(
                conn,
                draft.name,
                version,
                "register",
                "ok",
                actor,
                draft.description,
                {"artifact_sha256": draft.artifact_sha256},
            )
        return version

    def _stage(self, conn: Any, name: str, version: int) -> Stage:
        rows = self._x(
            conn,
            "SELECT alias FROM aliases WHERE name = ? AND version = ? AND alias IN (?, ?)",
            (name, version, STAGE_ALIAS[Stage.PRODUCTION], STAGE_ALIAS[Stage.STAGING]),
        ).fetchall()
        held = {r[0] for r in rows}
        if STAGE_ALIAS[Stage.PRODUCTION] in held:
            return Stage.PRODUCTION
        if STAGE_ALIAS[Stage.STAGING] in held:
            return Stage.STAGING
        archived = self._x(
            conn,
            "SELECT 1 FROM archived_versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        return Stage.ARCHIVED if archived else Stage.NONE

    def _version_from_row(self, conn: Any, row: tuple[Any, ...]) -> ModelVersion:
        (name, version, sha, size, flavour, framework, signature, params, metrics) = row[:9]
        data_fp, commit, description, created_by, created_at, run_uri, origin = row[9:]
        tags = dict(
            self._x(
                conn,
                "SELECT key, value FROM version_tags WHERE name = ? AND version = ? ORDER BY key",
                (name, version),
            ).fetchall()
        )
        aliases = tuple(
            r[0]
            for r in self._x(
                conn,
                "SELECT alias FROM aliases WHERE name = ? AND version = ? ORDER BY alias",
                (name, version),
            ).fetchall()
        )
        return ModelVersion(
            name=name,
            version=int(version),
            artifact_sha256=sha,
            artifact_size=int(size),
            flavour=flavour,
            framework=framework,
            signature=json.loads(signature),
            params=json.loads(params),
            metrics=json.loads(metrics),
            data_fingerprint=data_fp,
            git_commit=commit,
            description=description,
            created_by=created_by,
            created_at=float(created_at),
            tags=tags,
            aliases=aliases,
            stage=self._stage(conn, name, int(version)),
            run_uri=run_uri,
            origin=origin,
        )

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self._read() as conn:
            row = self._x(
                conn,
                f"SELECT {_VERSION_COLUMNS} FROM model_versions WHERE name = ? AND version = ?",
                (name, version),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"models:/{name}/{version} does not exist")
            return self._version_from_row(conn, row)

    def artifact_of(self, name: str, version: int) -> tuple[str, str]:
        row = self._x(
            self._conn(),
            "SELECT artifact_sha256, flavour FROM model_versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"models:/{name}/{version} does not exist")
        return str(row[0]), str(row[1])

    def list_versions(self, name: str) -> list[ModelVersion]:
        with self._read() as conn:
            self.get_model(name)
            rows = self._x(
                conn,
                f"SELECT {_VERSION_COLUMNS} FROM model_versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall()
            return [self._version_from_row(conn, r) for r in rows]

    def referenced_digests(self) -> set[str]:
        rows = self._x(self._conn(), "SELECT DISTINCT artifact_sha256 FROM model_versions")
        return {r[0] for r in rows.fetchall()}

    def _require_version(self, conn: Any, name: str, version: int) -> None:
        if not self._lock_model(conn, name):
            raise NotFoundError(f"model {name!r} does not exist")
        row = self._x(
            conn, "SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"models:/{name}/{version} does not exist")

    def set_tag(self, name: str, version: int, key: str, value: str, actor: str) -> None:
        with self._write() as conn:
            self._require_version(conn, name, version)
            self._x(
                conn,
                "INSERT INTO version_tags (name, version, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                (name, version, key, value),
            )
            self._audit(conn, name, version, "set_tag", "ok", actor, "", {key: value})

    def delete_tag(self, name: str, version: int, key: str, actor: str) -> None:
        with self._write() as conn:
            self._require_version(conn, name, version)
            cur = self._x(
                conn,
                "DELETE FROM version_tags WHERE name = ? AND version = ? AND key = ?",
                (name, version, key),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"models:/{name}/{version} has no tag {key!r}")
            self._audit(conn, name, version, "delete_tag", "ok", actor, "", {"key": key})

    # -- aliases -------------------------------------------------------------------------
    def resolve_alias(self, name: str, alias: str) -> int:
        conn = self._conn()
        if alias == "latest":
            row = self._x(
                conn, "SELECT last_version FROM registered_models WHERE name = ?", (name,)
            ).fetchone()
            if row is None or not row[0]:
                raise NotFoundError(f"model {name!r} has no versions")
            return int(row[0])
        row = self._x(
            conn, "SELECT version FROM aliases WHERE name = ? AND alias = ?", (name, alias)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"models:/{name}@{alias} does not point to any version")
        return int(row[0])

    def list_aliases(self, name: str) -> dict[str, int]:
        rows = self._x(
            self._conn(),
            "SELECT alias, version FROM aliases WHERE name = ? ORDER BY alias",
            (name,),
        ).fetchall()
        return {a: int(v) for a, v in rows}

    def _current_alias(self, conn: Any, name: str, alias: str) -> int | None:
        row = self._x(
            conn, "SELECT version FROM aliases WHERE name = ? AND alias = ?", (name, alias)
        ).fetchone()
        return None if row is None else int(row[0])

    def _put_alias(self, conn: Any, name: str, alias: str, version: int, actor: str) -> None:
        # An upsert: creating a new alias from several writers at once can never collide.
        self._x(
            conn,
            "INSERT INTO aliases (name, alias, version, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET "
            "version = excluded.version, updated_at = excluded.updated_at, "
            "updated_by = excluded.updated_by",
            (name, alias, version, time.time(), actor),
        )

    def _drop_alias(self, conn: Any, name: str, alias: str) -> None:
        self._x(conn, "DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias))

    def set_alias(self, name: str, alias: str, version: int, actor: str, reason: str) -> int | None:
        with self._write() as conn:
            self._require_version(conn, name, version)
            previous = self._current_alias(conn, name, alias)
            self._put_alias(conn, name, alias, version, actor)
            moves = {alias: [previous, version]}
            self._audit(
                conn, name, version, "set_alias", "ok", actor, reason, {"alias_moves": moves}
            )
            self._enqueue(
                conn,
                "alias",
                {
                    "model": name,
                    "alias": alias,
                    "version": version,
                    "previous": previous,
                    "actor": actor,
                    "reason": reason,
                },
            )
        return previous

    def delete_alias(self, name: str, alias: str, actor: str, reason: str) -> int:
        with self._write() as conn:
            if not self._lock_model(conn, name):
                raise NotFoundError(f"model {name!r} does not exist")
            previous = self._current_alias(conn, name, alias)
            if previous is None:
                raise NotFoundError(f"models:/{name}@{alias} does not exist")
            self._drop_alias(conn, name, alias)
            moves = {alias: [previous, None]}
            self._audit(
                conn, name, previous, "delete_alias", "ok", actor, reason, {"alias_moves": moves}
            )
            self._enqueue(
                conn,
                "alias",
                {
                    "model": name,
                    "alias": alias,
                    "version": None,
                    "previous": previous,
                    "actor": actor,
                    "reason": reason,
                },
            )
        return previous

    # -- stages --------------------------------------------------------------------------
    def transition(
        self,
        name: str,
        version: int,
        target: Stage,
        actor: str,
        reason: str,
        *,
        force: bool = False,
        decider: Decider = decide,
    ) -> TransitionResult:
        staging, production = STAGE_ALIAS[Stage.STAGING], STAGE_ALIAS[Stage.PRODUCTION]
        refusal: str | None = None
        with self._write() as conn:
            self._require_version(conn, name, version)
            model = self._model_from_row(
                self._x(conn, self._MODEL_SQL + " WHERE name = ?", (name,)).fetchone()
            )
            current = self._stage(conn, name, version)
            metrics = json.loads(
                self._x(
                    conn,
                    "SELECT metrics FROM model_versions WHERE name = ? AND version = ?",
                    (name, version),
                ).fetchone()[0]
            )
            tags = dict(
                self._x(
                    conn,
                    "SELECT key, value FROM version_tags WHERE name = ? AND version = ?",
                    (name, version),
                ).fetchall()
            )
            prod_version = self._current_alias(conn, name, production)
            prod_metrics = None
            if prod_version is not None and prod_version != version:
                prod_metrics = json.loads(
                    self._x(
                        conn,
                        "SELECT metrics FROM model_versions WHERE name = ? AND version = ?",
                        (name, prod_version),
                    ).fetchone()[0]
                )
            decision = decider(
                current=current,
                target=target,
                policy=model.policy,
                candidate_metrics=metrics,
                candidate_tags=tags,
                production_metrics=prod_metrics,
                force=force,
            )
            details: dict[str, Any] = {
                "from_stage": current.value,
                "to_stage": target.value,
                "forced": force,
                "decision": decision.reason,
            }
            archived: list[int] = []
            if not decision.allowed:
                refusal = decision.reason
                self._audit(conn, name, version, "transition", "refused", actor, reason, details)
                self._enqueue(
                    conn,
                    "transition.refused",
                    {
                        "model": name,
                        "version": version,
                        **details,
                        "actor": actor,
                        "reason": reason,
                    },
                )
            else:
                moves: dict[str, list[int | None]] = {}
                now = time.time()
                if target == Stage.STAGING:
                    moves[staging] = [self._current_alias(conn, name, staging), version]
                    self._put_alias(conn, name, staging, version, actor)
                    self._x(
                        conn,
                        "DELETE FROM archived_versions WHERE name = ? AND version = ?",
                        (name, version),
                    )
                elif target == Stage.PRODUCTION:
                    moves[production] = [prod_version, version]
                    self._put_alias(conn, name, production, version, actor)
                    if self._current_alias(conn, name, staging) == version:
                        moves[staging] = [version, None]
                        self._drop_alias(conn, name, staging)
                    if prod_version is not None:
                        archived.append(prod_version)
                        self._x(
                            conn,
                            "INSERT INTO archived_versions (name, version, archived_at) "
                            "VALUES (?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                            (name, prod_version, now),
                        )
                else:  # Archived or None: the version gives up its stage aliases
                    for alias in (staging, production):
                        if self._current_alias(conn, name, alias) == version:
                            moves[alias] = [version, None]
                            self._drop_alias(conn, name, alias)
                    if target == Stage.ARCHIVED:
                        self._x(
                            conn,
                            "INSERT INTO archived_versions (name, version, archived_at) "
                            "VALUES (?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                            (name, version, now),
                        )
                    else:
                        self._x(
                            conn,
                            "DELETE FROM archived_versions WHERE name = ? AND version = ?",
                            (name, version),
                        )
                details["alias_moves"] = moves
                details["archived"] = archived
                self._audit(conn, name, version, "transition", "ok", actor, reason, details)
                self._enqueue(
                    conn,
                    "transition",
                    {
                        "model": name,
                        "version": version,
                        **details,
                        "actor": actor,
                        "reason": reason,
                    },
                )
        if refusal is not None:
            raise PromotionRefusedError(
                f"models:/{name}/{version}: {current.value} -> {target.value} refused: {refusal}"
            )
        return TransitionResult(
            name, version, current, target, tuple(archived), force, decision.reason
        )

    # -- audit ---------------------------------------------------------------------------
    def audit(self, model: str | None = None, *, limit: int | None = None) -> list[AuditEntry]:
        sql = (
            "SELECT id, at, model, version, action, outcome, actor, reason, details FROM audit_log"
        )
        params: tuple[Any, ...] = ()
        if model is not None:
            sql += " WHERE model = ?"
            params = (model,)
        if limit is None:
            sql += " ORDER BY id"
        else:  # the most recent `limit` entries, still returned oldest first
            sql += f" ORDER BY id DESC LIMIT {int(limit)}"
        rows = self._x(self._conn(), sql, params).fetchall()
        if limit is not None:
            rows.reverse()
        return [
            AuditEntry(
                int(i), float(at), m, None if v is None else int(v), a, o, actor, r, json.loads(d)
            )
            for i, at, m, v, a, o, actor, r, d in rows
        ]

    # -- webhooks ------------------------------------------------------------------------
    def add_webhook(
        self, url: str, events: tuple[str, ...], secret: str | None, actor: str = "unknown"
    ) -> Webhook:
        with self._write() as conn:
            (hook_id,) = self._x(
                conn,
                "INSERT INTO webhooks (url, events, secret, created_at) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (url, ",".join(events), secret, time.time()),
            ).fetchone()
            details = {"webhook_id": int(hook_id), "url": url, "events": list(events),
                       "signed": secret is not None}  # fmt: skip
            self._audit(conn, "", None, "add_webhook", "ok", actor, "", details)
        return Webhook(int(hook_id), url, tuple(events), secret is not None)

    def list_webhooks(self) -> list[Webhook]:
        rows = self._x(self._conn(), "SELECT id, url, events, secret FROM webhooks ORDER BY id")
        return [Webhook(int(i), u, tuple(e.split(",")), s is not None) for i, u, e, s in rows]

    def delete_webhook(self, webhook_id: int, actor: str = "unknown") -> None:
        with self._write() as conn:
            cur = self._x(conn, "DELETE FROM webhooks WHERE id = ?", (webhook_id,))
            if cur.rowcount == 0:
                raise NotFoundError(f"webhook {webhook_id} does not exist")
            details = {"webhook_id": webhook_id}
            self._audit(conn, "", None, "delete_webhook", "ok", actor, "", details)

    _DELIVERY_SQL = (
        "SELECT id, webhook_id, url, secret, payload, attempts, status, last_error, event_id, "
        "next_attempt_at FROM webhook_deliveries"
    )

    @staticmethod
    def _delivery(r: tuple[Any, ...]) -> Delivery:
        return Delivery(
            int(r[0]), int(r[1]), r[2], r[3], r[4], int(r[5]), r[6], r[7], r[8], float(r[9])
        )

    def claim_deliveries(
        self, *, limit: int = 100, now: float | None = None, stale_after_s: float = 60.0
    ) -> list[Delivery]:
        """Mark due deliveries as being sent by this worker and return them.

        Due: pending with `next_attempt_at` passed, or stuck in `sending` for longer than
        `stale_after_s` (its worker died), so every event is delivered at least once. The
        conditional UPDATE lets exactly one of several concurrent workers claim each row.
        """
        now = time.time() if now is None else now
        stale = now - stale_after_s
        due = (
            "(status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND "
            "updated_at < ?)"
        )
        claimed = []
        with self._write() as conn:  # one commit (one fsync) for the whole batch
            rows = self._x(
                conn,
                self._DELIVERY_SQL + f" WHERE {due} ORDER BY id LIMIT {int(limit)}",
                (now, stale),
            ).fetchall()
            for row in rows:
                cur = self._x(
                    conn,
                    f"UPDATE webhook_deliveries SET status = 'sending', updated_at = ? "
                    f"WHERE id = ? AND ({due})",
                    (time.time(), row[0], now, stale),
                )
                if cur.rowcount == 1:
                    claimed.append(self._delivery((*row[:6], "sending", *row[7:])))
        return claimed

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        state: str,
        attempts: int,
        error: str | None,
        next_attempt_at: float,
    ) -> None:
        """Record an attempt's outcome: delivered, pending (retry at `next_attempt_at`) or dead.

        A dead letter is audited: someone has to look at it and `redeliver` it."""
        if state not in ("delivered", "pending", "dead"):
            raise ValueError(f"unknown delivery state {state!r}")
        with self._write() as conn:
            self._x(
                conn,
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_error = ?, "
                "next_attempt_at = ?, updated_at = ? WHERE id = ?",
                (state, attempts, error, next_attempt_at, time.time(), delivery_id),
            )
            if state == "dead":
                details = {"delivery_id": delivery_id, "attempts": attempts, "error": error}
                self._audit(conn, "", None, "webhook_dead", "failed", "webhooks", "", details)

    def redeliver(self, delivery_id: int, actor: str, reason: str = "") -> Delivery:
        """Queue a delivery again now, its retry schedule restarted (any state but sending)."""
        with self._write() as conn:
            row = self._x(conn, self._DELIVERY_SQL + " WHERE id = ?", (delivery_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"webhook delivery {delivery_id} does not exist")
            if row[6] == "sending":
                raise ValidationError(f"webhook delivery {delivery_id} is being sent right now")
            self._x(
                conn,
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
                "next_attempt_at = ?, updated_at = ? WHERE id = ?",
                (time.time(), time.time(), delivery_id),
            )
            details = {"delivery_id": delivery_id, "previous_status": row[6]}
            self._audit(conn, "", None, "redeliver", "ok", actor, reason, details)
            return self._delivery((*row[:5], 0, "pending", *row[7:]))

    def list_deliveries(self, status: str | None = None) -> list[Delivery]:
        sql, params = self._DELIVERY_SQL, ()
        if status is not None:
            sql, params = sql + " WHERE status = ?", (status,)  # type: ignore[assignment]
        rows = self._x(self._conn(), sql + " ORDER BY id", params).fetchall()
        return [self._delivery(r) for r in rows]

    # -- artifact leases and garbage collection ---------------------------------------------
    def lease_artifact(self, sha256: str, ttl_s: float = 3600.0) -> str:
        """Protect `sha256` from gc until the version using it commits; returns the lease token.

        Committed before the artifact is placed, and serialised with gc (`_lock_leases`), so gc
        either deleted the object before the lease (the registration then writes it again) or
        sees the lease and keeps it. A crashed registrar's lease expires after `ttl_s`."""
        token = uuid.uuid4().hex
        with self._write() as conn:
            self._x(
                conn,
                "INSERT INTO artifact_leases (token, sha256, expires_at) VALUES (?, ?, ?)",
                (token, sha256, time.time() + ttl_s),
            )
        return token

    def release_lease(self, token: str) -> None:
        with self._write() as conn:
            self._x(conn, "DELETE FROM artifact_leases WHERE token = ?", (token,))

    def collect_garbage(self, delete: Callable[[set[str]], list[str]], actor: str) -> list[str]:
        """Run `delete(protected digests)` while no lease can be taken; audit what it removed.

        Versions and unexpired leases are read in one statement, so a registration that
        commits its version (and drops its lease) in between is still seen."""
        with self._write() as conn:
            self._lock_leases(conn)
            rows = self._x(
                conn,
                "SELECT artifact_sha256 FROM model_versions UNION "
                "SELECT sha256 FROM artifact_leases WHERE expires_at > ?",
                (time.time(),),
            ).fetchall()
            removed = delete({r[0] for r in rows})
            if removed:
                details = {"removed": sorted(removed)}
                self._audit(conn, "", None, "gc", "ok", actor, "", details)
        return removed


class SqliteStore(SqlStore):
    """SQLite in WAL mode: one file, many reader processes, one writer at a time."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema_ready = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA foreign_keys = ON")
        # FULL: a commit survives power loss, so a version number is never handed out twice.
        conn.execute("PRAGMA synchronous = FULL")
        if not self._schema_ready:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._migrate(conn, "INTEGER PRIMARY KEY AUTOINCREMENT")
                for statement in _SQLITE_TRIGGERS:
                    conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._schema_ready = True
        return conn

    @contextmanager
    def _transaction(self, conn: Any) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now, not at the first write
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _snapshot(self, conn: Any) -> Iterator[None]:
        conn.execute("BEGIN")  # deferred: a WAL read snapshot, no write lock
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def _has_table(self, conn: Any, table: str) -> bool:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    @contextmanager
    def _audit_guard_lifted(self, conn: Any) -> Iterator[None]:
        conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        yield
        conn.execute(_SQLITE_TRIGGERS[0])  # audit_log's UPDATE guard

    def _lock_model(self, conn: Any, name: str) -> bool:
        # BEGIN IMMEDIATE already holds the database-wide write lock.
        row = conn.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone()
        return row is not None


_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is {what}: {op} refused'); END"""
    for table, what in (("audit_log", "append-only"), ("model_versions", "immutable"))
    for op in ("UPDATE", "DELETE")
]
