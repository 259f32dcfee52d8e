"""The registry's errors: one base class, each subclass a kind of failure a caller can handle.

Every message is one line a user can act on; the CLI prints it and exits 1, the REST API maps
each class to an HTTP status (see `server.py`).
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "ArtifactIntegrityError",
    "ConfigError",
    "InvalidNameError",
    "NotFoundError",
    "PromotionRefusedError",
    "RegistryError",
    "UnsafeArtifactError",
    "ValidationError",
]


class RegistryError(Exception):
    """Base class of every error the registry raises on purpose."""


class ConfigError(RegistryError):
    """The registry is configured wrongly (bad database URL, missing server, ...)."""


class ValidationError(RegistryError):
    """An argument is malformed (bad URI, bad stage, bad metric value, ...)."""


class InvalidNameError(ValidationError):
    """A model, alias or tag name is not allowed (path traversal, reserved word, bad chars)."""


class NotFoundError(RegistryError):
    """The model, version, alias or artifact does not exist."""


class AlreadyExistsError(RegistryError):
    """The model already exists."""


class UnsafeArtifactError(RegistryError):
    """Loading the artifact would run code from an untrusted source (an uploaded pickle)."""


class ArtifactIntegrityError(RegistryError):
    """A stored artifact does not match the sha256 recorded at registration: refuse to load it."""


class PromotionRefusedError(RegistryError):
    """A stage transition broke the lifecycle or the promotion policy; the refusal is audited."""
