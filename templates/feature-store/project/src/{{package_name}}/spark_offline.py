"""The point-in-time join on Apache Spark, from the same definitions and files as DuckDB.

    pip install -e ".[spark]"    # pyspark; Spark also needs Java 17+ (openjdk-17-jre-headless)
    store.get_historical_features(entity_df, refs, engine="spark")

Same rules as `offline.py` (latest event time at or before the entity time, within the TTL;
ties on event time broken by created time, missing counts as oldest, then later file, then later
row; windowed aggregates over a range window per key), computed without a range join, so it
scales with a cluster: per view, the winning row of each (key, event time) is kept; feature rows
and entity rows are unioned and sorted by key and time (feature rows first on equal times);
`last(..., ignorenulls)` over that order carries the latest feature row forward to each entity
row; the TTL check then nulls stale values. Master:
`spark_master` in the repository's config.yaml, else SPARK_MASTER, else `local[2]`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pandas as pd

from .definitions import Aggregation, Definitions, FeatureView
from .offline import PUSH_CREATED_COLUMN, OfflineStore, prepare_entity_df

__all__ = ["DEFAULT_MASTER", "SparkOfflineEngine", "spark_available"]

DEFAULT_MASTER = "local[2]"
_SPARK_TYPES = {"int64": "bigint", "float64": "double", "string": "string", "bool": "boolean"}


def spark_available() -> str | None:
    """None when pyspark imports and Java is on PATH; otherwise why Spark cannot run here."""
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


class SparkOfflineEngine:
    """Point-in-time joins on a Spark session (created on first use, reused after)."""

    def __init__(self, offline: OfflineStore, master: str | None = None) -> None:
        self.offline = offline
        self.master = master or os.environ.get("SPARK_MASTER") or DEFAULT_MASTER
        self._spark: Any = None

    @property
    def spark(self) -> Any:
        if self._spark is None:
            problem = spark_available()
            if problem:
                raise RuntimeError(f"the Spark engine cannot run: {problem}")
            from pyspark.sql import SparkSession

            self._spark = (
                SparkSession.builder.master(self.master)
                .appName("feature-store")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.bindAddress", "127.0.0.1")
                # pandas writes nanosecond timestamps, which Spark refuses to read as
                # timestamps; read them as integers and convert (`_timestamp`).
                .config("spark.sql.legacy.parquet.nanosAsLong", "true")
                .getOrCreate()
            )
            self._spark.sparkContext.setLogLevel("ERROR")
        return self._spark

    def _view_rows(self, defs: Definitions, view: FeatureView) -> Any:
        """Every raw row of `view` with _event_ts, _created_ts, _file, _row (as view_sql)."""
        from pyspark.sql import functions as F

        entity = defs.entity(view.entity)
        source = defs.source(view.source)
        files = self.offline.files(view, source)
        if not files:
            raise FileNotFoundError(
                f"feature view {view.name!r}: no Parquet file for source {source.name!r}"
            )
        created = source.created_timestamp_field or PUSH_CREATED_COLUMN
        frames = []
        for i, path in enumerate(files):
            df = self.spark.read.parquet(str(path))
            created_col = (
                _timestamp(df, created) if created in df.columns else F.lit(None).cast("timestamp")
            )
            cols = [
                *[F.col(k).cast(_SPARK_TYPES[t]).alias(k) for k, t in entity.key_types()],
                _timestamp(df, source.timestamp_field).alias("_event_ts"),
                created_col.alias("_created_ts"),
                F.lit(i).alias("_file"),
                # Row order within a file: ids grow with the (ordered) splits of one file.
                F.monotonically_increasing_id().alias("_row"),
            ] + [F.col(f.name).cast(_SPARK_TYPES[f.dtype]).alias(f.name) for f in view.features]
            frames.append(df.select(*cols))
        out = frames[0]
        for frame in frames[1:]:
            out = out.unionByName(frame)
        return out

    def get_historical_features(
        self,
        defs: Definitions,
        entity_df: pd.DataFrame,
        wanted: dict[str, list[str]],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pd.DataFrame:
        """Same contract as `OfflineStore.get_historical_features`, computed on Spark."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        views = [defs.view(name) for name in wanted]
        entities = {v.entity: defs.entity(v.entity) for v in views}
        out = prepare_entity_df(entity_df, list(entities.values()), timestamp_column)
        keys = list(dict.fromkeys(k for e in entities.values() for k in e.join_keys()))
        frame = out[keys].copy()
        # As integer microseconds: no time zone guess on the way into Spark.
        frame["_entity_us"] = out[timestamp_column].astype("int64")
        frame["_row_id"] = range(len(frame))
        result = None
        if len(frame):
            rows = self.spark.createDataFrame(frame).withColumn(
                "_entity_ts", F.timestamp_micros("_entity_us")
            )
            result = rows.select("_row_id")
            for v in views:
                key = defs.entity(v.entity).join_keys()
                aggs = [v.aggregation(f) for f in wanted[v.name] if f not in v.feature_names()]
                if aggs:
                    windowed = self._windows(defs, v, aggs, rows, full_feature_names)
                    result = result.join(windowed, "_row_id", "left")
                feats = [f for f in wanted[v.name] if f in v.feature_names()]
                if not feats:
                    continue
                names = [f"{v.name}__{f}" if full_feature_names else f for f in feats]
                raw = self._view_rows(defs, v)
                tie = Window.partitionBy(*key, "_event_ts").orderBy(
                    F.col("_created_ts").desc_nulls_last(),
                    F.col("_file").desc(),
                    F.col("_row").desc(),
                )
                best = (
                    raw.withColumn("_rank", F.row_number().over(tie))
                    .where("_rank = 1")
                    .select(
                        *key,
                        F.col("_event_ts").alias("_ts"),
                        F.lit(0).alias("_kind"),
                        F.lit(None).cast("long").alias("_row_id"),
                        F.struct(
                            F.col("_event_ts").alias("_fts"), *[F.col(f) for f in feats]
                        ).alias("_feat"),
                    )
                )
                probe = rows.select(
                    *key,
                    F.col("_entity_ts").alias("_ts"),
                    F.lit(1).alias("_kind"),
                    F.col("_row_id").cast("long"),
                    F.lit(None).cast(best.schema["_feat"].dataType).alias("_feat"),
                )
                carry = (
                    Window.partitionBy(*key)
                    .orderBy("_ts", "_kind")
                    .rowsBetween(Window.unboundedPreceding, 0)
                )
                joined = (
                    best.unionByName(probe)
                    .withColumn("_last", F.last("_feat", ignorenulls=True).over(carry))
                    .where("_kind = 1")
                )
                fresh = F.col("_last._fts").isNotNull()
                if v.ttl is not None:
                    ttl_us = int(v.ttl.total_seconds() * 1_000_000)
                    fresh = fresh & (
                        F.unix_micros(F.col("_last._fts")) >= F.unix_micros("_ts") - F.lit(ttl_us)
                    )
                picked = joined.select(
                    "_row_id",
                    *[
                        F.when(fresh, F.col(f"_last.{f}")).alias(n)
                        for f, n in zip(feats, names, strict=True)
                    ],
                )
                result = result.join(picked, "_row_id", "left")
        if result is None:
            for v in views:
                for f in wanted[v.name]:
                    out[f"{v.name}__{f}" if full_feature_names else f] = pd.Series(dtype=object)
            out[timestamp_column] = out[timestamp_column].dt.tz_localize("UTC")
            return out
        names_all = [
            f"{v.name}__{f}" if full_feature_names else f for v in views for f in wanted[v.name]
        ]
        feats_df = result.orderBy("_row_id").toPandas().drop(columns="_row_id")
        feats_df.index = out.index
        out[timestamp_column] = out[timestamp_column].dt.tz_localize("UTC")
        return pd.concat([out, feats_df[names_all]], axis=1)

    def _windows(
        self, defs: Definitions, view: FeatureView, aggs: list[Aggregation], rows: Any, full: bool
    ) -> Any:
        """Sliding-window aggregates per entity row (`_row_id`), as `OfflineStore._window_sql`:
        events and entity rows unioned per key, a range window over event microseconds ending at
        each entity row (peers included); entity rows carry nulls, which count and sum skip."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        key = defs.entity(view.entity).join_keys()
        columns = sorted({a.column for a in aggs if a.function != "count" and a.column})
        alias = {c: f"_c{i}" for i, c in enumerate(columns)}
        events = self._view_rows(defs, view).select(
            *key,
            F.unix_micros("_event_ts").alias("_t"),
            F.lit(0).alias("_kind"),
            F.lit(None).cast("long").alias("_row_id"),
            F.lit(1).alias("_one"),
            *[F.col(c).cast("double").alias(alias[c]) for c in columns],
        )
        probes = rows.select(
            *key,
            F.col("_entity_us").cast("long").alias("_t"),
            F.lit(1).alias("_kind"),
            F.col("_row_id").cast("long"),
            F.lit(None).cast("int").alias("_one"),
            *[F.lit(None).cast("double").alias(alias[c]) for c in columns],
        )
        exprs = []
        for a in aggs:
            span = Window.partitionBy(*key).orderBy("_t").rangeBetween(-_us(a.window), 0)
            name = f"{view.name}__{a.name}" if full else a.name
            if a.function == "count":
                exprs.append(F.count("_one").over(span).alias(name))
            elif a.function == "sum":
                total = F.sum(alias[str(a.column)]).over(span)
                exprs.append(F.coalesce(total, F.lit(0.0)).alias(name))
            else:
                exprs.append(F.avg(alias[str(a.column)]).over(span).alias(name))
        both = events.unionByName(probes)
        return both.select("_kind", "_row_id", *exprs).where("_kind = 1").drop("_kind")

    def close(self) -> None:
        if self._spark is not None:
            self._spark.stop()
            self._spark = None


def _us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _timestamp(df: Any, column: str) -> Any:
    """A timestamp column; nanosecond Parquet timestamps arrive as integers (see the session's
    nanosAsLong) and are truncated to microseconds, as DuckDB reads them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    if isinstance(df.schema[column].dataType, LongType):
        return F.timestamp_micros(F.floor(F.col(column) / 1000).cast("long"))
    return F.col(column).cast("timestamp")
