"""Many scaffold processes under one HOME, of one version or of an older and a newer one.

They all share ~/.scaffold/templates.bundle: none may fail, read half a bundle, or leave a bundle
that lacks a version another one wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scaffold
from scaffold import _bundle
from scaffold.source import bundle_path, ensure_bundle, locate

from .conftest import commit_all, git, set_version

TRIALS = 2


def start(args: list[str], cwd: Path, source: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SCAFFOLD_SOURCE": str(source)}
    return subprocess.Popen(
        [sys.executable, "-m", "scaffold", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[tuple[subprocess.Popen[str], int]]) -> None:
    for process, expected in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == expected, f"{process.args}: {out}\n{err}"


def test_new_update_and_check_at_once_under_one_home(
    fixture_source: Path, workdir: Path, release, home: Path
) -> None:
    project = scaffold.new_project(template="hello-ml", destination=workdir / "old").destination
    release("0.2.0", {"templates/_shared/gitignore.jinja": "# 0.2.0\n.venv/"})
    for trial in range(TRIALS):
        shutil.rmtree(home / ".scaffold", ignore_errors=True)  # every process finds no bundle
        processes = [
            (start(["new", "hello-ml", f"p{trial}-{i}", "--defaults"], workdir, fixture_source), 0)
            for i in range(6)
        ]
        processes += [(start(["check", str(project)], workdir, fixture_source), 1) for _ in range(2)]
        processes += [(start(["update", str(project), "--pretend"], workdir, fixture_source), 0)]
        finish(processes)
        for i in range(6):
            assert (workdir / f"p{trial}-{i}/src/p{trial}_{i}/model.py").is_file()
        assert set(_bundle.bundle_tags(bundle_path())) == {"0.1.0", "0.2.0"}
        assert not [p.name for p in bundle_path().parent.iterdir() if "partial" in p.name]


@pytest.fixture
def old_checkout(fixture_source: Path, tmp_path: Path, release) -> Path:
    """A clone of the source at 0.1.0, while the source itself moves on to 0.2.0."""
    old = tmp_path / "old-scaffold"
    subprocess.run(["git", "clone", "-q", str(fixture_source), str(old)], check=True)
    release("0.2.0", {"templates/_shared/gitignore.jinja": "# 0.2.0\n.venv/"})
    return old


def test_an_older_and_a_newer_scaffold_side_by_side(
    fixture_source: Path, old_checkout: Path, workdir: Path, home: Path
) -> None:
    for trial in range(TRIALS):
        shutil.rmtree(home / ".scaffold", ignore_errors=True)
        processes = []
        for i in range(3):
            processes.append(
                (start(["new", "hello-ml", f"new{trial}{i}", "--defaults"], workdir, fixture_source), 0)
            )
            processes.append(
                (start(["new", "hello-ml", f"old{trial}{i}", "--defaults"], workdir, old_checkout), 0)
            )
        finish(processes)
        assert set(_bundle.bundle_tags(bundle_path())) == {"0.1.0", "0.2.0"}
    finish([(start(["new", "hello-ml", "older-after-newer", "--defaults"], workdir, old_checkout), 0)])
    assert set(_bundle.bundle_tags(bundle_path())) == {"0.1.0", "0.2.0"}


def test_an_older_scaffold_that_must_rebuild_keeps_the_newer_tags(
    fixture_source: Path, old_checkout: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ensure_bundle(locate())
    newer = _bundle.bundle_tags(bundle_path())
    assert set(newer) == {"0.1.0", "0.2.0"}
    set_version(old_checkout, "0.1.0")
    (old_checkout / "templates/_shared/gitignore.jinja").write_text("# a 0.1.x fix\n")
    commit_all(old_checkout, "more 0.1.0 work")  # the old scaffold's 0.1.0 is now another commit
    monkeypatch.setenv("SCAFFOLD_SOURCE", str(old_checkout))
    ensure_bundle(locate())
    tags = _bundle.bundle_tags(bundle_path())
    assert tags["0.2.0"] == newer["0.2.0"]  # kept, though the old checkout knows nothing of it
    assert tags["0.1.0"] == git("rev-parse", "HEAD", cwd=old_checkout).strip()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bundle_path()), str(clone)], check=True)
    assert git("tag", cwd=clone).split() == ["0.1.0", "0.2.0"]
