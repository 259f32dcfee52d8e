"""Answers from the command line, files and prompts, resolved in copier's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.answers import coerce, parse_data_pairs, resolve
from scaffold.errors import InvalidAnswerError, UsageError
from scaffold.questions import Question, load_questions


def test_parse_data_pairs() -> None:
    assert parse_data_pairs(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    for bad in ("novalue", "=x", " =x"):
        with pytest.raises(UsageError, match="is not KEY=VALUE"):
            parse_data_pairs([bad])


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("bool", "yes", True),
        ("bool", "False", False),
        ("int", "7", 7),
        ("float", "0.5", 0.5),
        ("yaml", "[1, 2]", [1, 2]),
        ("str", "007", "007"),
    ],
)
def test_coerce(kind: str, text: str, value: object) -> None:
    assert coerce(Question(name="q", type=kind), text) == value


def test_coerce_rejects_bad_values() -> None:
    with pytest.raises(InvalidAnswerError, match="q='maybe' is not a valid bool"):
        coerce(Question(name="q", type="bool"), "maybe")


def test_interactive_order_and_gating(fixture_source: Path) -> None:
    asked: list[str] = []

    def ask(question: Question, default: object, context: dict) -> object:
        asked.append(question.name)
        return {"project_name": "my-proj", "classifier": "knn"}.get(question.name, default)

    answers = resolve(load_questions(fixture_source), {"template": "hello-ml"}, ask=ask)
    assert asked[:2] == ["project_name", "package_name"]
    assert asked[-1] == "classifier"
    assert answers["package_name"] == "my_proj"  # the default follows the earlier answer
    assert answers["classifier"] == "knn"
    assert "reserved_package_names" not in answers  # computed, never recorded


def test_a_question_without_default_is_required(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("dataset_url:\n  type: str\n  help: Where the data lives\n")
    questions = load_questions(tmp_path)
    with pytest.raises(InvalidAnswerError, match="no answer for 'dataset_url'.*--data dataset_url=VALUE"):
        resolve(questions, {})
    assert resolve(questions, {"dataset_url": "file:///d"}) == {"dataset_url": "file:///d"}


def test_an_invalid_suggestion_falls_back_to_the_default(fixture_source: Path) -> None:
    answers = resolve(
        load_questions(fixture_source),
        {"template": "hello-ml"},
        suggested={"author_email": "not an email", "author_name": "Ada"},
    )
    assert answers["author_email"] == "you@example.com"
    assert answers["author_name"] == "Ada"
