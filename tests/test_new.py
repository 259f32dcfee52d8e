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


def test_dest_names_the_project(fixture_source: Path, workdir: Path) -> None:
    result = scaffold.new_project(template="hello-ml", destination=workdir / "demo-kit")
    assert (result.answers["project_name"], result.answers["package_name"]) == ("demo-kit", "demo_kit")
    assert (workdir / "demo-kit/src/demo_kit/model.py").is_file()
    assert result.command_line == "scaffold new hello-ml demo-kit --defaults"
    named = scaffold.new_project(
        template="hello-ml", destination=workdir / "x", data={"project_name": "kept"}
    )
    assert named.answers["project_name"] == "kept"


def test_an_invalid_dest_name_is_refused_with_a_way_out(fixture_source: Path, workdir: Path) -> None:
    with pytest.raises(
        InvalidAnswerError, match=r"project_name='my project' \(the name of DEST.*--data project_name="
    ):
        scaffold.new_project(template="hello-ml", destination=workdir / "my project")
    assert list(workdir.iterdir()) == []


def test_git_init_uses_main_without_init_default_branch(
    fixture_source: Path, workdir: Path, home: Path
) -> None:
    (home / ".gitconfig").write_text("[user]\n\tname = Test User\n\temail = test@example.com\n")
    project = scaffold.new_project(template="hello-ml").destination
    assert git("branch", "--show-current", cwd=project).strip() == "main"


def test_force_commits_only_the_generated_files(fixture_source: Path, workdir: Path) -> None:
    dest = workdir / "mine"
    dest.mkdir()
    (dest / "README.md").write_text("my notes\n")
    (dest / "secrets.env").write_text("TOKEN=mine\n")
    result = scaffold.new_project(template="hello-ml", destination=dest, force=True)
    assert result.git_initialized
    tracked = set(git("ls-files", cwd=dest).split())
    assert "README.md" in tracked and "secrets.env" not in tracked and "README.md.orig" not in tracked
    assert tracked == set(result.files) - {"README.md.orig"}
    untracked = git("status", "--porcelain", cwd=dest)
    assert "?? secrets.env" in untracked and "?? README.md.orig" in untracked


def test_placeholder_answers_are_flagged(fixture_source: Path, workdir: Path) -> None:
    result = scaffold.new_project(template="hello-ml", data={"author_email": "ada@lovelace.dev"})
    (warning,) = [w for w in result.warnings if "placeholders" in w]
    assert "github_user='your-github-user'" in warning and "author_email" not in warning
    assert any(s.startswith("scaffold update --data github_user=...") for s in result.next_steps)
    clean = scaffold.new_project(
        template="hello-ml",
        destination=workdir / "clean",
        data={"github_user": "ada", "author_email": "a@b.dev"},
    )
    assert not any("placeholder" in w for w in clean.warnings)
    assert not any("placeholder" in s for s in clean.next_steps)


def test_next_steps_and_services_come_from_the_catalog(fixture_source: Path, workdir: Path) -> None:
    plain = scaffold.new_project(template="hello-ml", pretend=True)
    assert "make eval       # results/metrics.json and the plots" in plain.next_steps
    assert not any("k-NN service" in s for s in plain.next_steps)
    knn = scaffold.new_project(template="hello-ml", data={"classifier": "knn"}, pretend=True)
    assert "# the tests start a throwaway A k-NN service when it is installed" in knn.next_steps


def test_an_unwritable_parent_is_one_error(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def denied(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    with pytest.raises(DestinationError, match=r"^cannot write to .*: Permission denied$"):
        scaffold.new_project(template="hello-ml")
