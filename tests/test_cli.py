"""The command line: exit codes, one-line errors, and no heavy imports on the fast paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scaffold
from scaffold.cli import app

from .conftest import commit_all

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert (code, out.strip()) == (0, f"scaffold {scaffold.__version__}")


def test_list_json_is_the_catalog(fixture_source: Path) -> None:
    code, out, _ = run("list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "name": "hello-ml",
            "path": "applied",
            "title": "Hello ML fixture",
            "summary": "A tiny classifier project used to test scaffold itself.",
            "systems": [],
        }
    ]
    code, out, _ = run("list", "--json", "--path", "llm")
    assert (code, json.loads(out)) == (0, [])


def test_list_unknown_path_is_a_usage_error(fixture_source: Path) -> None:
    code, _, err = run("list", "--path", "web")
    assert code == 2
    assert err.strip() == "error: unknown path 'web': choose one of applied, infra, llm"


def test_paths_names_each_path_and_its_templates(fixture_source: Path) -> None:
    code, out, _ = run("paths")
    assert code == 0
    for title in ("ML platform / infrastructure", "Applied ML", "LLM / GenAI"):
        assert title in out
    assert "Templates: hello-ml" in out
    assert "Roles to target: ML Engineer" in out


def test_new_prints_next_steps_and_the_command_line(fixture_source: Path, workdir: Path) -> None:
    code, out, _ = run("new", "hello-ml", "proj", "--defaults", "--data", "classifier=knn")
    assert code == 0, out
    assert "Created" in out and "make eval" in out and "cd proj" in out
    assert "scaffold new hello-ml proj --defaults --data classifier=knn" in out
    assert (workdir / "proj/.git").is_dir()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["new", "nope", "--defaults"], 2, "error: unknown template 'nope'"),
        (["new", "hello-ml", "--defaults", "--data", "oops"], 2, "error: --data 'oops' is not KEY=VALUE"),
        (["update", ".", "--data", "oops"], 2, "error: --data 'oops' is not KEY=VALUE"),
        (
            ["new", "hello-ml", "--defaults", "--data-file", "missing.yml"],
            2,
            "error: cannot read --data-file",
        ),
        (["new", "--defaults"], 2, "error: name a TEMPLATE"),
        (["update", ".", "--conflict", "ours"], 2, "error: --conflict must be 'inline' or 'rej'"),
        (["update", "."], 2, "error: "),
        (["check", "."], 2, "has no .copier-answers.yml"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    fixture_source: Path, workdir: Path, args: list[str], code: int, message: str
) -> None:
    exit_code, _, err = run(*args)
    assert exit_code == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert list(workdir.iterdir()) == []


def test_malformed_data_file(fixture_source: Path, workdir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "answers.yml"
    bad.write_text("project_name: [unclosed\n")
    code, _, err = run("new", "hello-ml", "--defaults", "--data-file", str(bad))
    assert code == 2 and "is not valid YAML/JSON" in err
    bad.write_text("- a list\n")
    code, _, err = run("new", "hello-ml", "--defaults", "--data-file", str(bad))
    assert code == 2 and "must hold a mapping" in err
    good = tmp_path / "answers.json"
    good.write_text('{"project_name": "from-file"}')
    code, _, _ = run("new", "hello-ml", "--defaults", "--data-file", str(good), "--no-git")
    assert code == 0 and (workdir / "from-file/src/from_file").is_dir()


def test_check_exit_codes_and_json(fixture_source: Path, workdir: Path, release) -> None:
    run("new", "hello-ml", "--defaults")
    code, out, _ = run("check", "hello-ml", "--json")
    assert code == 0 and json.loads(out)["up_to_date"] is True
    release("0.2.0", {"templates/_shared/gitignore.jinja": ".venv/"})
    code, out, _ = run("check", "hello-ml")
    assert code == 1 and "behind: on 0.1.0, latest 0.2.0" in out
    code, out, _ = run("check", str(workdir), "--json")
    assert code == 2 and json.loads(out)["reason"] == "not-generated"


def test_update_exit_code_follows_conflicts(fixture_source: Path, workdir: Path, release) -> None:
    run("new", "hello-ml", "--defaults")
    model = workdir / "hello-ml/src/hello_ml/model.py"
    model.write_text(model.read_text() + "\nX = 1\n")
    commit_all(workdir / "hello-ml", "mine")
    template = fixture_source / "templates/hello-ml/project/src/{{package_name}}/model.py.jinja"
    release("0.2.0", {str(template): template.read_text() + "\nX = 2\n"})
    code, out, err = run("update", "hello-ml")
    assert code == 1
    assert "conflict src/hello_ml/model.py" in out
    assert "have conflicts" in err


@pytest.mark.parametrize("args", [["--help"], ["list"], ["paths"], ["check", "."]])
def test_fast_commands_import_neither_copier_nor_questionary(args: list[str], tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from scaffold.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('copier', 'questionary') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_missing_git_is_a_clear_error(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(workdir))  # nothing on PATH, so no git
    code, _, err = run("new", "hello-ml", "--defaults")
    assert code == 1
    assert "git is not installed" in err
    assert list(workdir.iterdir()) == []


def test_unwritable_destination_is_one_line(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if str(path) == str(workdir) else real_access(path, mode)
    )
    code, _, err = run("new", "hello-ml", "--defaults")
    assert code == 1
    assert err.strip() == f"error: cannot write to {workdir / 'hello-ml'}: permission denied"


def test_missing_git_is_one_line_everywhere(
    fixture_source: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("new", "hello-ml", "--defaults")
    monkeypatch.setenv("PATH", str(workdir / "empty"))
    for args in (["new", "hello-ml", "other", "--defaults"], ["check", "hello-ml"], ["update", "hello-ml"]):
        code, _, err = run(*args)
        assert (code, err.count("\n")) == (1, 1), (args, err)
        assert err.startswith("error: git is not installed"), args
    from scaffold import answers

    with pytest.raises(scaffold.ScaffoldError, match="git is not installed"):
        answers.git_identity()


def test_help_shows_choices_and_h_works() -> None:
    code, out, _ = run("update", "-h")
    assert code == 0 and "inline|rej" in out
    code, out, _ = run("new", "--help")
    assert code == 0 and "infra|applied|llm" in out and "KEY=VALUE" in out
    code, out, _ = run("-h")
    assert code == 0 and "check" in out


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("new hel", {"hello-ml"}),
        ("new --path ", {"infra", "applied", "llm"}),
        ("update --conflict r", {"rej"}),
    ],
)
def test_shell_completion(fixture_source: Path, words: str, expected: set[str]) -> None:
    env = {
        "_SCAFFOLD_COMPLETE": "complete_bash",
        "COMP_WORDS": f"scaffold {words}",
        "COMP_CWORD": str(len(words.split(" "))),
    }
    result = runner.invoke(app, [], env=env, prog_name="scaffold")
    assert set(result.stdout.split()) == expected, result.stdout


def test_completion_offers_files_for_dest_and_directory(fixture_source: Path) -> None:
    for words in ("scaffold new hello-ml ", "scaffold update ", "scaffold check "):
        env = {"_SCAFFOLD_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words}
        result = runner.invoke(app, [], env=env, prog_name="scaffold")
        assert result.stdout.strip() == "_files", words


def test_the_installed_command_runs_with_only_the_system_path(
    fixture_source: Path, workdir: Path, home: Path
) -> None:
    """A fresh machine: PATH holds the system folders and git, not this environment's bin folder."""
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    env = {
        "PATH": os.pathsep.join(dict.fromkeys(["/usr/bin", "/bin", str(git_dir)])),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "SCAFFOLD_SOURCE": str(fixture_source),
    }
    command = str(Path(sys.executable).parent / "scaffold")
    new = subprocess.run(
        [command, "new", "hello-ml", "proj", "--defaults"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert new.returncode == 0, new.stderr
    check = subprocess.run(
        [command, "check", "proj", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["reason"] == "up-to-date"
