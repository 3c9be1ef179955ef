"""The one place that speaks to Slack: post a payload to an incoming webhook with slack_sdk and normalise
what happened into an outcome (sent, rate limited, server error, unreachable, rejected).

slack_sdk's own retry handlers are off: a retry is scheduled by the dispatcher (next_attempt_at), never
slept on inside a crawl or a worker.
"""

from __future__ import annotations

import http.client
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient

from footprint.alerts.choices import AttemptOutcome

TIMEOUT_SECONDS = 5
DEFAULT_RETRY_AFTER = 30      # a 429 without (or with an unreadable) Retry-After
MAX_RETRY_AFTER = 3600
BODY_EXCERPT = 500

logger = logging.getLogger("footprint.alerts")


@dataclass(frozen=True)
class SlackAnswer:
    outcome: str
    http_status: int | None = None
    body: str = ""
    error: str = ""
    retry_after: int | None = None   # seconds, for a 429

    @property
    def retryable(self) -> bool:
        return self.outcome in (AttemptOutcome.RATE_LIMITED, AttemptOutcome.SERVER_ERROR, AttemptOutcome.UNREACHABLE)


def _retry_after(headers: Any) -> int:
    value = None
    if headers:
        for name, raw in dict(headers).items():
            if name.lower() == "retry-after":
                value = raw[0] if isinstance(raw, list | tuple) and raw else raw
    try:
        seconds = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(1, min(seconds, MAX_RETRY_AFTER))


def webhook_post(*, url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> SlackAnswer:
    """POST ``payload`` (text + blocks) to the webhook ``url``; never raises for what Slack or the network did."""
    client = WebhookClient(url=url, timeout=timeout, retry_handlers=[], logger=logger)
    try:
        response = client.send_dict(payload)
    except SlackRequestError as exc:    # not an http(s) URL
        return SlackAnswer(outcome=AttemptOutcome.REJECTED, error=f"invalid webhook URL: {exc}")
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS, TLS, timeout, a garbled answer
        reason = getattr(exc, "reason", None) or exc
        return SlackAnswer(outcome=AttemptOutcome.UNREACHABLE, error=f"{type(exc).__name__}: {reason}"[:1000])
    status, body = response.status_code, (response.body or "")[:BODY_EXCERPT]
    if 200 <= status < 300:
        return SlackAnswer(outcome=AttemptOutcome.SENT, http_status=status, body=body)
    if status == 429:
        return SlackAnswer(outcome=AttemptOutcome.RATE_LIMITED, http_status=status, body=body,
                           error="rate limited by Slack", retry_after=_retry_after(response.headers))
    if status >= 500:
        return SlackAnswer(outcome=AttemptOutcome.SERVER_ERROR, http_status=status, body=body,
                           error=f"Slack answered {status}: {body or 'no body'}")
    return SlackAnswer(outcome=AttemptOutcome.REJECTED, http_status=status, body=body,
                       error=f"Slack refused the message ({status}): {body or 'no body'}")
