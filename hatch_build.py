"""Hatch build hook: ship the versioned template bundle and the template questions in the package.

The wheel gets `scaffold/templates.bundle` (every released version, tagged from the version
file's history; see src/scaffold/_bundle.py) and `scaffold/_template/` (copier.yml and the
question files, read by `scaffold list` without touching git). An sdist carries the bundle at its
root, so a wheel built from the sdist, where there is no .git, ships the same bundle.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _load_bundle_module(root: Path) -> Any:
    """Import src/scaffold/_bundle.py (and the modules it needs) without importing the package.

    The package's `__init__` imports third-party modules that the build environment lacks, so the
    source folder is mounted as a bare private package instead.
    """
    name = "_scaffold_build"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(root / "src" / "scaffold")]
        sys.modules[name] = package
    return importlib.import_module(f"{name}._bundle")


class TemplateBundleHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the bundle (and, for wheels, the question files) to the build."""

    PLUGIN_NAME = "custom"
    _scratch = ""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # an editable install reads the checkout itself
            return
        root = Path(self.root)
        bundle_module = _load_bundle_module(root)
        shipped = root / "templates.bundle"
        if (root / ".git").exists():
            self._scratch = tempfile.mkdtemp(prefix="scaffold-build-")
            bundle = Path(self._scratch) / "templates.bundle"
            tags = bundle_module.build_bundle(root, bundle)
            dirty = bundle_module._git.output(
                "status", "--porcelain", "--", "copier.yml", "templates", cwd=root
            )
            if dirty.strip():
                print("warning: uncommitted template changes are not in the bundle", file=sys.stderr)
        elif shipped.is_file():
            bundle, tags = shipped, bundle_module.bundle_tags(shipped)
        else:
            raise RuntimeError("build scaffold from a git checkout or from its sdist (no template bundle)")
        if self.metadata.version not in tags:
            raise RuntimeError(
                f"version {self.metadata.version} is not committed: commit src/scaffold/_version.py first"
            )
        if self.target_name == "sdist":
            build_data["force_include"][str(bundle)] = "templates.bundle"
            return
        build_data["force_include"][str(bundle)] = "scaffold/templates.bundle"
        metadata = [root / "copier.yml", root / "templates/catalog.yml", root / "templates/paths.yml"]
        metadata += sorted((root / "templates").glob("*/questions.yml"))
        metadata += sorted((root / "schemas").glob("*.schema.json"))  # scaffold doctor reads them
        for path in metadata:
            build_data["force_include"][str(path)] = f"scaffold/_template/{path.relative_to(root).as_posix()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
