"""The template contract (docs/template-contract.md), checked for every template in the catalog.

1. Every shared part is the one-line include the contract names, never a re-implementation.
2. Every variant of every template (its answer matrix, as in the smoke tests) generates exactly
   the file set recorded in tests/contract/<case>.txt, and that set holds the contract layout.
   After a deliberate change of a template's files, rewrite the records with
   `SCAFFOLD_WRITE_CONTRACT=1 pytest tests/test_contract.py` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from scaffold.catalog import load_catalog

from .test_smoke import CASES, FIXTURE, case_id, generate

REPO = Path(__file__).resolve().parents[1]
RECORDS = Path(__file__).with_name("contract")
TEMPLATES = [info.name for info in load_catalog(REPO)]

SHARED_SOURCES = {
    "{{_copier_conf.answers_file}}.jinja": "answers.yml.jinja",
    ".pre-commit-config.yaml.jinja": "pre-commit-config.yaml.jinja",
    "Makefile.jinja": "Makefile.jinja",
    "{% if license != 'none' %}LICENSE{% endif %}.jinja": "license.jinja",
    ".dockerignore.jinja": "dockerignore.jinja",
    ".github/workflows/deploy.yml.jinja": "deploy.yml.jinja",
    ".github/workflows/template-update.yml.jinja": "template-update.yml.jinja",
    "src/{{package_name}}/web/shared.js.jinja": "web/shared.js",
    "src/{{package_name}}/web/style.css.jinja": "web/style.css",
    "tests/test_results.py.jinja": "tests/test_results.py.jinja",
    "tests/test_page.py.jinja": "tests/test_page.py.jinja",
}
SHARED_SOURCES |= {
    f"src/{{{{package_name}}}}/{module}.py.jinja": f"src/{module}.py.jinja"
    for module in ("__main__", "cli", "web", "browser", "testing", "progress", "results", "report")
}
# Shared parts a template takes when it needs them, always as a pair: the paired statistics and
# their tests (every template that compares systems with a paired test).
OPTIONAL_SHARED_PAIRS = [
    {
        "src/{{package_name}}/stats.py.jinja": "src/stats.py.jinja",
        "tests/test_stats.py.jinja": "tests/test_stats.py.jinja",
    },
]
# Names whose definition belongs to a shared module: a template defining one again duplicates it.
SHARED_DEFINITIONS = re.compile(
    r"^def (holm|mcnemar_exact_p|paired_randomisation_p|bootstrap_ci|bootstrap_statistic_ci"
    r"|minimum_detectable_effect|fill_readme)\(",
    re.MULTILINE,
)
EXTENDED = {
    "README.md.jinja": "README.md.jinja",
    "pyproject.toml.jinja": "pyproject.toml.jinja",
    ".github/workflows/ci.yml.jinja": "ci.yml.jinja",
    "src/{{package_name}}/web/index.html.jinja": "web/index.html.jinja",
}
TEMPLATE_OWN = ("commands.py", "config.py", "evaluate.py", "server.py", "web/app.js")
CONTRACT_LAYOUT = {
    "Dockerfile",
    ".dockerignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".copier-answers.yml",
    "Makefile",
    "README.md",
    "pyproject.toml",
    "docs/INTERVIEW.md",
    ".github/workflows/ci.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/template-update.yml",
    "tests/test_results.py",
    "tests/test_page.py",
    "tests/test_web.py",
} | {
    f"src/{{package}}/{name}"
    for name in (
        "__init__.py",
        "__main__.py",
        "cli.py",
        "web.py",
        "browser.py",
        "testing.py",
        "progress.py",
        "results.py",
        "report.py",
        "web/index.html",
        "web/shared.js",
        "web/style.css",
        *TEMPLATE_OWN,
    )
}


def project_root(template: str) -> Path:
    if template == FIXTURE:
        return REPO / "tests/fixture_template/project"
    return REPO / "templates" / template / "project"


@pytest.mark.parametrize("template", [*TEMPLATES, FIXTURE])
def test_shared_parts_are_one_line_includes(template: str) -> None:
    root = project_root(template)
    for name, shared in SHARED_SOURCES.items():
        path = root / name
        assert path.is_file(), f"{template} lacks {name}"
        expected = f'{{% include "templates/_shared/{shared}" %}}\n'
        assert path.read_text() == expected, f"{template}/{name} must be exactly {expected!r}"
    for pair in OPTIONAL_SHARED_PAIRS:
        present = [name for name in pair if (root / name).is_file()]
        assert present in ([], list(pair)), f"{template} must take both or neither of {list(pair)}"
        for name in present:
            expected = f'{{% include "templates/_shared/{pair[name]}" %}}\n'
            assert (root / name).read_text() == expected, f"{template}/{name} must be exactly {expected!r}"
    gitignore = (root / ".gitignore.jinja").read_text()
    assert gitignore.startswith('{% include "templates/_shared/gitignore.jinja" %}\n')
    dockerfile = (root / "Dockerfile.jinja").read_text()
    assert dockerfile.startswith(
        (
            '{% include "templates/_shared/Dockerfile.jinja" %}',
            '{% extends "templates/_shared/Dockerfile.jinja" %}',
        )
    ), f"{template}/Dockerfile.jinja must include or extend the shared one"
    for name, shared in EXTENDED.items():
        text = (root / name).read_text()
        assert text.startswith(f'{{% extends "templates/_shared/{shared}" %}}'), (
            f"{template}/{name} must extend templates/_shared/{shared}"
        )


@pytest.mark.parametrize("template", [*TEMPLATES, FIXTURE])
def test_no_template_reimplements_a_shared_part(template: str) -> None:
    package = project_root(template) / "src/{{package_name}}"
    shared = {"report.py.jinja", "cli.py.jinja", "stats.py.jinja"}
    own = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py*")
        if p.name not in shared
        and (SHARED_DEFINITIONS.search(p.read_text()) or "add_subparsers" in p.read_text())
    ]
    assert own == [], f"{template} re-implements a shared part (stats, report or command line): {own}"


def file_set(project: Path) -> list[str]:
    return sorted(
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_variant_generates_exactly_its_recorded_files(
    copie: Any, case: dict[str, Any], fixture_template_source: Path
) -> None:
    project = generate(copie, case, fixture_template_source)
    package = case.get("project_name", case["template"]).replace("-", "_")
    files = file_set(project)
    layout = {name.format(package=package) for name in CONTRACT_LAYOUT}
    assert layout <= set(files), f"missing from the contract layout: {sorted(layout - set(files))}"
    generic = [name.replace(f"/{package}/", "/{package}/") for name in files]
    record = RECORDS / f"{case_id(case)}.txt"
    if os.environ.get("SCAFFOLD_WRITE_CONTRACT"):
        RECORDS.mkdir(exist_ok=True)
        record.write_text("\n".join(generic) + "\n")
    assert record.is_file(), f"no record {record.name}: run SCAFFOLD_WRITE_CONTRACT=1 pytest {__file__}"
    assert generic == record.read_text().splitlines()
