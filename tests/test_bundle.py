"""Version tags derived from the version file, and the bundle every repo records."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import scaffold
from scaffold import _bundle
from scaffold.source import bundle_path, ensure_bundle, locate

from .conftest import commit_all, git, set_version


def test_each_version_is_tagged_at_its_last_commit(fixture_source: Path, release) -> None:
    first_release = git("rev-parse", "HEAD", cwd=fixture_source).strip()
    release("0.2.0")
    (fixture_source / "notes.txt").write_text("more 0.2.0 work")
    commit_all(fixture_source, "still 0.2.0")
    head = git("rev-parse", "HEAD", cwd=fixture_source).strip()
    assert _bundle.version_tags(fixture_source) == {"0.1.0": first_release, "0.2.0": head}


def test_bundle_holds_the_tags_and_leaves_the_repo_untouched(
    fixture_source: Path, release, tmp_path: Path
) -> None:
    release("0.2.0")
    out = tmp_path / "t.bundle"
    tags = _bundle.build_bundle(fixture_source, out)
    assert _bundle.bundle_tags(out) == tags
    assert git("tag", cwd=fixture_source) == ""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(out), str(clone)], check=True)
    assert git("describe", "--tags", cwd=clone).strip() == "0.2.0"


def test_no_version_history_is_an_error(tmp_path: Path, home: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "f").write_text("x")
    commit_all(tmp_path, "no version file")
    with pytest.raises(_bundle.BundleError, match="no version found"):
        _bundle.build_bundle(tmp_path, tmp_path / "b.bundle")


def test_an_older_install_keeps_the_newer_bundle(
    fixture_source: Path, release, tmp_path: Path, monkeypatch
) -> None:
    """A newer scaffold's bundle holds every older version, so an older scaffold must not shrink it."""
    old_checkout = tmp_path / "old"
    subprocess.run(["git", "clone", "-q", str(fixture_source), str(old_checkout)], check=True)
    release("0.2.0")
    ensure_bundle(locate())
    assert set(_bundle.bundle_tags(bundle_path())) == {"0.1.0", "0.2.0"}
    monkeypatch.setenv("SCAFFOLD_SOURCE", str(old_checkout))
    ensure_bundle(locate())
    assert set(_bundle.bundle_tags(bundle_path())) == {"0.1.0", "0.2.0"}
    project = scaffold.new_project(template="hello-ml", destination=tmp_path / "p", git=False)
    assert project.version == "0.1.0"


def test_a_moved_head_rebuilds_the_bundle(fixture_source: Path, release) -> None:
    ensure_bundle(locate())
    set_version(fixture_source, "0.1.0")
    (fixture_source / "templates/_shared/gitignore.jinja").write_text("changed")
    commit_all(fixture_source, "more 0.1.0 work")
    ensure_bundle(locate())
    head = git("rev-parse", "HEAD", cwd=fixture_source).strip()
    assert _bundle.bundle_tags(bundle_path())["0.1.0"] == head


def test_uncommitted_template_changes_are_reported(fixture_source: Path, workdir: Path) -> None:
    (fixture_source / "templates/_shared/gitignore.jinja").write_text("uncommitted")
    result = scaffold.new_project(template="hello-ml", git=False)
    assert any("templates/_shared/gitignore.jinja" in w for w in result.warnings)
    assert "uncommitted" not in (result.destination / ".gitignore").read_text()


def test_bundle_tags_ignore_a_broken_repository_around_the_bundle(
    fixture_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv's cache holds a `.git` file that is no repository; reading a bundle there must work."""
    cache = tmp_path / "cache"
    (cache / "sdist").mkdir(parents=True)
    (cache / ".git").write_text("not a gitfile\n")
    bundle = cache / "sdist" / "templates.bundle"
    tags = _bundle.build_bundle(fixture_source, bundle)
    monkeypatch.chdir(cache / "sdist")  # where a wheel build from the sdist runs
    assert (
        _bundle.bundle_tags(bundle) == tags == {"0.1.0": git("rev-parse", "HEAD", cwd=fixture_source).strip()}
    )
