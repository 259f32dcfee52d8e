"""Turn `--data KEY=VALUE`, `--data-file FILE` and prompt answers into validated copier answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from . import _git
from .errors import InvalidAnswerError, UsageError
from .questions import Question, applies, default_for, validation_error

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def parse_data_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Parse `KEY=VALUE` strings; the value may be empty, the key may not."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--data {pair!r} is not KEY=VALUE")
        data[key] = value
    return data


def read_data_file(path: Path) -> dict[str, Any]:
    """Read answers from a YAML or JSON mapping file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read --data-file {path}: {error.strerror}") from None
    try:
        data = yaml.safe_load(text) if path.suffix != ".json" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        first_line = str(error).splitlines()[0]
        raise UsageError(f"--data-file {path} is not valid YAML/JSON: {first_line}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise UsageError(f"--data-file {path} must hold a mapping of answer names to values")
    return data


def coerce(question: Question, value: Any) -> Any:
    """Convert a command-line string to the question's type; other values are checked as is."""
    if not isinstance(value, str):
        return value
    kind = question.type
    try:
        if kind == "bool":
            lowered = value.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(value)
            return lowered in _TRUE
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind in {"yaml", "json"}:
            return yaml.safe_load(value) if kind == "yaml" else json.loads(value)
    except (ValueError, yaml.YAMLError) as error:
        raise InvalidAnswerError(f"{question.name}={value!r} is not a valid {kind}: {error}") from None
    return value


def git_identity() -> dict[str, str]:
    """The user's git name and e-mail, used as the author defaults when configured."""
    identity: dict[str, str] = {}
    for key, answer in (("user.name", "author_name"), ("user.email", "author_email")):
        value = _git.config(key, cwd=Path.home() if Path.home().is_dir() else Path("/"))
        if value:
            identity[answer] = value
    return identity


Ask = Callable[[Question, Any, dict[str, Any]], Any]


def resolve(
    questions: Mapping[str, Question],
    given: Mapping[str, Any],
    *,
    suggested: Mapping[str, Any] | None = None,
    defaults: Mapping[str, tuple[Any, str]] | None = None,
    ask: Ask | None = None,
) -> dict[str, Any]:
    """Answer every question that applies, in copier's order.

    An answer comes from `given`, else from `ask(question, default, answers_so_far)` when
    prompting, else from the default (`suggested` first when it passes the validator).
    `defaults` replaces a question's own default with `(value, origin)`; unlike a suggestion it
    is validated, and a refusal names its origin (e.g. `project_name` from DEST).
    Raises `InvalidAnswerError` for an answer no question takes, an answer its validator
    refuses, or a question that applies but has neither an answer nor a default.
    """
    context: dict[str, Any] = {}
    asked: set[str] = set()
    for question in questions.values():
        if question.computed:
            context[question.name] = default_for(question, context)
            continue
        if not applies(question, context):
            continue
        asked.add(question.name)
        default = default_for(question, context)
        hint = (suggested or {}).get(question.name)
        if hint is not None and validation_error(question, hint, context) is None:
            default = hint
        origin = ""
        if question.name in (defaults or {}):
            default, origin = (defaults or {})[question.name]
        if question.name in given:
            value = coerce(question, given[question.name])
        elif ask is not None:
            value = ask(question, default, context)
        elif default is None:
            raise InvalidAnswerError(
                f"no answer for '{question.name}' ({question.help or 'required'}): "
                f"pass --data {question.name}=VALUE"
            )
        else:
            value = default
        problem = validation_error(question, value, context)
        if problem:
            if question.name in given:
                raise InvalidAnswerError(f"--data {question.name}={value!r}: {problem}")
            if origin and value == default:
                raise InvalidAnswerError(
                    f"{question.name}={value!r} ({origin}): {problem}; pass --data {question.name}=NAME"
                )
            raise InvalidAnswerError(f"{question.name}={value!r}: {problem}")
        context[question.name] = value
    unknown = sorted(set(given) - asked)
    if unknown:
        valid = ", ".join(sorted(asked - {"template"}))
        raise InvalidAnswerError(
            f"no question named {', '.join(map(repr, unknown))} for this template; valid names: {valid}"
        )
    return {name: value for name, value in context.items() if name in asked}
