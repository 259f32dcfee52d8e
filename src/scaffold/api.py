"""The scaffold library, one function per command: list, paths, new, update, check and doctor.

A thin facade: `new`, `update` and `check` live in their own modules. Every function is
keyword-only, returns data and never prints. Copier is imported only when a project is rendered
or updated, so listing and checking stay fast.
"""

from __future__ import annotations

from .catalog import CareerPath, TemplateInfo, load_catalog, load_paths
from .check import CheckResult, check_project
from .doctor import DoctorReport, doctor_project
from .errors import UsageError
from .new import NewProjectResult, check_destination, new_project, resolve_answers
from .source import locate
from .update import UpdateResult, update_project

__all__ = [
    "CheckResult",
    "DoctorReport",
    "NewProjectResult",
    "UpdateResult",
    "check_destination",
    "check_project",
    "doctor_project",
    "list_paths",
    "list_templates",
    "new_project",
    "resolve_answers",
    "update_project",
]


def list_templates(*, path: str | None = None) -> list[TemplateInfo]:
    """The catalog, optionally only the templates on one career path."""
    source = locate()
    catalog = load_catalog(source.root)
    if path is not None:
        paths = {p.key for p in load_paths(source.root)}
        if path not in paths:
            raise UsageError(f"unknown path '{path}': choose one of {', '.join(sorted(paths))}")
        catalog = tuple(t for t in catalog if t.path == path)
    return list(catalog)


def list_paths() -> list[CareerPath]:
    """The three career paths with what their roles build and need, and their templates."""
    return list(load_paths(locate().root))
