"""Model signatures, enforced: the input columns recorded at registration are checked when the
model is loaded (against what the fitted model says it expects) and on every predict (against
the rows sent), so a renamed, missing or mistyped column fails with its name instead of a
wrong prediction or a numpy shape error three frames deep.

A signature is `{"inputs": [{"name": "petal_width", "type": "float64"}, ...], "outputs": ...}`
(see `flavours.infer_signature`). Registering a model needs one, or an input example to infer
it from, or the explicit opt-out `no_signature=True`.
"""

from __future__ import annotations

from typing import Any

from .errors import ValidationError

__all__ = ["SignatureError", "check_input", "check_model", "check_signature"]

_NUMERIC = ("float", "int", "uint", "bool")


class SignatureError(ValidationError):
    """The input (or the model) does not match the version's recorded signature."""


def _numeric(type_name: str) -> bool:
    return type_name.startswith(_NUMERIC)


def check_signature(signature: dict[str, Any]) -> list[dict[str, str]]:
    """The signature's input columns; refuses a malformed signature at registration."""
    inputs = signature.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ValidationError("signature needs a non-empty 'inputs' list of {name, type}")
    names = []
    for column in inputs:
        if not isinstance(column, dict) or not column.get("name") or not column.get("type"):
            raise ValidationError(f"signature input {column!r} needs a 'name' and a 'type'")
        names.append(str(column["name"]))
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(f"signature names column {duplicated[0]!r} twice")
    return [{"name": str(c["name"]), "type": str(c["type"])} for c in inputs]


def check_model(model: Any, signature: dict[str, Any], where: str) -> None:
    """At load: the fitted model must expect the columns the signature records."""
    if not signature:
        return
    inputs = check_signature(signature)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        expected = [c["name"] for c in inputs]
        if list(map(str, names)) != expected:
            raise SignatureError(
                f"{where}: the model was fitted on columns {list(map(str, names))} but its "
                f"signature records {expected}"
            )
    width = getattr(model, "n_features_in_", None)
    if width is not None and int(width) != len(inputs):
        raise SignatureError(
            f"{where}: the model expects {int(width)} input columns but its signature "
            f"records {len(inputs)}"
        )


def check_input(signature: dict[str, Any], data: Any, where: str) -> Any:
    """At predict: return `data` in the signature's column order, or raise naming the column.

    DataFrames are matched by column name (extra or missing columns refused); arrays and
    lists of rows by position and width. Numeric columns must hold numbers."""
    if not signature:
        return data
    inputs = check_signature(signature)
    names = [c["name"] for c in inputs]
    columns = getattr(data, "columns", None)
    if columns is not None:
        present = [str(c) for c in columns]
        missing = [n for n in names if n not in present]
        if missing:
            raise SignatureError(f"{where}: input is missing column {missing[0]!r}")
        extra = [c for c in present if c not in names]
        if extra:
            raise SignatureError(f"{where}: input has unexpected column {extra[0]!r}")
        ordered = data[names]
        for column in inputs:
            kind = str(ordered[column["name"]].dtype)
            if _numeric(column["type"]) and not _numeric(kind):
                raise SignatureError(
                    f"{where}: column {column['name']!r} must be numeric "
                    f"({column['type']}), got {kind}"
                )
        return ordered
    import numpy as np  # here, not at module level: `import` of the client stays fast

    arr = np.asarray(data)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise SignatureError(f"{where}: input must be rows of columns, got shape {arr.shape}")
    if arr.shape[1] != len(inputs):
        raise SignatureError(
            f"{where}: input has {arr.shape[1]} columns, the signature expects {len(inputs)} "
            f"({', '.join(names)})"
        )
    if all(_numeric(c["type"]) for c in inputs) and not _numeric(str(arr.dtype)):
        for i, column in enumerate(inputs):
            try:
                arr[:, i].astype(np.float64)
            except (TypeError, ValueError):
                raise SignatureError(
                    f"{where}: column {column['name']!r} must be numeric ({column['type']})"
                ) from None
        arr = arr.astype(np.float64)
    return arr
