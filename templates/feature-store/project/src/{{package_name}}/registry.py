"""Versioned registry: one JSON file holding every applied version of the definitions.

`Registry(path).apply(defs)` stores a new version when something changed and returns the diff;
`latest()` returns the current definitions. The file is rewritten atomically (temp file and
rename), so a crash never leaves half a registry.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .definitions import Definitions

__all__ = ["Change", "Registry", "diff_definitions"]

_KINDS = ("entities", "sources", "feature_views", "on_demand_views", "feature_services")
_SINGULAR = {
    "entities": "entity",
    "sources": "source",
    "feature_views": "feature view",
    "on_demand_views": "on-demand view",
    "feature_services": "feature service",
}


@dataclass(frozen=True)
class Change:
    """One added, removed or modified definition."""

    op: str  # "+" added, "-" removed, "~" modified
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.op} {_SINGULAR[self.kind]} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def diff_definitions(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes from `old` to `new` (both in `Definitions.to_dict()` form), sorted by kind/name."""
    changes: list[Change] = []
    for kind in _KINDS:
        before = {d["name"]: d for d in old.get(kind, [])}
        after = {d["name"]: d for d in new.get(kind, [])}
        for name in sorted(after.keys() - before.keys()):
            changes.append(Change("+", kind, name))
        for name in sorted(before.keys() - after.keys()):
            changes.append(Change("-", kind, name))
        for name in sorted(before.keys() & after.keys()):
            a, b = before[name], after[name]
            fields = [k for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
            if fields:
                detail = "; ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in fields)
                changes.append(Change("~", kind, name, detail))
    return changes


class Registry:
    """The registry file; each `apply` that changes something appends a version."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"versions": []}
        try:
            doc: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"registry {self.path} is not valid JSON: {exc}") from exc
        return doc

    def versions(self) -> list[dict[str, Any]]:
        """All versions, oldest first: {version, applied_at, changes, definitions}."""
        versions: list[dict[str, Any]] = self._load()["versions"]
        return versions

    def version(self) -> int:
        """The current version number (0 before the first apply)."""
        versions = self.versions()
        return int(versions[-1]["version"]) if versions else 0

    def latest(self) -> Definitions:
        versions = self.versions()
        if not versions:
            raise FileNotFoundError(
                f"no registry at {self.path}: run `apply` with your definitions first"
            )
        return Definitions.from_dict(versions[-1]["definitions"])

    def plan(self, defs: Definitions) -> list[Change]:
        """What `apply(defs)` would change, without writing."""
        versions = self.versions()
        old = versions[-1]["definitions"] if versions else {}
        return diff_definitions(old, defs.to_dict())

    def apply(self, defs: Definitions) -> list[Change]:
        """Store `defs` as a new version if anything changed; return the changes."""
        doc = self._load()
        old = doc["versions"][-1]["definitions"] if doc["versions"] else {}
        new = defs.to_dict()
        changes = diff_definitions(old, new)
        if not changes:
            return []
        doc["versions"].append(
            {
                "version": len(doc["versions"]) + 1,
                "applied_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "changes": [str(c) for c in changes],
                "definitions": new,
            }
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".registry-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
        os.replace(tmp, self.path)
        return changes
