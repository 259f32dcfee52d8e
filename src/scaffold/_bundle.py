"""Build the versioned template bundle that copier reads: a git bundle with one tag per version.

Copier takes template versions from git tags, and `copier update` must re-render the exact
template a repo was generated from. A clone of this repository may carry no tags, so the tags
are derived from the version file instead: each version is tagged at the LAST first-parent
commit whose version file names it (the commit a release of that version is built from).

A bundle is never written in place: each writer renders into its own temporary folder beside the
target and moves the finished file over it with one atomic `os.replace`, so a reader sees the old
bundle or the new one, never half of one. A rebuilt bundle also carries every tag of the bundle it
replaces that it lacks itself, so an older scaffold never drops a newer one's versions.

This module needs only the standard library, git and its sibling modules `_git` and `errors`:
the build hook (`hatch_build.py`) loads it to put the bundle into the wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import _git
from .errors import TemplateSourceError

VERSION_FILE = "src/scaffold/_version.py"
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


class BundleError(TemplateSourceError):
    """The history holds no version, or the bundle cannot be written."""


def parse_version(text: str) -> str | None:
    """The `__version__` string assigned in a version file's text, if any."""
    match = _VERSION.search(text)
    return match.group(1) if match else None


def version_tags(repo: Path, version_file: str = VERSION_FILE) -> dict[str, str]:
    """Map every version in the version file's first-parent history to the commit to tag."""
    commits = _git.output("rev-list", "--first-parent", "HEAD", cwd=repo).split()
    position = {sha: i for i, sha in enumerate(commits)}  # 0 is HEAD, higher is older
    log = ("log", "--first-parent", "--format=%H", "HEAD", "--", version_file)
    changes = _git.output(*log, cwd=repo).split()
    tags: dict[str, str] = {}
    newer_change: str | None = None
    for change in changes:  # newest first
        version = parse_version(_git.output("show", f"{change}:{version_file}", cwd=repo))
        last = commits[0] if newer_change is None else commits[position[newer_change] + 1]
        if version and version not in tags:
            tags[version] = last
        newer_change = change
    return tags


def bundle_tags(bundle: Path) -> dict[str, str]:
    """The version tags a bundle holds (version -> commit); empty when it is missing or unreadable.

    git looks for a repository around its working directory even to read a bundle, and fails on a
    broken one (uv's cache, for one, holds a `.git` file that is not a repository), so it runs in
    the bundle's folder with the search stopped there.
    """
    bundle = Path(bundle)
    if not bundle.is_file():
        return {}
    folder = bundle.resolve().parent
    done = _git.run(
        "bundle",
        "list-heads",
        str(bundle.resolve()),
        cwd=folder,
        env={"GIT_CEILING_DIRECTORIES": str(folder.parent)},
        check=False,
    )
    tags: dict[str, str] = {}
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        sha, _, ref = line.partition(" ")
        if ref.startswith("refs/tags/"):
            tags[ref.removeprefix("refs/tags/")] = sha
    return tags


def _replace_atomically(out: Path, produce: Callable[[Path], None]) -> None:
    """Let `produce` write a file in a private folder beside `out`, then move it over `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        written = scratch / out.name
        produce(written)
        os.replace(written, out)
    except OSError as error:
        raise BundleError(f"cannot write the template bundle {out}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _keep_missing_tags(clone: Path, have: dict[str, str], keep_from: Path | None) -> None:
    """Fetch into `clone` every tag of the bundle `keep_from` that `have` lacks."""
    if keep_from is None:
        return
    missing = sorted(set(bundle_tags(keep_from)) - set(have))
    if missing:
        refspecs = [f"refs/tags/{tag}:refs/tags/{tag}" for tag in missing]
        _git.output("fetch", "--quiet", "--no-tags", str(keep_from.resolve()), *refspecs, cwd=clone)


def build_bundle(
    repo: Path, out: Path, version_file: str = VERSION_FILE, *, keep_from: Path | None = None
) -> dict[str, str]:
    """Write a bundle of `repo`'s HEAD history with derived version tags to `out`, atomically.

    Returns the tags derived from `repo` (version -> commit). Tags of the bundle `keep_from` that
    `repo` does not derive are carried over. The repository itself is not changed: the tags are
    made in a throwaway clone that borrows the repository's objects.
    """
    repo = Path(repo).resolve()
    tags = version_tags(repo, version_file)
    if not tags:
        raise BundleError(f"no version found in the history of {version_file} in {repo}")
    head = _git.output("rev-parse", "HEAD", cwd=repo).strip()

    def produce(written: Path) -> None:
        clone = written.parent / "src.git"
        _git.output("clone", "--quiet", "--bare", "--shared", str(repo), str(clone), cwd=written.parent)
        for ref in _git.output("for-each-ref", "--format=%(refname)", cwd=clone).split():
            _git.output("update-ref", "-d", ref, cwd=clone)
        _git.output("update-ref", "refs/heads/main", head, cwd=clone)
        _git.output("symbolic-ref", "HEAD", "refs/heads/main", cwd=clone)
        for version, sha in tags.items():
            _git.output("tag", version, sha, cwd=clone)
        _keep_missing_tags(clone, tags, keep_from)
        _git.output("bundle", "create", "--quiet", str(written), "--all", cwd=clone)

    _replace_atomically(out, produce)
    return tags


def install_bundle(shipped: Path, out: Path, *, keep_from: Path | None = None) -> None:
    """Write the bundle `shipped` to `out` atomically, with the tags of `keep_from` it lacks."""
    shipped_tags = bundle_tags(shipped)
    extra = keep_from is not None and bool(set(bundle_tags(keep_from)) - set(shipped_tags))

    def produce(written: Path) -> None:
        if not extra:
            shutil.copyfile(shipped, written)
            return
        clone = written.parent / "src.git"
        _git.output("clone", "--quiet", "--bare", str(shipped.resolve()), str(clone), cwd=written.parent)
        _keep_missing_tags(clone, shipped_tags, keep_from)
        _git.output("bundle", "create", "--quiet", str(written), "--all", cwd=clone)

    _replace_atomically(out, produce)
