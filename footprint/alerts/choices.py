"""Choices of the alerts app."""

from django.db import models


class RouteMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"


class DeliveryKind(models.TextChoices):
    EVENT = "event", "Finding event"
    DIGEST = "digest", "Daily digest"
    TEST = "test", "Test message"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"            # routed, but not sent (snoozed or risk-accepted finding)
    QUEUED = "queued", "Waiting for the digest"
    DIGESTED = "digested", "In a digest"      # see the delivery's ``digest``


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    RATE_LIMITED = "rate_limited", "Rate limited (429)"
    SERVER_ERROR = "server_error", "Server error (5xx)"
    UNREACHABLE = "unreachable", "Unreachable (connection error or timeout)"
    REJECTED = "rejected", "Rejected (4xx)"


# The finding events that may raise an alert; the others (updated, acknowledged, ...) never do.
ALERTABLE_EVENTS = ("opened", "severity_changed", "resolved")
