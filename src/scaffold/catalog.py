"""The catalog of templates and the career paths, read from templates/catalog.yml and paths.yml.

The `template` question's choices in `templates/catalog.yml` are the catalog: copier reads only
each choice's `value`; `path`, `summary`, `next_steps` and `services` are scaffold's own keys.
scaffold reads them here without importing copier, so that `scaffold list` stays fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import TemplateSourceError, UnknownTemplateError

CAREER_PATHS = ("infra", "applied", "llm")


@dataclass(frozen=True)
class TemplateInfo:
    """One catalog entry."""

    name: str
    path: str
    title: str
    summary: str
    systems: tuple[str, ...] = ()


@dataclass(frozen=True)
class CareerPath:
    """A career path: the roles to target, what they build and need, and the templates on it."""

    key: str
    title: str
    roles: tuple[str, ...]
    builds: str
    needs: str
    templates: tuple[str, ...]


@lru_cache(maxsize=8)
def _catalog_entries(root: Path) -> tuple[tuple[str, dict[str, Any]], ...]:
    conf = root / "templates" / "catalog.yml"
    try:
        spec = yaml.safe_load(conf.read_text("utf-8"))["template"]["choices"]
        entries = tuple((str(title), dict(entry)) for title, entry in spec.items())
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise TemplateSourceError(f"cannot read the template catalog {conf}: {error}") from None
    return entries


@lru_cache(maxsize=8)
def load_catalog(root: Path) -> tuple[TemplateInfo, ...]:
    """The catalog: the `template` question's choices with their path and summary."""
    return tuple(
        TemplateInfo(
            name=str(entry["value"]),
            path=str(entry["path"]),
            title=title,
            summary=str(entry["summary"]),
            systems=tuple(str(name) for name in entry.get("systems", ())),
        )
        for title, entry in _catalog_entries(root)
    )


@dataclass(frozen=True)
class Guide:
    """What a template declares for the next steps after `new`.

    `next_steps` are shell lines shown after `cd <project>`; `services` maps a question to the
    answers that need a service, and that service's name (e.g. online_store: redis: Redis).
    """

    next_steps: tuple[str, ...] = ()
    services: Mapping[str, Mapping[str, str]] | None = None

    def services_for(self, answers: Mapping[str, Any]) -> list[str]:
        """The services the given answers need, in declaration order."""
        needed = []
        for question, by_answer in (self.services or {}).items():
            value = answers.get(question)
            if isinstance(value, str) and value in by_answer:
                needed.append(by_answer[value])
        return needed


def load_guide(root: Path, name: str) -> Guide:
    """The next steps and services the catalog declares for template `name`."""
    for _, entry in _catalog_entries(root):
        if str(entry.get("value")) == name:
            services = entry.get("services") or {}
            return Guide(
                next_steps=tuple(str(step) for step in entry.get("next_steps") or ()),
                services={str(q): {str(a): str(s) for a, s in m.items()} for q, m in services.items()},
            )
    return Guide()


def load_paths(root: Path) -> tuple[CareerPath, ...]:
    """The career paths with the catalog's templates on each."""
    conf = root / "templates" / "paths.yml"
    try:
        spec = yaml.safe_load(conf.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TemplateSourceError(f"cannot read the career paths {conf}: {error}") from None
    catalog = load_catalog(root)
    return tuple(
        CareerPath(
            key=key,
            title=str(spec[key]["title"]),
            roles=tuple(str(role) for role in spec[key].get("roles", ())),
            builds=str(spec[key]["builds"]),
            needs=str(spec[key]["needs"]),
            templates=tuple(t.name for t in catalog if t.path == key),
        )
        for key in CAREER_PATHS
        if key in spec
    )


def find_template(root: Path, name: str) -> TemplateInfo:
    """The catalog entry called `name`, or an error that suggests the closest name."""
    catalog = load_catalog(root)
    for info in catalog:
        if info.name == name:
            return info
    names = [info.name for info in catalog]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "run 'scaffold list' to see them"
    raise UnknownTemplateError(f"unknown template '{name}': {hint}")
