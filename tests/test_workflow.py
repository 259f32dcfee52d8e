"""The template-update workflow every generated repo gets: valid for GitHub, and its script works.

The script is the workflow step's own `run:` text, executed with bash in a generated repo that is
behind. Only the outside world is stubbed: `origin` is a local bare repository and `gh` a fake on
PATH that records its arguments and the pull request body.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import scaffold

from .conftest import REPO, commit_all, git

WORKFLOW = ".github/workflows/template-update.yml"
INCLUDE = '{% include "templates/_shared/template-update.yml.jinja" %}'
FAKE_GH = """#!/bin/sh
# A stand-in for the GitHub CLI: record the arguments and the --body-file content.
printf '%s\\n' "$@" > "$GH_RECORD/args"
while [ $# -gt 0 ]; do
  if [ "$1" = --body-file ]; then cp "$2" "$GH_RECORD/body"; fi
  shift
done
"""


def test_every_template_includes_the_shared_workflow() -> None:
    projects = [REPO / "tests/fixture_template/project"]
    projects += [p / "project" for p in (REPO / "templates").iterdir() if (p / "questions.yml").is_file()]
    assert len(projects) >= 5
    for project in projects:
        assert (project / f"{WORKFLOW}.jinja").read_text().strip() == INCLUDE, project


def test_the_generated_workflow_is_valid_for_github(fixture_source: Path, workdir: Path) -> None:
    project = scaffold.new_project(template="hello-ml").destination
    workflow = project / WORKFLOW
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    spec = yaml.safe_load(workflow.read_text())
    assert spec["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert "workflow_dispatch" in spec[True] and spec[True]["schedule"][0]["cron"]  # `on:` reads as True
    text = workflow.read_text()
    assert text.endswith('"$body"\n'), "the rendered workflow ends with exactly one newline"
    assert "${{ github.event.repository.default_branch }}" in text
    assert "pip install --upgrade scaffold-ml" in text


def _update_script(project: Path) -> str:
    spec = yaml.safe_load((project / WORKFLOW).read_text())
    (step,) = [s for s in spec["jobs"]["update"]["steps"] if s.get("id") == "update"]
    return str(step["run"])


@pytest.fixture
def behind(fixture_source: Path, workdir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A generated repo with the user's edits, pushed to a local bare `origin`."""
    project = scaffold.new_project(template="hello-ml").destination
    model = project / "src/hello_ml/model.py"
    model.write_text(model.read_text() + "\n\nMY_CONSTANT = 42\n")
    commit_all(project, "my work")
    remote = tmp_path / "origin.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    git("remote", "add", "origin", str(remote), cwd=project)
    git("push", "--quiet", "origin", "main", cwd=project)
    return project, remote


def run_script(project: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the workflow's script in `project` with a fake `gh`; return the run and gh's record."""
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir(exist_ok=True)
    (fake_bin / "gh").write_text(FAKE_GH)
    (fake_bin / "gh").chmod(0o755)
    record = tmp_path / "gh-record"
    shutil.rmtree(record, ignore_errors=True)
    record.mkdir()
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    path = os.pathsep.join(
        [str(fake_bin), str(Path(sys.executable).parent), str(git_dir), "/usr/bin", "/bin"]
    )
    env = {**os.environ, "PATH": path, "GH_RECORD": str(record), "BASE_BRANCH": "main", "GH_TOKEN": "x"}
    done = subprocess.run(
        ["bash", "-c", _update_script(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, record


def test_the_script_pushes_an_update_branch_and_opens_a_pull_request(
    behind: tuple[Path, Path], release, tmp_path: Path
) -> None:
    project, remote = behind
    base = git("rev-parse", "HEAD", cwd=project).strip()
    release("0.2.0", {"templates/_shared/gitignore.jinja": "# new ignore rules\n.venv/"})
    done, record = run_script(project, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    pushed = git("rev-parse", "refs/heads/scaffold/update-0.2.0", cwd=remote).strip()
    assert git("rev-parse", f"{pushed}^", cwd=remote).strip() == base  # one commit on top of main
    assert (
        git("log", "-1", "--format=%s", pushed, cwd=remote).strip() == "Update the scaffold template to 0.2.0"
    )
    files = git("diff", "--name-only", base, pushed, cwd=remote).split()
    assert set(files) == {".copier-answers.yml", ".gitignore"}
    assert "MY_CONSTANT = 42" in git("show", f"{pushed}:src/hello_ml/model.py", cwd=remote)
    assert git("rev-parse", "refs/heads/main", cwd=remote).strip() == base  # main untouched

    args = (record / "args").read_text().splitlines()
    assert args[:2] == ["pr", "create"]
    assert args[args.index("--head") + 1] == "scaffold/update-0.2.0"
    assert args[args.index("--base") + 1] == "main"
    body = (record / "body").read_text()
    assert "- `.gitignore`" in body and "No conflicts." in body

    # A second run finds the branch and opens no second pull request.
    git("switch", "--quiet", "main", cwd=project)
    again, record = run_script(project, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "exists already" in again.stdout
    assert not (record / "args").exists()


def test_the_script_lists_conflicts(
    behind: tuple[Path, Path], release, fixture_source: Path, tmp_path: Path
) -> None:
    project, remote = behind
    template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    release("0.2.0", {str(template): template.read_text() + "\n\nMY_CONSTANT = 7\n"})
    done, record = run_script(project, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    body = (record / "body").read_text()
    assert "Conflicts to resolve" in body and "- `src/hello_ml/model.py`" in body
    pushed = git("show", "refs/heads/scaffold/update-0.2.0:src/hello_ml/model.py", cwd=remote)
    assert "<<<<<<< " in pushed


def test_the_script_does_nothing_when_up_to_date(behind: tuple[Path, Path], tmp_path: Path) -> None:
    project, remote = behind
    done, record = run_script(project, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "scaffold check: up-to-date" in done.stdout
    assert not (record / "args").exists()
    assert git("branch", "--list", "scaffold/*", cwd=remote).strip() == ""
