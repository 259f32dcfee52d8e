"""Feature definitions: entities, Parquet sources, feature views and feature services.

Definitions are plain frozen dataclasses, written in Python or loaded from YAML with
`load_definitions("feature_repo/definitions.yaml")`. `validate(defs)` returns every problem it
finds (unknown entity, duplicate name, type mismatch against the Parquet schema, ...); `apply`
in `store.py` refuses a set of definitions while that list is not empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

__all__ = [
    "AGGREGATION_FUNCTIONS",
    "VALUE_TYPES",
    "Aggregation",
    "DefinitionError",
    "Definitions",
    "Entity",
    "FeatureService",
    "FeatureView",
    "Field",
    "FileSource",
    "OnDemandView",
    "definitions_from",
    "load_definitions",
    "parse_duration",
    "source_files",
    "validate",
]

# Feature and join-key types; each maps to the Arrow types a Parquet column may have for it.
VALUE_TYPES: dict[str, tuple[str, ...]] = {
    "int64": ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"),
    "float64": ("float", "double", "halffloat"),
    "string": ("string", "large_string"),
    "bool": ("bool",),
}

# Sliding-window aggregates a feature view can declare (see `Aggregation`).
AGGREGATION_FUNCTIONS = ("count", "sum", "mean")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DefinitionError(ValueError):
    """Invalid definitions; the message lists every problem, one per line."""


@dataclass(frozen=True)
class Entity:
    """A thing features describe (a driver, a user), identified by one or more key columns.

    Several keys identify one entity together (a driver in a city): `join_key=("driver_id",
    "city")` with `value_type=("int64", "string")`, or one type for all of them.
    """

    name: str
    join_key: str | tuple[str, ...]
    # int64 or string, one for all keys or one per key: online keys are normalised to it.
    value_type: str | tuple[str, ...] = "int64"
    description: str = ""

    def join_keys(self) -> list[str]:
        """The key columns, in their declared order."""
        return [self.join_key] if isinstance(self.join_key, str) else list(self.join_key)

    def key_types(self) -> list[tuple[str, str]]:
        """(column, value type) per key column."""
        names = self.join_keys()
        types = (
            [self.value_type] * len(names)
            if isinstance(self.value_type, str)
            else list(self.value_type)
        )
        return list(zip(names, types, strict=False))


@dataclass(frozen=True)
class FileSource:
    """Parquet file(s) holding feature rows: join key, event time, optional created time."""

    name: str
    path: str  # a file, a directory of *.parquet, or a glob; relative to the repository
    timestamp_field: str = "event_timestamp"
    # When a row was written; breaks ties between rows with the same event time.
    created_timestamp_field: str | None = None


@dataclass(frozen=True)
class Field:
    """One typed feature column."""

    name: str
    dtype: str  # one of VALUE_TYPES


@dataclass(frozen=True)
class Aggregation:
    """A sliding-window aggregate per entity, served as feature `name` of its view.

    At time t it covers the view's events with t - window <= event time <= t (both ends
    included, like the TTL): `count` counts events; `sum` and `mean` use the non-null values of
    the numeric feature `column` (sum of none is 0, mean of none is null). Every event counts,
    including rows that tie on event time: aggregates describe events, not latest values.
    """

    name: str
    function: str  # one of AGGREGATION_FUNCTIONS
    window: timedelta
    column: str | None = None  # a numeric feature of the view; not used by count


@dataclass(frozen=True)
class FeatureView:
    """Features of one entity read from one source, valid for `ttl` after their event time."""

    name: str
    entity: str
    source: str
    features: tuple[Field, ...]
    # A value older than ttl counts as missing (offline: null; online: status "expired").
    # None means values never expire.
    ttl: timedelta | None = timedelta(days=1)
    description: str = ""
    # Windowed aggregates over the same rows, computed point-in-time offline and kept up to
    # date incrementally online (store.py).
    aggregations: tuple[Aggregation, ...] = ()

    def feature_names(self) -> list[str]:
        """The latest-value features (the source's columns)."""
        return [f.name for f in self.features]

    def aggregation_names(self) -> list[str]:
        return [a.name for a in self.aggregations]

    def output_names(self) -> list[str]:
        """Every feature a `view:feature` reference may name."""
        return self.feature_names() + self.aggregation_names()

    def aggregation(self, name: str) -> Aggregation:
        return _by_name(self.aggregations, name, f"aggregation of view {self.name!r}")

    def max_window(self) -> timedelta:
        """The longest aggregation window (how much history the online state keeps)."""
        return max((a.window for a in self.aggregations), default=timedelta(0))


@dataclass(frozen=True)
class OnDemandView:
    """Features computed at request time from request data and stored features.

    `function` ("module:function") takes a pandas DataFrame with one row per entity row and
    a column per `request_fields` entry and per `sources` feature (named by the feature alone)
    and returns a DataFrame with the `features` columns, row for row. The training-set builder
    calls it on the point-in-time joined frame (request fields come from the entity
    dataframe), the online endpoint on each request, so both compute features the same way.
    """

    name: str
    sources: tuple[str, ...]  # "view:feature" references of stored features it reads
    request_fields: tuple[Field, ...]
    features: tuple[Field, ...]
    function: str
    description: str = ""

    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def output_names(self) -> list[str]:
        return self.feature_names()


@dataclass(frozen=True)
class FeatureService:
    """A named list of `view:feature` references that a model consumes."""

    name: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class Definitions:
    """Everything `apply` registers."""

    entities: tuple[Entity, ...] = ()
    sources: tuple[FileSource, ...] = ()
    feature_views: tuple[FeatureView, ...] = ()
    feature_services: tuple[FeatureService, ...] = ()
    on_demand_views: tuple[OnDemandView, ...] = ()

    def entity(self, name: str) -> Entity:
        return _by_name(self.entities, name, "entity")

    def source(self, name: str) -> FileSource:
        return _by_name(self.sources, name, "source")

    def view(self, name: str) -> FeatureView:
        return _by_name(self.feature_views, name, "feature view")

    def service(self, name: str) -> FeatureService:
        return _by_name(self.feature_services, name, "feature service")

    def on_demand(self, name: str) -> OnDemandView | None:
        """The on-demand view called `name`, or None when it is not one."""
        return next((o for o in self.on_demand_views if o.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (TTL in seconds) used by the registry and for diffs."""
        views = []
        for v in self.feature_views:
            d = asdict(v)
            d["ttl"] = None if v.ttl is None else v.ttl.total_seconds()
            if v.aggregations:
                d["aggregations"] = [
                    {**asdict(a), "window": a.window.total_seconds()} for a in v.aggregations
                ]
            else:
                del d["aggregations"]  # registries written before aggregations stay unchanged
            views.append(d)
        doc = {
            "entities": [asdict(e) for e in self.entities],
            "sources": [asdict(s) for s in self.sources],
            "feature_views": views,
            "feature_services": [
                {"name": s.name, "features": list(s.features)} for s in self.feature_services
            ],
        }
        if self.on_demand_views:  # registries written before on-demand views stay unchanged
            doc["on_demand_views"] = [asdict(o) for o in self.on_demand_views]
        normalised: dict[str, Any] = json.loads(json.dumps(doc))  # tuples -> lists, as stored
        return normalised

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Definitions:
        """Build definitions from the YAML/JSON form; raises DefinitionError on bad shape."""
        if not isinstance(doc, dict):
            raise DefinitionError("definitions must be a mapping with entities, sources, ...")
        unknown = set(doc) - {
            "entities",
            "sources",
            "feature_views",
            "on_demand_views",
            "feature_services",
        }
        if unknown:
            raise DefinitionError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
        try:
            views = []
            for v in doc.get("feature_views") or []:
                v = dict(v)
                raw = v.get("features") or []
                v["features"] = tuple(
                    Field(name=f["name"], dtype=f["dtype"]) if isinstance(f, dict) else f
                    for f in raw
                )
                v["ttl"] = parse_duration(v.get("ttl", 86400))
                v["aggregations"] = tuple(
                    _aggregation(a, v.get("name")) for a in v.get("aggregations") or []
                )
                views.append(FeatureView(**v))
            return cls(
                entities=tuple(_entity(e) for e in doc.get("entities") or []),
                sources=tuple(FileSource(**s) for s in doc.get("sources") or []),
                feature_views=tuple(views),
                feature_services=tuple(
                    FeatureService(name=s["name"], features=tuple(s["features"]))
                    for s in doc.get("feature_services") or []
                ),
                on_demand_views=tuple(
                    OnDemandView(
                        **{
                            **o,
                            "sources": tuple(o["sources"]),
                            "request_fields": _fields(o.get("request_fields") or []),
                            "features": _fields(o["features"]),
                        }
                    )
                    for o in doc.get("on_demand_views") or []
                ),
            )
        except (TypeError, KeyError) as exc:
            raise DefinitionError(f"malformed definition: {exc}") from exc


def _entity(doc: dict[str, Any]) -> Entity:
    # YAML and JSON give lists; the dataclass holds tuples (several join keys).
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.items()}
    return Entity(**fields)


def _fields(raw: list[Any]) -> tuple[Field, ...]:
    return tuple(Field(name=f["name"], dtype=f["dtype"]) if isinstance(f, dict) else f for f in raw)


def _aggregation(doc: Any, view: object) -> Aggregation:
    if isinstance(doc, Aggregation):
        return doc
    doc = dict(doc)
    window = parse_duration(doc.get("window"))
    if window is None:
        raise DefinitionError(
            f"feature view {view!r}: aggregation {doc.get('name')!r} needs a window"
        )
    doc["window"] = window
    return Aggregation(**doc)


def _by_name(items: tuple[Any, ...], name: str, kind: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    valid = ", ".join(sorted(i.name for i in items)) or "none"
    raise KeyError(f"unknown {kind} {name!r}; valid: {valid}")


def parse_duration(value: object) -> timedelta | None:
    """`"1d"`, `"6h"`, `"90m"`, `"30s"`, `"2w"`, seconds as a number, a timedelta, or None."""
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise DefinitionError(f"bad duration {value!r}")
    if isinstance(value, (int, float)):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    raise DefinitionError(f"bad duration {value!r}: use e.g. 30s, 15m, 6h, 1d, 2w or seconds")


def load_definitions(path: str | Path) -> Definitions:
    """Read definitions from a YAML file."""
    p = Path(path)
    if not p.is_file():
        raise DefinitionError(f"definitions file not found: {p}")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{p}: invalid YAML: {exc}") from exc
    return Definitions.from_dict(doc or {})


def source_files(source: FileSource, repo: Path) -> list[Path]:
    """The Parquet files of a source in a fixed (sorted) order; later files win ties."""
    p = Path(source.path)
    if not p.is_absolute():
        p = repo / p
    if p.is_dir():
        return sorted(p.glob("*.parquet"))
    if any(ch in str(p) for ch in "*?["):
        return sorted(p.parent.glob(p.name))
    return [p] if p.exists() else []


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    return dup


def _arrow_kind(t: pa.DataType) -> str:
    return str(t).split("[")[0]


def validate(defs: Definitions, repo: Path | None = None) -> list[str]:
    """Every problem in `defs`, one readable line each; empty means valid.

    With `repo`, each source's Parquet schema is checked: the join key, timestamps and features
    must exist with compatible types.
    """
    problems: list[str] = []
    for kind, items in (
        ("entity", defs.entities),
        ("source", defs.sources),
        ("feature view", defs.feature_views),
        ("on-demand view", defs.on_demand_views),
        ("feature service", defs.feature_services),
    ):
        for dup in _duplicates([i.name for i in items]):
            problems.append(f"duplicate {kind} name {dup!r}")
        for item in items:
            if not _NAME.match(item.name):
                problems.append(f"{kind} name {item.name!r} is not a valid identifier")

    for e in defs.entities:
        types = [e.value_type] if isinstance(e.value_type, str) else list(e.value_type)
        if any(t not in ("int64", "string") for t in types):
            problems.append(f"entity {e.name!r}: value_type must be int64 or string")
        if not isinstance(e.value_type, str) and len(types) != len(e.join_keys()):
            problems.append(
                f"entity {e.name!r}: {len(e.join_keys())} join keys but {len(types)} value types"
            )
        if not e.join_keys() or _duplicates(e.join_keys()):
            problems.append(f"entity {e.name!r}: join keys must be distinct and at least one")
    entities = {e.name: e for e in defs.entities}
    sources = {s.name: s for s in defs.sources}
    views = {v.name: v for v in defs.feature_views}

    for v in defs.feature_views:
        where = f"feature view {v.name!r}"
        if v.entity not in entities:
            valid = ", ".join(sorted(entities)) or "none"
            problems.append(f"{where}: unknown entity {v.entity!r} (valid: {valid})")
        if v.source not in sources:
            valid = ", ".join(sorted(sources)) or "none"
            problems.append(f"{where}: unknown source {v.source!r} (valid: {valid})")
        if not v.features:
            problems.append(f"{where}: has no features")
        for dup in _duplicates(v.feature_names() + v.aggregation_names()):
            problems.append(f"{where}: duplicate feature {dup!r}")
        problems.extend(_check_aggregations(v))
        for f in v.features:
            if f.dtype not in VALUE_TYPES:
                problems.append(
                    f"{where}: feature {f.name!r} has unknown dtype {f.dtype!r} "
                    f"(valid: {', '.join(VALUE_TYPES)})"
                )
            if not _NAME.match(f.name):
                problems.append(f"{where}: feature name {f.name!r} is not a valid identifier")
        if v.ttl is not None and v.ttl <= timedelta(0):
            problems.append(f"{where}: ttl must be positive (or null for no expiry)")
        if repo is not None and v.entity in entities and v.source in sources:
            problems.extend(_check_schema(v, entities[v.entity], sources[v.source], repo))

    problems.extend(_check_on_demand(defs, views))
    views_and_odvs: dict[str, FeatureView | OnDemandView] = dict(views)
    views_and_odvs.update({o.name: o for o in defs.on_demand_views})
    for s in defs.feature_services:
        for ref in s.features:
            view_name, _, feat = ref.partition(":")
            if view_name not in views_and_odvs:
                problems.append(f"feature service {s.name!r}: unknown feature view in {ref!r}")
            elif feat not in views_and_odvs[view_name].output_names():
                valid = ", ".join(views_and_odvs[view_name].output_names())
                problems.append(
                    f"feature service {s.name!r}: unknown feature {ref!r} (valid: {valid})"
                )
    return problems


def _check_on_demand(defs: Definitions, views: dict[str, FeatureView]) -> list[str]:
    problems: list[str] = []
    for o in defs.on_demand_views:
        where = f"on-demand view {o.name!r}"
        if o.name in views:
            problems.append(f"{where}: a feature view has the same name")
        module, _, func = o.function.partition(":")
        if not module or not func:
            problems.append(f"{where}: function {o.function!r} must be 'module:function'")
        inputs = [f.name for f in o.request_fields]
        for ref in o.sources:
            view_name, _, feat = ref.partition(":")
            if view_name not in views or feat not in views[view_name].output_names():
                problems.append(f"{where}: unknown source feature {ref!r}")
            inputs.append(feat)
        for dup in _duplicates(inputs):
            problems.append(f"{where}: input {dup!r} is given twice")
        if not o.features:
            problems.append(f"{where}: has no features")
        for f in (*o.request_fields, *o.features):
            if f.dtype not in VALUE_TYPES:
                problems.append(f"{where}: {f.name!r} has unknown dtype {f.dtype!r}")
            if not _NAME.match(f.name):
                problems.append(f"{where}: name {f.name!r} is not a valid identifier")
    return problems


def _check_aggregations(v: FeatureView) -> list[str]:
    problems: list[str] = []
    numeric = [f.name for f in v.features if f.dtype in ("int64", "float64")]
    for a in v.aggregations:
        where = f"feature view {v.name!r}: aggregation {a.name!r}"
        if not _NAME.match(a.name):
            problems.append(f"{where}: name is not a valid identifier")
        if a.function not in AGGREGATION_FUNCTIONS:
            problems.append(
                f"{where}: unknown function {a.function!r} "
                f"(valid: {', '.join(AGGREGATION_FUNCTIONS)})"
            )
        if a.window <= timedelta(0):
            problems.append(f"{where}: window must be positive")
        if a.function != "count" and a.column not in numeric:
            problems.append(
                f"{where}: column {a.column!r} is not a numeric feature of the view "
                f"(valid: {', '.join(numeric) or 'none'})"
            )
    return problems


def _check_schema(v: FeatureView, e: Entity, s: FileSource, repo: Path) -> list[str]:
    files = source_files(s, repo)
    if not files:
        return [f"source {s.name!r}: no Parquet file at {s.path!r}"]
    schema = pq.read_schema(files[0])
    cols = {name: schema.field(name).type for name in schema.names}
    where = f"feature view {v.name!r} (source {s.name!r})"
    problems: list[str] = []
    expected: list[tuple[str, str]] = e.key_types()
    expected += [(f.name, f.dtype) for f in v.features if f.dtype in VALUE_TYPES]
    for col, dtype in expected:
        if col not in cols:
            problems.append(f"{where}: column {col!r} not in Parquet file {files[0].name}")
        elif _arrow_kind(cols[col]) not in VALUE_TYPES[dtype]:
            problems.append(
                f"{where}: column {col!r} is {cols[col]} in Parquet but declared {dtype}"
            )
    for maybe_col in (s.timestamp_field, s.created_timestamp_field):
        if maybe_col is None:
            continue
        col = maybe_col
        if col not in cols:
            problems.append(f"{where}: timestamp column {col!r} not in {files[0].name}")
        elif not pa.types.is_timestamp(cols[col]):
            problems.append(f"{where}: column {col!r} is {cols[col]}, expected a timestamp")
    return problems


def definitions_from(
    *items: Entity | FileSource | FeatureView | FeatureService | OnDemandView,
) -> Definitions:
    """Group a flat list of definition objects (the "in code" style) into `Definitions`."""
    return Definitions(
        on_demand_views=tuple(i for i in items if isinstance(i, OnDemandView)),
        entities=tuple(i for i in items if isinstance(i, Entity)),
        sources=tuple(i for i in items if isinstance(i, FileSource)),
        feature_views=tuple(i for i in items if isinstance(i, FeatureView)),
        feature_services=tuple(i for i in items if isinstance(i, FeatureService)),
    )
