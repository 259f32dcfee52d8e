"""Content-addressed artifact storage: the local filesystem, or any S3 API (see `s3store.py`).

An artifact is stored once under `objects/<first 2 hex>/<sha256>`. Writing goes to a temporary
file in `tmp/`, is hashed while it streams, fsync'd, then renamed into place (an atomic step on
POSIX), so a reader never sees a partial object and a killed writer leaves only a stray
temporary file, which `gc()` removes. Every read re-hashes the bytes and refuses a mismatch:
a flipped bit or a hand-edited file never reaches `pickle.loads`.

The layout maps onto an object store one to one: the key is the hash, puts are whole-object
and atomic, and nothing is ever overwritten with different content. `open_artifacts` picks the
store from a location: a folder, or `s3://bucket/prefix` (S3, R2, MinIO; needs the `s3` extra).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import ArtifactIntegrityError, NotFoundError, ValidationError

__all__ = [
    "ArtifactBackend",
    "ArtifactRef",
    "ArtifactSource",
    "ArtifactStore",
    "StagedArtifact",
    "open_artifacts",
    "stage_file",
]

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20

ArtifactSource = bytes | Iterable[bytes] | BinaryIO | Path


@dataclass(frozen=True)
class ArtifactRef:
    sha256: str
    size: int


@dataclass(frozen=True)
class StagedArtifact:
    """Bytes written and hashed in `tmp/`, not yet visible under their digest."""

    tmp: Path
    ref: ArtifactRef


def _chunks(source: ArtifactSource) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield bytes(source)
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            yield from iter(lambda: fh.read(_CHUNK), b"")
    elif hasattr(source, "read"):
        reader = source
        yield from iter(lambda: reader.read(_CHUNK), b"")
    else:
        for chunk in source:
            yield bytes(chunk)


def stage_file(tmp_dir: Path, source: ArtifactSource, *, fsync: bool) -> StagedArtifact:
    """Stream `source` to a new file in `tmp_dir`, hashing it on the way; removed on failure."""
    tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as fh:
            for chunk in _chunks(source):
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StagedArtifact(tmp, ArtifactRef(digest.hexdigest(), size))


def check_digest(sha256: str) -> str:
    """`sha256` if it is 64 lowercase hex digits; anything else could address another object."""
    if not isinstance(sha256, str) or not SHA256_HEX.match(sha256):
        raise ValidationError(f"invalid artifact digest {sha256!r}: expected 64 hex digits")
    return sha256


def stale_parts(tmp_dir: Path, min_age_s: float) -> list[str]:
    """Delete staged files in `tmp_dir` older than `min_age_s` (a live upload is younger)."""
    cutoff = time.time() - min_age_s
    removed: list[str] = []
    for path in tmp_dir.glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed


class ArtifactBackend(Protocol):
    """What the registry needs from an artifact store (local folder or S3 bucket)."""

    @property
    def location(self) -> str: ...

    def put(self, source: ArtifactSource) -> ArtifactRef: ...

    def stage(self, source: ArtifactSource) -> StagedArtifact: ...

    def commit(self, staged: StagedArtifact) -> ArtifactRef: ...

    def discard(self, staged: StagedArtifact) -> None: ...

    def read(self, sha256: str, *, what: str = "artifact") -> bytes: ...

    def verify(self, sha256: str) -> bool: ...

    def exists(self, sha256: str) -> bool: ...

    def digests(self) -> set[str]: ...

    def gc(self, protected: set[str], *, min_age_s: float = 3600.0) -> list[str]: ...


def open_artifacts(location: str | Path, *, fsync: bool = True) -> ArtifactBackend:
    """The store at `location`: `s3://bucket/prefix` for an S3 API, anything else a folder."""
    if isinstance(location, str) and location.startswith("s3://"):
        from .s3store import S3ArtifactStore

        return S3ArtifactStore.from_uri(location)
    return ArtifactStore(location, fsync=fsync)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArtifactStore:
    """Immutable blobs keyed by sha256 under `root`."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.fsync = fsync  # off only for throwaway test registries; durability needs it
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        return str(self.root)

    def path_for(self, sha256: str) -> Path:
        """The object's path; refuses anything that is not a sha256 hex digest."""
        path = self._objects / check_digest(sha256)[:2] / sha256
        if not path.resolve().is_relative_to(self._objects):  # belt and braces
            raise ValidationError(f"artifact path escapes the store: {sha256!r}")
        return path

    def put(self, source: ArtifactSource) -> ArtifactRef:
        """Store `source` and return its digest; storing the same bytes twice is a no-op."""
        return self.commit(self.stage(source))

    def stage(self, source: ArtifactSource) -> StagedArtifact:
        """Stream `source` to a temporary file, hashing it; `commit` then moves it into place.

        Splitting the two lets a registration lease the digest (known only after hashing)
        before the object becomes visible, so gc cannot race it (see `Store.lease_artifact`)."""
        return stage_file(self._tmp, source, fsync=self.fsync)

    def commit(self, staged: StagedArtifact) -> ArtifactRef:
        """Move a staged file into place, or drop it if an intact copy is already there."""
        sha = staged.ref.sha256
        try:
            final = self.path_for(sha)
            if final.exists() and self._hash_file(final) == sha:
                staged.tmp.unlink()
                os.utime(final)  # the object is in use again: its age restarts
                return staged.ref
            final.parent.mkdir(exist_ok=True)
            os.replace(staged.tmp, final)  # atomic: readers see nothing or the whole object
            if self.fsync:
                _fsync_dir(final.parent)
            return staged.ref
        except BaseException:
            staged.tmp.unlink(missing_ok=True)
            raise

    def discard(self, staged: StagedArtifact) -> None:
        staged.tmp.unlink(missing_ok=True)

    @staticmethod
    def _hash_file(path: Path) -> str:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def read(self, sha256: str, *, what: str = "artifact") -> bytes:
        """Return the object's bytes after checking their sha256; raise on any mismatch."""
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                f"{what}: artifact {sha256[:12]}... is missing from the store"
            ) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactIntegrityError(
                f"{what}: artifact sha256 mismatch (expected {sha256[:12]}..., found "
                f"{actual[:12]}...): the file was modified or corrupted; refusing to load it"
            )
        return data

    def verify(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        return path.exists() and self._hash_file(path) == sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def digests(self) -> set[str]:
        return {p.name for p in self._objects.glob("??/*") if SHA256_HEX.match(p.name)}

    def gc(self, protected: set[str], *, min_age_s: float = 3600.0) -> list[str]:
        """Delete every object not in `protected`, and temporary files older than `min_age_s`.

        Safety comes from `protected`, not from file ages: the caller (`Store.collect_garbage`)
        passes every committed version's digest and every leased one, read while no new lease
        can be taken. The age guard is for temporary files, which a live upload is writing.
        Returns the removed digests and temporary file names.
        """
        removed = stale_parts(self._tmp, min_age_s)
        for sha in sorted(self.digests() - protected):
            self.path_for(sha).unlink(missing_ok=True)
            removed.append(sha)
        return removed
