"""Read copier's questions without importing copier, and render their Jinja the way copier does.

`copier.yml` (with its `!include`s) is the one source of truth for the questions. Defaults,
validators and `when:` are rendered here for the prompts, `--defaults` and the smoke-test matrix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import TemplateSourceError


@dataclass(frozen=True)
class Question:
    """One copier question, as written in copier.yml (Jinja left unrendered)."""

    name: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: tuple[tuple[str, Any], ...] = ()
    validator: str = ""
    when: Any = True
    secret: bool = False

    @property
    def computed(self) -> bool:
        """A `when: false` value: copier computes it and never asks or records it."""
        return self.when is False


def _load_yaml_documents(conf: Path, root: Path) -> list[dict[str, Any]]:
    """Load copier.yml's documents, expanding `!include <glob>` relative to `root` like copier."""

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """A private loader (libyaml's when present, for speed) that knows `!include`."""

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        documents: list[Any] = []
        for path in sorted(root.glob(pattern)):
            documents.extend(d for d in yaml.load_all(path.read_text("utf-8"), Loader) if d)
        return documents

    Loader.add_constructor("!include", include)
    flat: list[dict[str, Any]] = []
    for document in yaml.load_all(conf.read_text("utf-8"), Loader):
        for item in document if isinstance(document, list) else [document]:
            if isinstance(item, list):
                flat.extend(i for i in item if isinstance(i, dict))
            elif isinstance(item, dict):
                flat.append(item)
    return flat


@lru_cache(maxsize=8)
def load_questions(root: Path) -> dict[str, Question]:
    """Every question in the template source at `root`, in copier's order."""
    return questions_from_file(root / "copier.yml", root)


def questions_from_file(conf: Path, root: Path) -> dict[str, Question]:
    """The questions in one copier YAML file, its `!include` globs taken relative to `root`."""
    try:
        documents = _load_yaml_documents(conf, root)
    except (OSError, yaml.YAMLError) as error:
        raise TemplateSourceError(f"cannot read the template questions in {conf}: {error}") from None
    questions: dict[str, Question] = {}
    for document in documents:
        for name, spec in document.items():
            if name.startswith("_"):
                continue
            if not isinstance(spec, dict):
                spec = {"default": spec}
            choices = spec.get("choices") or ()
            if isinstance(choices, dict):
                pairs = tuple(
                    (str(label), value["value"] if isinstance(value, dict) else value)
                    for label, value in choices.items()
                )
            else:
                pairs = tuple((str(value), value) for value in choices)
            questions[name] = Question(
                name=name,
                type=str(spec.get("type", "str")),
                help=str(spec.get("help", "")),
                default=spec.get("default"),
                choices=pairs,
                validator=str(spec.get("validator", "")),
                when=spec.get("when", True),
                secret=bool(spec.get("secret", False)),
            )
    return questions


def _regex_search(value: Any, pattern: str) -> str | None:
    match = re.search(pattern, str(value))
    return match.group(0) if match else None


def _strftime(fmt: str) -> str:
    return datetime.now().strftime(fmt)


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined)
    env.filters["regex_search"] = _regex_search
    env.filters["strftime"] = _strftime
    return env


def render(text: Any, context: dict[str, Any]) -> Any:
    """Render a Jinja string against `context` as copier would; non-strings pass through."""
    if not isinstance(text, str) or ("{{" not in text and "{%" not in text):
        return text
    return _environment().from_string(text).render(**context)


def applies(question: Question, context: dict[str, Any]) -> bool:
    """Whether copier would ask `question` given the answers in `context`."""
    when = render(question.when, context)
    if isinstance(when, str):
        return when.strip().lower() not in {"", "false", "0", "no", "none"}
    return bool(when)


def default_for(question: Question, context: dict[str, Any]) -> Any:
    """The question's default rendered against the answers so far."""
    return render(question.default, context)


def validation_error(question: Question, value: Any, context: dict[str, Any]) -> str | None:
    """The validator's message for `value`, or None when the value is accepted."""
    if question.choices and value not in [v for _, v in question.choices]:
        allowed = ", ".join(str(v) for _, v in question.choices)
        return f"{question.name} must be one of: {allowed}"
    if not question.validator:
        return None
    message = str(render(question.validator, {**context, question.name: value})).strip()
    return " ".join(message.split()) or None


# Values a default puts in front of the user that nobody should publish: the shared questions'
# placeholders, and e-mail addresses in the domains reserved for examples (RFC 2606).
_PLACEHOLDERS = re.compile(
    r"^(your[-_ ].*|your name|.*@(.+\.)?(example\.(com|org|net)|invalid|test|localhost))$", re.IGNORECASE
)


def is_placeholder(value: Any) -> bool:
    """Whether an answer still holds a placeholder (`your-github-user`, `you@example.com`, ...)."""
    return isinstance(value, str) and bool(_PLACEHOLDERS.match(value.strip()))


def placeholders(answers: Mapping[str, Any]) -> list[str]:
    """The names of the answers that still hold a placeholder."""
    return [name for name, value in answers.items() if is_placeholder(value)]
