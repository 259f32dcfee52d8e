"""Webhook delivery: POST each transition event to its subscribers, with retries.

Events are written to an outbox table in the same transaction as the transition, so a crash
after the commit cannot lose one; `deliver_pending` sends what is waiting. Delivery is at least
once: receivers dedupe by `event_id`. With a secret, the body is signed with HMAC-SHA256 in the
`X-Registry-Signature: sha256=<hex>` header, so a receiver can check who sent it.

Retries: connection errors, timeouts, 429 and 5xx are retried with exponential backoff
(`backoff_s * 2**attempt`); other 4xx mean the receiver rejected the event, and are not.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from .store import Delivery, Store

__all__ = ["DeliveryResult", "RetryPolicy", "deliver_pending", "post_with_retries", "sign"]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # 1 try + 3 retries: rides out a receiver restart of about a second
    backoff_s: float = 0.2  # 0.2, 0.4, 0.8 s between tries
    timeout_s: float = 3.0  # per request; a slow receiver must not stall the registry


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: int
    url: str
    ok: bool
    attempts: int
    status: int | None
    error: str | None


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_with_retries(
    url: str,
    body: bytes,
    *,
    secret: str | None = None,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, int, int | None, str | None]:
    """POST `body` as JSON; returns (ok, attempts, last HTTP status, last error)."""
    headers = {"Content-Type": "application/json", "User-Agent": "model-registry-webhooks"}
    if secret:
        headers["X-Registry-Signature"] = sign(secret, body)
    status: int | None = None
    error: str | None = None
    for attempt in range(1, retry.attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=retry.timeout_s) as response:
                status = int(response.status)
            return True, attempt, status, None
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                return False, attempt, status, error
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, error = None, str(getattr(exc, "reason", exc))
        if attempt < retry.attempts:
            sleep(retry.backoff_s * 2 ** (attempt - 1))
    return False, retry.attempts, status, error


def deliver_pending(
    store: Store,
    *,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryResult]:
    """Send every pending outbox event; mark each delivered or failed."""
    results: list[DeliveryResult] = []
    deliveries: list[Delivery] = store.claim_deliveries()
    for d in deliveries:
        ok, attempts, status, error = post_with_retries(
            d.url, d.payload.encode(), secret=d.secret, retry=retry, sleep=sleep
        )
        store.finish_delivery(d.id, ok=ok, attempts=d.attempts + attempts, error=error)
        results.append(DeliveryResult(d.id, d.url, ok, attempts, status, error))
    return results
