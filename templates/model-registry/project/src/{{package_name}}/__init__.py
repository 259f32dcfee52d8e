"""A model registry: immutable versions, aliases with a stage lifecycle, audit log, webhooks.

Importing the package is cheap (no numpy, scikit-learn or FastAPI): the client is meant to sit
inside serving processes that start often.
"""

from __future__ import annotations

from .errors import (
    AlreadyExistsError,
    ArtifactIntegrityError,
    ConfigError,
    InvalidNameError,
    NotFoundError,
    PromotionRefusedError,
    RegistryError,
    ValidationError,
)
from .records import AuditEntry, ModelVersion, PromotionPolicy, RegisteredModel, Stage
from .registry import Registry
from .uri import parse_uri

__all__ = [
    "AlreadyExistsError",
    "ArtifactIntegrityError",
    "AuditEntry",
    "ConfigError",
    "InvalidNameError",
    "ModelVersion",
    "NotFoundError",
    "PromotionPolicy",
    "PromotionRefusedError",
    "RegisteredModel",
    "Registry",
    "RegistryError",
    "Stage",
    "ValidationError",
    "parse_uri",
]
