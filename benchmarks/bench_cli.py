"""Print how fast scaffold's commands are, next to plain copier on the same template.

    python benchmarks/bench_cli.py [TEMPLATE] [--runs N]

Figures (median wall-clock seconds over N interleaved runs, one process per run):
- `scaffold --help` and `scaffold list`, and whether either imported copier or questionary;
- `scaffold new TEMPLATE --defaults --no-git` against `copier copy` of the same template from the
  same bundle and version, and their ratio (the goal is at most 1.1).
The machines are shared and noisy, so compare the ratio within one run, not absolute seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def heavy_imports(argv: list[str]) -> list[str]:
    code = (
        "import sys\nfrom scaffold.cli import app\n"
        f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('imported:', *(m for m in ('copier', 'questionary') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.rsplit("imported:", 1)[1].split()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("template", nargs="?", help="template (default: the first in the catalog)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import scaffold
    from scaffold.source import BUNDLE_REF, ensure_bundle, locate

    template = args.template or scaffold.list_templates()[0].name
    source = locate()
    ensure_bundle(source)
    scaffold_bin, copier_bin = str(BIN / "scaffold"), str(BIN / "copier")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fast = {"--help": [], "list": []}
        new, copy = [], []
        for i in range(args.runs):
            fast["--help"].append(timed([scaffold_bin, "--help"], work))
            fast["list"].append(timed([scaffold_bin, "list"], work))
            new.append(timed([scaffold_bin, "new", template, f"s{i}", "--defaults", "--no-git"], work))
            copy.append(
                timed(
                    [
                        copier_bin,
                        "copy",
                        "--quiet",
                        "--defaults",
                        "--vcs-ref",
                        source.version,
                        "-d",
                        f"template={template}",
                        BUNDLE_REF,
                        f"c{i}",
                    ],
                    work,
                )
            )
            for name in (f"s{i}", f"c{i}"):
                shutil.rmtree(work / name)

    print(f"scaffold {scaffold.__version__}, template {template}, {args.runs} runs, median seconds")
    for command, times in fast.items():
        imported = heavy_imports([command]) or ["neither copier nor questionary"]
        print(f"  scaffold {command:<8} {statistics.median(times):6.3f}  imports: {', '.join(imported)}")
    scaffold_s, copier_s = statistics.median(new), statistics.median(copy)
    print(f"  scaffold new       {scaffold_s:6.3f}  (--defaults --no-git)")
    print(f"  copier copy        {copier_s:6.3f}")
    print(f"  ratio scaffold/copier: {scaffold_s / copier_s:.2f} (goal <= 1.10)")


if __name__ == "__main__":
    main()
