"""Where the templates come from, and the versioned bundle that copier reads them from.

Every generated repo records `_src_path: ~/.scaffold/templates.bundle`, with a literal `~`:
copier stores the path as written and expands it when it reads it, so the record stays valid on
another machine or under another HOME. Before each use, scaffold makes sure the bundle there
holds this install's version at the right commit; each bundle holds every earlier version, so a
repo made by any older scaffold can be updated by any newer one, and plain `copier update` works.

Any number of scaffold processes, of any versions, may share one HOME: the check and the write
happen under a file lock, a writer replaces the bundle atomically (see `_bundle`), and a bundle
is only ever replaced by one that carries all of its tags.

Two kinds of install:
- a development checkout (or the checkout named by `SCAFFOLD_SOURCE`): the bundle is built from
  the checkout's committed history when its HEAD is not in the bundle yet;
- an installed wheel: the bundle was built at packaging time and ships inside the package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import _bundle, _git
from ._version import __version__
from .errors import TemplateSourceError

if TYPE_CHECKING:
    from packaging.version import Version

BUNDLE_REF = "~/.scaffold/templates.bundle"
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_BUNDLE = PACKAGE_DIR / "templates.bundle"
PACKAGED_ROOT = PACKAGE_DIR / "_template"


@dataclass(frozen=True)
class TemplateSource:
    """The template source of this install.

    `root` holds copier.yml and templates/ (read for questions and the catalog); `version` is
    the template version this install generates; `checkout` is set for a development checkout.
    """

    root: Path
    version: str
    checkout: Path | None = None


def _is_checkout(path: Path) -> bool:
    return (path / "copier.yml").is_file() and (path / "templates").is_dir() and (path / ".git").exists()


def locate() -> TemplateSource:
    """Find the template source: `SCAFFOLD_SOURCE`, the checkout this code runs from, or the wheel."""
    override = os.environ.get("SCAFFOLD_SOURCE")
    if override:
        checkout = Path(override).expanduser().resolve()
        if not _is_checkout(checkout):
            raise TemplateSourceError(
                f"SCAFFOLD_SOURCE={override} is not a git checkout holding copier.yml and templates/"
            )
        return TemplateSource(root=checkout, version=_checkout_version(checkout), checkout=checkout)
    repo = PACKAGE_DIR.parents[1]
    if _is_checkout(repo):
        return TemplateSource(root=repo, version=_checkout_version(repo), checkout=repo)
    if not (PACKAGED_ROOT / "copier.yml").is_file():
        raise TemplateSourceError(
            f"this scaffold install has no templates ({PACKAGED_ROOT} is missing): reinstall it"
        )
    return TemplateSource(root=PACKAGED_ROOT, version=__version__)


def _checkout_version(checkout: Path) -> str:
    """The version committed at the checkout's HEAD (the tag the bundle gives HEAD)."""
    done = _git.run("show", f"HEAD:{_bundle.VERSION_FILE}", cwd=checkout, check=False)
    if done.returncode != 0:
        raise TemplateSourceError(f"cannot read the template version of {checkout}: {done.stderr.strip()}")
    version = _bundle.parse_version(done.stdout)
    if version is None:
        raise TemplateSourceError(f"no __version__ in {_bundle.VERSION_FILE} at HEAD of {checkout}")
    return version


def bundle_path() -> Path:
    """The bundle every generated repo records, with `~` expanded for the current HOME."""
    return Path(BUNDLE_REF).expanduser()


def version_key(version: str) -> Version | None:
    """The PEP 440 version to compare, or None for a string that is no version."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return None


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<target>.lock` (a no-op where `fcntl` does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic replace alone
        yield
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _serves(existing: dict[str, str], wanted: dict[str, str]) -> bool:
    """Whether the bundle with tags `existing` already holds every tag in `wanted`, unchanged."""
    return all(existing.get(version) == commit for version, commit in wanted.items())


def ensure_bundle(source: TemplateSource) -> Path:
    """Make sure the bundle at `~/.scaffold/templates.bundle` serves `source.version`.

    Compare-before-write under a lock: the bundle is left alone when it already holds this
    install's version at the same commit; otherwise it is rewritten with this install's tags plus
    every tag of the present bundle that this install does not know (a newer scaffold's).
    """
    target = bundle_path()
    try:
        if source.checkout is not None:
            head = _git.output("rev-parse", "HEAD", cwd=source.checkout).strip()
            wanted = {source.version: head}
            if _serves(_bundle.bundle_tags(target), wanted):  # the common case: no lock needed
                return target
            with _locked(target):
                if not _serves(_bundle.bundle_tags(target), wanted):
                    _bundle.build_bundle(source.checkout, target, keep_from=target)
            return target
        if not PACKAGED_BUNDLE.is_file():
            raise TemplateSourceError(
                f"this scaffold install has no template bundle ({PACKAGED_BUNDLE}): reinstall it"
            )
        shipped = _bundle.bundle_tags(PACKAGED_BUNDLE)
        if source.version not in shipped:
            raise TemplateSourceError(
                f"the shipped template bundle lacks version {source.version}: reinstall scaffold"
            )
        if _serves(_bundle.bundle_tags(target), shipped):
            return target
        with _locked(target):
            if not _serves(_bundle.bundle_tags(target), shipped):
                _bundle.install_bundle(PACKAGED_BUNDLE, target, keep_from=target)
    except OSError as error:
        raise TemplateSourceError(f"cannot write the template bundle {target}: {error.strerror}") from None
    return target


def uncommitted_template_changes(source: TemplateSource) -> list[str]:
    """Template files changed but not committed in a development checkout (not in the bundle)."""
    if source.checkout is None:
        return []
    status = _git.output("status", "--porcelain", "--", "copier.yml", "templates", cwd=source.checkout)
    return [line[3:] for line in status.splitlines()]
