"""The shipped suites, and `record`: re-run the project's baselines to write their responses.

    python -m llm_eval record            # every shipped suite
    python -m llm_eval record --suite suites/qa/suite.yaml

For each `recorded` provider of a suite whose name is one of the baselines (baselines.SYSTEMS),
this runs that baseline on every example and writes `recorded/<name>.jsonl`: the example id,
the SHA-256 of the rendered prompt (a later prompt change is caught on replay), the output and
`produced_by`, naming the function that produced it. Nothing in these files is typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from .baselines import PRODUCED_BY, SYSTEMS
from .providers import prompt_hash
from .suite import load_suite

__all__ = ["SUITES_DIR", "record", "shipped_suites"]

SUITES_DIR = Path(__file__).with_name("suites")


def shipped_suites() -> list[Path]:
    """The suite files shipped with the package, found beside this module (not the CWD)."""
    return sorted(SUITES_DIR.glob("*/suite.yaml"))


def record(suite_path: Path) -> list[Path]:
    """Write the recorded responses of the suite's baseline providers; return their paths."""
    suite = load_suite(suite_path)
    written = []
    for spec in suite.providers:
        if spec["type"] != "recorded" or spec["name"] not in SYSTEMS:
            continue
        system = SYSTEMS[spec["name"]]
        path = suite.root / str(spec["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for example in suite.examples:
                row = {
                    "id": example.id,
                    "prompt_sha256": prompt_hash(suite.prompt.render(example)),
                    "output": system(example),
                    "produced_by": PRODUCED_BY[spec["name"]],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        written.append(path)
    return written
