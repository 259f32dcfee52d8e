"""Shared fixtures: an isolated HOME, and throwaway template sources built from the fixture template.

The fixture template (tests/fixture_template) follows the same contract as the real templates
but is tiny and needs no third-party packages, so the update machinery can be tested quickly
and independently of the catalog. A fixture source is a git repository laid out like this one:
copier.yml, templates/_shared, templates/catalog.yml and the version file.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE_TEMPLATE = REPO / "tests" / "fixture_template"
SHARED_QUESTIONS = frozenset(
    {
        "template",
        "project_name",
        "package_name",
        "author_name",
        "author_email",
        "github_user",
        "python_version",
        "license",
    }
)
FIXTURE_CATALOG = """\
template:
  type: str
  help: Which portfolio project do you want to start?
  choices:
    "Hello ML fixture":
      value: hello-ml
      path: applied
      summary: A tiny classifier project used to test scaffold itself.
      next_steps:
        - "make test       # the project's own tests"
        - "make eval       # results/metrics.json and the plots"
      services:
        classifier: {knn: A k-NN service}
"""


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)


def set_version(source: Path, version: str) -> None:
    (source / "src/scaffold/_version.py").write_text(f'__version__ = "{version}"\n')


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME with a git identity, so nothing touches the real one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("SCAFFOLD_SOURCE", raising=False)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    return home


@pytest.fixture(scope="session")
def _fixture_source_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixture-source") / "source"
    (root / "templates").mkdir(parents=True)
    shutil.copy(REPO / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO / "templates/_shared", root / "templates/_shared")
    shutil.copy(REPO / "templates/paths.yml", root / "templates/paths.yml")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "templates/catalog.yml").write_text(FIXTURE_CATALOG)
    shutil.copytree(FIXTURE_TEMPLATE, root / "templates/hello-ml")
    (root / "src/scaffold").mkdir(parents=True)
    set_version(root, "0.1.0")
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=root, check=True)
    return root


@pytest.fixture(scope="session")
def fixture_template_source(_fixture_source_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of the fixture source, for the smoke tests of the shared spine."""
    root = tmp_path_factory.mktemp("fixture-smoke") / "source"
    shutil.copytree(_fixture_source_template, root)
    identity = ["-c", "user.name=scaffold tests", "-c", "user.email=tests@example.com"]
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(["git", *identity, "commit", "--quiet", "-m", "fixture"], cwd=root, check=True)
    return root


@pytest.fixture
def fixture_source(
    home: Path, tmp_path: Path, _fixture_source_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A template source at version 0.1.0 with the hello-ml fixture, used via SCAFFOLD_SOURCE."""
    source = tmp_path / "source"
    shutil.copytree(_fixture_source_template, source)
    commit_all(source, "templates 0.1.0")
    monkeypatch.setenv("SCAFFOLD_SOURCE", str(source))
    return source


@pytest.fixture
def release(fixture_source: Path) -> Callable[..., None]:
    """Commit a new template version: `release("0.2.0", {"path": "new text"})`."""

    def make(version: str, changes: dict[str, str] | None = None) -> None:
        for relative, text in (changes or {}).items():
            (fixture_source / relative).write_text(text)
        set_version(fixture_source, version)
        commit_all(fixture_source, f"templates {version}")

    return make


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory outside any git repository."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work
