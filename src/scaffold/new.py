"""`new`: resolve the answers, check the destination, render, move into place, `git init`."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _git
from . import answers as answers_mod
from ._project import display_path, run_copier
from .catalog import find_template, load_guide
from .errors import DestinationError, GenerationError, InvalidAnswerError
from .questions import load_questions, placeholders
from .source import BUNDLE_REF, TemplateSource, ensure_bundle, locate, uncommitted_template_changes

DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class NewProjectResult:
    """What `new_project` generated (or, with `pretend`, would generate)."""

    destination: Path
    template: str
    version: str
    answers: dict[str, Any]
    files: tuple[str, ...]
    pretend: bool
    git_initialized: bool
    backups: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    command_line: str = ""


def resolve_answers(
    *,
    template: str,
    data: Mapping[str, Any],
    ask: answers_mod.Ask | None = None,
    destination: Path | None = None,
) -> dict[str, Any]:
    """Every answer for `template`: `data` first, then `ask` (prompting) or the defaults.

    The user's git name and e-mail stand in for the author defaults when git has them. With a
    `destination` and no `project_name` in `data`, the project is named after its folder.
    """
    source = locate()
    find_template(source.root, template)
    bad = sorted(k for k in data if k.startswith("_") or k == "template")
    if bad:
        raise InvalidAnswerError(f"{', '.join(bad)} cannot be set with --data")
    defaults = {}
    if destination is not None and "project_name" not in data:
        name = Path(destination).expanduser().absolute().name
        defaults["project_name"] = (name, f"the name of DEST {name}")
    return answers_mod.resolve(
        load_questions(source.root),
        {**data, "template": template},
        suggested=answers_mod.git_identity(),
        defaults=defaults,
        ask=ask,
    )


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def check_destination(destination: Path, *, force: bool = False) -> Path:
    """The absolute destination, or a `DestinationError` saying why nothing can be written there."""
    dest = Path(destination).expanduser().absolute()
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest} exists and is not a directory")
    if dest.exists() and not force and not _is_empty_dir(dest):
        raise DestinationError(f"{dest} exists and is not empty: choose another DEST or pass --force")
    if not dest.parent.is_dir():
        raise DestinationError(f"the parent folder {dest.parent} does not exist")
    if not os.access(dest.parent, os.W_OK | os.X_OK) or (dest.exists() and not os.access(dest, os.W_OK)):
        raise DestinationError(f"cannot write to {dest}: permission denied")
    return dest


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())


def _render(source: TemplateSource, answers: Mapping[str, Any], into: Path) -> None:
    """Render the template at this install's version into the empty directory `into`."""
    ensure_bundle(source)
    run_copier("run_copy", BUNDLE_REF, str(into), data=dict(answers), vcs_ref=source.version)
    for path in into.rglob("*"):
        if path.is_symlink() and not path.resolve().is_relative_to(into.resolve()):
            raise GenerationError(f"the template wrote a link outside the project: {path.name}")


def _placeholder_notes(answers: Mapping[str, Any]) -> list[str]:
    names = placeholders(answers)
    if not names:
        return []
    held = ", ".join(f"{name}={answers[name]!r}" for name in names)
    return [
        f"still placeholders: {held}; links and metadata that use them point nowhere: "
        f"fix them with '{_placeholder_fix(names)}'"
    ]


def _placeholder_fix(names: list[str]) -> str:
    return "scaffold update " + " ".join(f"--data {name}=..." for name in names)


def _next_steps(
    source: TemplateSource,
    template: str,
    destination: Path,
    answers: Mapping[str, Any],
    git_initialized: bool,
) -> list[str]:
    guide = load_guide(source.root, template)
    steps = [f"cd {shlex.quote(display_path(destination))}"]
    if not git_initialized:
        steps.append('git init && git add -A && git commit -m "Start from scaffold"')
    if placeholders(answers):
        steps.append(f"{_placeholder_fix(placeholders(answers))}   # replace the placeholders")
    steps += list(guide.next_steps)
    for service in guide.services_for(answers):
        steps.append(f"# the tests start a throwaway {service} when it is installed")
    return steps


def _command_line(template: str, destination: Path, chosen: Mapping[str, Any], no_git: bool) -> str:
    """The non-interactive command that generates the same project from the `chosen` answers."""
    parts = ["scaffold", "new", template, display_path(destination), "--defaults"]
    for name, value in chosen.items():
        if name != "template":
            parts += ["--data", f"{name}={value}"]
    if no_git:
        parts.append("--no-git")
    return shlex.join(parts)


def _chosen_answers(template: str, destination: Path, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The prompted answers that differ from what `--defaults` would pick for this DEST."""
    defaults = resolve_answers(template=template, data={}, destination=destination)
    return {name: value for name, value in answers.items() if value != defaults.get(name)}


def new_project(
    *,
    template: str,
    destination: Path | None = None,
    data: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    git: bool = True,
    pretend: bool = False,
    force: bool = False,
) -> NewProjectResult:
    """Generate a new project from `template` into `destination` (default: ./<project_name>).

    `data` are the user's answers (validated; the rest come from defaults, and the project name
    from the destination's folder name); `answers`, if given, is a complete set already resolved
    (by the interactive prompts). Rendering happens in a temporary directory beside the
    destination, so an error or Ctrl-C leaves nothing behind. With `force`, a non-empty
    destination is allowed; any file it already has that the template also writes is kept beside
    it as `<name>.orig`, and only the generated files are committed.
    """
    source = locate()
    find_template(source.root, template)
    if answers is not None:
        resolved = dict(answers)
    else:
        resolved = resolve_answers(template=template, data=data or {}, destination=destination)
    dest = check_destination(Path(destination or resolved["project_name"]), force=force)
    notes = [
        f"uncommitted template change not included: {path} (commit it to generate from it)"
        for path in uncommitted_template_changes(source)
    ]
    notes += _placeholder_notes(resolved)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.scaffold-", dir=dest.parent))
    except OSError as error:
        raise DestinationError(f"cannot write to {dest.parent}: {error.strerror}") from None
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the project folder should not be
    git_initialized = False
    backups: list[str] = []
    try:
        _render(source, resolved, staging)
        files = _relative_files(staging)
        if not pretend:
            try:
                backups = _move_into(staging, dest)
            except OSError as error:
                raise DestinationError(f"cannot write to {dest}: {error.strerror}") from None
            if git:
                git_initialized, note = _maybe_init_git(dest, resolved, template, source.version, files)
                if note:
                    notes.append(note)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    chosen = dict(data or {}) if answers is None else _chosen_answers(template, dest, resolved)
    return NewProjectResult(
        destination=dest,
        template=template,
        version=source.version,
        answers=resolved,
        files=tuple(files),
        pretend=pretend,
        git_initialized=git_initialized,
        backups=tuple(backups),
        warnings=tuple(notes),
        next_steps=tuple(_next_steps(source, template, dest, resolved, git_initialized)),
        command_line=_command_line(template, dest, chosen, not git),
    )


def _move_into(staging: Path, dest: Path) -> list[str]:
    """Move the rendered tree into `dest`; return the files kept aside as `<name>.orig`."""
    if not dest.exists() or _is_empty_dir(dest):
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
        return []
    backups = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file() or p.is_symlink()):
        relative = path.relative_to(staging)
        target = dest / relative
        if target.is_dir() and not target.is_symlink():
            raise DestinationError(f"{target} is a directory; the template writes a file there")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            backup = target.with_name(target.name + ".orig")
            if not backup.exists():
                target.rename(backup)
                backups.append(backup.relative_to(dest).as_posix())
        path.replace(target)
    return backups


def _maybe_init_git(
    dest: Path, answers: Mapping[str, Any], template: str, version: str, files: list[str]
) -> tuple[bool, str]:
    enclosing = _git.toplevel(dest)
    if enclosing == dest.resolve():
        return False, f"{dest} is already a git repository: review and commit the generated files"
    if enclosing is not None:
        return False, f"{dest} is inside the git repository {enclosing}: skipped git init"
    _init_git(
        dest, answers, files, f"Start {answers['project_name']} from scaffold template {template} {version}"
    )
    return True, ""


def _init_git(destination: Path, answers: Mapping[str, Any], files: list[str], message: str) -> None:
    """`git init` on `init.defaultBranch` (else `main`), then a first commit of the generated `files`.

    Only the generated files are committed: with `--force`, whatever the folder held before
    stays untracked for the user to decide about.
    """
    env = {}
    identity = answers_mod.git_identity()
    if "author_name" not in identity:
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = str(answers.get("author_name", "scaffold"))
    if "author_email" not in identity:
        email = str(answers.get("author_email", "scaffold@localhost"))
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = email
    branch = _git.config("init.defaultBranch", cwd=destination) or DEFAULT_BRANCH
    _git.run("init", "--quiet", f"--initial-branch={branch}", cwd=destination)
    addable = _git.output("ls-files", "-z", "--others", "--exclude-standard", cwd=destination).split("\0")
    generated = sorted(set(files) & set(addable))  # the template's own .gitignore still applies
    _git.run(
        "add", "--pathspec-from-file=-", "--pathspec-file-nul", cwd=destination, stdin="\0".join(generated)
    )
    _git.run("commit", "--quiet", "--no-verify", "-m", message, cwd=destination, env=env)
