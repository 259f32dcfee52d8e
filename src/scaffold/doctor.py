"""`doctor`: is this portfolio repo ready to show a hiring engineer?

Each check is a small function over a `Repo` view that returns a `Finding`: whether it passed,
what was found, why it matters (one line, in the terms of what convinces a reviewer) and how to
fix it. The score is the weighted share of passed checks, 0 to 100; the next actions are the
fixes of the heaviest failing checks. Nothing here writes to the repo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from . import _git
from ._project import read_answers
from .catalog import load_catalog
from .source import locate

# Dataset names the templates give their shipped, offline data: results on these are a start,
# not evidence. A real public dataset is recorded under its own name (cranfield, ml-100k...).
SHIPPED_DATASET = re.compile(r"demo|synthetic|toy|sample|fixture|shipped|flowers", re.IGNORECASE)
OUTLINE_SECTIONS = (
    "The problem and why it matters",
    "Design",
    "Decisions and trade-offs",
    "How it is evaluated",
    "What failed, and why",
    "Limitations and next steps",
)
PROVENANCE = "generated from the scaffold template"
DEMO_URL = re.compile(
    r"https://(?:huggingface\.co/spaces/[\w.-]+/[\w.-]+|[\w.-]+\.hf\.space|[\w.-]+\.(?:onrender\.com"
    r"|fly\.dev|vercel\.app|streamlit\.app|railway\.app|herokuapp\.com))"
)
SECRET_PATTERNS = {
    "an AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "a private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "a Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "an OpenAI-style API key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
}


@dataclass(frozen=True)
class Finding:
    """The outcome of one check."""

    check: str
    title: str
    passed: bool
    detail: str
    why: str
    fix: str
    weight: int


@dataclass(frozen=True)
class DoctorReport:
    """Every check's finding, the score (0-100) and the next three actions."""

    destination: Path
    template: str
    findings: tuple[Finding, ...]
    score: int
    next_actions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as `schemas/doctor.schema.json` describes it."""
        return {
            "destination": str(self.destination),
            "template": self.template,
            "score": self.score,
            "passed": sum(f.passed for f in self.findings),
            "total": len(self.findings),
            "next_actions": list(self.next_actions),
            "checks": [
                {
                    "check": f.check,
                    "title": f.title,
                    "passed": f.passed,
                    "detail": f.detail,
                    "why": f.why,
                    "fix": f.fix,
                    "weight": f.weight,
                }
                for f in self.findings
            ],
        }


@dataclass
class Repo:
    """A read-only view of a generated repo, with what the checks share computed once."""

    root: Path
    answers: dict[str, Any]
    schema_dir: Path
    shipped_systems: frozenset[str] = field(default_factory=frozenset)

    def text(self, name: str) -> str:
        try:
            return (self.root / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    @cached_property
    def is_git(self) -> bool:
        return _git.toplevel(self.root) is not None

    @cached_property
    def readme(self) -> str:
        return self.text("README.md")

    @cached_property
    def metrics(self) -> tuple[dict[str, Any] | None, str]:
        """metrics.json and the problem with it ('' when it validates)."""
        import jsonschema

        path = self.root / "results" / "metrics.json"
        if not path.is_file():
            return None, "results/metrics.json does not exist"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return None, f"results/metrics.json is not JSON: {error}"
        schema = json.loads((self.schema_dir / "metrics.schema.json").read_text(encoding="utf-8"))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
        if errors:
            return None, f"results/metrics.json does not match the schema: {errors[0].message}"
        return doc, ""

    @cached_property
    def generated_readme(self) -> str:
        """README.md as the template wrote it: its version in the repo's first commit."""
        if not self.is_git:
            return ""
        first = _git.run("rev-list", "--max-parents=0", "HEAD", cwd=self.root, check=False).stdout.split()
        if not first:
            return ""
        shown = _git.run("show", f"{first[-1]}:README.md", cwd=self.root, check=False)
        return shown.stdout if shown.returncode == 0 else ""

    @cached_property
    def tracked_files(self) -> list[str]:
        if not self.is_git:
            skip = {".git", ".venv", "node_modules", "__pycache__"}
            return sorted(
                p.relative_to(self.root).as_posix()
                for p in self.root.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(self.root).parts)
            )
        listed = _git.output("ls-files", "-z", cwd=self.root)
        return [name for name in listed.split("\0") if name]


def sections(markdown: str) -> dict[str, str]:
    """The body of each `## ` section of a Markdown document, keyed by its heading."""
    found: dict[str, str] = {}
    heading = None
    lines: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            if heading is not None:
                found[heading] = "\n".join(lines).strip()
            heading, lines = line[3:].strip(), []
        elif heading is not None:
            lines.append(line)
    if heading is not None:
        found[heading] = "\n".join(lines).strip()
    return found


def _between(text: str, start: str, end: str) -> str | None:
    _, found, rest = text.partition(start)
    body, found_end, _tail = rest.partition(end)
    return body.strip() if found and found_end else None


Outcome = tuple[bool, str]  # passed, and what was found


@dataclass(frozen=True)
class Check:
    """One check: what it is called, why it matters, how to fix it, and its weight in the score."""

    id: str
    title: str
    why: str
    fix: str
    weight: int
    run: Callable[[Repo], Outcome]


CHECKS: list[Check] = []


def check(
    id: str, title: str, *, why: str, fix: str, weight: int
) -> Callable[[Callable[[Repo], Outcome]], Callable[[Repo], Outcome]]:
    """Register a check function in `CHECKS`, in the order they are defined."""

    def register(run: Callable[[Repo], Outcome]) -> Callable[[Repo], Outcome]:
        CHECKS.append(Check(id, title, why, fix, weight, run))
        return run

    return register


@check(
    "results",
    "Results come from the harness",
    why="Evidence first, then the claim: a reviewer trusts numbers a script wrote, not typed ones.",
    fix="Run `make eval` and commit results/.",
    weight=15,
)
def check_results(repo: Repo) -> Outcome:
    doc, problem = repo.metrics
    if doc is None:
        return False, problem
    return True, f"{len(doc['systems'])} systems on dataset {doc['dataset']['name']}"


def _last_code_change(repo: Repo) -> float | None:
    """When the code the results measure last changed (commit time), or None without git."""
    if not repo.is_git:
        return None
    stamp = _git.run("log", "-1", "--format=%ct", "--", "src", cwd=repo.root, check=False).stdout.strip()
    dirty = _git.run("status", "--porcelain", "--", "src", cwd=repo.root, check=False).stdout.strip()
    if dirty:
        return float("inf")
    return float(stamp) if stamp else None


@check(
    "results-fresh",
    "Results are newer than the code they measure",
    why="Numbers from older code describe a system that no longer exists.",
    fix="Commit your code, run `make eval report` again and commit results/ and README.md.",
    weight=8,
)
def check_results_fresh(repo: Repo) -> Outcome:
    from datetime import datetime, timezone

    doc, _ = repo.metrics
    if doc is None:
        return False, "no valid results to date"
    stamp = datetime.strptime(doc["generated_at"][:19], "%Y-%m-%dT%H:%M:%S")
    generated = stamp.replace(tzinfo=timezone.utc).timestamp()
    changed = _last_code_change(repo)
    if changed is None:
        return True, "no git history of src/ to compare with"
    if changed == float("inf"):
        return False, "src/ has uncommitted changes the results do not measure"
    if generated + 1 < changed:
        return False, "src/ changed after results/metrics.json was written"
    return True, f"results written {doc['generated_at']}, after the last code change"


def _format_number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4g}"


@check(
    "readme-matches",
    "The README's numbers are the harness's numbers",
    why="A hand-edited number is the fastest way to lose a reviewer's trust.",
    fix="Run `make report` and commit README.md; never edit between the markers.",
    weight=10,
)
def check_readme_matches(repo: Repo) -> Outcome:
    doc, _ = repo.metrics
    if doc is None:
        return False, "no valid results to compare the README with"
    resume = _between(repo.readme, "<!-- resume:start -->", "<!-- resume:end -->")
    block = _between(repo.readme, "<!-- results:start -->", "<!-- results:end -->")
    if resume is None or block is None:
        return False, "the README lost its results or resume markers"
    if doc["headline"]["claim"] not in resume:
        return False, "the resume line differs from the headline claim in metrics.json"
    for system in doc["systems"]:
        row = next((line for line in block.splitlines() if line.startswith(f"| {system['name']} |")), None)
        if row is None:
            return False, f"system {system['name']} is missing from the results table"
        cells = {cell.strip().strip("*") for cell in row.split("|")}
        wrong = [m for m, v in system["metrics"].items() if _format_number(v) not in cells]
        if wrong:
            return False, f"{system['name']} {wrong[0]} in the README differs from metrics.json"
    return True, "resume line and results table match metrics.json"


@check(
    "real-dataset",
    "Results on a real public dataset",
    why="Toy results do not convince: a benchmark of approaches on real-world data does.",
    fix="Run the harness on a public dataset through its documented loader (see the README).",
    weight=15,
)
def check_real_dataset(repo: Repo) -> Outcome:
    doc, _ = repo.metrics
    if doc is None:
        return False, "no valid results"
    name = doc["dataset"]["name"]
    if SHIPPED_DATASET.search(name):
        return False, f"results are on the shipped dataset '{name}'"
    return True, f"results are on '{name}'"


def _unwritten(body: str, generated: str) -> bool:
    """A section is unwritten when it is empty or keeps most of the outline's question lines.

    The outline is the README of the repo's first commit; without git history, the outline's
    own shape gives it away: a section made mostly of lines that end with a question mark.
    """
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        return True
    prompts = [line.strip() for line in generated.splitlines() if line.strip()]
    if prompts:
        return sum(line in body for line in prompts) * 2 >= len(prompts)
    return sum(line.endswith("?") for line in lines) * 2 >= len(lines)


@check(
    "writeup",
    "The write-up is yours",
    why="A write-up that shows genuine understanding, not a summary, is what gets read.",
    fix="Replace each section's questions with your answers, backed by the numbers in results/.",
    weight=15,
)
def check_writeup(repo: Repo) -> Outcome:
    now, then = sections(repo.readme), sections(repo.generated_readme)
    unwritten = [name for name in OUTLINE_SECTIONS if _unwritten(now.get(name, ""), then.get(name, ""))]
    if unwritten:
        shown = ", ".join(f"'{name}'" for name in unwritten[:3])
        more = f" and {len(unwritten) - 3} more" if len(unwritten) > 3 else ""
        return False, f"still the outline's questions or empty: {shown}{more}"
    return True, "every section of the write-up is in your words"


@check(
    "extension",
    "You built something the template did not ship",
    why="A tutorial followed is not a portfolio: show a system you designed and measured.",
    fix="Do one 'Make it yours' extension and add it to the harness as its own system.",
    weight=10,
)
def check_extension(repo: Repo) -> Outcome:
    doc, _ = repo.metrics
    if doc is None:
        return False, "no valid results"
    own = sorted({s["name"] for s in doc["systems"]} - repo.shipped_systems)
    if not repo.shipped_systems:
        return False, "cannot tell: the catalog lists no shipped systems for this template"
    if not own:
        return False, "every system in the results is one the template shipped"
    return True, f"your own systems: {', '.join(own)}"


@check(
    "deployed",
    "A live demo is linked",
    why="A deployed application that solves a real problem is the first thing reviewers click.",
    fix="Set the HF_TOKEN secret, push to main (deploy.yml) and put the Space URL in the README.",
    weight=10,
)
def check_deployed(repo: Repo) -> Outcome:
    url = DEMO_URL.search(repo.readme)
    if url is None:
        return False, "the README links no live demo"
    return True, f"live demo: {url.group(0)}"


@check(
    "screenshot",
    "A screenshot of the demo page",
    why="Most readers never run your code: the README must show the system working.",
    fix="Run `make demo` and commit docs/demo.png and README.md.",
    weight=4,
)
def check_screenshot(repo: Repo) -> Outcome:
    shot = repo.root / "docs" / "demo.png"
    if not shot.is_file() or "docs/demo.png" not in repo.readme:
        return False, "no docs/demo.png embedded in the README"
    return True, "docs/demo.png is in the README"


@check(
    "tests",
    "Tests exist",
    why="Reliable systems around models need tests like any software.",
    fix="Keep tests/ and add tests for what you change.",
    weight=3,
)
def check_tests(repo: Repo) -> Outcome:
    tests = [name for name in repo.tracked_files if re.search(r"(^|/)tests?/test_[^/]+\.py$", name)]
    if not tests:
        return False, "no tests/test_*.py files"
    return True, f"{len(tests)} test files"


@check(
    "ci",
    "CI runs the tests",
    why="A green CI badge is cheap evidence that the repo works.",
    fix="Restore .github/workflows/ci.yml (`scaffold update` brings the template's back).",
    weight=3,
)
def check_ci(repo: Repo) -> Outcome:
    try:
        workflow = yaml.safe_load(repo.text(".github/workflows/ci.yml"))
    except yaml.YAMLError as error:
        return False, f"ci.yml is not valid YAML: {str(error).splitlines()[0]}"
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    runs = json.dumps(jobs or {})
    if not jobs or not re.search(r"make test|pytest", runs):
        return False, "no CI workflow that runs the tests"
    return True, f"CI jobs: {', '.join(jobs)}"


@check(
    "lint",
    "Lint and type checks configured",
    why="Clean, typed code reads as professional work.",
    fix="Keep [tool.ruff] and [tool.mypy] in pyproject.toml and `make lint` passing.",
    weight=2,
)
def check_lint_config(repo: Repo) -> Outcome:
    pyproject = repo.text("pyproject.toml")
    missing = [tool for tool in ("[tool.ruff", "[tool.mypy]") if tool not in pyproject]
    if missing:
        return False, f"pyproject.toml lost {', '.join(missing)}"
    return True, "ruff and mypy configured"


@check(
    "no-notebook-only",
    "Code lives in modules, not only notebooks",
    why="A notebook alone reads as exploration, not as a system.",
    fix="Move the notebook's logic into src/ with tests; keep notebooks as illustrations.",
    weight=2,
)
def check_no_notebook_only(repo: Repo) -> Outcome:
    notebooks = [name for name in repo.tracked_files if name.endswith(".ipynb")]
    code = [name for name in repo.tracked_files if name.startswith("src/") and name.endswith(".py")]
    if notebooks and len(notebooks) > len(code):
        return False, f"{len(notebooks)} notebooks against {len(code)} modules"
    return True, f"{len(code)} modules, {len(notebooks)} notebooks"


@check(
    "no-secrets",
    "No secrets committed",
    why="A leaked key in a portfolio is a red flag for any team.",
    fix="Remove the secret, rotate it, and read it from the environment instead.",
    weight=5,
)
def check_no_secrets(repo: Repo) -> Outcome:
    for name in repo.tracked_files:
        text = repo.text(name)
        for what, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                return False, f"{name} holds what looks like {what}"
    return True, f"{len(repo.tracked_files)} files scanned"


@check(
    "licence",
    "A licence",
    why="Without a licence nobody may legally reuse the code.",
    fix="Add a LICENSE (`scaffold update --data license=MIT`).",
    weight=1,
)
def check_licence(repo: Repo) -> Outcome:
    if not any((repo.root / name).is_file() for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING")):
        return False, "no LICENSE file"
    return True, "LICENSE present"


@check(
    "provenance",
    "The template is credited",
    why="Saying what you started from is part of an honest portfolio.",
    fix="Restore the provenance line at the end of the README.",
    weight=1,
)
def check_provenance(repo: Repo) -> Outcome:
    if PROVENANCE not in repo.readme:
        return False, "the README no longer says which template it started from"
    return True, "the README credits the template"


@check(
    "up-to-date",
    "On the latest template version",
    why="Template fixes (CI, claims, security) reach you only through updates.",
    fix="Run `scaffold update` and resolve any conflicts.",
    weight=2,
)
def check_up_to_date(repo: Repo) -> Outcome:
    from .check import check_project

    result = check_project(directory=repo.root)
    return (result.exit_code == 0, result.message)


def doctor_project(*, directory: Path) -> DoctorReport:
    """Run every check on the generated repo in `directory`.

    Raises `NotAGeneratedRepoError` (exit 2) when it is not a scaffold project.
    """
    directory = directory.absolute()
    answers = read_answers(directory)
    source = locate()
    template = str(answers["template"])
    shipped = next((info.systems for info in load_catalog(source.root) if info.name == template), ())
    repo = Repo(directory, answers, source.root / "schemas", frozenset(shipped))
    findings = tuple(Finding(c.id, c.title, *c.run(repo), c.why, c.fix, c.weight) for c in CHECKS)
    total = sum(f.weight for f in findings)
    score = round(100 * sum(f.weight for f in findings if f.passed) / total)
    failing = sorted((f for f in findings if not f.passed), key=lambda f: -f.weight)
    return DoctorReport(directory, template, findings, score, tuple(f.fix for f in failing[:3]))
