"""REST API over the registry (FastAPI). Reads are open; writes need an API key.

    MODEL_REGISTRY_API_KEYS="alice:s3cret-key,ci:another-key" python -m model_registry serve

Send the key as `X-API-Key`; the key's name is the actor the audit log records, so a caller
cannot claim to be someone else. Endpoints (all JSON unless noted):

    GET    /health
    GET    /models                                  POST /models
    GET    /models/{name}
    GET    /models/{name}/versions                  POST /models/{name}/versions (multipart upload)
    GET    /models/{name}/versions/{version}
    GET    /models/{name}/versions/{version}/artifact   (verified bytes)
    PUT    /models/{name}/versions/{version}/tags/{key}   DELETE the same
    POST   /models/{name}/versions/{version}/transition
    GET    /models/{name}/aliases                   PUT/DELETE /models/{name}/aliases/{alias}
    GET    /resolve?uri=models:/name@alias
    GET    /audit?model=name
    GET    /webhooks                                POST /webhooks
"""

import hmac
import json
import os
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, File, Form, Header, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from pydantic import BaseModel, Field

from .config import parse_api_keys
from .errors import (
    AlreadyExistsError,
    ArtifactIntegrityError,
    ConfigError,
    NotFoundError,
    PromotionRefusedError,
    RegistryError,
    ValidationError,
)
from .registry import Registry

__all__ = ["create_app"]

_STATUS = [
    (NotFoundError, 404),
    (AlreadyExistsError, 409),
    (PromotionRefusedError, 409),
    (ValidationError, 422),
    (ArtifactIntegrityError, 500),
    (ConfigError, 500),
]


class ModelIn(BaseModel):
    name: str
    metric: str = "accuracy"
    greater_is_better: bool = True
    min_improvement: float = 0.0
    required_tags: list[str] = Field(default_factory=list)
    description: str = ""


class AliasIn(BaseModel):
    version: int
    reason: str = ""


class TransitionIn(BaseModel):
    stage: str
    reason: str = ""
    force: bool = False


class TagIn(BaseModel):
    value: str


class WebhookIn(BaseModel):
    url: str
    events: list[str] = Field(default_factory=lambda: ["transition"])
    secret: str | None = None


class VersionMeta(BaseModel):
    flavour: str = "bytes"
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    signature: dict[str, Any] = Field(default_factory=dict)
    data_fingerprint: str | None = None
    git_commit: str | None = None
    description: str = ""


def create_app(registry: Registry | None = None, api_keys: dict[str, str] | None = None) -> FastAPI:
    """Build the app. `api_keys` maps key -> actor name (default: MODEL_REGISTRY_API_KEYS)."""
    reg = registry or Registry.open(deliver_webhooks=False)
    reg.deliver_webhooks = False  # delivered after the response, see `_deliver`
    keys = api_keys if api_keys is not None else parse_api_keys(os.environ.get("MODEL_REGISTRY_API_KEYS"))
    app = FastAPI(title="model registry", version="0.1.0")

    def _deliver() -> None:
        reg.deliver()

    @app.exception_handler(RegistryError)
    async def registry_error(_: Any, exc: RegistryError) -> JSONResponse:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)
        # A refusal is an event too (`transition.refused`): deliver it after the response.
        background = BackgroundTask(_deliver) if isinstance(exc, PromotionRefusedError) else None
        return JSONResponse(status_code=status, content={"detail": str(exc)}, background=background)

    def writer(x_api_key: Annotated[str | None, Header()] = None) -> str:
        """Authenticate a write; returns the actor name bound to the key."""
        if not keys:
            raise HTTPException(503, "writes are disabled: set MODEL_REGISTRY_API_KEYS")
        if x_api_key is not None:
            for key, actor in keys.items():
                if hmac.compare_digest(key.encode(), x_api_key.encode()):
                    return actor
        raise HTTPException(401, "missing or invalid X-API-Key")

    Actor = Annotated[str, Depends(writer)]

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/models")
    def list_models() -> list[dict[str, Any]]:
        return [m.to_dict() for m in reg.list_models()]

    @app.post("/models", status_code=201)
    def create_model(body: ModelIn, actor: Actor) -> dict[str, Any]:
        model = reg.create_model(
            body.name,
            metric=body.metric,
            greater_is_better=body.greater_is_better,
            min_improvement=body.min_improvement,
            required_tags=body.required_tags,
            description=body.description,
            actor=actor,
        )
        return model.to_dict()

    @app.get("/models/{name}")
    def get_model(name: str) -> dict[str, Any]:
        doc = reg.get_model(name).to_dict()
        doc["aliases"] = reg.aliases(name)
        return doc

    @app.get("/models/{name}/versions")
    def list_versions(name: str) -> list[dict[str, Any]]:
        return [v.to_dict() for v in reg.list_versions(name)]

    @app.post("/models/{name}/versions", status_code=201)
    def register(
        name: str,
        actor: Actor,
        artifact: Annotated[UploadFile, File()],
        metadata: Annotated[str, Form()] = "{}",
    ) -> dict[str, Any]:
        try:
            meta = VersionMeta.model_validate(json.loads(metadata))
        except ValueError as exc:
            raise ValidationError(f"bad metadata: {str(exc).splitlines()[0]}") from None
        mv = reg.register(
            name,
            artifact=artifact.file,  # streamed into the store; the upload's filename is ignored
            flavour=meta.flavour,
            params=meta.params,
            metrics=meta.metrics,
            tags=meta.tags,
            signature=meta.signature,
            data_fingerprint=meta.data_fingerprint,
            git_commit_id=meta.git_commit,
            description=meta.description,
            actor=actor,
        )
        return mv.to_dict()

    @app.get("/models/{name}/versions/{version}")
    def get_version(name: str, version: int) -> dict[str, Any]:
        return reg.get_version(name, version).to_dict()

    @app.get("/models/{name}/versions/{version}/artifact")
    def get_artifact(name: str, version: int) -> Response:
        data = reg.load_bytes(f"models:/{name}/{version}")
        return Response(content=data, media_type="application/octet-stream")

    @app.put("/models/{name}/versions/{version}/tags/{key}")
    def set_tag(name: str, version: int, key: str, body: TagIn, actor: Actor) -> dict[str, Any]:
        reg.set_tag(name, version, key, body.value, actor=actor)
        return reg.get_version(name, version).to_dict()

    @app.delete("/models/{name}/versions/{version}/tags/{key}")
    def delete_tag(name: str, version: int, key: str, actor: Actor) -> dict[str, Any]:
        reg.delete_tag(name, version, key, actor=actor)
        return reg.get_version(name, version).to_dict()

    @app.post("/models/{name}/versions/{version}/transition")
    def transition(
        name: str, version: int, body: TransitionIn, actor: Actor, tasks: BackgroundTasks
    ) -> dict[str, Any]:
        tasks.add_task(_deliver)  # runs after the response, also when the transition is refused
        return reg.transition(
            name, version, body.stage, reason=body.reason, force=body.force, actor=actor
        ).to_dict()

    @app.get("/models/{name}/aliases")
    def list_aliases(name: str) -> dict[str, int]:
        reg.get_model(name)
        return reg.aliases(name)

    @app.put("/models/{name}/aliases/{alias}")
    def set_alias(
        name: str, alias: str, body: AliasIn, actor: Actor, tasks: BackgroundTasks
    ) -> dict[str, Any]:
        previous = reg.set_alias(name, alias, body.version, reason=body.reason, actor=actor)
        tasks.add_task(_deliver)
        return {"model": name, "alias": alias, "version": body.version, "previous": previous}

    @app.delete("/models/{name}/aliases/{alias}")
    def delete_alias(name: str, alias: str, actor: Actor, tasks: BackgroundTasks) -> dict[str, Any]:
        previous = reg.delete_alias(name, alias, actor=actor)
        tasks.add_task(_deliver)
        return {"model": name, "alias": alias, "previous": previous}

    @app.get("/resolve")
    def resolve(uri: str) -> dict[str, Any]:
        return reg.resolve(uri).to_dict()

    @app.get("/audit")
    def audit(model: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        return [e.to_dict() for e in reg.audit(model, limit=limit)]

    @app.get("/webhooks")
    def list_webhooks(_: Actor) -> list[dict[str, Any]]:
        return [w.to_dict() for w in reg.store.list_webhooks()]

    @app.post("/webhooks", status_code=201)
    def add_webhook(body: WebhookIn, _: Actor) -> dict[str, Any]:
        return reg.add_webhook(body.url, events=tuple(body.events), secret=body.secret).to_dict()

    return app
