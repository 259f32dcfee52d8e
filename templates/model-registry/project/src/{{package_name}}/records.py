"""Plain records the registry stores and returns: models, versions, policies, audit entries.

Everything here is a frozen dataclass: a `ModelVersion` is immutable once registered (only its
tags, aliases and stage, which live in other tables, change over time).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "AuditEntry",
    "ModelVersion",
    "PromotionPolicy",
    "RegisteredModel",
    "Stage",
    "TransitionResult",
    "VersionDraft",
    "iso",
]


class Stage(str, enum.Enum):
    """The fixed lifecycle. Staging and Production are the reserved aliases `staging` and
    `production`; Archived is a per-version mark; None is the absence of all three."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, text: str) -> Stage:
        for stage in cls:
            if stage.value.lower() == text.strip().lower():
                return stage
        choices = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown stage {text!r}: choose one of {choices}")


# The alias that carries each alias-backed stage.
STAGE_ALIAS: dict[Stage, str] = {Stage.STAGING: "staging", Stage.PRODUCTION: "production"}


def iso(ts: float) -> str:
    """Format a unix timestamp as UTC ISO 8601 with a trailing Z."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class PromotionPolicy:
    """When may a version become Production?

    It must carry every tag in `required_tags` and its `metric` must beat the current Production
    version's by at least `min_improvement` (strictly better when the margin is 0). The margin is
    absolute, in the metric's own units: 0.01 accuracy means one percentage point.
    """

    metric: str = "accuracy"
    greater_is_better: bool = True  # False for losses such as log loss or RMSE
    min_improvement: float = 0.0  # noise floor: a retrain that moves 0.1 pp is not a better model
    required_tags: tuple[str, ...] = ()  # e.g. ("validated",): a human or CI check signed it off

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "min_improvement": self.min_improvement,
            "required_tags": list(self.required_tags),
        }


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str
    policy: PromotionPolicy
    last_version: int
    created_at: float
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "policy": self.policy.to_dict(),
            "last_version": self.last_version,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class VersionDraft:
    """What a registration writes, after the artifact is safely stored."""

    name: str
    artifact_sha256: str
    artifact_size: int
    flavour: str  # how to turn the bytes back into an object: sklearn, pickle, bytes
    framework: str  # e.g. "scikit-learn 1.5.2"; empty when not known
    signature: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    data_fingerprint: str | None = None
    git_commit: str | None = None
    description: str = ""
    run_uri: str | None = None  # the training run: runs:/<mlflow run id>, or any run URI
    origin: str = "registry"  # registry: serialised by `register(model=)`; upload: bytes given


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    artifact_sha256: str
    artifact_size: int
    flavour: str
    framework: str
    signature: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, float]
    data_fingerprint: str | None
    git_commit: str | None
    description: str
    created_by: str
    created_at: float
    tags: dict[str, str]
    aliases: tuple[str, ...]
    stage: Stage
    run_uri: str | None = None
    origin: str = "registry"

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "uri": self.uri,
            "stage": self.stage.value,
            "aliases": list(self.aliases),
            "tags": dict(self.tags),
            "artifact": {"sha256": self.artifact_sha256, "size": self.artifact_size},
            "flavour": self.flavour,
            "framework": self.framework,
            "signature": self.signature,
            "params": self.params,
            "metrics": self.metrics,
            "data_fingerprint": self.data_fingerprint,
            "git_commit": self.git_commit,
            "run_uri": self.run_uri,
            "origin": self.origin,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class AuditEntry:
    """One row of the append-only audit log: who did what, why, and whether it was refused."""

    id: int
    at: float
    model: str
    version: int | None
    action: str  # create_model, register, set_alias, delete_alias, transition, set_tag, ...
    outcome: str  # "ok" or "refused"
    actor: str
    reason: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "model": self.model,
            "version": self.version,
            "action": self.action,
            "outcome": self.outcome,
            "actor": self.actor,
            "reason": self.reason,
            "details": self.details,
        }


@dataclass(frozen=True)
class TransitionResult:
    name: str
    version: int
    from_stage: Stage
    to_stage: Stage
    archived: tuple[int, ...]  # versions moved to Archived as a side effect (old Production)
    forced: bool
    decision: str  # the policy's reason, as written to the audit log

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "from_stage": self.from_stage.value,
            "to_stage": self.to_stage.value,
            "archived": list(self.archived),
            "forced": self.forced,
            "decision": self.decision,
        }
