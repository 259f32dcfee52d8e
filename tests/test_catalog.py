"""The catalog, the career paths and the shared questions' validators."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.catalog import CAREER_PATHS, find_template, load_catalog, load_paths
from scaffold.errors import UnknownTemplateError
from scaffold.questions import applies, load_questions, validation_error

from .conftest import SHARED_QUESTIONS

REPO = Path(__file__).resolve().parents[1]


def test_catalog_and_template_folders_match() -> None:
    catalog = load_catalog(REPO)
    names = [t.name for t in catalog]
    assert len(names) == len(set(names))
    folders = {p.name for p in (REPO / "templates").iterdir() if p.is_dir() and p.name != "_shared"}
    assert set(names) == folders
    for info in catalog:
        assert info.path in CAREER_PATHS
        assert (REPO / "templates" / info.name / "project").is_dir()
        assert (REPO / "templates" / info.name / "questions.yml").is_file()


def test_template_questions_apply_only_to_their_template() -> None:
    questions = load_questions(REPO)
    shared = SHARED_QUESTIONS | {"reserved_package_names"}
    for question in questions.values():
        if question.name in shared:
            continue
        owners = [t.name for t in load_catalog(REPO) if applies(question, {"template": t.name})]
        assert len(owners) == 1, f"{question.name} applies to {owners}"


def test_paths_list_their_templates() -> None:
    paths = {p.key: p for p in load_paths(REPO)}
    assert set(paths) == set(CAREER_PATHS)
    for info in load_catalog(REPO):
        assert info.name in paths[info.path].templates
    assert "ML Platform Engineer" in paths["infra"].roles
    assert all(path.roles for path in paths.values()), "every path names the roles to target"


def test_unknown_template_suggestion() -> None:
    first = load_catalog(REPO)[0].name
    with pytest.raises(UnknownTemplateError, match=f"did you mean '{first}'"):
        find_template(REPO, first[:-1])


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("project_name", "rag-eval", True),
        ("project_name", "My_Project2", True),
        ("project_name", "", False),
        ("project_name", "2fast", False),
        ("project_name", "a/b", False),
        ("project_name", "../x", False),
        ("package_name", "rag_eval", True),
        ("package_name", "_private", True),
        ("package_name", "import", False),
        ("package_name", "match", False),
        ("package_name", "asyncio", False),
        ("package_name", "tomllib", False),
        ("package_name", "distutils", False),
        ("package_name", "rag-eval", False),
        ("author_email", "ada@example.org", True),
        ("author_email", "ada@localhost", False),
        ("author_email", "a b@example.org", False),
        ("github_user", "ada-lovelace", True),
        ("github_user", "-ada", False),
        ("github_user", "ada--l", False),
        ("author_name", "   ", False),
        ("python_version", "3.13", True),
        ("python_version", "3.9", False),
    ],
)
def test_shared_validators(name: str, value: str, ok: bool) -> None:
    questions = load_questions(REPO)
    context = {"reserved_package_names": questions["reserved_package_names"].default}
    problem = validation_error(questions[name], value, context)
    assert (problem is None) == ok, problem
