"""Interactive prompts: the one place that turns question data into questionary prompts.

questionary is imported only when a prompt is shown. Ctrl-C raises KeyboardInterrupt, which the
CLI turns into exit code 130 before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .answers import coerce
from .catalog import CareerPath, TemplateInfo
from .errors import InvalidAnswerError
from .questions import Question, validation_error


def _questionary() -> Any:
    import questionary

    return questionary


def choose_path(paths: Sequence[CareerPath]) -> str:
    """Ask which career path the user is heading for."""
    q = _questionary()
    choices = [
        q.Choice(title=f"{p.title}: {p.builds.split(':')[0].split('.')[0]}", value=p.key) for p in paths
    ]
    return str(q.select("Which career path are you building a portfolio for?", choices=choices).unsafe_ask())


def choose_template(templates: Sequence[TemplateInfo]) -> str:
    """Ask which template to start from, showing each one's summary."""
    q = _questionary()
    choices = [q.Choice(title=f"{t.name}: {t.title}", value=t.name, description=t.summary) for t in templates]
    return str(q.select("Which project do you want to start?", choices=choices).unsafe_ask())


def ask_question(question: Question, default: Any, context: dict[str, Any]) -> Any:
    """Prompt for one answer; free-text answers are re-asked until the validator accepts them."""
    q = _questionary()
    message = question.help or question.name
    if question.choices:
        choices = [q.Choice(title=label, value=value) for label, value in question.choices]
        selected = default if default in [v for _, v in question.choices] else None
        return q.select(message, choices=choices, default=selected).unsafe_ask()
    if question.type == "bool":
        return bool(q.confirm(message, default=bool(default)).unsafe_ask())

    def validate(text: str) -> bool | str:
        try:
            value = coerce(question, text)
        except InvalidAnswerError as error:
            return str(error)
        return validation_error(question, value, context) or True

    prompt = q.password if question.secret else q.text
    text = prompt(message, default="" if default is None else str(default), validate=validate)
    return coerce(question, text.unsafe_ask())


def confirm() -> bool:
    """Ask the user to confirm the summary the CLI has just shown."""
    return bool(_questionary().confirm("Generate the project with these answers?", default=True).unsafe_ask())


def ask_destination(default: str, validate: Callable[[str], bool | str]) -> str:
    """Ask where to create the project; `validate` returns True or the reason it cannot be used."""
    q = _questionary()
    return str(
        q.path(
            "Where should the project go?", default=default, only_directories=True, validate=validate
        ).unsafe_ask()
    )
