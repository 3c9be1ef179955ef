"""Errors normalised at the client boundary, and the one place that decides what each kind means.

Every client library raises its own exceptions; a collector turns them into a `CollectorError` of one
`ErrorKind` with `classify_*`, and `call_with_retries` decides once per kind:
- rate_limited: wait (Retry-After when given, else backoff) and retry, a bounded number of times;
- unreachable (timeouts, refused connections, 5xx): retry with backoff, fewer times;
- auth, forbidden, partial_listing, invalid_input: never retried, recorded against their scope.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from collectors.spec import ErrorKind

T = TypeVar("T")


class CollectorError(Exception):
    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return str(self)


class NotServed(CollectorError):
    """404 for a resource the cluster does not serve (an API group without that kind): not a failure."""

    def __init__(self, message: str):
        super().__init__(ErrorKind.UNKNOWN, message, status=404)


@dataclass(frozen=True)
class RetryPolicy:
    rate_limited_attempts: int = 5
    unreachable_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 10.0       # one wait never exceeds this, whatever Retry-After says
    budget: float = 60.0          # all waits of one call together

    def delay(self, error: CollectorError, attempt: int) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff = self.base_delay * (2 ** (attempt - 1))
        return min(backoff * (0.5 + random.random() / 2), self.max_delay)  # noqa: S311 - jitter, not crypto


def call_with_retries(call: Callable[[], T], *, classify: Callable[[BaseException], CollectorError],
                      policy: RetryPolicy | None = None, sleep: Callable[[float], Any] = time.sleep,
                      on_retry: Callable[[CollectorError, float], Any] | None = None) -> T:
    """Run `call`; on a retryable error wait and try again within the policy's bounds, else raise."""
    policy = policy or RetryPolicy()
    attempt = 0
    waited = 0.0
    while True:
        attempt += 1
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - every client error is classified, then re-raised
            error = exc if isinstance(exc, CollectorError) else classify(exc)
            limit = {ErrorKind.RATE_LIMITED: policy.rate_limited_attempts,
                     ErrorKind.UNREACHABLE: policy.unreachable_attempts}.get(error.kind, 1)
            if attempt >= limit:
                raise error from exc
            wait = policy.delay(error, attempt)
            if waited + wait > policy.budget:
                raise error from exc
            if on_retry is not None:
                on_retry(error, wait)
            sleep(wait)
            waited += wait


# --- kubernetes ----------------------------------------------------------------------------------


def classify_kubernetes(exc: BaseException) -> CollectorError:
    """kubernetes.client ApiException / urllib3 errors → CollectorError."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, CollectorError):
        return exc
    if isinstance(exc, ApiException):
        status = exc.status or 0
        message = _status_message(exc.body) or exc.reason or f"HTTP {status}"
        retry_after = _retry_after((exc.headers or {}).get("Retry-After"))
        if status == 401:
            return CollectorError(ErrorKind.AUTH, f"unauthorized: {message}", status=status)
        if status == 403:
            return CollectorError(ErrorKind.FORBIDDEN, f"forbidden: {message}", status=status)
        if status == 404:
            return NotServed(message)
        if status == 410:
            return CollectorError(ErrorKind.PARTIAL_LISTING, f"listing expired: {message}", status=status)
        if status == 429:
            return CollectorError(ErrorKind.RATE_LIMITED, f"rate limited: {message}", status=status,
                                  retry_after=retry_after)
        if status >= 500 or status == 0:
            return CollectorError(ErrorKind.UNREACHABLE, f"server error {status}: {message}", status=status,
                                  retry_after=retry_after)
        return CollectorError(ErrorKind.UNKNOWN, f"HTTP {status}: {message}", status=status)
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError | OSError):
        reason = getattr(exc, "reason", None) or exc
        return CollectorError(ErrorKind.UNREACHABLE, f"unreachable: {type(reason).__name__}: {reason}")
    return CollectorError(ErrorKind.UNKNOWN, f"{type(exc).__name__}: {exc}")


def _status_message(body: Any) -> str | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return str(body)[:200]
    return data.get("message") if isinstance(data, dict) else None


def _retry_after(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
