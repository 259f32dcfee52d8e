"""The interactive flow, with questionary replaced by a scripted stand-in (no terminal needed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scaffold import cli, prompts


class Scripted:
    """Answers prompts from a script and records each prompt's message and validation results."""

    def __init__(self, replies: dict[str, list[Any]]) -> None:
        self.replies = replies
        self.messages: list[str] = []
        self.rejected: list[str] = []

    def Choice(self, title: str, value: Any, description: str | None = None) -> Any:
        return value

    def _prompt(self, message: str, validate: Callable[[str], Any] | None = None, **_: Any) -> Any:
        self.messages.append(message)
        key = next(k for k in self.replies if k in message)
        script = self.replies[key]

        class Answer:
            def unsafe_ask(inner) -> Any:
                while True:
                    reply = script.pop(0)
                    verdict = validate(reply) if validate else True
                    if verdict is True:
                        return reply
                    self.rejected.append(str(verdict))

        return Answer()

    select = text = password = confirm = path = _prompt


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[Any]]], Scripted]:
    def install(replies: dict[str, list[Any]]) -> Scripted:
        fake = Scripted(replies)
        monkeypatch.setattr(prompts, "_questionary", lambda: fake)
        monkeypatch.setattr(cli, "_interactive", lambda defaults: not defaults)
        return fake

    return install


def test_interactive_new_asks_path_template_questions_then_confirms(
    fixture_source: Path, workdir: Path, scripted
) -> None:
    fake = scripted(
        {
            "career path": ["applied"],
            "Which project": ["hello-ml"],
            "Project name": ["bad name", "flower-kit"],
            "Where should": ["taken", "flower-kit"],  # the first is refused: not empty
            "import name": ["json", "flower_kit"],
            "name (for the licence": ["Ada"],
            "e-mail": ["ada"],  # rejected, then the next reply
            "GitHub": ["ada-l"],
            "Python version": ["3.11"],
            "Licence": ["none"],
            "classifier": ["knn"],
            "Generate the project": [True],
        }
    )
    fake.replies["e-mail"].append("ada@example.org")
    (workdir / "taken").mkdir()
    (workdir / "taken/notes.txt").write_text("mine")
    result = CliRunner().invoke(cli.app, ["new"])
    assert result.exit_code == 0, result.output
    assert fake.messages[0].startswith("Which career path")
    where = fake.messages.index("Where should the project go?")
    assert fake.messages[where - 1].startswith("Project name")  # asked right after the name
    assert any("taken exists and is not empty" in r for r in fake.rejected)
    assert re.search(r"^  destination +flower-kit$", result.output, re.MULTILINE)  # the summary shows it
    assert fake.messages[-1] == "Generate the project with these answers?"
    assert any("project_name must start with a letter" in r for r in fake.rejected)
    assert any("standard-library module" in r for r in fake.rejected)
    assert any("is not an e-mail address" in r for r in fake.rejected)
    assert (workdir / "flower-kit/src/flower_kit/model.py").read_text().count("class Knn") == 1
    assert "--data license=none" in result.output


def test_declining_the_summary_writes_nothing(fixture_source: Path, workdir: Path, scripted) -> None:
    scripted(
        {
            "Project name": ["hello-ml"],
            "Where should": ["./hello-ml"],
            "import name": ["hello_ml"],
            "name (for the licence": ["Ada"],
            "e-mail": ["a@b.co"],
            "GitHub": ["ada"],
            "Python version": ["3.12"],
            "Licence": ["MIT"],
            "classifier": ["centroid"],
            "Generate the project": [False],
        }
    )
    result = CliRunner().invoke(cli.app, ["new", "hello-ml"])
    assert result.exit_code == 1, result.exception
    assert "Nothing was written." in result.output
    assert list(workdir.iterdir()) == []


def test_ctrl_c_at_a_prompt_exits_130_and_writes_nothing(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_interactive", lambda defaults: True)
    monkeypatch.setattr(prompts, "choose_path", interrupted)
    result = CliRunner().invoke(cli.app, ["new"])
    assert result.exit_code == 130
    assert list(workdir.iterdir()) == []


def test_a_given_dest_is_checked_right_after_the_project_name(
    fixture_source: Path, workdir: Path, scripted
) -> None:
    (workdir / "taken").mkdir()
    (workdir / "taken/notes.txt").write_text("mine")
    fake = scripted({"Project name": ["taken"], "import name": ["taken"]})
    result = CliRunner().invoke(cli.app, ["new", "hello-ml", "taken"])
    assert result.exit_code == 1
    assert fake.messages == [
        "Project name (letters, digits, '-' and '_'; it names the folder and the distribution)"
    ]
    assert "taken exists and is not empty" in result.stderr
    assert [p.name for p in (workdir / "taken").iterdir()] == ["notes.txt"]


def test_the_name_prompt_defaults_to_dest_and_placeholders_are_marked(
    fixture_source: Path, workdir: Path, scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults: dict[str, Any] = {}

    def record(question: Any, default: Any, context: dict[str, Any]) -> Any:
        defaults[question.name] = default
        return default

    monkeypatch.setattr(prompts, "ask_question", record)
    scripted({"Generate the project": [True]})
    result = CliRunner().invoke(cli.app, ["new", "hello-ml", "my-demo"])
    assert result.exit_code == 0, result.output
    assert defaults["project_name"] == "my-demo" and defaults["package_name"] == "my_demo"
    assert re.search(
        r"^  github_user +your-github-user   <- still a placeholder$", result.output, re.MULTILINE
    )
    lines = result.output.splitlines()
    (fix,) = [line for line in lines if line.strip().startswith("scaffold update --data")]
    assert "--data github_user=..." in fix and "# replace the placeholders" in fix
