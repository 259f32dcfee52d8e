"""The errors scaffold reports to users: each carries a one-line message, an exit code and a reason.

The CLI has one handler for all of them: it prints `error: <message>` on stderr (or, for
`check --json`, a JSON object with the `reason`) and exits with `exit_code`.
Exit codes: 1 = the request cannot be done as asked, 2 = usage (the command line itself is wrong,
or `check` cannot judge the repository), 130 = interrupted.
"""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base class: `str(error)` is the one-line message the CLI prints; `exit_code` its status."""

    exit_code = 1
    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class UsageError(ScaffoldError):
    """The command line itself is wrong: an unknown template or path, a malformed --data (exit 2)."""

    exit_code = 2
    reason = "usage"


class UnknownTemplateError(UsageError):
    """The template name is not in the catalog (exit 2)."""

    reason = "unknown-template"


class InvalidAnswerError(ScaffoldError):
    """An answer is unknown or fails its question's validator."""

    reason = "invalid-answer"


class DestinationError(ScaffoldError):
    """The destination cannot be written, or not without losing something."""

    reason = "destination"


class NotAGeneratedRepoError(ScaffoldError):
    """The directory has no readable copier answers file (exit 2, for `scaffold check`)."""

    exit_code = 2
    reason = "not-generated"


class DirtyRepoError(ScaffoldError):
    """`update` needs a clean git work tree to merge safely."""

    reason = "dirty"


class TemplateSourceError(ScaffoldError):
    """The template source is missing, broken, or lacks the version a repo was made from."""

    reason = "template-source"


class GenerationError(ScaffoldError):
    """Copier failed while rendering; nothing was left behind."""

    reason = "generation"


class GitError(ScaffoldError):
    """git is missing, or a git command failed; the message is git's last line."""

    reason = "git"
