"""The one way scaffold runs git: every git call goes through `run`.

A missing git is the same one-line `GitError` everywhere; a failing command raises `GitError`
with git's last line of output, unless the caller asks to see the result (`check=False`).
This module uses only the standard library (the build hook loads it, see hatch_build.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .errors import GitError

MISSING = "git is not installed or not on PATH: scaffold needs git (https://git-scm.com/downloads)"


def run(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git *args` in `cwd`, capturing text output; `env` adds to the environment."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        if shutil.which("git") is None:
            raise GitError(MISSING) from None
        raise GitError(f"cannot run git in {cwd}: no such directory") from None
    except NotADirectoryError:
        raise GitError(f"cannot run git in {cwd}: not a directory") from None
    if check and done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise GitError(f"git {args[0]} failed in {cwd}: {lines[-1].strip()}")
    return done


def output(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """The stdout of a git command that must succeed."""
    return run(*args, cwd=cwd, env=env).stdout


def config(key: str, cwd: Path) -> str | None:
    """A git configuration value as git sees it from `cwd`, or None when unset."""
    done = run("config", "--get", key, cwd=cwd, check=False)
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def toplevel(path: Path) -> Path | None:
    """The work tree `path` lies in, if any."""
    done = run("rev-parse", "--show-toplevel", cwd=path, check=False)
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None
