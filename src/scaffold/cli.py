"""The `scaffold` command line: parse, prompt, print. Every decision lives in the library.

One error handler (`_Commands.invoke`) turns every `ScaffoldError` into one line on stderr (or a
JSON object for `check --json`) and its exit code, and Ctrl-C into exit 130.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer import _click

from . import api
from ._project import display_path
from ._version import __version__
from .answers import parse_data_pairs, read_data_file
from .catalog import CAREER_PATHS
from .errors import ScaffoldError, UsageError
from .questions import Question, is_placeholder

_JSON_ERRORS = "scaffold.json-errors"
_INTERRUPTED = "scaffold.interrupted"
CONFLICT_CHOICES = ("inline", "rej")


def _say(text: str = "", *, fg: str | None = None, bold: bool = False, err: bool = False) -> None:
    """Print one line. Plain click output: `new`, `update` and `check` never pay for importing rich."""
    typer.secho(text, fg=fg, bold=bold, err=err)


class _Commands(TyperGroup):
    """The command group, with the one handler for scaffold's errors and Ctrl-C."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScaffoldError as error:
            if ctx.meta.get(_JSON_ERRORS):
                print(json.dumps({"up_to_date": False, "reason": error.reason, "error": str(error)}))
            else:
                _say(f"error: {error}", fg="red", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            _say(ctx.meta.get(_INTERRUPTED, "interrupted"), err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    name="scaffold",
    cls=_Commands,
    help="Start a portfolio ML project that runs, is tested and is evaluated from day one.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _console() -> Any:
    """A rich console, imported only by the commands that draw tables."""
    from rich.console import Console

    return Console(soft_wrap=True)


def _complete_templates(incomplete: str) -> list[str]:
    try:
        return [t.name for t in api.list_templates() if t.name.startswith(incomplete)]
    except ScaffoldError:
        return []


def _complete_paths(incomplete: str) -> list[str]:
    return [p for p in CAREER_PATHS if p.startswith(incomplete)]


def _complete_conflict(incomplete: str) -> list[str]:
    return [c for c in CONFLICT_CHOICES if c.startswith(incomplete)]


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


PathOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--path",
        metavar="|".join(CAREER_PATHS),
        autocompletion=_complete_paths,
        help="Only templates on this career path.",
    ),
]


@app.command("paths")
def paths_command() -> None:
    """The three career paths: the roles to target, what they build and need, their templates.

    Example: scaffold paths
    """
    paths = api.list_paths()
    out = _console()
    for path in paths:
        out.rule(f"[bold]{path.title}[/]  ([cyan]--path {path.key}[/])")
        out.print(f"[bold]Roles to target:[/] {', '.join(path.roles)}")
        out.print(f"[bold]What they build:[/] {path.builds}")
        out.print(f"[bold]What they need:[/] {path.needs}")
        names = ", ".join(path.templates) or "none yet"
        out.print(f"[bold]Templates:[/] {names}\n")


@app.command("list")
def list_command(
    path: PathOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalog as JSON.")] = False,
) -> None:
    """The template catalog: name, career path, title and summary.

    Example: scaffold list --path llm
    """
    templates = api.list_templates(path=path)
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


def _show_summary(answers: dict[str, Any], destination: Path) -> None:
    rows = {"destination": display_path(destination), **answers}
    width = max(map(len, rows))
    _say()
    for name, value in rows.items():
        flag = "   <- still a placeholder" if is_placeholder(value) else ""
        _say(f"  {name:<{width}}  {value}{flag}", fg="yellow" if flag else None)


def _ask_interactively(
    template: str,
    given: dict[str, Any],
    dest: Path | None,
    force: bool,
) -> tuple[dict[str, Any], Path]:
    """Ask the questions; right after the project name, ask (or show) and check the destination."""
    from . import prompts

    where: list[Path] = []

    def settle_destination(project_name: str) -> None:
        if dest is not None:
            where.append(api.check_destination(dest, force=force))
            _say(f"  destination: {display_path(where[0])}")
            return

        def validate(text: str) -> bool | str:
            try:
                api.check_destination(Path(text), force=force)
            except ScaffoldError as error:
                return str(error)
            return True

        chosen = prompts.ask_destination(f"./{project_name}", validate)
        where.append(api.check_destination(Path(chosen), force=force))

    def ask(question: Question, default: Any, context: dict[str, Any]) -> Any:
        value = prompts.ask_question(question, default, context)
        if question.name == "project_name":
            settle_destination(str(value))
        return value

    answers = api.resolve_answers(template=template, data=given, ask=ask, destination=dest)
    if not where:  # project_name came from --data: settle the destination before the summary
        settle_destination(str(answers["project_name"]))
    return answers, where[0]


@app.command("new")
def new_command(
    ctx: typer.Context,
    template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            help="Template name (see 'scaffold list'); asked for when omitted.",
            autocompletion=_complete_templates,
            show_default=False,
        ),
    ] = None,
    dest: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(
            help="Where to create the project (default: ./<project_name>); its folder name is the "
            "default project name.",
            show_default=False,
        ),
    ] = None,
    path: PathOption = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Never prompt: use --data answers and the defaults.")
    ] = False,
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="An answer; repeatable."),
    ] = None,
    data_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-file", metavar="FILE", help="Answers from a YAML or JSON file."),
    ] = None,
    no_git: Annotated[bool, typer.Option("--no-git", help="Skip git init and the first commit.")] = False,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would be written; write nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty DEST; replaced files are kept as *.orig, yours stay uncommitted.",
        ),
    ] = False,
) -> None:
    """Generate a new project from a template.

    Examples:
      scaffold new                         (asks the path, the template and its questions)
      scaffold new rag-eval my-rag --defaults --data author_name="Ada Lovelace"
    """
    ctx.meta[_INTERRUPTED] = "interrupted: nothing was written"
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

        answers, dest = _ask_interactively(template, given, dest, force)
        _show_summary(answers, dest)
        if not prompts.confirm():
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
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Try the update in a throwaway clone of the last commit.")
    ] = False,
    conflict: Annotated[
        str,
        typer.Option(
            "--conflict",
            metavar="|".join(CONFLICT_CHOICES),
            autocompletion=_complete_conflict,
            help="How to leave conflicts: inline markers or .rej files.",
        ),
    ] = "inline",
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Change an answer; repeatable."),
    ] = None,
) -> None:
    """Bring a generated project to this scaffold's template version, keeping your edits.

    Exit 1 when conflicts remain to resolve (with --pretend: when they would).

    Example: scaffold update my-rag --pretend
    """
    if conflict not in CONFLICT_CHOICES:
        raise UsageError("--conflict must be 'inline' or 'rej'")
    result = api.update_project(
        directory=directory,
        data=parse_data_pairs(data or []),
        conflict="rej" if conflict == "rej" else "inline",
        pretend=pretend,
    )
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
        count = len(result.conflicts)
        if result.pretend:
            advice = f"{count} file(s) would conflict; nothing was changed. Run without --pretend to merge."
        elif result.conflict == "rej":
            advice = (
                f"{count} change(s) could not be applied: apply each .rej file's hunks by hand, "
                "delete the .rej files, then commit."
            )
        else:
            advice = (
                f"{count} file(s) have conflicts: resolve the marked lines (<<<<<<< / >>>>>>>), then commit."
            )
        _say(advice, err=True)
        raise typer.Exit(1)
    if not result.pretend and result.changed:
        _say("Review with 'git diff', then commit.")


@app.command("check")
def check_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The generated project.")] = Path("."),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON, with a 'reason'.")
    ] = False,
) -> None:
    """For CI: exit 0 up to date, 1 behind or conflicts left, 2 not a project scaffold can judge.

    Example: scaffold check . --json
    """
    ctx.meta[_JSON_ERRORS] = as_json
    result = api.check_project(directory=directory)
    if as_json:
        print(json.dumps({**asdict(result), "destination": str(result.destination)}))
    else:
        _say(result.message, fg=None if result.up_to_date else "yellow", err=result.exit_code == 2)
    raise typer.Exit(result.exit_code)


@app.command("doctor")
def doctor_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The generated project.")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    min_score: Annotated[
        Optional[int],  # noqa: UP045 (typer reads the annotation at runtime on Python 3.10)
        typer.Option("--min-score", min=0, max=100, help="Exit 1 when the score is below this."),
    ] = None,
) -> None:
    """Is this portfolio repo ready to show? Each check, why it matters, how to fix it, a score.

    Example: scaffold doctor . --min-score 70
    """
    report = api.doctor_project(directory=directory)
    if as_json:
        print(json.dumps(report.to_json()))
    else:
        for finding in report.findings:
            mark = typer.style("pass", fg="green") if finding.passed else typer.style("FAIL", fg="red")
            _say(f"{mark}  {finding.title}: {finding.detail}")
            if not finding.passed:
                _say(f"      why: {finding.why}")
                _say(f"      fix: {finding.fix}")
        _say(f"\nscore {report.score}/100", bold=True)
        for number, action in enumerate(report.next_actions, 1):
            _say(f"next {number}. {action}")
    if min_score is not None and report.score < min_score:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the `scaffold` console script."""
    app()
