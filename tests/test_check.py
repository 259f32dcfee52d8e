"""`scaffold check` as a CI gate: 0 only when current and clean, 1 behind or unresolved, 2 cannot judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scaffold
from scaffold.cli import app
from scaffold.errors import NotAGeneratedRepoError

from .conftest import commit_all

SHARED_GITIGNORE = "templates/_shared/gitignore.jinja"


def check(project: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["check", str(project), "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def project(fixture_source: Path, workdir: Path) -> Path:
    return scaffold.new_project(template="hello-ml").destination


def set_answer(project: Path, old: str, new: str) -> None:
    answers = project / ".copier-answers.yml"
    assert old in answers.read_text()
    answers.write_text(answers.read_text().replace(old, new))
    commit_all(project, "edit answers")


def test_up_to_date_and_clean_is_0(project: Path) -> None:
    code, report = check(project)
    assert code == 0
    assert report["reason"] == "up-to-date" and report["up_to_date"] is True and report["conflicts"] == []


def test_behind_is_1(project: Path, release) -> None:
    release("0.2.0", {SHARED_GITIGNORE: ".venv/"})
    code, report = check(project)
    assert (code, report["reason"], report["latest_version"]) == (1, "behind", "0.2.0")


def test_committed_conflict_markers_are_1(project: Path) -> None:
    model = project / "src/hello_ml/model.py"
    model.write_text(
        model.read_text() + "<<<<<<< before updating\nX = 1\n=======\nX = 2\n>>>>>>> after updating\n"
    )
    commit_all(project, "committed by mistake")
    code, report = check(project)
    assert (code, report["reason"], report["conflicts"]) == (1, "conflicts", ["src/hello_ml/model.py"])
    result = CliRunner().invoke(app, ["check", str(project)])
    assert result.exit_code == 1 and "src/hello_ml/model.py" in result.output


def test_a_left_over_rej_file_is_1(project: Path) -> None:
    (project / "src/hello_ml/model.py.rej").write_text("@@ -1 +1 @@\n-a\n+b\n")
    code, report = check(project)
    assert (code, report["reason"], report["conflicts"]) == (1, "conflicts", ["src/hello_ml/model.py.rej"])


def test_markers_in_ignored_or_binary_files_do_not_count(project: Path) -> None:
    (project / ".venv").mkdir()
    (project / ".venv/x.py").write_text("<<<<<<< not ours\n")
    (project / "data.bin").write_bytes(b"\0<<<<<<< binary\n")
    assert check(project)[0] == 0


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("_commit: 0.1.0", "_commit: 9.9.9", "newer-than-installed"),
        ("template: hello-ml", "template: nosuch", "unknown-template"),
        ("_commit: 0.1.0", "_commit: not-a-version", "unknown-version"),
    ],
)
def test_states_check_cannot_judge_are_2(project: Path, old: str, new: str, reason: str) -> None:
    set_answer(project, old, new)
    code, report = check(project)
    assert (code, report["reason"], report["up_to_date"]) == (2, reason, False)
    result = CliRunner().invoke(app, ["check", str(project)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_newer_than_installed_names_the_upgrade(project: Path) -> None:
    set_answer(project, "_commit: 0.1.0", "_commit: 9.9.9")
    message = scaffold.check_project(directory=project).message
    assert "scaffold-ml" in message and "pip install -U scaffold" not in message


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (None, "not-generated"),
        ("_commit: [unclosed\n", "corrupt-answers"),
        ("template: x\n", "corrupt-answers"),
    ],
)
def test_not_generated_or_corrupt_is_2_with_a_reason(
    workdir: Path, fixture_source: Path, answers, reason
) -> None:
    if answers is not None:
        (workdir / ".copier-answers.yml").write_text(answers)
    code, report = check(workdir)
    assert (code, report["reason"], report["up_to_date"]) == (2, reason, False)
    with pytest.raises(NotAGeneratedRepoError):
        scaffold.check_project(directory=workdir)


def test_check_works_outside_git(fixture_source: Path, workdir: Path) -> None:
    project = scaffold.new_project(template="hello-ml", git=False).destination
    assert not (project / ".git").exists()
    assert check(project)[0] == 0
    (project / "notes.md").write_text(">>>>>>> theirs\n")
    assert check(project)[1]["conflicts"] == ["notes.md"]
