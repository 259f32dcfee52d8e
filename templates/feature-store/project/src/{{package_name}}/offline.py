"""Offline store: DuckDB over the Parquet sources plus the push log.

`get_historical_features` is the point-in-time join that builds training sets. For each entity
row (join key, timestamp t) and each feature view it returns the feature row with the latest
event timestamp at or before t, provided that timestamp is within the view's TTL
(t - ttl <= event_ts <= t); otherwise nulls. Rows sharing an event timestamp are ranked by
created timestamp (missing counts as oldest), then by position in the log (later file, later row
wins) so the answer is deterministic. The join runs as a DuckDB ASOF join after that
de-duplication; `reference.py` holds a brute-force version the tests compare against.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .definitions import Aggregation, Definitions, Entity, FeatureView, FileSource, source_files
from .timeutil import normalize_column, now_micros

__all__ = ["PUSH_CREATED_COLUMN", "OfflineStore", "ViewRows"]

# Column holding the ingestion time of pushed rows when the source declares no created column.
PUSH_CREATED_COLUMN = "_created_timestamp"

# The tie-break order of feature rows as one comparable struct, and an entity row's bound.
_ORDER = (
    "{'t': _event_ts, 'c': coalesce(_created_ts, '-infinity'::TIMESTAMP), "
    "'f': _file::BIGINT, 'r': _row::BIGINT}"
)
_PROBE = (
    "{'t': _entity_ts, 'c': 'infinity'::TIMESTAMP, "
    "'f': 9223372036854775807::BIGINT, 'r': 9223372036854775807::BIGINT}"
)

_SQL_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class ViewRows:
    """The latest row per entity key of one view in a time range, ready for the online store."""

    view: str
    keys: list[Any]
    event_us: list[int]
    created_us: list[int | None]
    values: list[dict[str, Any]]


class OfflineStore:
    """Reads feature rows from Parquet with DuckDB; appends pushed rows to a Parquet log."""

    def __init__(self, repo: str | Path) -> None:
        self.repo = Path(repo)
        self._db: duckdb.DuckDBPyConnection | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A fresh connection (cursor) to one in-memory database opened on first use: opening
        a database costs ~0.1 s, a cursor almost nothing, and cursors are thread-safe."""
        if self._db is None:
            self._db = duckdb.connect()
        con = self._db.cursor()
        con.execute("SET TimeZone = 'UTC'")
        threads = os.environ.get("FEATURE_STORE_DUCKDB_THREADS")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        return con

    def push_log_dir(self, view: str) -> Path:
        return self.repo / "data" / "push_log" / view

    def push_files(self, view: str) -> list[Path]:
        """The view's pushed Parquet files in push (tie-break) order."""
        return sorted(self.push_log_dir(view).glob("*.parquet"))

    def push_file_count(self, view: str) -> int:
        return len(self.push_files(view))

    def compact(self, view: str) -> int:
        """Merge the view's pushed files into one, keeping row order; return files merged.

        The merged file is named after the last file it holds, so it sorts where that file did
        and pushes made meanwhile still sort after it. It is written and renamed into place
        before the originals are deleted: a crash in between leaves each row twice, which
        changes no answer (duplicates tie on every sort key and carry the same values), and the
        next compaction merges them away. Pushes into the same folder during a compaction are
        safe; two compactions of one view at once are not (run one compactor per view).
        """
        files = self.push_files(view)
        if len(files) < 2:
            return 0
        tables = [pq.read_table(f) for f in files]
        merged = pa.concat_tables(tables, promote_options="default")
        last = files[-1].name.split("-")[0]
        path = files[0].parent / f"{last}-{uuid.uuid4().hex[:8]}-compacted.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(merged, tmp)
        os.replace(tmp, path)
        for f in files:
            f.unlink(missing_ok=True)
        return len(files)

    def files(self, view: FeatureView, source: FileSource) -> list[Path]:
        """The view's Parquet files in tie-break order: the source, then the push log."""
        return source_files(source, self.repo) + self.push_files(view.name)

    def view_sql(self, defs: Definitions, view: FeatureView) -> str:
        """SQL for every raw row of `view`.

        Columns: join key, _event_ts, _created_ts, _file, _row, then the features.
        """
        entity = defs.entity(view.entity)
        source = defs.source(view.source)
        files = self.files(view, source)
        if not files:
            raise FileNotFoundError(
                f"feature view {view.name!r}: no Parquet file for source {source.name!r} "
                f"at {source.path!r}"
            )
        selects = []
        for i, path in enumerate(files):
            names = set(pq.read_schema(path).names)
            created = source.created_timestamp_field or PUSH_CREATED_COLUMN
            created_sql = (
                f"CAST({_q(created)} AS TIMESTAMP)" if created in names else "NULL::TIMESTAMP"
            )
            cols = (
                [f"CAST({_q(k)} AS {_SQL_TYPES[t]}) AS {_q(k)}" for k, t in entity.key_types()]
                + [
                    f"CAST({_q(source.timestamp_field)} AS TIMESTAMP) AS _event_ts",
                    f"{created_sql} AS _created_ts",
                    f"{i} AS _file",
                    "file_row_number AS _row",
                ]
                + [
                    f"CAST({_q(f.name)} AS {_SQL_TYPES[f.dtype]}) AS {_q(f.name)}"
                    for f in view.features
                ]
            )
            selects.append(
                f"SELECT {', '.join(cols)} FROM read_parquet({_lit(path)}, file_row_number = true)"
            )
        return "\nUNION ALL\n".join(selects)

    def get_historical_features(
        self,
        defs: Definitions,
        entity_df: pd.DataFrame,
        wanted: dict[str, list[str]],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pd.DataFrame:
        """The entity rows with point-in-time correct features appended (same row order).

        `wanted` maps view name -> feature names (see `FeatureStore.resolve`). The timestamp
        column comes back as UTC-aware timestamps.
        """
        views = [defs.view(name) for name in wanted]
        entities = {v.entity: defs.entity(v.entity) for v in views}
        out = prepare_entity_df(entity_df, list(entities.values()), timestamp_column)
        names = [
            f"{v.name}__{f}" if full_feature_names else f for v in views for f in wanted[v.name]
        ]
        clash = [n for n in names if n in out.columns]
        if clash:
            raise ValueError(
                f"entity dataframe already has column(s) {', '.join(map(repr, clash))}; "
                "rename them or pass full_feature_names=True"
            )
        if len(out) == 0:
            for v in views:
                for f in wanted[v.name]:
                    out[f"{v.name}__{f}" if full_feature_names else f] = pd.Series(dtype=object)
            out[timestamp_column] = out[timestamp_column].dt.tz_localize("UTC")
            return out
        keys = list(dict.fromkeys(k for e in entities.values() for k in e.join_keys()))
        frame = out[keys].copy()
        frame["_entity_ts"] = out[timestamp_column]
        frame["_row_id"] = range(len(frame))
        stamps = frame["_entity_ts"].astype("int64")  # datetime64[us]: microseconds
        reach = (int(stamps.min()), int(stamps.max()))
        latest = {v.name: [f for f in wanted[v.name] if f in v.feature_names()] for v in views}
        con = self._connect()
        try:
            con.register("entity_frame", frame)
            parts = []
            if any(latest.values()):
                joined = [v for v in views if latest[v.name]]
                sql = self._latest_sql(defs, joined, latest, full_feature_names, reach)
                parts.append(con.execute(sql).df())
            for v in views:
                aggs = [v.aggregation(f) for f in wanted[v.name] if f not in latest[v.name]]
                if aggs:
                    sql = self._window_sql(defs, v, aggs, full_feature_names, reach)
                    parts.append(con.execute(sql).df())
        finally:
            con.close()
        # Each part comes back in join order: put it in entity row order by its _row_id
        # (a scatter in NumPy, cheaper than an ORDER BY in the query).
        ordered = []
        for part in parts:
            at = np.empty(len(part), dtype="int64")
            at[part["_row_id"].to_numpy()] = np.arange(len(part))
            ordered.append(part.drop(columns="_row_id").iloc[at].reset_index(drop=True))
        feats_df = pd.concat(ordered, axis=1)[names]
        feats_df.index = out.index
        out[timestamp_column] = out[timestamp_column].dt.tz_localize("UTC")
        return pd.concat([out, feats_df], axis=1)

    def _latest_sql(
        self,
        defs: Definitions,
        views: list[FeatureView],
        wanted: dict[str, list[str]],
        full_feature_names: bool,
        reach: tuple[int, int],
    ) -> str:
        """The ASOF join of `entity_rows` with each view's latest row (with _row_id).

        Ties on event time are broken inside the join, not by a de-duplication pass before it
        (which cost more than the join): the ASOF inequality compares the struct (event time,
        created time or -infinity, file, row), which orders rows exactly as the tie-break rule
        does, against (entity time, +infinity, ...), so the greatest row at or before the
        entity time is the winner.
        """
        ctes = ["entity_rows AS (SELECT *, " + _PROBE + " AS _probe FROM entity_frame)"]
        selects = ["e._row_id"]
        joins = []
        for i, v in enumerate(views):
            keys = defs.entity(v.entity).join_keys()
            key = ", ".join(map(_q, keys))
            feats = ", ".join(_q(f) for f in wanted[v.name])
            ctes.append(
                f"v{i} AS (SELECT {key}, _event_ts, {_ORDER} AS _order, {feats} "
                f"FROM ({self.view_sql(defs, v)}) {_in_reach(reach, v.ttl)})"
            )
            joins.append(
                f"ASOF LEFT JOIN v{i} ON "
                + "".join(f"e.{_q(k)} = v{i}.{_q(k)} AND " for k in keys)
                + f"e._probe >= v{i}._order"
            )
            fresh = (
                "TRUE"
                if v.ttl is None
                else f"v{i}._event_ts >= e._entity_ts - to_microseconds({_ttl_us(v)}::BIGINT)"
            )
            for f in wanted[v.name]:
                name = f"{v.name}__{f}" if full_feature_names else f
                selects.append(f"CASE WHEN {fresh} THEN v{i}.{_q(f)} END AS {_q(name)}")
        return (
            f"WITH {', '.join(ctes)} SELECT {', '.join(selects)} FROM entity_rows e "
            f"{' '.join(joins)}"
        )

    def _window_sql(
        self,
        defs: Definitions,
        view: FeatureView,
        aggs: list[Aggregation],
        full: bool,
        reach: tuple[int, int],
    ) -> str:
        """Sliding-window aggregates at each entity row (with _row_id).

        Events and entity rows are unioned per key and ordered by time; a RANGE window of each
        aggregation's width ending at an entity row (peers included) covers exactly the events
        with t - window <= event time <= t. Entity rows carry nulls, which count and sum skip.
        """
        key = ", ".join(map(_q, defs.entity(view.entity).join_keys()))
        columns = sorted({a.column for a in aggs if a.function != "count" and a.column})
        alias = {c: f"_c{i}" for i, c in enumerate(columns)}
        widest = max(_us(a.window) for a in aggs)
        events = (
            f"SELECT {key}, _event_ts AS _ts, 0 AS _kind, NULL::BIGINT AS _row_id, 1 AS _one"
            + "".join(f", CAST({_q(c)} AS DOUBLE) AS {alias[c]}" for c in columns)
            + f" FROM ({self.view_sql(defs, view)}) "
            + _in_reach(reach, timedelta(microseconds=widest))
        )
        probes = (
            f"SELECT {key}, _entity_ts, 1, _row_id, NULL::INTEGER"
            + ", NULL::DOUBLE" * len(columns)
            + " FROM entity_frame"
        )
        exprs = []
        for a in aggs:
            over = (
                f"OVER (PARTITION BY {key} ORDER BY _ts RANGE BETWEEN "
                f"to_microseconds({_us(a.window)}::BIGINT) PRECEDING AND CURRENT ROW)"
            )
            name = _q(f"{view.name}__{a.name}" if full else a.name)
            if a.function == "count":
                exprs.append(f"count(_one) {over} AS {name}")
            elif a.function == "sum":
                exprs.append(f"coalesce(sum({alias[str(a.column)]}) {over}, 0.0) AS {name}")
            else:
                exprs.append(f"avg({alias[str(a.column)]}) {over} AS {name}")
        return (
            f"SELECT * EXCLUDE (_kind) FROM (SELECT _kind, _row_id, {', '.join(exprs)} FROM "
            f"({events} UNION ALL {probes})) WHERE _kind = 1"
        )

    def latest_rows(
        self, defs: Definitions, view: FeatureView, start_us: int | None, end_us: int
    ) -> ViewRows:
        """Per entity key, the winning row with start <= event time <= end (start None: all).

        A key is a value, or a tuple of values for an entity with several join keys.
        """
        nk = len(defs.entity(view.entity).join_keys())
        key = ", ".join(map(_q, defs.entity(view.entity).join_keys()))
        feats = [f.name for f in view.features]
        lower = "" if start_us is None else f"AND _event_ts >= make_timestamp({int(start_us)})"
        sql = (
            f"SELECT {key}, epoch_us(_event_ts), epoch_us(_created_ts), "
            f"{', '.join(_q(f) for f in feats)} FROM ({self.view_sql(defs, view)}) "
            f"WHERE _event_ts <= make_timestamp({int(end_us)}) {lower} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _event_ts DESC, "
            f"_created_ts DESC NULLS LAST, _file DESC, _row DESC) = 1 ORDER BY {key}"
        )
        con = self._connect()
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
        return ViewRows(
            view=view.name,
            keys=[r[0] if nk == 1 else tuple(r[:nk]) for r in rows],
            event_us=[int(r[nk]) for r in rows],
            created_us=[None if r[nk + 1] is None else int(r[nk + 1]) for r in rows],
            values=[dict(zip(feats, r[nk + 2 :], strict=True)) for r in rows],
        )

    def window_events(
        self, defs: Definitions, view: FeatureView, columns: list[str], end_us: int
    ) -> dict[Any, list[list[Any]]]:
        """Per key, its events up to `end` within the longest window of its newest one, as
        [event_us, *columns] in time order: the online window state (`windows.py`)."""
        nk = len(defs.entity(view.entity).join_keys())
        key = ", ".join(map(_q, defs.entity(view.entity).join_keys()))
        cols = "".join(f", CAST({_q(c)} AS DOUBLE)" for c in columns)
        sql = (
            f"SELECT {key}, epoch_us(_event_ts){cols} FROM ({self.view_sql(defs, view)}) "
            f"WHERE _event_ts <= make_timestamp({int(end_us)}) QUALIFY _event_ts >= "
            f"max(_event_ts) OVER (PARTITION BY {key}) - "
            f"to_microseconds({_us(view.max_window())}::BIGINT) ORDER BY {key}, _event_ts"
        )
        con = self._connect()
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
        events: dict[Any, list[list[Any]]] = {}
        for r in rows:
            k = r[0] if nk == 1 else tuple(r[:nk])
            events.setdefault(k, []).append([int(r[nk]), *r[nk + 1 :]])
        return events

    def count_rows(self, defs: Definitions, view: FeatureView) -> int:
        con = self._connect()
        try:
            row = con.execute(f"SELECT count(*) FROM ({self.view_sql(defs, view)})").fetchone()
        finally:
            con.close()
        return int(row[0]) if row else 0

    def append_push_log(
        self, defs: Definitions, view: FeatureView, rows: pd.DataFrame
    ) -> tuple[Path, int]:
        """Write pushed rows (validated, typed) as a new Parquet file in the log.

        Returns the file and the created timestamp (microseconds) stamped on every row.
        """
        source = defs.source(view.source)
        created = source.created_timestamp_field or PUSH_CREATED_COLUMN
        frame = rows.copy()
        created_us = now_micros()
        frame[created] = pd.Series(
            [pd.Timestamp(created_us, unit="us")] * len(frame), index=frame.index
        ).astype("datetime64[us]")
        directory = self.push_log_dir(view.name)
        directory.mkdir(parents=True, exist_ok=True)
        # The name sorts in push order, which is the tie-break order of the offline join.
        path = directory / f"{now_micros():020d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
        os.replace(tmp, path)
        return path, created_us


def _in_reach(reach: tuple[int, int], ttl: timedelta | None) -> str:
    """WHERE clause keeping the rows some entity row can see: event time within [first entity
    time - ttl, last entity time]. Literal bounds (not subqueries) let DuckDB push the filter
    into the Parquet scan."""
    lo, hi = reach
    where = f"WHERE _event_ts <= make_timestamp({hi})"
    return where if ttl is None else f"{where} AND _event_ts >= make_timestamp({lo - _us(ttl)})"


def _ttl_us(view: FeatureView) -> int:
    assert view.ttl is not None
    return _us(view.ttl)


def _us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def prepare_entity_df(
    entity_df: pd.DataFrame, entities: list[Entity], timestamp_column: str
) -> pd.DataFrame:
    """Check the join keys and timestamp column exist; normalise types (timestamps to UTC)."""
    if not isinstance(entity_df, pd.DataFrame):
        raise TypeError("entity_df must be a pandas DataFrame")
    missing = [k for e in entities for k in e.join_keys() if k not in entity_df.columns]
    if timestamp_column not in entity_df.columns:
        missing.append(timestamp_column)
    if missing:
        raise ValueError(
            f"entity dataframe is missing column(s) {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, map(str, entity_df.columns)))}"
        )
    out = entity_df.copy()
    out[timestamp_column] = normalize_column(out[timestamp_column], timestamp_column)
    for e in entities:
        for key, value_type in e.key_types():
            out[key] = coerce_keys(out[key], key, value_type, e.name)
    return out


def coerce_keys(values: pd.Series, key: str, value_type: str, entity: str) -> pd.Series:
    """Join key values as int64 or string, with a clear error for nulls or wrong types."""
    if values.isna().any():
        raise ValueError(f"join key {key!r} has missing values")
    if value_type == "string":
        return values.astype(str)
    try:
        return values.astype("int64")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"join key {key!r} must be integers (entity {entity!r} is int64)") from exc
