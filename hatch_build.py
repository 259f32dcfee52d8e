"""Hatch build hook: ship the versioned template bundle and the template questions in the package.

The wheel gets `scaffold/templates.bundle` (every released version, tagged from the version
file's history; see src/scaffold/_bundle.py) and `scaffold/_template/` (copier.yml and the
question files, read by `scaffold list` without touching git). An sdist carries the bundle at its
root, so a wheel built from the sdist, where there is no .git, ships the same bundle.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _load_bundle_module(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("_scaffold_bundle", root / "src/scaffold/_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
            dirty = bundle_module.git("status", "--porcelain", "--", "copier.yml", "templates", cwd=root)
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
        for path in metadata:
            build_data["force_include"][str(path)] = f"scaffold/_template/{path.relative_to(root).as_posix()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
