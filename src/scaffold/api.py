"""The scaffold library: list, new, update and check. Returns data, never prints.

Copier is imported only inside `new_project` and `update_project`, so listing stays fast.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from . import answers as answers_mod
from .catalog import (
    CareerPath,
    Question,
    TemplateInfo,
    find_template,
    load_catalog,
    load_paths,
    load_questions,
)
from .errors import (
    DestinationError,
    DirtyRepoError,
    GenerationError,
    InvalidAnswerError,
    NotAGeneratedRepoError,
    ScaffoldError,
    TemplateSourceError,
    UsageError,
)
from .source import (
    BUNDLE_REF,
    TemplateSource,
    ensure_bundle,
    locate,
    uncommitted_template_changes,
    version_key,
)

ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_START = "<<<<<<< "
CONFLICT_END = ">>>>>>> "


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


@dataclass(frozen=True)
class UpdateResult:
    """What `update_project` changed; `conflicts` lists files left for the user to resolve."""

    destination: Path
    template: str
    from_version: str
    to_version: str
    changed: tuple[str, ...]
    conflicts: tuple[str, ...]
    pretend: bool
    up_to_date: bool = False


@dataclass(frozen=True)
class CheckResult:
    """Whether a generated repo is on the template version this scaffold ships."""

    destination: Path
    template: str
    recorded_version: str
    latest_version: str
    up_to_date: bool


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


def template_questions(*, template: str) -> list[Question]:
    """The questions scaffold asks for `template`, in order (shared ones first)."""
    source = locate()
    find_template(source.root, template)
    return [q for q in load_questions(source.root).values() if q.name != "template" and not q.computed]


def installed_version() -> str:
    """The template version that `new` generates and `update` brings repos to."""
    return locate().version


def resolve_answers(
    *, template: str, data: Mapping[str, Any], ask: answers_mod.Ask | None = None
) -> dict[str, Any]:
    """Every answer for `template`: `data` first, then `ask` (prompting) or the defaults.

    The user's git name and e-mail stand in for the author defaults when git has them.
    """
    source = locate()
    find_template(source.root, template)
    bad = sorted(k for k in data if k.startswith("_") or k == "template")
    if bad:
        raise InvalidAnswerError(f"{', '.join(bad)} cannot be set with --data")
    questions = load_questions(source.root)
    return answers_mod.resolve(
        questions, {**data, "template": template}, suggested=answers_mod.git_identity(), ask=ask
    )


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())


def _run_copier(operation: Literal["run_copy", "run_update"], *args: str, **options: Any) -> None:
    """Call copier (imported here, lazily) quietly and non-interactively.

    The library reports through its results, so copier's output and warnings are silenced; any
    copier failure becomes a one-line `GenerationError`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import copier

        try:
            getattr(copier, operation)(
                *args, defaults=True, overwrite=True, quiet=True, unsafe=False, **options
            )
        except (KeyboardInterrupt, ScaffoldError):
            raise
        except Exception as error:
            lines = [line for line in str(error).strip().splitlines() if line.strip()]
            message = lines[-1] if lines else type(error).__name__
            raise GenerationError(f"copier failed: {message}") from error


def _render(source: TemplateSource, answers: Mapping[str, Any], into: Path) -> None:
    """Render the template at this install's version into the empty directory `into`."""
    ensure_bundle(source)
    _run_copier("run_copy", BUNDLE_REF, str(into), data=dict(answers), vcs_ref=source.version)
    for path in into.rglob("*"):
        if path.is_symlink() and not path.resolve().is_relative_to(into.resolve()):
            raise GenerationError(f"the template wrote a link outside the project: {path.name}")


def _git(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise TemplateSourceError("git is not installed: scaffold needs git") from None


def _enclosing_repo(path: Path) -> Path | None:
    """The work tree `path` lies in, if any."""
    done = _git("rev-parse", "--show-toplevel", cwd=path)
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None


def _init_git(destination: Path, answers: Mapping[str, Any], message: str) -> None:
    """`git init` (honouring init.defaultBranch) and a first commit of everything generated."""
    env = {}
    identity = answers_mod.git_identity()
    if "author_name" not in identity:
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = str(answers.get("author_name", "scaffold"))
    if "author_email" not in identity:
        email = str(answers.get("author_email", "scaffold@localhost"))
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = email
    for args in (("init", "--quiet"), ("add", "--all"), ("commit", "--quiet", "--no-verify", "-m", message)):
        done = _git(*args, cwd=destination, env=env)
        if done.returncode != 0:
            raise GenerationError(f"git {args[0]} failed in {destination}: {done.stderr.strip()}")


def _display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _next_steps(destination: Path, answers: Mapping[str, Any], git_initialized: bool) -> list[str]:
    where = _display_path(destination)
    steps = [f"cd {shlex.quote(where)}"]
    if not git_initialized:
        steps.append('git init && git add -A && git commit -m "Start from scaffold"')
    steps += [
        "make setup      # .venv with the project and its dev tools",
        "make test       # the project's own tests",
    ]
    services = {"redis": "Redis (redis-server)", "postgresql": "PostgreSQL"}
    for value in answers.values():
        if isinstance(value, str) and value in services:
            steps.append(f"# the tests start a throwaway {services[value]} when it is installed")
    steps += [
        "make eval       # results/metrics.json, results/report.md and the plots",
        "make report     # writes the numbers into README.md (results block, resume line)",
        "make serve      # the API on http://127.0.0.1:8000",
    ]
    return steps


def _command_line(template: str, destination: Path, chosen: Mapping[str, Any], no_git: bool) -> str:
    """The non-interactive command that generates the same project from the `chosen` answers."""
    parts = ["scaffold", "new", template, _display_path(destination), "--defaults"]
    for name, value in chosen.items():
        if name != "template":
            parts += ["--data", f"{name}={value}"]
    if no_git:
        parts.append("--no-git")
    return shlex.join(parts)


def _chosen_answers(template: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The prompted answers that differ from what `--defaults` would pick."""
    defaults = resolve_answers(template=template, data={})
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
    """Generate a new project from `template` into `destination` (default: the project name).

    `data` are the user's answers (validated; the rest come from defaults); `answers`, if given,
    is a complete set already resolved (by the interactive prompts). Rendering happens in a
    temporary directory beside the destination, so an error or Ctrl-C leaves nothing behind.
    With `force`, a non-empty destination is allowed; any file it already has that the template
    also writes is kept beside it as `<name>.orig`.
    """
    source = locate()
    find_template(source.root, template)
    resolved = dict(answers) if answers is not None else resolve_answers(template=template, data=data or {})
    dest = Path(destination if destination is not None else resolved["project_name"]).expanduser()
    dest = dest.absolute()
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest} exists and is not a directory")
    if dest.exists() and not force and not _is_empty_dir(dest):
        raise DestinationError(f"{dest} exists and is not empty: choose another DEST or pass --force")
    if not dest.parent.is_dir():
        raise DestinationError(f"the parent folder {dest.parent} does not exist")
    notes = [
        f"uncommitted template change not included: {path} (commit it to generate from it)"
        for path in uncommitted_template_changes(source)
    ]
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.scaffold-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the project folder should not be
    try:
        _render(source, resolved, staging)
        files = _relative_files(staging)
        backups: list[str] = []
        git_initialized = False
        if not pretend:
            backups = _move_into(staging, dest)
            if git:
                git_initialized, note = _maybe_init_git(dest, resolved, template, source.version)
                if note:
                    notes.append(note)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
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
        next_steps=tuple(_next_steps(dest, resolved, git_initialized)),
        command_line=_command_line(
            template,
            dest,
            dict(data or {}) if answers is None else _chosen_answers(template, resolved),
            not git,
        ),
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


def _maybe_init_git(dest: Path, answers: Mapping[str, Any], template: str, version: str) -> tuple[bool, str]:
    enclosing = _enclosing_repo(dest)
    if enclosing == dest.resolve():
        return False, f"{dest} is already a git repository: review and commit the generated files"
    if enclosing is not None:
        return False, f"{dest} is inside the git repository {enclosing}: skipped git init"
    _init_git(dest, answers, f"Start {answers['project_name']} from scaffold template {template} {version}")
    return True, ""


def read_answers(directory: Path) -> dict[str, Any]:
    """The copier answers recorded in a generated repo, or a clear error."""
    path = directory / ANSWERS_FILE
    if not directory.is_dir():
        raise NotAGeneratedRepoError(f"{directory} is not a directory")
    if not path.is_file():
        raise NotAGeneratedRepoError(f"{directory} is not a scaffold project: it has no {ANSWERS_FILE}")
    try:
        recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise NotAGeneratedRepoError(f"{path} is corrupt: {first}") from None
    if not isinstance(recorded, dict):
        raise NotAGeneratedRepoError(f"{path} is corrupt: it is not a mapping of answers")
    missing = [key for key in ("_src_path", "_commit", "template") if not recorded.get(key)]
    if missing:
        raise NotAGeneratedRepoError(f"{path} is corrupt: it lacks {', '.join(missing)}")
    return recorded


def check_project(*, directory: Path) -> CheckResult:
    """Compare the template version a repo records with the version this scaffold ships."""
    directory = directory.absolute()
    recorded = read_answers(directory)
    latest = locate().version
    current = str(recorded["_commit"])
    current_key, latest_key = version_key(current), version_key(latest)
    up_to_date = current_key is not None and latest_key is not None and current_key >= latest_key
    return CheckResult(
        destination=directory,
        template=str(recorded["template"]),
        recorded_version=current,
        latest_version=latest,
        up_to_date=up_to_date,
    )


def _require_clean_repo(directory: Path) -> None:
    inside = _git("rev-parse", "--is-inside-work-tree", cwd=directory)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise DirtyRepoError(
            f"{directory} is not a git repository: update merges through git; run "
            "'git init && git add -A && git commit -m \"Start\"' first"
        )
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=directory)
    if status.stdout.strip():
        count = len(status.stdout.strip().splitlines())
        raise DirtyRepoError(
            f"{directory} has {count} uncommitted change(s): commit them "
            "('git add -A && git commit') or stash them ('git stash -u') before updating"
        )


def _conflicts(directory: Path, changed: list[str]) -> list[str]:
    found = []
    for name in changed:
        path = directory / name
        if name.endswith(".rej"):
            found.append(name)
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if any(line.startswith(CONFLICT_START) for line in lines) and any(
            line.startswith(CONFLICT_END) for line in lines
        ):
            found.append(name)
    return found


def _changed_files(directory: Path) -> list[str]:
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=directory)
    names = []
    for line in status.stdout.splitlines():
        name = line[3:]
        if " -> " in name:
            name = name.split(" -> ", 1)[1]
        names.append(name.strip('"'))
    return sorted(names)


def update_project(
    *,
    directory: Path,
    data: Mapping[str, Any] | None = None,
    conflict: Literal["inline", "rej"] = "inline",
    pretend: bool = False,
) -> UpdateResult:
    """Bring a generated repo to this scaffold's template version, keeping the user's edits.

    Copier re-renders the recorded version with the recorded answers, diffs that against the
    repo, and re-applies the user's changes on top of the new version; where both changed the
    same lines, conflict markers (or `.rej` files) are left for the user. With `pretend`, the
    update runs in a throwaway clone and the repo is not touched.
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
            f"{source.version}: upgrade scaffold (pip install -U scaffold)"
        )
    given = dict(data or {})
    questions = load_questions(source.root)
    for name in given:
        if name.startswith("_") or name == "template" or name not in questions:
            raise InvalidAnswerError(f"--data {name}: no such question can be changed")
        given[name] = answers_mod.coerce(questions[name], given[name])
    _require_clean_repo(directory)
    if from_key is not None and from_key == to_key and not given:
        return UpdateResult(directory, template, from_version, source.version, (), (), pretend, True)
    bundle = ensure_bundle(source)
    from . import _bundle

    if from_version not in _bundle.bundle_tags(bundle):
        raise TemplateSourceError(
            f"the template source {BUNDLE_REF} lacks version {from_version}, which {directory} "
            "was generated from: install a scaffold release that ships it, then update again"
        )
    if pretend:
        with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as tmp:
            clone = Path(tmp) / directory.name
            done = _git("clone", "--quiet", str(directory), str(clone), cwd=Path(tmp))
            if done.returncode != 0:
                raise GenerationError(f"cannot clone {directory} to try the update: {done.stderr.strip()}")
            return _run_update(clone, source, template, from_version, given, conflict, True, directory)
    return _run_update(directory, source, template, from_version, given, conflict, False, directory)


def _run_update(
    workdir: Path,
    source: TemplateSource,
    template: str,
    from_version: str,
    given: Mapping[str, Any],
    conflict: Literal["inline", "rej"],
    pretend: bool,
    reported_as: Path,
) -> UpdateResult:
    _run_copier(
        "run_update",
        str(workdir),
        data=dict(given),
        vcs_ref=source.version,
        skip_answered=True,
        conflict=conflict,
    )
    changed = _changed_files(workdir)
    return UpdateResult(
        destination=reported_as,
        template=template,
        from_version=from_version,
        to_version=source.version,
        changed=tuple(changed),
        conflicts=tuple(_conflicts(workdir, changed)),
        pretend=pretend,
    )
