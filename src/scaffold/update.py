"""`update`: bring a generated repo to this install's template version, keeping the user's edits."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from . import _bundle, _git
from . import answers as answers_mod
from ._project import ANSWERS_FILE, UPGRADE_HINT, conflicts_among, read_answers, run_copier
from .errors import DirtyRepoError, InvalidAnswerError, TemplateSourceError
from .questions import load_questions
from .source import BUNDLE_REF, TemplateSource, ensure_bundle, locate, version_key

Conflict = Literal["inline", "rej"]
_NAMED_DIRTY_FILES = 5


@dataclass(frozen=True)
class UpdateResult:
    """What `update_project` changed; `conflicts` lists files left for the user to resolve.

    `conflict` is how conflicts were left: inline markers or `.rej` files.
    """

    destination: Path
    template: str
    from_version: str
    to_version: str
    changed: tuple[str, ...]
    conflicts: tuple[str, ...]
    pretend: bool
    up_to_date: bool = False
    conflict: Conflict = "inline"


def _status(directory: Path) -> list[str]:
    """The paths `git status` reports (untracked files included), renames by their new name."""
    status = _git.output("status", "--porcelain", "--untracked-files=all", cwd=directory)
    names = []
    for line in status.splitlines():
        name = line[3:]
        if " -> " in name:
            name = name.split(" -> ", 1)[1]
        names.append(name.strip('"'))
    return sorted(names)


def _require_git_repo(directory: Path) -> None:
    inside = _git.run("rev-parse", "--is-inside-work-tree", cwd=directory, check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise DirtyRepoError(
            f"{directory} is not a git repository: update merges through git; run "
            "'git init && git add -A && git commit -m \"Start\"' first"
        )


def _require_clean_repo(directory: Path) -> None:
    dirty = _status(directory)
    if dirty:
        named = ", ".join(dirty[:_NAMED_DIRTY_FILES])
        more = f" and {len(dirty) - _NAMED_DIRTY_FILES} more" if len(dirty) > _NAMED_DIRTY_FILES else ""
        raise DirtyRepoError(
            f"{directory} has {len(dirty)} uncommitted change(s) ({named}{more}): commit them "
            "('git add -A && git commit') or stash them ('git stash -u') before updating"
        )


def update_project(
    *,
    directory: Path,
    data: Mapping[str, Any] | None = None,
    conflict: Conflict = "inline",
    pretend: bool = False,
) -> UpdateResult:
    """Bring a generated repo to this scaffold's template version, keeping the user's edits.

    Copier re-renders the recorded version with the recorded answers, diffs that against the
    repo, and re-applies the user's changes on top of the new version; where both changed the
    same lines, conflict markers (or `.rej` files) are left for the user. With `pretend`, the
    update runs in a throwaway clone of the last commit and the repo is not touched (so a dirty
    work tree is fine).
    """
    directory = directory.absolute()
    recorded = read_answers(directory)
    source = locate()
    template = str(recorded["template"])
    from_version = str(recorded["_commit"])
    if str(recorded["_src_path"]) != BUNDLE_REF:
        src = Path(str(recorded["_src_path"])).expanduser()
        if not src.exists():
            raise TemplateSourceError(
                f"the recorded template source {recorded['_src_path']} is missing: set "
                f"'_src_path: {BUNDLE_REF}' in {ANSWERS_FILE}, commit, and run scaffold update again"
            )
        raise TemplateSourceError(
            f"{directory} was generated from {recorded['_src_path']}, not from scaffold's "
            "templates: update it with 'copier update'"
        )
    from_key, to_key = version_key(from_version), version_key(source.version)
    if from_key is not None and to_key is not None and from_key > to_key:
        raise TemplateSourceError(
            f"{directory} is on template version {from_version}, newer than this scaffold's "
            f"{source.version}: upgrade scaffold ({UPGRADE_HINT})"
        )
    given = dict(data or {})
    questions = load_questions(source.root)
    for name in given:
        if name.startswith("_") or name == "template" or name not in questions:
            raise InvalidAnswerError(f"--data {name}: no such question can be changed")
        given[name] = answers_mod.coerce(questions[name], given[name])
    _require_git_repo(directory)
    if not pretend:
        _require_clean_repo(directory)
    if from_key is not None and from_key == to_key and not given:
        return UpdateResult(
            directory, template, from_version, source.version, (), (), pretend, True, conflict
        )
    bundle = ensure_bundle(source)
    if from_version not in _bundle.bundle_tags(bundle):
        raise TemplateSourceError(
            f"the template source {BUNDLE_REF} lacks version {from_version}, which {directory} "
            "was generated from: install a scaffold release that ships it, then update again"
        )
    if pretend:
        with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as tmp:
            clone = Path(tmp) / directory.name
            _git.run("clone", "--quiet", "--no-hardlinks", str(directory), str(clone), cwd=Path(tmp))
            return _run_update(clone, source, template, from_version, given, conflict, True, directory)
    return _run_update(directory, source, template, from_version, given, conflict, False, directory)


def _run_update(
    workdir: Path,
    source: TemplateSource,
    template: str,
    from_version: str,
    given: Mapping[str, Any],
    conflict: Conflict,
    pretend: bool,
    reported_as: Path,
) -> UpdateResult:
    run_copier(
        "run_update",
        str(workdir),
        data=dict(given),
        vcs_ref=source.version,
        skip_answered=True,
        conflict=conflict,
    )
    changed = _status(workdir)
    return UpdateResult(
        destination=reported_as,
        template=template,
        from_version=from_version,
        to_version=source.version,
        changed=tuple(changed),
        conflicts=tuple(conflicts_among(workdir, changed)),
        pretend=pretend,
        conflict=conflict,
    )
