"""Command line: `python -m model_registry <command>`.

    register NAME FILE [--flavour sklearn|pickle|bytes] [--metric k=v] [--param k=v] [--tag k=v]
    promote NAME VERSION STAGE --reason "..." [--force]     (Staging, Production, Archived, None)
    alias NAME ALIAS VERSION | alias NAME ALIAS --delete
    list [NAME]            show URI                 load URI [--out FILE] [--predict CSV]
    audit [NAME]           verify                   gc
    example                eval [--quick] [--out results] [--seed 0]
    report                 serve [--host 127.0.0.1] [--port 8000]

Global options: --db URL, --artifacts DIR, --actor NAME (or the MODEL_REGISTRY_* variables).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import RegistryError, ValidationError


def _pairs(items: list[str] | None, *, numbers: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"expected KEY=VALUE, got {item!r}")
        if numbers:
            try:
                out[key] = float(value)
            except ValueError:
                raise ValidationError(f"metric {key!r} must be a number, got {value!r}") from None
        else:
            out[key] = value
    return out


def _print(doc: Any) -> None:
    print(json.dumps(doc, indent=2, sort_keys=False))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: MODEL_REGISTRY_DATABASE_URL)")
    parser.add_argument("--artifacts", help="artifact folder (default: registry/artifacts)")
    parser.add_argument("--actor", help="who the audit log names (default: OS user)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("register", help="register a file as a new version")
    p.add_argument("name")
    p.add_argument("file", type=Path)
    p.add_argument("--flavour", default="bytes", choices=["sklearn", "pickle", "bytes"])
    p.add_argument("--metric", action="append", metavar="K=V")
    p.add_argument("--param", action="append", metavar="K=V")
    p.add_argument("--tag", action="append", metavar="K=V")
    p.add_argument("--description", default="")

    p = sub.add_parser("promote", help="move a version to a stage")
    p.add_argument("name")
    p.add_argument("version", type=int)
    p.add_argument("stage", help="Staging, Production, Archived or None")
    p.add_argument("--reason", default="")
    p.add_argument("--force", action="store_true", help="skip the promotion policy (audited)")

    p = sub.add_parser("alias", help="set or delete an alias")
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", type=int, nargs="?")
    p.add_argument("--delete", action="store_true")
    p.add_argument("--reason", default="")

    p = sub.add_parser("list", help="list models, or the versions of one model")
    p.add_argument("name", nargs="?")

    p = sub.add_parser("show", help="show one version by URI")
    p.add_argument("uri")

    p = sub.add_parser("load", help="load and verify a version; optionally predict")
    p.add_argument("uri")
    p.add_argument("--out", type=Path, help="write the verified artifact bytes here")
    p.add_argument("--predict", type=Path, help="CSV of feature rows (no header) to predict")

    p = sub.add_parser("audit", help="print the audit log")
    p.add_argument("name", nargs="?")
    p.add_argument("--limit", type=int)

    sub.add_parser("verify", help="re-hash every artifact")
    p = sub.add_parser("gc", help="delete unreferenced artifacts and stray temporary files")
    p.add_argument("--min-age", type=float, default=3600.0)

    p = sub.add_parser("example", help="train, register and promote scikit-learn models")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("eval", help="run the evaluation harness")
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--quick", action="store_true", help="a small run for CI (seconds)")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("report", help="fill the README from results/metrics.json")
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--readme", type=Path, default=Path("README.md"))

    p = sub.add_parser("serve", help="run the REST API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "eval":
        from .harness import EvalConfig, run_eval

        metrics = run_eval(EvalConfig(out=args.out, quick=args.quick, seed=args.seed))
        print(f"wrote {metrics}")
        return 0
    if args.command == "report":
        from .report import fill_readme

        fill_readme(args.readme, args.results / "metrics.json")
        print(f"filled {args.readme} from {args.results / 'metrics.json'}")
        return 0
    if args.command == "serve":
        import uvicorn

        from .api import create_app
        from .registry import Registry

        registry = Registry.open(args.db, args.artifacts, actor=args.actor)
        uvicorn.run(create_app(registry), host=args.host, port=args.port)
        return 0

    from .registry import Registry

    with Registry.open(args.db, args.artifacts, actor=args.actor) as reg:
        if args.command == "register":
            if not args.file.is_file():
                raise ValidationError(f"no such file: {args.file}")
            mv = reg.register(
                args.name,
                artifact=args.file,
                flavour=args.flavour,
                metrics=_pairs(args.metric, numbers=True),
                params=_pairs(args.param),
                tags=_pairs(args.tag),
                description=args.description,
            )
            print(mv.uri)
        elif args.command == "promote":
            result = reg.transition(
                args.name, args.version, args.stage, reason=args.reason, force=args.force
            )
            print(f"models:/{args.name}/{args.version}: {result.from_stage.value} -> "
                  f"{result.to_stage.value}")
        elif args.command == "alias":
            if args.delete:
                previous = reg.delete_alias(args.name, args.alias, reason=args.reason)
                print(f"deleted models:/{args.name}@{args.alias} (was version {previous})")
            else:
                if args.version is None:
                    raise ValidationError("give a VERSION, or --delete")
                reg.set_alias(args.name, args.alias, args.version, reason=args.reason)
                print(f"models:/{args.name}@{args.alias} -> {args.version}")
        elif args.command == "list":
            if args.name:
                for mv in reg.list_versions(args.name):
                    metrics = " ".join(f"{k}={v:.4g}" for k, v in sorted(mv.metrics.items()))
                    aliases = ",".join(mv.aliases)
                    print(f"{mv.version:>4}  {mv.stage.value:<10}  {aliases:<20}  {metrics}")
            else:
                for model in reg.list_models():
                    print(f"{model.name}  versions={model.last_version}  "
                          f"metric={model.policy.metric}")
        elif args.command == "show":
            _print(reg.resolve(args.uri).to_dict())
        elif args.command == "load":
            _load(reg, args)
        elif args.command == "audit":
            for entry in reg.audit(args.name, limit=args.limit):
                d = entry.to_dict()
                print(f"{d['id']:>5} {d['at']} {d['actor']:<12} {d['action']:<12} "
                      f"{d['outcome']:<7} {d['model']}/{d['version']} {entry.reason} "
                      f"{json.dumps(entry.details)}")
        elif args.command == "verify":
            problems = reg.verify()
            for problem in problems:
                print(problem)
            print("all artifacts verified" if not problems else f"{len(problems)} problem(s)")
            return 1 if problems else 0
        elif args.command == "gc":
            removed = reg.gc(min_age_s=args.min_age)
            print(f"removed {len(removed)} file(s)")
        elif args.command == "example":
            from .example import run_example

            run_example(reg, seed=args.seed, log=print)
    return 0


def _load(reg: Any, args: argparse.Namespace) -> None:
    name, version = reg.resolve_ref(args.uri)
    if args.out:
        args.out.write_bytes(reg.load_bytes(args.uri))
        print(f"models:/{name}/{version}: verified, written to {args.out}")
        return
    model = reg.load(args.uri)
    print(f"models:/{name}/{version}: verified, loaded {type(model).__name__}")
    if args.predict:
        import numpy as np

        rows = np.loadtxt(args.predict, delimiter=",", ndmin=2)
        for value in model.predict(rows):
            print(value)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
