"""What `new`, `update` and `check` share: the answers file, copier calls and conflict markers."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml

from . import _git
from .errors import GenerationError, NotAGeneratedRepoError, ScaffoldError

ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
UPGRADE_HINT = "pipx upgrade scaffold-ml, or uv tool upgrade scaffold-ml"


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
        raise NotAGeneratedRepoError(f"{path} is corrupt: {first}", reason="corrupt-answers") from None
    if not isinstance(recorded, dict):
        raise NotAGeneratedRepoError(
            f"{path} is corrupt: it is not a mapping of answers", reason="corrupt-answers"
        )
    missing = [key for key in ("_src_path", "_commit", "template") if not recorded.get(key)]
    if missing:
        raise NotAGeneratedRepoError(
            f"{path} is corrupt: it lacks {', '.join(missing)}", reason="corrupt-answers"
        )
    return recorded


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def has_conflict_markers(path: Path) -> bool:
    """Whether a text file holds a line starting with a conflict marker (binary files never do)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if b"\0" in data[:8192]:
        return False
    text = data.decode("utf-8", errors="replace")
    return any(line.startswith(CONFLICT_MARKERS) for line in text.splitlines())


def conflicts_among(directory: Path, names: list[str]) -> list[str]:
    """The files among `names` that are `.rej` files or hold conflict markers."""
    return [name for name in names if name.endswith(".rej") or has_conflict_markers(directory / name)]


def project_files(directory: Path) -> list[str]:
    """The files of a project that git tracks or would track (untracked but not ignored)."""
    if _git.toplevel(directory) is None:
        skip = {".git", ".venv", "node_modules", "__pycache__"}
        return sorted(
            p.relative_to(directory).as_posix()
            for p in directory.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(directory).parts)
        )
    listed = _git.output("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=directory)
    return sorted({name for name in listed.split("\0") if name and (directory / name).is_file()})


def run_copier(operation: Literal["run_copy", "run_update"], *args: str, **options: Any) -> None:
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
