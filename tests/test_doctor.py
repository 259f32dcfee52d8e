"""Tests of `scaffold doctor`: every check passes on a repo where the work was done and fails on
one where it was not, and the whole report on freshly generated and finished repos."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

import scaffold
from scaffold.doctor import CHECKS, Repo, doctor_project, sections

REPO = Path(__file__).resolve().parents[1]
SECTIONS = (
    "The problem and why it matters",
    "Design",
    "Decisions and trade-offs",
    "How it is evaluated",
    "What failed, and why",
    "Limitations and next steps",
)
CLAIM = "Compared BM25 and hybrid retrieval on cranfield (1400 documents, 225 queries): hybrid led."
METRICS = {
    "schema_version": 1,
    "template": "rag-eval",
    "generated_at": "2099-01-01T00:00:00Z",
    "dataset": {"name": "cranfield", "stats": {"documents": 1400, "queries": 225}},
    "config": {"seed": 0},
    "systems": [
        {"name": "bm25", "metrics": {"ndcg@10": 0.511}},
        {"name": "cross-encoder", "metrics": {"ndcg@10": 0.5502}},
    ],
    "plots": [],
    "headline": {"system": "cross-encoder", "metric": "ndcg@10", "value": 0.5502, "claim": CLAIM},
}


def outline(answers: str | None = None) -> str:
    """A README in the shared outline's shape: questions, or the user's `answers` in each section."""
    body = "".join(
        f"## {name}\n{answers or '- Why this choice? What did you compare it with?'}\n\n" for name in SECTIONS
    )
    return (
        "# rag-eval\n\n<!-- resume:start -->\n_run make eval report_\n<!-- resume:end -->\n\n"
        f"{body}## Results\n<!-- results:start -->\n_No results yet_\n<!-- results:end -->\n\n"
        "<sub>The baseline was generated from the scaffold template `rag-eval`.</sub>\n"
    )


def finished_readme() -> str:
    text = outline("I chose 300-token chunks after measuring 100, 300 and 600 on Cranfield.")
    text = text.replace("_run make eval report_", f"**{CLAIM}**")
    table = "| system | ndcg@10 |\n|---|---:|\n| bm25 | 0.511 |\n| cross-encoder | **0.5502** |"
    text = text.replace("_No results yet_", f"Dataset `cranfield`.\n\n{table}")
    return (
        text + "\nLive demo: https://huggingface.co/spaces/ada/rag-eval\n\n![The demo page](docs/demo.png)\n"
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def finished(tmp_path: Path) -> Path:
    """A repo whose first commit is the generated outline and whose later work is all done."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "README.md").write_text(outline())
    (repo / "src").mkdir()
    (repo / "src/model.py").write_text("def fit() -> None: ...\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "generated")
    (repo / "README.md").write_text(finished_readme())
    (repo / "results").mkdir()
    (repo / "results/metrics.json").write_text(json.dumps(METRICS))
    (repo / "docs").mkdir()
    (repo / "docs/demo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (repo / "tests").mkdir()
    (repo / "tests/test_model.py").write_text("def test_fit() -> None:\n    assert True\n")
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
    )
    (repo / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n\n[tool.mypy]\nstrict = true\n")
    (repo / "LICENSE").write_text("MIT License\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "my work")
    return repo


def view(repo: Path) -> Repo:
    return Repo(repo, {"template": "rag-eval"}, REPO / "schemas", frozenset({"bm25", "dense", "hybrid"}))


def run_check(check_id: str, repo: Path) -> tuple[bool, str]:
    check = next(c for c in CHECKS if c.id == check_id)
    return check.run(view(repo))


def _write(name: str, text: str) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)

    return change


def _edit_readme(old: str, new: str) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        readme = repo / "README.md"
        readme.write_text(readme.read_text().replace(old, new))

    return change


def _metrics(**changes: object) -> Callable[[Path], None]:
    return _write("results/metrics.json", json.dumps(METRICS | changes))


def _add(*names: str, text: str) -> Callable[[Path], None]:
    """Write and stage files, so that git-tracked scans see them."""

    def change(repo: Path) -> None:
        for name in names:
            _write(name, text)(repo)
            git(repo, "add", name)

    return change


def _commit_code_later(repo: Path) -> None:
    (repo / "results/metrics.json").write_text(json.dumps(METRICS | {"generated_at": "2001-01-01T00:00:00Z"}))
    (repo / "src/model.py").write_text("def fit() -> int:\n    return 1\n")
    git(repo, "commit", "-qam", "change the model")


BREAKS: dict[str, Callable[[Path], None]] = {
    "results": lambda repo: (repo / "results/metrics.json").unlink(),
    "results-fresh": _commit_code_later,
    "readme-matches": _edit_readme("| bm25 | 0.511 |", "| bm25 | 0.611 |"),
    "real-dataset": _metrics(dataset={"name": "demo", "stats": {"queries": 40}}),
    "writeup": _edit_readme(
        "## What failed, and why\nI chose 300-token chunks after measuring 100, 300 and 600 on Cranfield.",
        "## What failed, and why\n- Why this choice? What did you compare it with?",
    ),
    "extension": _metrics(
        systems=[
            {"name": "bm25", "metrics": {"ndcg@10": 0.511}},
            {"name": "hybrid", "metrics": {"ndcg@10": 0.5}},
        ],
        headline=METRICS["headline"] | {"system": "hybrid"},
    ),
    "deployed": _edit_readme("https://huggingface.co/spaces/ada/rag-eval", "https://huggingface.co/spaces/"),
    "screenshot": lambda repo: (repo / "docs/demo.png").unlink(),
    "tests": lambda repo: git(repo, "rm", "-q", "tests/test_model.py"),
    "ci": _write(
        ".github/workflows/ci.yml", "on: push\njobs:\n  lint:\n    steps:\n      - run: ruff check\n"
    ),
    "lint": _write("pyproject.toml", "[project]\nname = 'x'\n"),
    "no-notebook-only": _add("notebooks/a.ipynb", "notebooks/b.ipynb", text="{}"),
    "no-secrets": _add("config.py", text='KEY = "AKIA' + 'ABCDEFGHIJKLMNOP"\n'),
    "licence": lambda repo: (repo / "LICENSE").unlink(),
    "provenance": _edit_readme("generated from the scaffold template", "made by me"),
}


def test_every_check_has_a_breaking_case() -> None:
    assert {c.id for c in CHECKS} - {"up-to-date"} == set(BREAKS)


@pytest.mark.parametrize("check_id", sorted(BREAKS))
def test_each_check_passes_on_finished_work_and_fails_when_broken(finished: Path, check_id: str) -> None:
    passed, detail = run_check(check_id, finished)
    assert passed, f"{check_id} failed on finished work: {detail}"
    BREAKS[check_id](finished)
    passed, detail = run_check(check_id, finished)
    assert not passed, f"{check_id} passed on a broken repo: {detail}"
    assert detail


def test_sections_splits_on_second_level_headings() -> None:
    assert sections("# t\nintro\n## A\none\n\n## B\ntwo\n") == {"A": "one", "B": "two"}


@pytest.mark.usefixtures("fixture_source")
def test_doctor_on_a_fresh_repo_scores_low_and_names_fixes(workdir: Path) -> None:
    project = scaffold.new_project(template="hello-ml").destination
    report = doctor_project(directory=project)
    schema = json.loads((REPO / "schemas/doctor.schema.json").read_text())
    jsonschema.validate(report.to_json(), schema)
    failing = {f.check for f in report.findings if not f.passed}
    assert {"results", "writeup", "deployed", "screenshot", "real-dataset"} <= failing
    assert report.score < 40
    assert len(report.next_actions) == 3
    assert all(f.fix and f.why for f in report.findings)


@pytest.mark.usefixtures("fixture_source")
def test_doctor_cli_gates_on_the_minimum_score(workdir: Path) -> None:
    from typer.testing import CliRunner

    from scaffold.cli import app

    project = scaffold.new_project(template="hello-ml").destination
    runner = CliRunner()
    shown = runner.invoke(app, ["doctor", str(project)])
    assert shown.exit_code == 0 and "score" in shown.output and "fix:" in shown.output
    assert runner.invoke(app, ["doctor", str(project), "--min-score", "90"]).exit_code == 1
    as_json = runner.invoke(app, ["doctor", str(project), "--json"])
    assert json.loads(as_json.output)["score"] < 90
    assert runner.invoke(app, ["doctor", str(workdir)]).exit_code == 2  # not a generated repo
