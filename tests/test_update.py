"""`update_project` and `check_project`: template changes arrive, user edits stay, bad states explained."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import scaffold
from scaffold.cli import app
from scaffold.errors import DirtyRepoError, NotAGeneratedRepoError, TemplateSourceError

from .conftest import commit_all, git

SHARED_GITIGNORE = "templates/_shared/gitignore.jinja"


@pytest.fixture
def project(fixture_source: Path, workdir: Path) -> Path:
    """A repo generated at 0.1.0 in which the user has edited the README and the model."""
    project = scaffold.new_project(template="hello-ml").destination
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Design", "## Design\n\nMy own design notes.", 1))
    model = project / "src/hello_ml/model.py"
    model.write_text(model.read_text() + "\n\nMY_CONSTANT = 42\n")
    commit_all(project, "my work")
    return project


def test_check_reports_behind_then_up_to_date(project: Path, release) -> None:
    assert scaffold.check_project(directory=project).up_to_date
    release("0.2.0", {SHARED_GITIGNORE: "# new ignore rules\n.venv/"})
    result = scaffold.check_project(directory=project)
    assert (result.recorded_version, result.latest_version, result.up_to_date) == ("0.1.0", "0.2.0", False)


def test_update_brings_template_changes_and_keeps_user_edits(project: Path, release) -> None:
    readme_template = Path(project.parent.parent / "source/templates/_shared/README.md.jinja")
    text = readme_template.read_text().replace("## Limitations and next steps", "## Limits and next steps")
    release("0.2.0", {SHARED_GITIGNORE: "# new ignore rules\n.venv/", str(readme_template): text})
    result = scaffold.update_project(directory=project)
    assert (result.from_version, result.to_version) == ("0.1.0", "0.2.0")
    assert result.conflicts == ()
    assert set(result.changed) >= {".gitignore", "README.md", ".copier-answers.yml"}
    readme = (project / "README.md").read_text()
    assert "## Limits and next steps" in readme
    assert "My own design notes." in readme
    assert "MY_CONSTANT = 42" in (project / "src/hello_ml/model.py").read_text()
    assert (project / ".gitignore").read_text() == "# new ignore rules\n.venv/\nresults/\n"
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "0.2.0"
    assert scaffold.check_project(directory=project).up_to_date


def test_conflicting_edits_are_marked_inline_and_reported(
    project: Path, release, fixture_source: Path
) -> None:
    model_template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    release("0.2.0", {str(model_template): model_template.read_text() + "\n\nMY_CONSTANT = 7\n"})
    result = scaffold.update_project(directory=project)
    assert result.conflicts == ("src/hello_ml/model.py",)
    merged = (project / "src/hello_ml/model.py").read_text()
    assert "MY_CONSTANT = 42" in merged and "MY_CONSTANT = 7" in merged
    assert "<<<<<<< " in merged and ">>>>>>> " in merged


def test_conflicts_as_rej_files(project: Path, release, fixture_source: Path) -> None:
    model_template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    release("0.2.0", {str(model_template): model_template.read_text() + "\n\nMY_CONSTANT = 7\n"})
    result = scaffold.update_project(directory=project, conflict="rej")
    assert result.conflicts == ("src/hello_ml/model.py.rej",)
    assert "+MY_CONSTANT = 42" in (project / "src/hello_ml/model.py.rej").read_text()


def test_pretend_leaves_the_repo_untouched(project: Path, release) -> None:
    release("0.2.0", {SHARED_GITIGNORE: "# new ignore rules\n.venv/"})
    head = git("rev-parse", "HEAD", cwd=project)
    result = scaffold.update_project(directory=project, pretend=True)
    assert result.pretend and ".gitignore" in result.changed
    assert git("rev-parse", "HEAD", cwd=project) == head
    assert git("status", "--porcelain", cwd=project) == ""
    assert not scaffold.check_project(directory=project).up_to_date


def test_update_can_change_an_answer(project: Path) -> None:
    result = scaffold.update_project(directory=project, data={"classifier": "knn"})
    assert "src/hello_ml/model.py" in result.changed
    assert "class Knn" in (project / "src/hello_ml/model.py").read_text()
    assert "MY_CONSTANT = 42" in (project / "src/hello_ml/model.py").read_text()


def test_up_to_date_repo_is_left_alone(project: Path) -> None:
    result = scaffold.update_project(directory=project)
    assert result.up_to_date and result.changed == ()


def test_update_works_after_home_is_wiped(project: Path, release, home: Path) -> None:
    """The recorded ~/.scaffold bundle is rewritten by the next scaffold run."""
    shutil.rmtree(home / ".scaffold")
    release("0.2.0", {SHARED_GITIGNORE: "# after a new HOME\n.venv/"})
    assert scaffold.update_project(directory=project).conflicts == ()
    assert (project / ".gitignore").read_text().startswith("# after a new HOME")


def test_dirty_repo_is_refused_with_advice(project: Path, release) -> None:
    release("0.2.0", {SHARED_GITIGNORE: "x"})
    (project / "scratch.txt").write_text("unsaved work")
    with pytest.raises(DirtyRepoError, match="commit them .* or stash them"):
        scaffold.update_project(directory=project)
    assert (project / "scratch.txt").read_text() == "unsaved work"


def test_not_a_git_repo_is_refused(fixture_source: Path, workdir: Path) -> None:
    project = scaffold.new_project(template="hello-ml", git=False).destination
    with pytest.raises(DirtyRepoError, match="not a git repository"):
        scaffold.update_project(directory=project)


def test_missing_or_corrupt_answers(workdir: Path, fixture_source: Path) -> None:
    with pytest.raises(NotAGeneratedRepoError, match="has no .copier-answers.yml"):
        scaffold.check_project(directory=workdir)
    (workdir / ".copier-answers.yml").write_text("_commit: [unclosed\n")
    with pytest.raises(NotAGeneratedRepoError, match="is corrupt"):
        scaffold.update_project(directory=workdir)
    (workdir / ".copier-answers.yml").write_text("just a string\n")
    with pytest.raises(NotAGeneratedRepoError, match="not a mapping"):
        scaffold.check_project(directory=workdir)
    (workdir / ".copier-answers.yml").write_text("template: hello-ml\n")
    with pytest.raises(NotAGeneratedRepoError, match="lacks _src_path, _commit"):
        scaffold.check_project(directory=workdir)


def test_missing_recorded_source_says_how_to_recover(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("~/.scaffold/templates.bundle", "/gone/templates"))
    commit_all(project, "moved source")
    with pytest.raises(
        TemplateSourceError, match="is missing: set '_src_path: ~/.scaffold/templates.bundle'"
    ):
        scaffold.update_project(directory=project)


def test_repo_newer_than_scaffold_is_refused(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("_commit: 0.1.0", "_commit: 9.0.0"))
    commit_all(project, "from the future")
    with pytest.raises(
        TemplateSourceError,
        match="newer than this scaffold's 0.1.0: upgrade scaffold .pipx upgrade scaffold-ml",
    ):
        scaffold.update_project(directory=project)


# --- Quiet updates: a release that changes other files never conflicts with the user's work. ---

USER_EDITS = ("append_to_readme", "edit_a_function", "delete_a_generated_file", "add_own_files")


def apply_user_edit(project: Path, edit: str) -> None:
    if edit == "append_to_readme":
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "\n## My results\n\nWhat I found, in my words.\n")
    elif edit == "edit_a_function":
        model = project / "src/hello_ml/model.py"
        old = '    """Fraction of exact matches, in [0, 1]."""\n'
        assert old in model.read_text()
        model.write_text(model.read_text().replace(old, old + "    # my note: ties count as misses\n"))
    elif edit == "delete_a_generated_file":
        (project / "src/hello_ml/plot.py").unlink()
    elif edit == "add_own_files":
        (project / "NOTES.md").write_text("my own notes\n")
        (project / "src/hello_ml/extra.py").write_text("EXTRA = 1\n")


def assert_user_edit_kept(project: Path, edit: str) -> None:
    if edit == "append_to_readme":
        assert (project / "README.md").read_text().endswith("## My results\n\nWhat I found, in my words.\n")
    elif edit == "edit_a_function":
        assert "    # my note: ties count as misses\n" in (project / "src/hello_ml/model.py").read_text()
    elif edit == "delete_a_generated_file":
        assert not (project / "src/hello_ml/plot.py").exists()
    elif edit == "add_own_files":
        assert (project / "NOTES.md").read_text() == "my own notes\n"
        assert (project / "src/hello_ml/extra.py").read_text() == "EXTRA = 1\n"


@pytest.mark.parametrize("edits", [(edit,) for edit in USER_EDITS] + [USER_EDITS], ids=lambda e: "+".join(e))
def test_a_release_that_changes_other_files_keeps_every_edit_without_conflicts(
    fixture_source: Path, workdir: Path, release, edits: tuple[str, ...]
) -> None:
    project = scaffold.new_project(template="hello-ml").destination
    for edit in edits:
        apply_user_edit(project, edit)
    commit_all(project, "my work")
    release(
        "0.2.0",
        {
            SHARED_GITIGNORE: "# new ignore rules\n.venv/",
            "templates/hello-ml/project/CONTRIBUTING.md": "How to contribute\n",
        },
    )
    result = CliRunner().invoke(app, ["update", str(project)])
    assert result.exit_code == 0, result.output
    assert "conflict" not in result.output
    for edit in edits:
        assert_user_edit_kept(project, edit)
    assert (project / "CONTRIBUTING.md").read_text() == "How to contribute\n"
    assert (project / ".gitignore").read_text().startswith("# new ignore rules")
    assert not list(project.rglob("*.rej"))
    assert scaffold.check_project(directory=project).reason == "up-to-date"


def test_a_release_that_changes_the_same_lines_marks_them_inline_and_exits_1(
    fixture_source: Path, workdir: Path, release
) -> None:
    project = scaffold.new_project(template="hello-ml").destination
    apply_user_edit(project, "edit_a_function")
    commit_all(project, "my work")
    model_template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    old = '    """Fraction of exact matches, in [0, 1]."""\n'
    release(
        "0.2.0", {str(model_template): model_template.read_text().replace(old, old + "    # template note\n")}
    )
    result = CliRunner().invoke(app, ["update", str(project)])
    assert result.exit_code == 1
    assert "conflict src/hello_ml/model.py" in result.stdout
    assert "resolve the marked lines" in result.stderr
    merged = (project / "src/hello_ml/model.py").read_text()
    assert "<<<<<<< " in merged and ">>>>>>> " in merged
    assert "# my note: ties count as misses" in merged and "# template note" in merged
    assert scaffold.check_project(directory=project).reason == "conflicts"


def test_conflict_advice_follows_rej_and_pretend(project: Path, release, fixture_source: Path) -> None:
    model_template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    release("0.2.0", {str(model_template): model_template.read_text() + "\n\nMY_CONSTANT = 7\n"})
    pretend = CliRunner().invoke(app, ["update", str(project), "--pretend"])
    assert pretend.exit_code == 1
    assert "would conflict; nothing was changed" in pretend.stderr and "marked lines" not in pretend.stderr
    assert git("status", "--porcelain", cwd=project) == ""
    rej = CliRunner().invoke(app, ["update", str(project), "--conflict", "rej"])
    assert rej.exit_code == 1
    assert ".rej" in rej.stderr and "marked lines" not in rej.stderr


def test_pretend_works_on_a_dirty_tree(project: Path, release) -> None:
    release("0.2.0", {SHARED_GITIGNORE: "# new ignore rules\n.venv/"})
    (project / "scratch.txt").write_text("unsaved work")
    result = scaffold.update_project(directory=project, pretend=True)
    assert ".gitignore" in result.changed
    assert (project / "scratch.txt").read_text() == "unsaved work"
    assert not (project / ".gitignore").read_text().startswith("# new ignore rules")


def test_dirty_tree_error_names_up_to_five_files(project: Path, release) -> None:
    release("0.2.0", {SHARED_GITIGNORE: "x"})
    for i in range(7):
        (project / f"scratch{i}.txt").write_text("unsaved")
    result = CliRunner().invoke(app, ["update", str(project)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert (
        "7 uncommitted change(s) (scratch0.txt, scratch1.txt, scratch2.txt, scratch3.txt, scratch4.txt"
        in line
    )
    assert "and 2 more" in line and "scratch5.txt" not in line
