"""`new_project`: what it writes, what it records, and that bad input loses nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import scaffold
from scaffold.errors import DestinationError, GenerationError, InvalidAnswerError, UnknownTemplateError
from scaffold.source import ensure_bundle, locate

from .conftest import git


def answers_of(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_defaults_generate_a_committed_project(fixture_source: Path, workdir: Path) -> None:
    result = scaffold.new_project(template="hello-ml")
    project = workdir / "hello-ml"
    assert result.destination == project
    assert (project / "src/hello_ml/model.py").is_file()
    assert "src/hello_ml/results.py" in result.files
    recorded = answers_of(project)
    assert recorded["_src_path"] == "~/.scaffold/templates.bundle"  # literal tilde, never expanded
    assert recorded["_commit"] == "0.1.0"
    assert recorded["package_name"] == "hello_ml"
    assert result.git_initialized
    assert git("branch", "--show-current", cwd=project).strip() == "main"
    assert git("status", "--porcelain", cwd=project) == ""
    assert "scaffold template hello-ml 0.1.0" in git("log", "--format=%s", cwd=project)
    assert result.command_line == "scaffold new hello-ml hello-ml --defaults"
    assert not any(p.name.startswith(".hello-ml.scaffold-") for p in workdir.iterdir())


def test_answers_and_git_identity_reach_the_files(fixture_source: Path, workdir: Path) -> None:
    result = scaffold.new_project(
        template="hello-ml",
        destination=workdir / "flowers",
        data={"project_name": "flower-kit", "classifier": "knn", "license": "none"},
        git=False,
    )
    project = result.destination
    assert (project / "src/flower_kit/model.py").read_text().count("class Knn") == 1
    assert not (project / "LICENSE").exists()
    assert answers_of(project)["author_name"] == "Test User"  # from git config, not the default
    assert not (project / ".git").exists()
    assert "--data classifier=knn" in result.command_line
    assert "--no-git" in result.command_line


def test_init_respects_default_branch(fixture_source: Path, workdir: Path, home: Path) -> None:
    git("config", "--global", "init.defaultBranch", "trunk", cwd=workdir)
    project = scaffold.new_project(template="hello-ml").destination
    assert git("branch", "--show-current", cwd=project).strip() == "trunk"


def test_inside_another_repo_git_init_is_skipped_with_a_warning(fixture_source: Path, workdir: Path) -> None:
    git("init", "--quiet", cwd=workdir)
    result = scaffold.new_project(template="hello-ml")
    assert not result.git_initialized
    assert not (result.destination / ".git").exists()
    assert any("inside the git repository" in w for w in result.warnings)


def test_pretend_writes_nothing(fixture_source: Path, workdir: Path) -> None:
    result = scaffold.new_project(template="hello-ml", pretend=True)
    assert "README.md" in result.files
    assert list(workdir.iterdir()) == []


def test_non_empty_destination_is_refused_and_untouched(fixture_source: Path, workdir: Path) -> None:
    dest = workdir / "mine"
    dest.mkdir()
    (dest / "README.md").write_text("my notes\n")
    with pytest.raises(DestinationError, match="not empty.*--force"):
        scaffold.new_project(template="hello-ml", destination=dest)
    assert [p.name for p in dest.iterdir()] == ["README.md"]
    assert (dest / "README.md").read_text() == "my notes\n"


def test_force_keeps_the_users_files(fixture_source: Path, workdir: Path) -> None:
    dest = workdir / "mine"
    dest.mkdir()
    (dest / "README.md").write_text("my notes\n")
    (dest / "notes.txt").write_text("keep me\n")
    result = scaffold.new_project(template="hello-ml", destination=dest, force=True, git=False)
    assert result.backups == ("README.md.orig",)
    assert (dest / "README.md.orig").read_text() == "my notes\n"
    assert (dest / "notes.txt").read_text() == "keep me\n"
    assert "results:start" in (dest / "README.md").read_text()


def test_empty_destination_is_used(fixture_source: Path, workdir: Path) -> None:
    dest = workdir / "empty"
    dest.mkdir()
    scaffold.new_project(template="hello-ml", destination=dest, git=False)
    assert (dest / "pyproject.toml").is_file()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError("disk full")])
def test_interrupted_generation_leaves_nothing_behind(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    import copier

    def half_write(src: str, dst: str, **kwargs: object) -> None:
        (Path(dst) / "README.md").write_text("half")
        raise interruption

    monkeypatch.setattr(copier, "run_copy", half_write)
    expected = KeyboardInterrupt if interruption is KeyboardInterrupt else GenerationError
    with pytest.raises(expected):
        scaffold.new_project(template="hello-ml")
    assert list(workdir.iterdir()) == []


def test_unknown_template_suggests_the_closest(fixture_source: Path, workdir: Path) -> None:
    with pytest.raises(UnknownTemplateError, match="did you mean 'hello-ml'"):
        scaffold.new_project(template="helo-ml")
    with pytest.raises(UnknownTemplateError, match="unknown template '../../etc'"):
        scaffold.new_project(template="../../etc")
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_name": "../escape"}, "project_name must start with a letter"),
        ({"project_name": "bad name"}, "project_name must start with a letter"),
        ({"package_name": "json"}, "standard-library module"),
        ({"package_name": "class"}, "Python keyword"),
        ({"package_name": "My-Pkg"}, "lower-case Python identifier"),
        ({"author_email": "nobody"}, "is not an e-mail address"),
        ({"license": "GPL"}, "license must be one of"),
        ({"classifier": "svm"}, "classifier must be one of"),
        ({"colour": "blue"}, "no question named 'colour'"),
        ({"_src_path": "/tmp/x"}, "cannot be set with --data"),
    ],
)
def test_invalid_answers_are_refused_before_writing(
    fixture_source: Path, workdir: Path, data: dict, message: str
) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        scaffold.new_project(template="hello-ml", data=data)
    assert list(workdir.iterdir()) == []


def test_plain_copier_update_works_in_a_generated_repo(fixture_source: Path, workdir: Path, release) -> None:
    project = scaffold.new_project(template="hello-ml").destination
    release("0.2.0", {"templates/_shared/gitignore.jinja": "# plain copier update\n.venv/"})
    ensure_bundle(locate())
    done = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--vcs-ref", "0.2.0"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (project / ".gitignore").read_text().startswith("# plain copier update")
    assert answers_of(project)["_commit"] == "0.2.0"


def test_this_checkout_is_the_development_source(home: Path, workdir: Path) -> None:
    """Run from a git checkout (no SCAFFOLD_SOURCE), scaffold generates from the checkout's HEAD."""
    from scaffold.source import locate

    source = locate()
    assert source.checkout == Path(__file__).resolve().parents[1]
    first = scaffold.list_templates()[0].name
    result = scaffold.new_project(template=first, git=False)
    recorded = answers_of(result.destination)
    assert recorded["_commit"] == source.version
    assert recorded["_src_path"] == "~/.scaffold/templates.bundle"
    assert recorded["template"] == first
