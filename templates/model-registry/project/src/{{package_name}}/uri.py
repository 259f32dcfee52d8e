"""Names and URIs: what a model, alias or tag may be called, and `models:/` URIs.

Names end up in URLs, CLI arguments and log lines, never in file paths (artifacts are stored by
content hash), but we still refuse anything path-like (`..`, `/`, `\\`, NUL) so that no later
change can turn a name into a path traversal.

    models:/<name>/<version>     a fixed version, e.g. models:/iris/3
    models:/<name>@<alias>       whatever the alias points to now, e.g. models:/iris@champion
    models:/<name>/<Stage>       the holder of a stage: Staging or Production
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidNameError, ValidationError
from .records import STAGE_ALIAS, Stage

__all__ = [
    "RESERVED_ALIASES",
    "ModelRef",
    "parse_uri",
    "validate_alias",
    "validate_model_name",
    "validate_tag_key",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")
# `latest` always means the highest version; stage aliases move only through transitions.
RESERVED_ALIASES = frozenset({"latest", *STAGE_ALIAS.values()})


def validate_model_name(name: str) -> str:
    """Return `name` if it is a safe model name, else raise InvalidNameError."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise InvalidNameError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, without '..'"
        )
    return name


def validate_alias(alias: str, *, allow_reserved: bool = False) -> str:
    """Return `alias` if valid; reserved aliases only when `allow_reserved`."""
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidNameError(
            f"invalid alias {alias!r}: use 1-64 lower-case letters, digits, '_' or '-', "
            "starting with a letter"
        )
    if alias in RESERVED_ALIASES and not allow_reserved:
        raise InvalidNameError(
            f"alias {alias!r} is reserved: stage aliases move only through a transition "
            "and 'latest' always means the highest version"
        )
    return alias


def validate_tag_key(key: str) -> str:
    if not isinstance(key, str) or not _TAG.match(key) or ".." in key:
        raise InvalidNameError(f"invalid tag key {key!r}: use 1-128 letters, digits or '_.:/-'")
    return key


@dataclass(frozen=True)
class ModelRef:
    """A parsed URI: exactly one of `version` and `alias` is set."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        return (
            f"models:/{self.name}/{self.version}"
            if self.alias is None
            else (f"models:/{self.name}@{self.alias}")
        )


def parse_uri(uri: str) -> ModelRef:
    """Parse a `models:/` URI; stages become their alias (Production -> `production`)."""
    if not isinstance(uri, str) or not uri.startswith("models:/"):
        raise ValidationError(f"not a model URI: {uri!r} (expected models:/<name>/<version>)")
    rest = uri[len("models:/") :]
    if "@" in rest:
        name, _, alias = rest.partition("@")
        validate_model_name(name)
        return ModelRef(name=name, alias=validate_alias(alias, allow_reserved=True))
    name, sep, tail = rest.partition("/")
    if not sep or not tail:
        raise ValidationError(
            f"bad model URI {uri!r}: use models:/<name>/<version>, models:/<name>@<alias> "
            "or models:/<name>/<Stage>"
        )
    validate_model_name(name)
    if tail.isdigit():
        version = int(tail)
        if version < 1:
            raise ValidationError(f"bad version in {uri!r}: versions start at 1")
        return ModelRef(name=name, version=version)
    try:
        stage = Stage.parse(tail)
    except ValueError:
        raise ValidationError(
            f"bad model URI {uri!r}: {tail!r} is neither a version number nor a stage "
            "(Staging, Production)"
        ) from None
    if stage not in STAGE_ALIAS:
        raise ValidationError(f"bad model URI {uri!r}: only Staging and Production have a holder")
    return ModelRef(name=name, alias=STAGE_ALIAS[stage])
