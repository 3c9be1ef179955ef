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


# --- AWS (botocore) ------------------------------------------------------------------------------

_AWS_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
    "RequestThrottled", "RequestThrottledException", "SlowDown", "ProvisionedThroughputExceededException",
    "PriorRequestNotComplete", "BandwidthLimitExceeded", "EC2ThrottledException",
})
_AWS_AUTH = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "MissingAuthenticationToken",
    "IncompleteSignature", "InvalidAccessKeyId", "RequestExpired",
})
_AWS_FORBIDDEN = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnauthorizedException", "OptInRequired", "NotAuthorized",
})
_AWS_UNAVAILABLE = frozenset({"InternalFailure", "InternalError", "InternalServerError", "ServiceUnavailable",
                              "ServiceUnavailableException", "ServerException"})


def classify_aws(exc: BaseException) -> CollectorError:
    """botocore ClientError (by error code) / connection errors / missing credentials → CollectorError."""
    from botocore import exceptions as boto

    if isinstance(exc, CollectorError):
        return exc
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or "")
        message = f"{code}: {error.get('Message') or exc}"
        meta = exc.response.get("ResponseMetadata") or {}
        status = int(meta.get("HTTPStatusCode") or 0) or None
        if code in _AWS_THROTTLED or status == 429:
            retry_after = _retry_after((meta.get("HTTPHeaders") or {}).get("retry-after"))
            return CollectorError(ErrorKind.RATE_LIMITED, f"rate limited: {message}", status=status,
                                  retry_after=retry_after)
        if code in _AWS_AUTH or status == 401:
            return CollectorError(ErrorKind.AUTH, f"unauthorized: {message}", status=status)
        if code in _AWS_FORBIDDEN or status == 403:
            return CollectorError(ErrorKind.FORBIDDEN, f"forbidden: {message}", status=status)
        if code in _AWS_UNAVAILABLE or (status or 0) >= 500:
            return CollectorError(ErrorKind.UNREACHABLE, f"server error {status}: {message}", status=status)
        return CollectorError(ErrorKind.UNKNOWN, message, status=status)
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError | boto.NoRegionError
                  | boto.ProfileNotFound):
        return CollectorError(ErrorKind.AUTH, f"no usable AWS credentials: {exc}")
    if isinstance(exc, boto.ParamValidationError):
        return CollectorError(ErrorKind.INVALID_INPUT, str(exc))
    if isinstance(exc, boto.HTTPClientError | boto.EndpointConnectionError | ConnectionError | TimeoutError):
        return CollectorError(ErrorKind.UNREACHABLE, f"unreachable: {type(exc).__name__}: {exc}")
    return CollectorError(ErrorKind.UNKNOWN, f"{type(exc).__name__}: {exc}")


# --- GCP (google-api-core, google-auth) ----------------------------------------------------------------


def classify_gcp(exc: BaseException) -> CollectorError:
    """google.api_core exceptions (by HTTP code) / google.auth errors / requests errors → CollectorError."""
    import requests
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    if isinstance(exc, CollectorError):
        return exc
    if isinstance(exc, api.GoogleAPICallError):
        status = int(exc.code or 0) if isinstance(exc.code, int) else None
        message = exc.message or str(exc)
        if status == 401:
            return CollectorError(ErrorKind.AUTH, f"unauthorized: {message}", status=status)
        if status == 403:
            return CollectorError(ErrorKind.FORBIDDEN, f"forbidden: {message}", status=status)
        if status == 429:
            headers = getattr(getattr(exc, "response", None), "headers", None) or {}
            return CollectorError(ErrorKind.RATE_LIMITED, f"rate limited: {message}", status=status,
                                  retry_after=_retry_after(headers.get("Retry-After")))
        if status is not None and status >= 500:
            return CollectorError(ErrorKind.UNREACHABLE, f"server error {status}: {message}", status=status)
        return CollectorError(ErrorKind.UNKNOWN, f"HTTP {status}: {message}", status=status)
    if isinstance(exc, api.RetryError):
        return CollectorError(ErrorKind.UNREACHABLE, f"gave up retrying: {exc}")
    if isinstance(exc, auth.TransportError):
        return CollectorError(ErrorKind.UNREACHABLE, f"cannot reach the token endpoint: {exc}")
    if isinstance(exc, auth.GoogleAuthError):
        return CollectorError(ErrorKind.AUTH, f"Google credentials: {exc}")
    if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
        return CollectorError(ErrorKind.UNREACHABLE, f"unreachable: {type(exc).__name__}: {exc}")
    return CollectorError(ErrorKind.UNKNOWN, f"{type(exc).__name__}: {exc}")


# --- Azure (azure-core) --------------------------------------------------------------------------------


def classify_azure(exc: BaseException) -> CollectorError:
    """azure.core HttpResponseError (by status) / ServiceRequestError / credential errors → CollectorError."""
    import requests
    from azure.core import exceptions as az

    if isinstance(exc, CollectorError):
        return exc
    if isinstance(exc, az.ClientAuthenticationError):
        return CollectorError(ErrorKind.AUTH, f"unauthorized: {_azure_message(exc)}", status=exc.status_code)
    if isinstance(exc, az.HttpResponseError):
        status = exc.status_code
        message = _azure_message(exc)
        if status == 401:
            return CollectorError(ErrorKind.AUTH, f"unauthorized: {message}", status=status)
        if status == 403:
            return CollectorError(ErrorKind.FORBIDDEN, f"forbidden: {message}", status=status)
        if status == 429:
            headers = getattr(exc.response, "headers", None) or {}
            return CollectorError(ErrorKind.RATE_LIMITED, f"rate limited: {message}", status=status,
                                  retry_after=_retry_after(headers.get("Retry-After")))
        if status is not None and status >= 500:
            return CollectorError(ErrorKind.UNREACHABLE, f"server error {status}: {message}", status=status)
        return CollectorError(ErrorKind.UNKNOWN, f"HTTP {status}: {message}", status=status)
    if isinstance(exc, az.ServiceRequestError | az.ServiceResponseError | requests.RequestException
                  | ConnectionError | TimeoutError):
        return CollectorError(ErrorKind.UNREACHABLE, f"unreachable: {type(exc).__name__}: {exc}")
    return CollectorError(ErrorKind.UNKNOWN, f"{type(exc).__name__}: {exc}")


def _azure_message(exc: Any) -> str:
    error = getattr(exc, "error", None)
    if error is not None and getattr(error, "code", None):
        return f"{error.code}: {error.message}"
    return str(getattr(exc, "message", None) or exc).splitlines()[0]
