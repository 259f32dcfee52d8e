"""End to end through real wheels (marker `e2e`; slow).

Release N is built from a clone of this repository's HEAD; release N+1 adds a template change
and bumps the version. N is installed in one fresh virtual environment and generates a project
under one HOME; that HOME is deleted, N+1 is installed in another environment under a new HOME
that never saw N's templates, and `scaffold update` must bring N+1's change in while keeping
the user's edits. Everything runs outside this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffold._bundle import bundle_tags, parse_version

REPO = Path(__file__).resolve().parents[1]
CHANGE = "# Added by the next scaffold release\n"

pytestmark = pytest.mark.e2e


def pip_certificate() -> dict[str, str]:
    """pip's certificate bundle for uv, which reads neither pip's configuration nor its variables.

    On a machine whose TLS goes through a local authority that pip knows from its configuration,
    uv fails with "invalid peer certificate" unless it is told the same bundle.
    """
    if "SSL_CERT_FILE" in os.environ:
        return {}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] == "cert" and value.strip("'\""):
            return {"SSL_CERT_FILE": value.strip("'\"")}
    return {}


def run(
    args: list[str], cwd: Path, home: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SCAFFOLD_SOURCE", "PYTHONPATH"}}
    env |= pip_certificate()
    env |= {
        "GIT_AUTHOR_NAME": "E2E",
        "GIT_AUTHOR_EMAIL": "e2e@example.com",
        "GIT_COMMITTER_NAME": "E2E",
        "GIT_COMMITTER_EMAIL": "e2e@example.com",
    }
    if home is not None:
        env["HOME"] = str(home)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check:
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def next_version(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split(".")[:3])
    return f"{major}.{minor}.{patch + 1}"


def uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "the e2e tests need uv (pip install -e '.[dev]')"
    return found


def build_wheel(source: Path, out: Path) -> Path:
    run([uv(), "build", "--quiet", "--wheel", "--out-dir", str(out), str(source)], source)
    return next(out.glob("scaffold_ml-*.whl"))


def install(wheel: Path, venv: Path) -> Path:
    run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], venv.parent)
    run([uv(), "pip", "install", "--quiet", "--python", str(venv / "bin/python"), str(wheel)], venv.parent)
    return venv / "bin/scaffold"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    root = tmp_path_factory.mktemp("e2e")
    source = root / "source"
    run(["git", "clone", "--quiet", str(REPO), str(source)], root)
    version_file = source / "src/scaffold/_version.py"
    old = parse_version(version_file.read_text())
    assert old is not None
    scaffold_n = install(build_wheel(source, root / "dist-n"), root / "venv-n")
    new = next_version(old)
    gitignore = source / "templates/_shared/gitignore.jinja"
    gitignore.write_text(CHANGE + gitignore.read_text())
    version_file.write_text(version_file.read_text().replace(old, new))
    run(["git", "commit", "--quiet", "-am", f"Release {new}"], source)
    scaffold_n1 = install(build_wheel(source, root / "dist-n1"), root / "venv-n1")
    return scaffold_n, scaffold_n1, old, new


def test_upgrade_brings_template_changes_and_keeps_edits(
    releases: tuple[Path, Path, str, str], tmp_path: Path
) -> None:
    scaffold_n, scaffold_n1, old, new = releases
    template = yaml.safe_load((REPO / "templates/catalog.yml").read_text())["template"]["choices"]
    name = next(iter(template.values()))["value"]
    home_a, home_b, work = tmp_path / "home-a", tmp_path / "home-b", tmp_path / "work"
    for folder in (home_a, home_b, work):
        folder.mkdir()

    assert run([str(scaffold_n), "--version"], work).stdout.strip() == f"scaffold {old}"
    run([str(scaffold_n), "new", name, "proj", "--defaults"], work, home_a)
    project = work / "proj"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "~/.scaffold/templates.bundle"
    assert answers["_commit"] == old
    assert "site-packages" not in (project / ".copier-answers.yml").read_text()

    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Design", "## Design\n\nMy design notes.", 1))
    (project / "NOTES.md").write_text("my own file\n")
    run(["git", "add", "-A"], project)
    run(["git", "commit", "--quiet", "-m", "my work"], project)
    shutil.rmtree(home_a)  # the machine state that had release N's templates is gone

    behind = run([str(scaffold_n1), "check", "proj"], work, home_b, check=False)
    assert behind.returncode == 1 and f"on {old}, latest {new}" in behind.stdout
    run([str(scaffold_n1), "update", "proj"], work, home_b)
    assert (project / ".gitignore").read_text().startswith(CHANGE)
    assert "My design notes." in readme.read_text()
    assert (project / "NOTES.md").read_text() == "my own file\n"
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == new
    assert run([str(scaffold_n1), "check", "proj"], work, home_b, check=False).returncode == 0

    # Plain copier works against the recorded source too (its answers point to a real bundle).
    run(["git", "add", "-A"], project)
    run(["git", "commit", "--quiet", "-m", "update"], project)
    copier = scaffold_n1.parent / "copier"
    run([str(copier), "update", "--defaults", "--vcs-ref", new], project, home_b)


def test_installed_releases_share_one_home(releases: tuple[Path, Path, str, str], tmp_path: Path) -> None:
    """Six new processes of N+1 at once, then N after N+1: the bundle keeps N+1's version."""
    scaffold_n, scaffold_n1, old, new = releases
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"SCAFFOLD_SOURCE", "PYTHONPATH"}}
    env |= {"HOME": str(home), "GIT_AUTHOR_NAME": "E2E", "GIT_AUTHOR_EMAIL": "e2e@example.com"}
    env |= {"GIT_COMMITTER_NAME": "E2E", "GIT_COMMITTER_EMAIL": "e2e@example.com"}
    name = yaml.safe_load((REPO / "templates/catalog.yml").read_text())["template"]["choices"]
    template = next(iter(name.values()))["value"]
    processes = [
        subprocess.Popen(
            [str(scaffold_n1), "new", template, f"p{i}", "--defaults", "--no-git"],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    bundle = home / ".scaffold/templates.bundle"
    assert {old, new} <= set(bundle_tags(bundle))
    run([str(scaffold_n), "new", template, "older", "--defaults", "--no-git"], work, home)
    assert {old, new} <= set(bundle_tags(bundle))
    recorded = yaml.safe_load((work / "older/.copier-answers.yml").read_text())
    assert recorded["_commit"] == old
