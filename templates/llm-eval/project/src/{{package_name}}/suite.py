"""Eval suites as files: a dataset (JSONL or SQuAD JSON) and a YAML definition.

A JSONL dataset has one example per line:

    {"id": "q1", "input": {"question": "..."}, "reference": "...", "metadata": {"topic": "x"}}

`input` is an object whose fields the prompt template uses; `reference` is what scorers compare
against (a string, a list of accepted strings, an object or a number); `metadata` is optional
and shown in the report's filters. A SQuAD v1.1 JSON file is read as well: each question becomes
an example with input fields `context`, `question`, `title` and its answer texts as reference.

A suite (suite.yaml) names the dataset, the prompt, the providers and the scorers:

    name: qa
    dataset: dev.json
    prompt: "Passage: [[ context ]]\\nQuestion: [[ question ]]\\nAnswer:"
    providers:
      - {name: bm25-span, type: recorded, path: recorded/bm25-span.jsonl}
    scorers: [em, f1]
    primary: f1

A `judge` scorer grades with an LLM: `judges:` lists the grading providers (as `providers:`) and
the scorer names one with a rubric: `{type: judge, judge: grader, rubric: "Is it faithful?"}`.
`human_labels: labels.json` names hand grades of the systems' outputs on the same 1-5 scale
(`{"procedure": "...", "labels": {"<system>/<id>": grade}}`); `eval` reports the judge's
agreement with them.

Prompts are Jinja templates with square-bracket delimiters (`[[ field ]]`, `[% if %]`), so a
prompt that shows the model a JSON example needs no escaping of its braces. A field the template
uses but the example lacks is an error naming the field and the example.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import yaml

__all__ = [
    "Example",
    "PromptTemplate",
    "Suite",
    "SuiteError",
    "load_dataset",
    "load_jsonl",
    "load_squad",
    "load_suite",
]


class SuiteError(ValueError):
    """A dataset, prompt or suite file that cannot be used, with where the problem is."""


@dataclass(frozen=True)
class Example:
    """One test case: what the prompt gets, what scorers compare against, and free metadata."""

    id: str
    input: dict[str, Any]
    reference: Any
    metadata: dict[str, Any] = field(default_factory=dict)


def load_jsonl(path: Path) -> list[Example]:
    """Examples from a JSONL file; a bad line is an error naming the file and line number."""
    examples: list[Example] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SuiteError(f"{where}: not valid JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise SuiteError(f"{where}: expected a JSON object")
            for key in ("id", "input", "reference"):
                if key not in row:
                    raise SuiteError(f"{where}: missing field '{key}'")
            if not isinstance(row["input"], dict):
                raise SuiteError(f"{where}: field 'input' must be an object of prompt fields")
            metadata = row.get("metadata", {})
            if not isinstance(metadata, dict):
                raise SuiteError(f"{where}: field 'metadata' must be an object")
            example_id = str(row["id"])
            if example_id in seen:
                raise SuiteError(f"{where}: duplicate id {example_id!r}")
            seen.add(example_id)
            examples.append(Example(example_id, row["input"], row["reference"], metadata))
    if not examples:
        raise SuiteError(f"{path}: no examples")
    return examples


def load_squad(path: Path) -> list[Example]:
    """Examples from a SQuAD v1.1 JSON file (data -> paragraphs -> qas -> answers)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise SuiteError(f"{path}: a SQuAD file needs a top-level 'data' list")
    examples: list[Example] = []
    for a, article in enumerate(doc["data"]):
        title = str(article.get("title", ""))
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            if "context" not in paragraph:
                raise SuiteError(f"{path}: data[{a}].paragraphs[{p}] has no 'context'")
            for q, qa in enumerate(paragraph.get("qas", [])):
                where = f"{path}: data[{a}].paragraphs[{p}].qas[{q}]"
                if "id" not in qa or "question" not in qa:
                    raise SuiteError(f"{where} needs 'id' and 'question'")
                answers = [str(answer["text"]) for answer in qa.get("answers", [])]
                if not answers:
                    raise SuiteError(f"{where} has no 'answers'")
                examples.append(
                    Example(
                        str(qa["id"]),
                        {
                            "context": paragraph["context"],
                            "question": qa["question"],
                            "title": title,
                        },
                        answers,
                        {"title": title},
                    )
                )
    if not examples:
        raise SuiteError(f"{path}: no questions")
    return examples


def load_dataset(path: Path) -> list[Example]:
    """A SQuAD JSON file (`.json`) or the project's JSONL format (anything else)."""
    if not path.is_file():
        raise SuiteError(f"dataset {path} not found")
    return load_squad(path) if path.suffix == ".json" else load_jsonl(path)


_ENV = jinja2.sandbox.SandboxedEnvironment(
    variable_start_string="[[",
    variable_end_string="]]",
    block_start_string="[%",
    block_end_string="%]",
    comment_start_string="[#",
    comment_end_string="#]",
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,
)


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt: a sandboxed Jinja template over an example's input fields."""

    source: str
    compiled: jinja2.Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:  # compiled once: compiling per example would dominate a cached run
            object.__setattr__(self, "compiled", _ENV.from_string(self.source))
        except jinja2.TemplateSyntaxError as error:
            raise SuiteError(f"prompt template, line {error.lineno}: {error.message}") from None

    def render(self, example: Example) -> str:
        try:
            return self.compiled.render(**example.input)
        except jinja2.UndefinedError as error:
            fields = ", ".join(sorted(example.input)) or "none"
            raise SuiteError(
                f"prompt template: {error.message} in example {example.id!r} "
                f"(its input fields: {fields})"
            ) from None


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its examples, prompt, provider and scorer specs, and primary metric."""

    name: str
    path: Path
    examples: list[Example]
    prompt: PromptTemplate
    providers: list[dict[str, Any]]
    scorers: list[str | dict[str, Any]]
    primary: str
    description: str = ""
    # Providers that grade outputs for `judge` scorers (same entries as `providers`).
    judges: list[dict[str, Any]] = field(default_factory=list)
    # Hand grades to measure the judge against (the file's path, beside suite.yaml).
    human_labels: Path | None = None

    @property
    def root(self) -> Path:
        return self.path.parent


def _require(doc: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    if key not in doc:
        raise SuiteError(f"{path}: missing key '{key}'")
    if not isinstance(doc[key], kind):
        raise SuiteError(f"{path}: '{key}' must be a {kind.__name__}")
    return doc[key]


def load_suite(path: Path) -> Suite:
    """Read suite.yaml and the files it names (relative to its folder)."""
    if not path.is_file():
        raise SuiteError(f"suite {path} not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SuiteError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(doc, dict):
        raise SuiteError(f"{path}: a suite is a YAML mapping")
    name = str(_require(doc, "name", str, path))
    examples = load_dataset(path.parent / _require(doc, "dataset", str, path))
    prompt = PromptTemplate(_require(doc, "prompt", str, path))
    providers = _require(doc, "providers", list, path)
    for i, provider in enumerate(providers):
        if not isinstance(provider, dict) or "name" not in provider or "type" not in provider:
            raise SuiteError(f"{path}: providers[{i}] needs a 'name' and a 'type'")
    if len({p["name"] for p in providers}) != len(providers):
        raise SuiteError(f"{path}: provider names must be unique")
    judges = doc.get("judges", [])
    if not isinstance(judges, list) or not all(
        isinstance(j, dict) and "name" in j and "type" in j for j in judges
    ):
        raise SuiteError(f"{path}: 'judges' must be a list of providers with 'name' and 'type'")
    scorers = _require(doc, "scorers", list, path)
    if not scorers:
        raise SuiteError(f"{path}: 'scorers' is empty")
    names = [s if isinstance(s, str) else str(s.get("name", s.get("type"))) for s in scorers]
    primary = str(doc.get("primary", names[0]))
    if primary not in names:
        raise SuiteError(f"{path}: primary metric {primary!r} is not one of the scorers {names}")
    description = str(doc.get("description", ""))
    labels = doc.get("human_labels")
    if labels is not None and not (path.parent / str(labels)).is_file():
        raise SuiteError(f"{path}: human_labels file {labels} not found")
    return Suite(
        name,
        path,
        examples,
        prompt,
        providers,
        scorers,
        primary,
        description,
        judges,
        path.parent / str(labels) if labels is not None else None,
    )
