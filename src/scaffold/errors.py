"""The errors scaffold reports to users: each carries a one-line message and an exit code."""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base class: `str(error)` is the one-line message the CLI prints; `exit_code` its status."""

    exit_code = 1


class UsageError(ScaffoldError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class UnknownTemplateError(ScaffoldError):
    """The template name is not in the catalog."""


class InvalidAnswerError(ScaffoldError):
    """An answer is malformed, unknown, or fails its question's validator."""


class DestinationError(ScaffoldError):
    """The destination cannot be written without losing something."""


class NotAGeneratedRepoError(ScaffoldError):
    """The directory has no readable copier answers file (exit 2, for `scaffold check`)."""

    exit_code = 2


class DirtyRepoError(ScaffoldError):
    """`update` needs a clean git work tree to merge safely."""


class TemplateSourceError(ScaffoldError):
    """The template source is missing, broken, or lacks the version a repo was made from."""


class GenerationError(ScaffoldError):
    """Copier failed while rendering; nothing was left behind."""
