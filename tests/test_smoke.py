"""Smoke tests of every template in the catalog (marker `smoke`; slow).

For each template, a matrix of answers built from its own questions: every choice of every
choice or yes/no question appears in at least one case. Each case must generate, leave no Jinja
behind, pass ruff and have a valid GitHub workflow. Each distinct code variant (the template's
own answers) is then installed into a fresh virtual environment, where its own tests, lint and
type checks must pass, `eval --quick` must write schema-valid results and a plot, and
`report` must fill the README; the default and service variants also run the jobs a template
adds to its own CI for heavy extras (Spark...), with those extras installed. That venv uses
the case's `python_version` when this machine has that interpreter, so both the oldest (3.10)
and the newest supported Python are exercised.
No container base image can be pulled on these machines, so each variant's Dockerfile is checked
by parsing it and by running its steps in a second fresh venv: `pip install .` (a real wheel,
so the demo page's files must be packaged), then the image's start command in an empty folder
holding only results/, answering /health, / and /api/results, and the HEALTHCHECK command.
A new template is tested by adding it to the catalog.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from scaffold.catalog import load_catalog, load_guide
from scaffold.questions import applies, load_questions, questions_from_file

from .conftest import SHARED_QUESTIONS

REPO = Path(__file__).resolve().parents[1]
LEFTOVER = re.compile(r"\{\{|\{%|%\}|\s\}\}")  # a lone "}}" closes nested dicts in code
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
SCHEMA = json.loads((REPO / "schemas/metrics.schema.json").read_text())
DOCTOR_SCHEMA = json.loads((REPO / "schemas/doctor.schema.json").read_text())

pytestmark = pytest.mark.smoke


def answer_matrix(root: Path, template: str) -> list[dict[str, Any]]:
    """Cases covering every choice of every choice/bool question that applies to `template`."""
    context: dict[str, Any] = {"template": template}
    options: dict[str, list[Any]] = {}
    questions = dict(load_questions(REPO))
    if root != REPO:
        questions |= questions_from_file(root / "questions.yml", root)
    for question in questions.values():
        if question.computed or question.name == "template" or not applies(question, context):
            continue
        if question.choices:
            options[question.name] = [value for _, value in question.choices]
        elif question.type == "bool":
            options[question.name] = [False, True]
    size = max((len(values) for values in options.values()), default=1)
    cases = [{name: values[i % len(values)] for name, values in options.items()} for i in range(size)]
    cases[-1] |= {"project_name": "my-portfolio", "author_name": 'Ada O\'Brien "Dev"'}
    return [{"template": template, **case} for case in cases]


def own_variant(case: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in case.items() if k not in SHARED_QUESTIONS))


FIXTURE = "hello-ml"  # tests/fixture_template: the shared spine, independent of any real template
CASES = [case for info in load_catalog(REPO) for case in answer_matrix(REPO, info.name)]
CASES += answer_matrix(REPO / "tests/fixture_template", FIXTURE)


def pick_variants(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One case per code variant: a template's first variant at its first case (the oldest
    Python of the matrix), every other variant at its last case (the newest Python)."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for case in cases:
        groups.setdefault((case["template"], own_variant(case)), []).append(case)
    seen: set[str] = set()
    picked = []
    for (template, _), group in groups.items():
        picked.append(group[-1] if template in seen else group[0])
        seen.add(template)
    return picked


VARIANTS = pick_variants(CASES)


def runs_full_suite(case: dict[str, Any]) -> bool:
    """The default variant of each template and every variant that needs a service (Redis,
    PostgreSQL...) run everything; the other variants get the lighter check (lint, type check,
    eval, report), which keeps CI near half an hour as templates grow."""
    first = next(v for v in VARIANTS if v["template"] == case["template"])
    if case is first or case["template"] == FIXTURE:
        return True
    return bool(load_guide(REPO, case["template"]).services_for(case))


def case_id(case: dict[str, Any]) -> str:
    return "-".join(str(v) for k, v in case.items() if k not in {"author_name"})


def text_files(project: Path) -> list[Path]:
    files = []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            files.append(path)
    return files


def tool(name: str) -> str:
    """A command installed beside this interpreter (the test venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"the smoke tests need {name} (pip install -e '.[dev]')"
    return found


def interpreter(version: str) -> str:
    """A Python `version` interpreter found on this machine, else the one running the tests."""
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return sys.executable


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **env}
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def generate(copie: Any, case: dict[str, Any], fixture_source: Path) -> Path:
    template_dir = fixture_source if case["template"] == FIXTURE else REPO
    result = copie.copy(extra_answers=case, template_dir=template_dir)
    assert result.exit_code == 0, result.exception
    return Path(result.project_dir)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_case_generates_clean(copie: Any, case: dict[str, Any], fixture_template_source: Path) -> None:
    project = generate(copie, case, fixture_template_source)
    for path in text_files(project):
        text = GITHUB_EXPRESSION.sub("", path.read_text(encoding="utf-8"))
        leftover = LEFTOVER.search(text)
        assert leftover is None, f"{path.relative_to(project)}: leftover Jinja {leftover.group()!r}"
    package = case.get("project_name", case["template"]).replace("-", "_")
    assert (project / "src" / package / "__init__.py").is_file()
    assert (project / "LICENSE").exists() == (case["license"] != "none")
    ruff = [sys.executable, "-m", "ruff"]
    run([*ruff, "check", "--no-cache", "."], project)
    run([*ruff, "format", "--check", "--no-cache", "."], project)
    workflows = sorted(str(p.relative_to(project)) for p in (project / ".github/workflows").glob("*.yml"))
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows], project)


@pytest.mark.parametrize("case", VARIANTS, ids=case_id)
def test_generated_project_passes_its_own_checks(
    copie: Any, case: dict[str, Any], tmp_path: Path, fixture_template_source: Path
) -> None:
    project = generate(copie, case, fixture_template_source)
    package = case.get("project_name", case["template"]).replace("-", "_")
    commit_as_generated(project)
    venv = tmp_path / "venv"
    uv = tool("uv")
    run([uv, "venv", "--quiet", "--python", interpreter(case["python_version"]), str(venv)], project)
    python = str(venv / "bin/python")
    run([uv, "pip", "install", "--quiet", "--python", python, "-e", ".[dev]"], project)
    full = runs_full_suite(case)
    if full:
        run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, CI="true")
    run(["make", "lint", f"PY={python}"], project)
    run([python, "-m", package, "eval", "--quick", "--out", "results"], project)
    metrics = json.loads((project / "results/metrics.json").read_text())
    jsonschema.validate(metrics, SCHEMA)
    assert metrics["template"] == case["template"]
    assert list((project / "results").glob("*.png")), "eval wrote no plot"
    assert set(metrics["plots"]) <= {p.name for p in (project / "results").glob("*.png")}
    run([python, "-m", package, "report", "--results", "results", "--readme", "README.md"], project)
    readme = (project / "README.md").read_text()
    assert metrics["headline"]["claim"] in readme
    assert "No results yet" not in readme
    assert not re.match(r"\s*\**Built", metrics["headline"]["claim"]), "a claim never says Built"
    systems = {s["name"] for s in metrics["systems"]}
    shipped = next((set(i.systems) for i in load_catalog(REPO) if i.name == case["template"]), systems)
    assert systems <= shipped, f"catalog.yml must list every shipped system: {sorted(systems - shipped)}"
    doctor = run([sys.executable, "-m", "scaffold", "doctor", "--json", str(project)], project)
    report = json.loads(doctor.stdout)
    jsonschema.validate(report, DOCTOR_SCHEMA)
    failing = {check["check"] for check in report["checks"] if not check["passed"]}
    assert {"writeup", "extension", "deployed", "screenshot"} <= failing, "a fresh repo is not ready"
    assert report["score"] < 70
    if full:
        run_extra_ci_jobs(project, python)
    if full and not needs_a_service(project):
        check_container_recipe(project, package, case["python_version"], tmp_path)


SHARED_JOBS = {"lint", "test", "docker"}
EDITABLE_INSTALL = re.compile(r'^python -m pip install -e ("?\.(\[[\w,-]+\])?"?)$')
SKIPPED_STEPS = (
    re.compile(r"^sudo apt-get "),  # system packages: .ci/run installs them
    re.compile(r"^python -m pip install .* --(extra-)?index-url "),  # e.g. CPU torch: PyPI here
)


def run_extra_ci_jobs(project: Path, python: str) -> None:
    """Mirror each job a template adds to its own CI (heavy extras such as Spark, a regression
    gate, a benchmark smoke run) in the variant's venv: its installs and its python commands,
    whose tests may not skip. System packages come from .ci/run; services are started by the
    tests themselves, as in the test job, so a job with `services` runs without its env."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    for name, job in workflow["jobs"].items():
        if name in SHARED_JOBS:
            continue
        env = {} if job.get("services") else {k: str(v) for k, v in job.get("env", {}).items()}
        commands = [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines()]
        for command in filter(None, commands):
            if any(pattern.match(command) for pattern in SKIPPED_STEPS):
                continue
            editable = EDITABLE_INSTALL.match(command)
            if editable:
                spec = editable.group(1).strip('"')
                run([tool("uv"), "pip", "install", "--quiet", "--python", python, "-e", spec], project)
                continue
            assert command.startswith("python "), f"CI job {name}: cannot mirror step {command!r}"
            args = [python, *shlex.split(command)[1:]]
            if args[1:3] == ["-m", "pytest"]:
                args += ["-p", "no:cacheprovider"]
            done = run(args, project, **{**env, "CI": "true"})
            if args[1:3] == ["-m", "pytest"]:
                summary = done.stdout.strip().splitlines()[-1]
                assert "skipped" not in summary, f"CI job {name} skipped tests: {summary}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8", "replace")


def commit_as_generated(project: Path) -> None:
    """Commit the generated files as `scaffold new` does, so doctor sees the outline's history."""
    identity = ["-c", "user.name=scaffold smoke", "-c", "user.email=smoke@example.com"]
    run(["git", "init", "--quiet", "--initial-branch=main"], project)
    run(["git", "add", "--all"], project)
    run(["git", *identity, "commit", "--quiet", "-m", "Generated by scaffold"], project)


def check_container_recipe(project: Path, package: str, python_version: str, tmp_path: Path) -> None:
    """Parse the Dockerfile, then run its install and start steps in a fresh venv (no engine here)."""
    parser = DockerfileParser(fileobj=io.BytesIO((project / "Dockerfile").read_bytes()))
    steps = [(i["instruction"], i["value"]) for i in parser.structure if i["instruction"] != "COMMENT"]
    stages = [value for instruction, value in steps if instruction == "FROM"]
    assert len(stages) >= 2, "the Dockerfile must be multi-stage"
    runtime = steps[max(i for i, (instruction, _) in enumerate(steps) if instruction == "FROM") :]
    users = [value for instruction, value in runtime if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the runtime stage must run as a non-root user"
    healthcheck = next(value for instruction, value in runtime if instruction == "HEALTHCHECK")
    command = json.loads(next(value for instruction, value in runtime if instruction == "CMD"))
    assert command == ["python", "-m", package, "serve", "--host", "0.0.0.0"], command
    assert ("RUN", "pip install .") in steps

    venv = tmp_path / "image-venv"
    uv = tool("uv")
    run([uv, "venv", "--quiet", "--python", interpreter(python_version), str(venv)], project)
    python = str(venv / "bin/python")
    run([uv, "pip", "install", "--quiet", "--python", python, "."], project)
    workdir = tmp_path / "home-app"  # as the image: only results/ beside the app
    shutil.copytree(project / "results", workdir / "results")
    port = str(_free_port())
    env = {**os.environ, "PORT": port, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    server = subprocess.Popen(
        [python, *command[1:]], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                assert _get(f"{base}/health")[0] == 200
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0].decode()[-3000:]
                assert time.monotonic() < deadline, "the app did not answer /health in 120 s"
                time.sleep(0.5)
        status, page = _get(f"{base}/")
        assert status == 200 and "<main>" in page
        assert json.loads(_get(f"{base}/api/results")[1])["template"]
        check = json.loads(healthcheck.split("CMD", 1)[1].strip())
        run([python, *check[1:]], workdir, PORT=port)
    finally:
        server.terminate()
        server.wait(timeout=30)


def needs_a_service(project: Path) -> bool:
    """True when the variant's container needs a service (its CI passes one with docker run -e)."""
    ci = (project / ".github/workflows/ci.yml").read_text()
    return "docker run -d --name app --network host -e" in ci
