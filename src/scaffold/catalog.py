"""Read the template source's questions: the catalog, the career paths and each question.

`copier.yml` (with its `!include`s) is the one source of truth: the `template` question's
choices are the catalog, and scaffold reads them here without importing copier, so that
`scaffold list` stays fast. Jinja in defaults, validators and `when:` is rendered the way copier
renders it, for the interactive prompts and for the smoke-test matrix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import TemplateSourceError, UnknownTemplateError

CAREER_PATHS = ("infra", "applied", "llm")


@dataclass(frozen=True)
class TemplateInfo:
    """One catalog entry."""

    name: str
    path: str
    title: str
    summary: str


@dataclass(frozen=True)
class CareerPath:
    """A career path, what its roles build and need, and the templates on it."""

    key: str
    title: str
    builds: str
    needs: str
    templates: tuple[str, ...]


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
    extra: dict[str, Any] = field(default_factory=dict)

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
            known = {"type", "help", "default", "choices", "validator", "when", "secret"}
            questions[name] = Question(
                name=name,
                type=str(spec.get("type", "str")),
                help=str(spec.get("help", "")),
                default=spec.get("default"),
                choices=pairs,
                validator=str(spec.get("validator", "")),
                when=spec.get("when", True),
                secret=bool(spec.get("secret", False)),
                extra={k: v for k, v in spec.items() if k not in known},
            )
    return questions


@lru_cache(maxsize=8)
def load_catalog(root: Path) -> tuple[TemplateInfo, ...]:
    """The catalog: the `template` question's choices with their path and summary."""
    conf = root / "templates" / "catalog.yml"
    try:
        spec = yaml.safe_load(conf.read_text("utf-8"))["template"]["choices"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise TemplateSourceError(f"cannot read the template catalog {conf}: {error}") from None
    return tuple(
        TemplateInfo(
            name=str(entry["value"]),
            path=str(entry["path"]),
            title=str(title),
            summary=str(entry["summary"]),
        )
        for title, entry in spec.items()
    )


def load_paths(root: Path) -> tuple[CareerPath, ...]:
    """The career paths with the catalog's templates on each."""
    conf = root / "templates" / "paths.yml"
    try:
        spec = yaml.safe_load(conf.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TemplateSourceError(f"cannot read the career paths {conf}: {error}") from None
    catalog = load_catalog(root)
    return tuple(
        CareerPath(
            key=key,
            title=str(spec[key]["title"]),
            builds=str(spec[key]["builds"]),
            needs=str(spec[key]["needs"]),
            templates=tuple(t.name for t in catalog if t.path == key),
        )
        for key in CAREER_PATHS
        if key in spec
    )


def find_template(root: Path, name: str) -> TemplateInfo:
    """The catalog entry called `name`, or an error that suggests the closest name."""
    catalog = load_catalog(root)
    for info in catalog:
        if info.name == name:
            return info
    names = [info.name for info in catalog]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "run 'scaffold list' to see them"
    raise UnknownTemplateError(f"unknown template '{name}': {hint}")


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
