"""Webhook delivery from the outbox: durable, retried over hours, signed against replay.

Events are written to an outbox table in the same transaction as the change they describe, so
a crash after the commit cannot lose one, and no client ever waits on a receiver: the API
server runs a `DeliveryWorker` thread, and `python -m <package> deliver` drains the outbox from
a cron job or a sidecar. Delivery is at least once: receivers dedupe by `event_id`.

Each delivery is one HTTP attempt per pass. A failed attempt (connection error, timeout, 429 or
5xx) is rescheduled with exponential backoff (30 s, 1 min, 2 min ... capped at 1 h, about 9 h
in all by default); after the last attempt, or on another 4xx (the receiver rejected the event),
the delivery is dead-lettered, audited, and waits for `redeliver`.

Signing: with a secret, `X-Registry-Signature: v1=<hex>` is HMAC-SHA256 over
`"<timestamp>." + body`, and `X-Registry-Timestamp` carries that Unix time. A receiver calls
`verify_signature`, which also refuses a timestamp outside its tolerance window, so a captured
delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ValidationError
from .store import Delivery, Store

__all__ = [
    "DeliveryResult",
    "DeliveryWorker",
    "RetryPolicy",
    "deliver_pending",
    "post_once",
    "sign",
    "signature_headers",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Registry-Signature"
TIMESTAMP_HEADER = "X-Registry-Timestamp"


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a failed delivery again: `base_s * 2**(attempt-1)`, capped, then dead."""

    max_attempts: int = 12  # 30 s .. 1 h: about 9 hours of receiver downtime ridden out
    base_s: float = 30.0
    max_backoff_s: float = 3600.0
    timeout_s: float = 5.0  # per request; the worker, not a client, waits for it

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return float(min(self.max_backoff_s, self.base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: int
    url: str
    ok: bool
    attempts: int  # attempts so far, this one included
    status: int | None
    error: str | None
    state: str  # delivered, pending (rescheduled) or dead


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signature_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> None:
    """For receivers: raise ValidationError unless `signature` is ours and `timestamp` is fresh.

    Pass the raw request body and the two headers' values. The tolerance window bounds how long
    a captured delivery stays replayable; dedupe by `event_id` covers the rest.
    """
    if not timestamp or not signature:
        raise ValidationError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        ts = int(timestamp)
    except ValueError:
        raise ValidationError(f"{TIMESTAMP_HEADER} is not a Unix time: {timestamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        raise ValidationError(
            f"webhook timestamp is {current - ts:.0f} s off (tolerance {tolerance_s:.0f} s): "
            "refusing a stale or replayed delivery"
        )
    if not hmac.compare_digest(sign(secret, ts, body), signature):
        raise ValidationError("webhook signature does not match the body and timestamp")


def post_once(
    url: str, body: bytes, *, secret: str | None, event_id: str, timeout_s: float
) -> tuple[bool, bool, int | None, str | None]:
    """One POST; returns (ok, retryable, HTTP status, error)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "model-registry-webhooks",
        "X-Registry-Event": event_id,
    }
    if secret:
        headers.update(signature_headers(secret, body))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return True, False, int(response.status), None
    except urllib.error.HTTPError as exc:
        return False, exc.code == 429 or exc.code >= 500, exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return False, True, None, str(getattr(exc, "reason", exc)) or type(exc).__name__


def deliver_pending(
    store: Store,
    *,
    retry: RetryPolicy = RetryPolicy(),
    clock: Callable[[], float] = time.time,
    limit: int = 100,
) -> list[DeliveryResult]:
    """One pass: one attempt for each due delivery; reschedule or dead-letter the failures."""
    results: list[DeliveryResult] = []
    deliveries: list[Delivery] = store.claim_deliveries(limit=limit, now=clock())
    for d in deliveries:
        ok, retryable, status, error = post_once(
            d.url, d.payload.encode(), secret=d.secret, event_id=d.event_id,
            timeout_s=retry.timeout_s,
        )  # fmt: skip
        attempts = d.attempts + 1
        if ok:
            state = "delivered"
        elif retryable and attempts < retry.max_attempts:
            state = "pending"
        else:
            state = "dead"
        store.finish_delivery(
            d.id,
            state=state,
            attempts=attempts,
            error=error,
            next_attempt_at=clock() + retry.backoff(attempts),
        )
        results.append(DeliveryResult(d.id, d.url, ok, attempts, status, error, state))
    return results


class DeliveryWorker:
    """A daemon thread that drains the outbox every `poll_s`, or at once after `notify()`."""

    def __init__(
        self, store: Store, *, retry: RetryPolicy = RetryPolicy(), poll_s: float = 1.0
    ) -> None:
        self.store = store
        self.retry = retry
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0  # passes that raised (database down); the next pass tries again

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """Something was written to the outbox: run a pass now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            try:
                while deliver_pending(self.store, retry=self.retry) and not self._stop.is_set():
                    pass
            except Exception:  # noqa: BLE001 - a failed pass must not kill the worker
                self.errors += 1
