"""Build the versioned template bundle that copier reads: a git bundle with one tag per version.

Copier takes template versions from git tags, and `copier update` must re-render the exact
template a repo was generated from. A clone of this repository may carry no tags, so the tags
are derived from the version file instead: each version is tagged at the LAST first-parent
commit whose version file names it (the commit a release of that version is built from).

This module uses only the standard library and git: the build hook (`hatch_build.py`) loads it
by path to put the bundle into the wheel, and a development checkout builds it on demand.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

VERSION_FILE = "src/scaffold/_version.py"
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


class BundleError(RuntimeError):
    """Git failed while reading the history or writing the bundle."""


def git(*args: str, cwd: Path) -> str:
    """Run git and return its stdout; raise `BundleError` with git's message on failure."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BundleError("git is not installed: scaffold needs git to version templates") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
        raise BundleError(f"git {args[0]} failed in {cwd}: {message[-1]}")
    return done.stdout


def parse_version(text: str) -> str | None:
    """The `__version__` string assigned in a version file's text, if any."""
    match = _VERSION.search(text)
    return match.group(1) if match else None


def version_tags(repo: Path, version_file: str = VERSION_FILE) -> dict[str, str]:
    """Map every version in the version file's first-parent history to the commit to tag."""
    commits = git("rev-list", "--first-parent", "HEAD", cwd=repo).split()
    position = {sha: i for i, sha in enumerate(commits)}  # 0 is HEAD, higher is older
    changes = git("log", "--first-parent", "--format=%H", "HEAD", "--", version_file, cwd=repo).split()
    tags: dict[str, str] = {}
    newer_change: str | None = None
    for change in changes:  # newest first
        version = parse_version(git("show", f"{change}:{version_file}", cwd=repo))
        last = commits[0] if newer_change is None else commits[position[newer_change] + 1]
        if version and version not in tags:
            tags[version] = last
        newer_change = change
    return tags


def build_bundle(repo: Path, out: Path, version_file: str = VERSION_FILE) -> dict[str, str]:
    """Write a bundle of `repo`'s HEAD history with derived version tags to `out`.

    Returns the tags written (version -> commit). The repository itself is not changed: the
    tags are made in a throwaway clone that borrows the repository's objects.
    """
    repo = Path(repo).resolve()
    tags = version_tags(repo, version_file)
    if not tags:
        raise BundleError(f"no version found in the history of {version_file} in {repo}")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scaffold-bundle-") as tmp:
        clone = Path(tmp) / "src.git"
        git("clone", "--quiet", "--bare", "--shared", str(repo), str(clone), cwd=Path(tmp))
        for ref in git("for-each-ref", "--format=%(refname)", cwd=clone).split():
            git("update-ref", "-d", ref, cwd=clone)
        git("update-ref", "refs/heads/main", head, cwd=clone)
        git("symbolic-ref", "HEAD", "refs/heads/main", cwd=clone)
        for version, sha in tags.items():
            git("tag", version, sha, cwd=clone)
        partial = out.with_name(out.name + ".partial")
        git("bundle", "create", "--quiet", str(partial), "--all", cwd=clone)
        partial.replace(out)
    return tags


def bundle_tags(bundle: Path) -> dict[str, str]:
    """The version tags a bundle holds (version -> commit); empty when it is unreadable.

    git looks for a repository around its working directory even to read a bundle, and fails on a
    broken one (uv's cache, for one, holds a `.git` file that is not a repository), so it runs in
    the bundle's folder with the search stopped there.
    """
    folder = Path(bundle).resolve().parent
    try:
        done = subprocess.run(
            ["git", "bundle", "list-heads", str(bundle)],
            cwd=folder,
            env={**os.environ, "GIT_CEILING_DIRECTORIES": str(folder.parent)},
            capture_output=True,
            text=True,
            check=False,
        )
    except (FileNotFoundError, NotADirectoryError):
        return {}
    tags: dict[str, str] = {}
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        sha, _, ref = line.partition(" ")
        if ref.startswith("refs/tags/"):
            tags[ref.removeprefix("refs/tags/")] = sha
    return tags
