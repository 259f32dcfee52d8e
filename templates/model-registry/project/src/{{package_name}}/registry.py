"""The Python client: register, resolve, load, alias, promote and audit models.

    from model_registry import Registry

    with Registry.open() as reg:                         # uses the configured database
        mv = reg.register("iris", model, metrics={"accuracy": 0.95}, input_example=X[:5])
        reg.transition("iris", mv.version, "Staging", reason="offline eval passed")
        reg.transition("iris", mv.version, "Production", reason="beats v3")
        champion = reg.load("models:/iris/Production")

Registration order is what keeps a killed process harmless: the artifact is written, hashed,
fsync'd and renamed into place first; only then is the version row committed. A version can
therefore never point at a missing or partial artifact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .artifacts import ArtifactSource, ArtifactStore
from .config import RegistryConfig, open_store
from .errors import ValidationError
from .flavours import (
    FLAVOURS,
    deserialize,
    framework_of,
    git_commit,
    infer_flavour,
    infer_signature,
    serialize,
)
from .records import (
    AuditEntry,
    ModelVersion,
    PromotionPolicy,
    RegisteredModel,
    Stage,
    TransitionResult,
    VersionDraft,
)
from .store import Store, Webhook
from .uri import (
    ModelRef,
    parse_uri,
    validate_alias,
    validate_model_name,
    validate_tag_key,
)
from .webhooks import DeliveryResult, RetryPolicy, deliver_pending

__all__ = ["Registry"]

_AUTO = "auto"


def _clean_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"metric {key!r} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValidationError(f"metric {key!r} must be finite, got {value!r}")
        out[validate_tag_key(str(key))] = number
    return out


def _jsonable(params: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None or isinstance(value, (bool, int, float, str)):
            out[str(key)] = value
        else:
            out[str(key)] = repr(value)
    return out


class Registry:
    """A model registry: metadata in a `Store`, artifacts in an `ArtifactStore`."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        *,
        actor: str = "unknown",
        default_policy: PromotionPolicy | None = None,
        deliver_webhooks: bool = True,
        webhook_retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.actor = actor
        self.default_policy = default_policy or PromotionPolicy()
        self.deliver_webhooks = deliver_webhooks  # False: the caller runs deliver() itself
        self.webhook_retry = webhook_retry or RetryPolicy()

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        artifact_root: str | Path | None = None,
        *,
        actor: str | None = None,
        **kwargs: Any,
    ) -> Registry:
        """Open the registry named by the arguments or the environment (see `config.py`)."""
        config = RegistryConfig.resolve(database_url, artifact_root, actor)
        return cls(
            open_store(config.database_url),
            ArtifactStore(config.artifact_root),
            actor=config.actor,
            **kwargs,
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models ----------------------------------------------------------------------------
    def create_model(
        self,
        name: str,
        *,
        metric: str = "accuracy",
        greater_is_better: bool = True,
        min_improvement: float = 0.0,
        required_tags: tuple[str, ...] | list[str] = (),
        description: str = "",
        actor: str | None = None,
    ) -> RegisteredModel:
        policy = self._policy(metric, greater_is_better, min_improvement, required_tags)
        return self.store.create_model(
            validate_model_name(name), policy, description, actor or self.actor
        )

    @staticmethod
    def _policy(
        metric: str, greater_is_better: bool, min_improvement: float, required_tags: Any
    ) -> PromotionPolicy:
        if not math.isfinite(float(min_improvement)) or float(min_improvement) < 0:
            raise ValidationError("min_improvement must be a finite number >= 0")
        tags = tuple(validate_tag_key(t) for t in required_tags)
        return PromotionPolicy(validate_tag_key(metric), greater_is_better, float(min_improvement), tags)

    def set_policy(
        self,
        name: str,
        *,
        metric: str,
        greater_is_better: bool = True,
        min_improvement: float = 0.0,
        required_tags: tuple[str, ...] | list[str] = (),
        reason: str = "",
        actor: str | None = None,
    ) -> None:
        policy = self._policy(metric, greater_is_better, min_improvement, required_tags)
        self.store.set_policy(validate_model_name(name), policy, actor or self.actor, reason)

    def get_model(self, name: str) -> RegisteredModel:
        return self.store.get_model(validate_model_name(name))

    def list_models(self) -> list[RegisteredModel]:
        return self.store.list_models()

    # -- versions --------------------------------------------------------------------------
    def register(
        self,
        name: str,
        model: object = None,
        *,
        artifact: ArtifactSource | None = None,
        flavour: str | None = None,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        signature: dict[str, Any] | None = None,
        input_example: Any = None,
        data_fingerprint: str | None = None,
        git_commit_id: str | None = _AUTO,
        description: str = "",
        actor: str | None = None,
    ) -> ModelVersion:
        """Store the artifact, then commit a new version; returns it.

        Pass either `model` (an object, serialised by its flavour) or `artifact` (bytes, a
        path, a binary file or an iterable of byte chunks, stored as given). A model that does
        not exist yet is created with the registry's default promotion policy.
        """
        validate_model_name(name)
        if (model is None) == (artifact is None):
            raise ValidationError("pass exactly one of `model` and `artifact`")
        metrics_clean = _clean_metrics(metrics)
        tags_clean = {validate_tag_key(str(k)): str(v) for k, v in (tags or {}).items()}
        if model is not None:
            flavour = flavour or infer_flavour(model)
            payload: ArtifactSource = serialize(model, flavour)
            if signature is None and input_example is not None:
                predict = getattr(model, "predict", None)
                outputs = predict(input_example) if callable(predict) else None
                signature = infer_signature(input_example, outputs)
        else:
            flavour = flavour or "bytes"
            assert artifact is not None
            payload = artifact
        if flavour not in FLAVOURS:
            raise ValidationError(f"unknown flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}")
        ref = self.artifacts.put(payload)  # durable before any metadata mentions it
        draft = VersionDraft(
            name=name,
            artifact_sha256=ref.sha256,
            artifact_size=ref.size,
            flavour=flavour,
            framework=framework_of(flavour),
            signature=signature or {},
            params=_jsonable(params),
            metrics=metrics_clean,
            tags=tags_clean,
            data_fingerprint=data_fingerprint,
            git_commit=git_commit() if git_commit_id == _AUTO else git_commit_id,
            description=description,
        )
        version = self.store.add_version(draft, actor or self.actor, create_with=self.default_policy)
        return self.store.get_version(name, version)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.store.get_version(validate_model_name(name), int(version))

    def list_versions(self, name: str) -> list[ModelVersion]:
        return self.store.list_versions(validate_model_name(name))

    def set_tag(self, name: str, version: int, key: str, value: str, *, actor: str | None = None) -> None:
        self.store.set_tag(
            validate_model_name(name), int(version), validate_tag_key(key), str(value), actor or self.actor
        )

    def delete_tag(self, name: str, version: int, key: str, *, actor: str | None = None) -> None:
        self.store.delete_tag(validate_model_name(name), int(version), validate_tag_key(key), actor or self.actor)

    # -- resolving and loading ----------------------------------------------------------------
    def resolve_ref(self, uri: str) -> tuple[str, int]:
        """`models:/...` -> (name, version), with one indexed lookup for aliases and stages."""
        ref: ModelRef = parse_uri(uri)
        if ref.version is not None:
            return ref.name, ref.version
        assert ref.alias is not None
        return ref.name, self.store.resolve_alias(ref.name, ref.alias)

    def resolve(self, uri: str) -> ModelVersion:
        name, version = self.resolve_ref(uri)
        return self.store.get_version(name, version)

    def load_bytes(self, uri: str) -> bytes:
        """The artifact's bytes, after checking them against the registered sha256."""
        name, version = self.resolve_ref(uri)
        sha, _ = self.store.artifact_of(name, version)
        return self.artifacts.read(sha, what=f"models:/{name}/{version}")

    def load(self, uri: str) -> Any:
        """Resolve, verify and deserialise: the model object, ready to predict."""
        name, version = self.resolve_ref(uri)
        sha, flavour = self.store.artifact_of(name, version)
        return deserialize(self.artifacts.read(sha, what=f"models:/{name}/{version}"), flavour)

    # -- aliases and stages ----------------------------------------------------------------------
    def set_alias(
        self, name: str, alias: str, version: int, *, reason: str = "", actor: str | None = None
    ) -> int | None:
        """Point `alias` at `version` (atomically); returns the version it pointed to before."""
        result = self.store.set_alias(
            validate_model_name(name), validate_alias(alias), int(version), actor or self.actor, reason
        )
        self._after_event()
        return result

    def delete_alias(self, name: str, alias: str, *, reason: str = "", actor: str | None = None) -> int:
        result = self.store.delete_alias(
            validate_model_name(name), validate_alias(alias), actor or self.actor, reason
        )
        self._after_event()
        return result

    def aliases(self, name: str) -> dict[str, int]:
        return self.store.list_aliases(validate_model_name(name))

    def transition(
        self,
        name: str,
        version: int,
        stage: str | Stage,
        *,
        reason: str = "",
        force: bool = False,
        actor: str | None = None,
    ) -> TransitionResult:
        """Move a version through the lifecycle; raises PromotionRefusedError (audited) if the
        lifecycle or the promotion policy says no. `force` skips the policy, not the lifecycle,
        and needs a reason."""
        try:
            target = stage if isinstance(stage, Stage) else Stage.parse(stage)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if force and not reason.strip():
            raise ValidationError("a forced transition needs a reason for the audit log")
        try:
            return self.store.transition(
                validate_model_name(name), int(version), target, actor or self.actor, reason, force=force
            )
        finally:
            self._after_event()

    def audit(self, name: str | None = None, *, limit: int | None = None) -> list[AuditEntry]:
        return self.store.audit(None if name is None else validate_model_name(name), limit=limit)

    # -- webhooks --------------------------------------------------------------------------------
    def add_webhook(
        self, url: str, *, events: tuple[str, ...] = ("transition",), secret: str | None = None
    ) -> Webhook:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError(f"webhook URL must be http(s)://host/...: {url!r}")
        known = {"transition", "transition.refused", "alias"}
        unknown = set(events) - known
        if unknown or not events:
            raise ValidationError(f"webhook events must be among {sorted(known)}: {sorted(unknown)}")
        return self.store.add_webhook(url, tuple(events), secret)

    def deliver(self) -> list[DeliveryResult]:
        """Send pending webhook events now (retries included)."""
        return deliver_pending(self.store, retry=self.webhook_retry)

    def _after_event(self) -> None:
        if self.deliver_webhooks:
            self.deliver()

    # -- maintenance -----------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Check every version's artifact; returns the problems (empty = all good)."""
        problems = []
        for model in self.store.list_models():
            for mv in self.store.list_versions(model.name):
                if not self.artifacts.verify(mv.artifact_sha256):
                    problems.append(f"{mv.uri}: artifact {mv.artifact_sha256[:12]}... missing or corrupt")
        return problems

    def gc(self, *, min_age_s: float = 3600.0) -> list[str]:
        """Remove artifacts no version references, and stray temporary files."""
        return self.artifacts.gc(self.store.referenced_digests(), min_age_s=min_age_s)
