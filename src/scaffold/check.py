"""`check`: is a generated repo on this install's template version, with nothing left to resolve?

Meant as a CI gate. Exit codes (`CheckResult.exit_code`): 0 up to date; 1 behind, or conflict
markers / `.rej` files remain; 2 the repo cannot be judged (no or corrupt answers, unknown
template, a recorded version that is no version or is newer than this install's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._project import UPGRADE_HINT, conflicts_among, project_files, read_answers
from .catalog import load_catalog
from .source import locate, version_key

EXIT_CODES = {
    "up-to-date": 0,
    "behind": 1,
    "conflicts": 1,
    "unknown-template": 2,
    "unknown-version": 2,
    "newer-than-installed": 2,
}


@dataclass(frozen=True)
class CheckResult:
    """Whether a generated repo is on the template version this scaffold ships.

    `reason` is one of `EXIT_CODES`' keys; `message` says it in a sentence; `conflicts` lists the
    files with conflict markers and the `.rej` files.
    """

    destination: Path
    template: str
    recorded_version: str
    latest_version: str
    up_to_date: bool
    reason: str = "up-to-date"
    message: str = ""
    conflicts: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 up to date, 1 behind or conflicts remain, 2 the repo cannot be judged."""
        return EXIT_CODES[self.reason]


def check_project(*, directory: Path) -> CheckResult:
    """Judge a generated repo against this scaffold's template version.

    Raises `NotAGeneratedRepoError` (exit 2) when there is no readable answers file; every other
    state is a `CheckResult` with its `reason`.
    """
    directory = directory.absolute()
    recorded = read_answers(directory)
    source = locate()
    latest = source.version
    template = str(recorded["template"])
    current = str(recorded["_commit"])

    def result(reason: str, message: str, conflicts: tuple[str, ...] = ()) -> CheckResult:
        return CheckResult(
            directory, template, current, latest, reason == "up-to-date", reason, message, conflicts
        )

    if template not in {info.name for info in load_catalog(source.root)}:
        return result(
            "unknown-template", f"the recorded template '{template}' is not in this scaffold's catalog"
        )
    current_key, latest_key = version_key(current), version_key(latest)
    if current_key is None or latest_key is None:
        return result(
            "unknown-version", f"the recorded template version '{current}' is not a release version"
        )
    if current_key > latest_key:
        return result(
            "newer-than-installed",
            f"the repo is on template version {current}, newer than this scaffold's {latest}: "
            f"upgrade scaffold ({UPGRADE_HINT})",
        )
    conflicts = tuple(conflicts_among(directory, project_files(directory)))
    if conflicts:
        listed = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
        return result(
            "conflicts",
            f"{len(conflicts)} file(s) hold unresolved conflicts ({listed}): resolve them, then commit",
            conflicts,
        )
    if current_key < latest_key:
        return result(
            "behind", f"{template} is behind: on {current}, latest {latest}. Run 'scaffold update'."
        )
    return result("up-to-date", f"{template} is up to date (template version {current}).")
