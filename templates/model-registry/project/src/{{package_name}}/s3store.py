"""Artifacts in a bucket on the S3 API: AWS S3, Cloudflare R2, MinIO (tests: moto's server).

The layout is the local store's, under a prefix: `s3://bucket/prefix/objects/<2 hex>/<sha256>`.
A put streams the source to a local staging file while hashing it (the key is the digest, so
it is known only at the end), then uploads it: one PUT carrying the body's SHA-256 for the
server to check below the multipart threshold, a multipart upload with a SHA-256 per part
above it. After the upload a HEAD must show the expected size and digest, or the put fails.
Every read re-hashes the bytes, as the local store does: a replaced or truncated object is
refused before anything deserialises it. An object already stored under its digest (same
size, same recorded digest) is not uploaded again.

Which server: boto3's own settings. AWS needs nothing beyond credentials; for R2 set
`AWS_ENDPOINT_URL_S3=https://<account>.r2.cloudflarestorage.com` and `AWS_DEFAULT_REGION=auto`;
for MinIO `AWS_ENDPOINT_URL_S3=http://localhost:9000`. Keys come from the usual chain
(`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, a profile, an instance role).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .artifacts import (
    SHA256_HEX,
    ArtifactRef,
    ArtifactSource,
    StagedArtifact,
    check_digest,
    stage_file,
    stale_parts,
)
from .errors import ArtifactIntegrityError, ConfigError, NotFoundError

__all__ = ["S3ArtifactStore", "parse_s3_uri"]

MIB = 1 << 20
_MISSING = ("404", "NoSuchKey", "NotFound")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); the prefix may be empty."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigError(f"artifact location {uri!r}: expected s3://bucket/prefix")
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


def _client_error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _need_boto3() -> None:
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise ConfigError("s3:// artifact stores need boto3: pip install -e '.[s3]'") from None


def _default_client() -> Any:
    import boto3
    from botocore.config import Config

    custom = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    # R2 and MinIO answer path-style requests everywhere; AWS picks its own style.
    config = Config(
        s3={"addressing_style": "path"} if custom else {},
        retries={"max_attempts": 5, "mode": "standard"},
    )
    return boto3.client("s3", endpoint_url=custom or None, config=config)  # any boto3 >= 1.28


class S3ArtifactStore:
    """Immutable blobs keyed by sha256 under `s3://bucket/prefix/`."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        staging_dir: Path | str | None = None,
        multipart_threshold: int = 16 * MIB,
        multipart_chunksize: int = 16 * MIB,
        max_concurrency: int = 4,
    ) -> None:
        _need_boto3()
        from boto3.s3.transfer import TransferConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client if client is not None else _default_client()
        root = Path(staging_dir or Path(tempfile.gettempdir()) / "model-registry-staging")
        self._staging = root
        self._staging.mkdir(parents=True, exist_ok=True)
        self.multipart_threshold = multipart_threshold
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
        )

    @classmethod
    def from_uri(cls, uri: str, **kwargs: Any) -> S3ArtifactStore:
        bucket, prefix = parse_s3_uri(uri)
        return cls(bucket, prefix, **kwargs)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key_for(self, sha256: str) -> str:
        return f"{self.prefix}objects/{check_digest(sha256)[:2]}/{sha256}"

    # -- writing ---------------------------------------------------------------------------
    def put(self, source: ArtifactSource) -> ArtifactRef:
        """Store `source` and return its digest; storing the same bytes twice is a no-op."""
        return self.commit(self.stage(source))

    def stage(self, source: ArtifactSource) -> StagedArtifact:
        """Hash `source` into a local staging file: the digest names the key to upload to."""
        return stage_file(self._staging, source, fsync=False)  # durability is the upload's

    def commit(self, staged: StagedArtifact) -> ArtifactRef:
        """Upload a staged file under its digest, then check what the bucket holds."""
        ref = staged.ref
        key = self.key_for(ref.sha256)
        try:
            if self._intact(self._head(key), ref):
                return ref
            metadata = {"sha256": ref.sha256}
            if ref.size < self.multipart_threshold:
                checksum = base64.b64encode(bytes.fromhex(ref.sha256)).decode()
                with staged.tmp.open("rb") as body:
                    self.client.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        ChecksumSHA256=checksum,  # the server refuses a body that differs
                        Metadata=metadata,
                    )
            else:  # parts of multipart_chunksize, each with its own SHA-256 for the server
                self.client.upload_file(
                    str(staged.tmp),
                    self.bucket,
                    key,
                    ExtraArgs={"Metadata": metadata, "ChecksumAlgorithm": "SHA256"},
                    Config=self._transfer,
                )
            head = self._head(key)
            if not self._intact(head, ref):
                stored = None if head is None else head.get("ContentLength")
                raise ArtifactIntegrityError(
                    f"upload of {ref.sha256[:12]}... to {self.location}: the bucket holds "
                    f"{stored} bytes with digest {self._recorded(head)}, expected {ref.size} "
                    "bytes; refusing to register it"
                )
            return ref
        finally:
            staged.tmp.unlink(missing_ok=True)

    def discard(self, staged: StagedArtifact) -> None:
        staged.tmp.unlink(missing_ok=True)

    @staticmethod
    def _recorded(head: dict[str, Any] | None) -> str | None:
        return None if head is None else head.get("Metadata", {}).get("sha256")

    def _intact(self, head: dict[str, Any] | None, ref: ArtifactRef) -> bool:
        return (
            head is not None
            and int(head.get("ContentLength", -1)) == ref.size
            and self._recorded(head) == ref.sha256
        )

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # botocore's ClientError, without importing botocore here
            if _client_error_code(exc) in _MISSING:
                return None
            raise
        return head

    # -- reading ---------------------------------------------------------------------------
    def _body(self, sha256: str, what: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key_for(sha256))["Body"]
        except Exception as exc:
            if _client_error_code(exc) in _MISSING:
                raise NotFoundError(
                    f"{what}: artifact {sha256[:12]}... is missing from {self.location}"
                ) from None
            raise

    def read(self, sha256: str, *, what: str = "artifact") -> bytes:
        """Return the object's bytes after checking their sha256; raise on any mismatch."""
        data: bytes = self._body(sha256, what).read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactIntegrityError(
                f"{what}: artifact sha256 mismatch (expected {sha256[:12]}..., found "
                f"{actual[:12]}...) in {self.location}: the object was replaced or corrupted; "
                "refusing to load it"
            )
        return data

    def verify(self, sha256: str) -> bool:
        """Stream the object and hash it: True only if it is there and intact."""
        try:
            body = self._body(sha256, "verify")
        except NotFoundError:
            return False
        digest = hashlib.sha256()
        for chunk in body.iter_chunks(MIB):
            digest.update(chunk)
        return digest.hexdigest() == sha256

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_for(sha256)) is not None

    def presigned_url(self, sha256: str, *, expires_s: int = 3600) -> str:
        """A URL that downloads the object without credentials until it expires."""
        if not self.exists(sha256):
            raise NotFoundError(f"artifact {sha256[:12]}... is missing from {self.location}")
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.key_for(sha256)},
            ExpiresIn=int(expires_s),
        )
        return url

    def digests(self) -> set[str]:
        found: set[str] = set()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}objects/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if SHA256_HEX.match(name):
                    found.add(name)
        return found

    # -- garbage collection ----------------------------------------------------------------
    def gc(self, protected: set[str], *, min_age_s: float = 3600.0) -> list[str]:
        """Delete every object not in `protected`, plus staging files and unfinished multipart
        uploads older than `min_age_s` (what a killed writer leaves). Returns what it removed."""
        removed = stale_parts(self._staging, min_age_s)
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=min_age_s)
        uploads = self.client.list_multipart_uploads(
            Bucket=self.bucket, Prefix=f"{self.prefix}objects/"
        ).get("Uploads", [])
        for upload in uploads:
            if upload["Initiated"] <= cutoff:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                removed.append(f"multipart:{upload['Key'].rsplit('/', 1)[-1]}")
        doomed = sorted(self.digests() - protected)
        for start in range(0, len(doomed), 1000):  # DeleteObjects takes at most 1000 keys
            batch = doomed[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self.key_for(sha)} for sha in batch], "Quiet": True},
            )
            removed.extend(batch)
        return removed
