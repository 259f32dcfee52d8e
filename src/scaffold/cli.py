"""The `scaffold` command line: parse, prompt, print. Every decision lives in the library."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from . import api
from ._version import __version__
from .answers import parse_data_pairs, read_data_file
from .errors import ScaffoldError, UsageError

app = typer.Typer(
    name="scaffold",
    help="Start a portfolio ML project that runs, is tested and is evaluated from day one.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _say(text: str = "", *, fg: str | None = None, bold: bool = False, err: bool = False) -> None:
    """Print one line. Plain click output: `new`, `update` and `check` never pay for importing rich."""
    typer.secho(text, fg=fg, bold=bold, err=err)


def _console() -> Any:
    """A rich console, imported only by the commands that draw tables."""
    from rich.console import Console

    return Console(soft_wrap=True)


def _fail(error: ScaffoldError) -> NoReturn:
    _say(f"error: {error}", fg="red", err=True)
    raise typer.Exit(error.exit_code)


def _version_callback(value: bool) -> None:
    if value:
        _say(f"scaffold {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Start a portfolio ML project that runs, is tested and is evaluated from day one."""


@app.command("paths")
def paths_command() -> None:
    """The three career paths: what their roles build, what they need, and their templates.

    Example: scaffold paths
    """
    try:
        paths = api.list_paths()
    except ScaffoldError as error:
        _fail(error)
    out = _console()
    for path in paths:
        out.rule(f"[bold]{path.title}[/]  ([cyan]--path {path.key}[/])")
        out.print(f"[bold]What they build:[/] {path.builds}")
        out.print(f"[bold]What they need:[/] {path.needs}")
        names = ", ".join(path.templates) or "none yet"
        out.print(f"[bold]Templates:[/] {names}\n")


@app.command("list")
def list_command(
    path: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--path", help="Only templates on this path: infra, applied or llm."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalog as JSON.")] = False,
) -> None:
    """The template catalog: name, career path, title and summary.

    Example: scaffold list --path llm
    """
    try:
        templates = api.list_templates(path=path)
    except ScaffoldError as error:
        _fail(error)
    if as_json:
        print(json.dumps([asdict(t) for t in templates], indent=2))
        return
    from rich.table import Table

    out = _console()
    table = Table("template", "path", "what you build", box=None, header_style="bold")
    for t in templates:
        table.add_row(f"[cyan]{t.name}[/]", t.path, f"[bold]{t.title}[/]\n{t.summary}\n")
    out.print(table)
    out.print("Start one with: [bold]scaffold new <template>[/]")


def _interactive(defaults: bool) -> bool:
    return not defaults and sys.stdin.isatty() and sys.stdout.isatty()


def _gather_data(data: list[str], data_file: Optional[Path]) -> dict[str, Any]:  # noqa: UP045
    given: dict[str, Any] = read_data_file(data_file) if data_file else {}
    given.update(parse_data_pairs(data))
    return given


def _show_answers(answers: dict[str, Any]) -> None:
    width = max(map(len, answers))
    _say()
    for name, value in answers.items():
        _say(f"  {name:<{width}}  {value}")


@app.command("new")
def new_command(
    template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="Template name (see 'scaffold list'); asked for when omitted."),
    ] = None,
    dest: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="Where to create the project (default: ./<project_name>)."),
    ] = None,
    path: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--path", help="Offer only templates on this path when asking."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Never prompt: use --data answers and the defaults.")
    ] = False,
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--data", "-d", help="An answer as KEY=VALUE; repeatable."),
    ] = None,
    data_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-file", help="Answers from a YAML or JSON file."),
    ] = None,
    no_git: Annotated[bool, typer.Option("--no-git", help="Skip git init and the first commit.")] = False,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would be written; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty DEST; replaced files are kept as *.orig.")
    ] = False,
) -> None:
    """Generate a new project from a template.

    Examples:
      scaffold new                         (asks the path, the template and its questions)
      scaffold new rag-eval my-rag --defaults --data author_name="Ada Lovelace"
    """
    try:
        given = _gather_data(data or [], data_file)
        interactive = _interactive(defaults)
        if template is None:
            if not interactive:
                raise UsageError("name a TEMPLATE (see 'scaffold list') or run on a terminal to be asked")
            from . import prompts

            chosen_path = path or prompts.choose_path(api.list_paths())
            template = prompts.choose_template(api.list_templates(path=chosen_path))
        answers = None
        if interactive:
            from . import prompts

            answers = api.resolve_answers(template=template, data=given, ask=prompts.ask_question)
            _show_answers(answers)
            if not prompts.confirm(answers):
                _say("Nothing was written.")
                raise typer.Exit(1)
        result = api.new_project(
            template=template,
            destination=dest,
            data=given,
            answers=answers,
            git=not no_git,
            pretend=pretend,
            force=force,
        )
    except ScaffoldError as error:
        _fail(error)
    except KeyboardInterrupt:
        _say("interrupted: nothing was written", err=True)
        raise typer.Exit(130) from None
    for warning in result.warnings:
        _say(f"warning: {warning}", fg="yellow", err=True)
    verb = "Would create" if result.pretend else "Created"
    _say(
        f"{verb} {result.destination} from {result.template} {result.version} ({len(result.files)} files)",
        fg="green",
        bold=True,
    )
    if result.pretend:
        for name in result.files:
            _say(f"  {name}")
        return
    for backup in result.backups:
        _say(f"  kept your earlier file as {backup}")
    _say("\nNext steps", bold=True)
    for step in result.next_steps:
        _say(f"  {step}")
    _say(f"\nSame project, no questions:\n  {result.command_line}")


@app.command("update")
def update_command(
    directory: Annotated[Path, typer.Argument(help="The generated project.")] = Path("."),
    pretend: Annotated[bool, typer.Option("--pretend", help="Try the update in a throwaway clone.")] = False,
    conflict: Annotated[
        str, typer.Option("--conflict", help="How to leave conflicts: inline markers or .rej files.")
    ] = "inline",
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--data", "-d", help="Change an answer: KEY=VALUE; repeatable."),
    ] = None,
) -> None:
    """Bring a generated project to this scaffold's template version, keeping your edits.

    Exit 1 when conflicts remain to resolve.

    Example: scaffold update my-rag --pretend
    """
    try:
        if conflict not in {"inline", "rej"}:
            raise UsageError("--conflict must be 'inline' or 'rej'")
        result = api.update_project(
            directory=directory,
            data=parse_data_pairs(data or []),
            conflict="rej" if conflict == "rej" else "inline",
            pretend=pretend,
        )
    except ScaffoldError as error:
        _fail(error)
    except KeyboardInterrupt:
        _say("interrupted", err=True)
        raise typer.Exit(130) from None
    if result.up_to_date:
        _say(f"{result.destination} is already on template version {result.to_version}.")
        return
    verb = "Would update" if result.pretend else "Updated"
    _say(
        f"{verb} {result.destination}: {result.template} {result.from_version} -> {result.to_version}",
        fg="green",
        bold=True,
    )
    for name in result.changed:
        if name in result.conflicts:
            _say(f"  conflict {name}", fg="red")
        else:
            _say(f"  changed  {name}")
    if result.conflicts:
        _say(
            f"{len(result.conflicts)} file(s) have conflicts: resolve the marked lines "
            "(<<<<<<< / >>>>>>>), then commit.",
            err=True,
        )
        raise typer.Exit(1)
    if not result.pretend and result.changed:
        _say("Review with 'git diff', then commit.")


@app.command("check")
def check_command(
    directory: Annotated[Path, typer.Argument(help="The generated project.")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """For CI: exit 0 when up to date with the template, 1 when behind, 2 when not a generated repo.

    Example: scaffold check . --json
    """
    try:
        result = api.check_project(directory=directory)
    except ScaffoldError as error:
        if as_json:
            print(json.dumps({"error": str(error)}))
            raise typer.Exit(error.exit_code) from None
        _fail(error)
    if as_json:
        print(json.dumps({**asdict(result), "destination": str(result.destination)}))
    elif result.up_to_date:
        _say(f"{result.template} is up to date (template version {result.recorded_version}).")
    else:
        _say(
            f"{result.template} is behind: on {result.recorded_version}, latest "
            f"{result.latest_version}. Run 'scaffold update'.",
            fg="yellow",
        )
    raise typer.Exit(0 if result.up_to_date else 1)


def main() -> None:
    """Entry point of the `scaffold` console script."""
    app()
