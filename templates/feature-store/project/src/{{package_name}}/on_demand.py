"""On-demand features: one Python function per `OnDemandView`, run on a pandas DataFrame of
its inputs by both the training-set builder and the online endpoint (see `definitions.py`)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from .definitions import Field, OnDemandView

__all__ = ["compute_on_demand", "load_function", "request_frame"]

_PANDAS_TYPES = {"int64": "Int64", "float64": "float64", "string": "string", "bool": "boolean"}


@functools.lru_cache(maxsize=256)
def load_function(path: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Import `module:function` (cached: online requests do not pay the import)."""
    module, _, name = path.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"on-demand function {path!r} cannot be imported: {exc}") from None
    if not callable(fn):
        raise ValueError(f"on-demand function {path!r} is not callable")
    result: Callable[[pd.DataFrame], pd.DataFrame] = fn
    return result


def _typed(values: pd.Series, field: Field, what: str) -> pd.Series:
    try:
        return values.astype(_PANDAS_TYPES[field.dtype])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} {field.name!r} must be {field.dtype}: {exc}") from None


def request_frame(
    view: OnDemandView, rows: pd.DataFrame | Sequence[Mapping[str, Any]]
) -> pd.DataFrame:
    """The request fields of `view` from entity rows (dicts or a DataFrame), typed as declared."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    missing = [f.name for f in view.request_fields if f.name not in frame.columns]
    if missing:
        raise ValueError(
            f"on-demand view {view.name!r} needs request field(s) {', '.join(missing)} "
            "in every entity row"
        )
    return pd.DataFrame(
        {f.name: _typed(frame[f.name], f, "request field") for f in view.request_fields},
        index=frame.index,
    )


def compute_on_demand(view: OnDemandView, inputs: pd.DataFrame) -> pd.DataFrame:
    """Run the view's function on `inputs` and check its answer (columns, rows, types)."""
    out = load_function(view.function)(inputs.copy())
    if not isinstance(out, pd.DataFrame):
        raise TypeError(
            f"on-demand function {view.function!r} returned {type(out).__name__}, "
            "expected a pandas DataFrame"
        )
    missing = [f for f in view.feature_names() if f not in out.columns]
    if missing:
        raise ValueError(
            f"on-demand function {view.function!r} returned no column(s) {', '.join(missing)}"
        )
    if len(out) != len(inputs):
        raise ValueError(
            f"on-demand function {view.function!r} returned {len(out)} rows for {len(inputs)}"
        )
    return pd.DataFrame(
        {f.name: _typed(out[f.name], f, "on-demand feature").to_numpy() for f in view.features},
        index=inputs.index,
    )
