"""scaffold: start portfolio ML projects from templates, and keep them up to date.

The library API below returns dataclasses and never prints; `scaffold.cli` is a thin typer
front end over it.
"""

from ._version import __version__
from .api import (
    CheckResult,
    DoctorReport,
    NewProjectResult,
    UpdateResult,
    check_project,
    doctor_project,
    list_paths,
    list_templates,
    new_project,
    resolve_answers,
    update_project,
)
from .catalog import CareerPath, TemplateInfo
from .errors import ScaffoldError
from .questions import Question

__all__ = [
    "CareerPath",
    "CheckResult",
    "DoctorReport",
    "NewProjectResult",
    "Question",
    "ScaffoldError",
    "TemplateInfo",
    "UpdateResult",
    "__version__",
    "check_project",
    "doctor_project",
    "list_paths",
    "list_templates",
    "new_project",
    "resolve_answers",
    "update_project",
]
