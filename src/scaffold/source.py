"""Where the templates come from, and the versioned bundle that copier reads them from.

Every generated repo records `_src_path: ~/.scaffold/templates.bundle`, with a literal `~`:
copier stores the path as written and expands it when it reads it, so the record stays valid on
another machine or under another HOME. Before each use, scaffold writes the bundle it ships
there unless the bundle already present holds the same version at the same commit and possibly
newer ones (a newer install wrote it). Each bundle holds every earlier version, so a repo made by
any older scaffold can be updated by any newer one, and plain `copier update` works too.

Two kinds of install:
- a development checkout (or the checkout named by `SCAFFOLD_SOURCE`): the bundle is built from
  the checkout's committed history when its HEAD is not in the bundle yet;
- an installed wheel: the bundle was built at packaging time and ships inside the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import _bundle
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
    try:
        text = _bundle.git("show", f"HEAD:{_bundle.VERSION_FILE}", cwd=checkout)
    except _bundle.BundleError as error:
        raise TemplateSourceError(f"cannot read the template version of {checkout}: {error}") from None
    version = _bundle.parse_version(text)
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


def _keep_existing(existing: dict[str, str], ours: str, commit: str) -> bool:
    """Whether the bundle already present serves our version exactly and is not older."""
    if existing.get(ours) != commit:
        return False
    our_key = version_key(ours)
    newest = max((k for k in map(version_key, existing) if k is not None), default=None)
    return our_key is not None and newest is not None and newest >= our_key


def ensure_bundle(source: TemplateSource) -> Path:
    """Make sure the bundle at `~/.scaffold/templates.bundle` serves `source.version`."""
    target = bundle_path()
    existing = _bundle.bundle_tags(target) if target.exists() else {}
    try:
        if source.checkout is not None:
            head = _bundle.git("rev-parse", "HEAD", cwd=source.checkout).strip()
            if not _keep_existing(existing, source.version, head):
                _bundle.build_bundle(source.checkout, target)
        else:
            if not PACKAGED_BUNDLE.is_file():
                raise TemplateSourceError(
                    f"this scaffold install has no template bundle ({PACKAGED_BUNDLE}): reinstall it"
                )
            shipped = _bundle.bundle_tags(PACKAGED_BUNDLE)
            if source.version not in shipped:
                raise TemplateSourceError(
                    f"the shipped template bundle lacks version {source.version}: reinstall scaffold"
                )
            if not _keep_existing(existing, source.version, shipped[source.version]):
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".partial")
                shutil.copyfile(PACKAGED_BUNDLE, partial)
                partial.replace(target)
    except _bundle.BundleError as error:
        raise TemplateSourceError(f"cannot prepare the template bundle: {error}") from None
    except OSError as error:
        raise TemplateSourceError(f"cannot write the template bundle {target}: {error}") from None
    return target


def uncommitted_template_changes(source: TemplateSource) -> list[str]:
    """Template files changed but not committed in a development checkout (not in the bundle)."""
    if source.checkout is None:
        return []
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "copier.yml", "templates"],
        cwd=source.checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line[3:] for line in done.stdout.splitlines()]
