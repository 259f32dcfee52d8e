"""Flavours: how a model object becomes artifact bytes and back, plus lineage helpers.

- `sklearn`: a pickled scikit-learn estimator; the scikit-learn version is recorded, because a
  pickle is only guaranteed to load under the version that wrote it.
- `skops`: a scikit-learn estimator in skops' format, the safe one: loading rebuilds only
  types on skops' allow-list (scikit-learn, numpy, scipy) and never runs the file's code, so
  it loads whoever uploaded it. Anything else in the file is refused by name.
- `pickle`: any picklable Python object.
- `bytes`: opaque bytes (an ONNX file, a tarball); `load` returns them unchanged.

Pickle runs code while loading. The sha256 check stops corruption and tampering after
registration, not a malicious registration; so `Registry.load_model` refuses pickles uploaded as
bytes (not serialised by the registry itself) unless the caller opts in.
"""

from __future__ import annotations

import hashlib
import pickle
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import UnsafeArtifactError, ValidationError

__all__ = [
    "FLAVOURS",
    "PICKLE_FLAVOURS",
    "data_fingerprint",
    "deserialize",
    "git_commit",
    "infer_flavour",
    "infer_signature",
    "serialize",
]

FLAVOURS = ("sklearn", "skops", "pickle", "bytes")
PICKLE_FLAVOURS = ("sklearn", "pickle")  # loading these runs code: see Registry.load_model


def infer_flavour(obj: object) -> str:
    if isinstance(obj, (bytes, bytearray)):
        return "bytes"
    if type(obj).__module__.split(".")[0] == "sklearn":
        return "sklearn"
    return "pickle"


def framework_of(flavour: str) -> str:
    if flavour not in ("sklearn", "skops"):
        return ""
    import sklearn

    return f"scikit-learn {sklearn.__version__}"


def serialize(obj: object, flavour: str) -> bytes:
    if flavour == "bytes":
        if not isinstance(obj, (bytes, bytearray)):
            raise ValidationError("flavour 'bytes' needs a bytes object")
        return bytes(obj)
    if flavour in ("sklearn", "pickle"):
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if flavour == "skops":
        import skops.io

        data: bytes = skops.io.dumps(obj)
        return data
    raise ValidationError(f"unknown flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}")


def deserialize(data: bytes, flavour: str, *, trust: bool = False, where: str = "") -> Any:
    """Rebuild a model; a skops file with types off the allow-list loads only with `trust`."""
    if flavour == "bytes":
        return data
    if flavour in ("sklearn", "pickle"):
        return pickle.loads(data)  # noqa: S301 - bytes were sha256-verified by the caller
    if flavour == "skops":
        import skops.io

        try:
            untrusted = skops.io.get_untrusted_types(data=data)
        except Exception as exc:  # a zip that is not a skops file
            raise ValidationError(f"{where}: not a readable skops file ({exc})") from None
        if untrusted and not trust:
            raise UnsafeArtifactError(
                f"{where}: the skops file holds types off the allow-list {untrusted}; "
                "pass trust_pickle=True (CLI --trust-pickle) if you trust them"
            )
        return skops.io.loads(data, trusted=untrusted or None)
    raise ValidationError(f"unknown flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}")


def _dtype_name(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    return str(dtype) if dtype is not None else type(value).__name__


def infer_signature(inputs: Any, outputs: Any = None) -> dict[str, Any]:
    """Describe the columns of an input example (and of the model's outputs).

    Works with pandas DataFrames (named columns), 2-D numpy arrays (columns `f0`, `f1`, ...)
    and lists of rows. The signature is recorded, not enforced: a caller can compare it with
    what it is about to send.
    """

    def describe(data: Any, prefix: str) -> list[dict[str, Any]]:
        columns = getattr(data, "columns", None)
        if columns is not None:  # a DataFrame
            return [{"name": str(c), "type": str(data[c].dtype)} for c in columns]
        shape = getattr(data, "shape", None)
        if shape is not None:
            width = 1 if len(shape) == 1 else int(shape[1])
            kind = _dtype_name(data)
            return [{"name": f"{prefix}{i}", "type": kind} for i in range(width)]
        rows = list(data)
        if rows and isinstance(rows[0], (list, tuple)):
            return [
                {"name": f"{prefix}{i}", "type": type(v).__name__} for i, v in enumerate(rows[0])
            ]
        return [{"name": f"{prefix}0", "type": type(rows[0]).__name__ if rows else "unknown"}]

    signature: dict[str, Any] = {"inputs": describe(inputs, "f")}
    if outputs is not None:
        signature["outputs"] = describe(outputs, "y")
    return signature


def data_fingerprint(*arrays: Any) -> str:
    """sha256 over the shape, dtype and bytes of each array: the same data gives the same id.

    Accepts numpy arrays, pandas objects (via `to_numpy()`) and raw bytes.
    """
    digest = hashlib.sha256()
    for array in arrays:
        if isinstance(array, (bytes, bytearray)):
            digest.update(bytes(array))
            continue
        if hasattr(array, "to_numpy"):
            array = array.to_numpy()
        import numpy as np

        arr = np.ascontiguousarray(np.asarray(array))
        digest.update(f"{arr.shape}|{arr.dtype.str}|".encode())
        if arr.dtype == object:
            digest.update(repr(arr.tolist()).encode())
        else:
            digest.update(arr.tobytes())
    return "sha256:" + digest.hexdigest()


@lru_cache(maxsize=8)
def git_commit(cwd: str | None = None) -> str | None:
    """The current commit of the git checkout at `cwd` (with `-dirty` if it has changes)."""
    where = Path(cwd) if cwd else Path.cwd()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return commit + ("-dirty" if status.stdout.strip() else "")
