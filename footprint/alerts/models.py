"""Alert routes (team and/or severity -> Slack channel) and the delivery log.

FindingEvent rows are the outbox: ``footprint.alerts.services.alerts_route`` turns each alertable event once
into one AlertDelivery per matching route, and marks it routed (AlertEventMark) in the same transaction, so
an event is neither routed twice nor lost when a process dies. ``alerts_send_due`` then sends the due
deliveries and records every attempt (AlertAttempt).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from footprint.alerts import choices
from footprint.core.crypto import EncryptedTextField
from footprint.findings.choices import Severity


class AlertRoute(models.Model):
    """Which findings go to which Slack channel (an incoming webhook), immediately or as a daily digest.

    Created, changed and deleted through ``footprint.alerts.services`` (it keeps the beat schedule in step).
    """

    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    team = models.ForeignKey("inventory.Team", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="alert_routes", help_text="Empty: findings of any team (or none).")
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM,
                                    help_text="Findings at this severity or above.")
    rule_prefix = models.CharField(max_length=64, blank=True, default="",
                                   help_text="Only rules whose code starts with this, e.g. 'waste.' "
                                             "or 'drift.version'. Empty: every rule.")
    webhook_url = EncryptedTextField(help_text="Slack incoming webhook URL. Stored encrypted; never shown again.")
    mode = models.CharField(max_length=10, choices=choices.RouteMode.choices, default=choices.RouteMode.IMMEDIATE)
    digest_hour = models.PositiveSmallIntegerField(default=9, validators=[MaxValueValidator(23)],
                                                   help_text="Daily digest: hour of the day (UTC) it is sent.")
    events_after_id = models.BigIntegerField(
        default=0, editable=False,
        help_text="Only finding events after this one are routed here: a new (or re-enabled) route does not "
                  "replay history.")
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                raise ValidationError({"webhook_url": "a Slack incoming webhook URL, "
                                                      "https://hooks.slack.com/services/..."})


class AlertEventMark(models.Model):
    """A finding event that has been routed (whether or not any route matched it)."""

    event = models.OneToOneField("findings.FindingEvent", on_delete=models.CASCADE, primary_key=True,
                                 related_name="alert_mark")
    routed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"event {self.event_id} routed {self.routed_at:%Y-%m-%d %H:%M}"


class AlertDelivery(models.Model):
    """One message for one route: a finding event (sent at once, or queued for the route's digest), a
    digest (its events are the deliveries pointing at it), or a test message."""

    route = models.ForeignKey(AlertRoute, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=choices.DeliveryKind.choices)
    event = models.ForeignKey("findings.FindingEvent", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="alert_deliveries")
    finding = models.ForeignKey("findings.Finding", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="alert_deliveries")
    event_kind = models.CharField(max_length=20, blank=True, default="",
                                  help_text="opened, severity_changed or resolved (event deliveries).")
    severity = models.CharField(max_length=10, blank=True, default="")
    digest = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="items",
                               help_text="The digest that carried this event.")
    status = models.CharField(max_length=10, choices=choices.DeliveryStatus.choices,
                              default=choices.DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True, default="")
    error = models.TextField(blank=True, default="")
    message = models.JSONField(default=dict, blank=True, help_text="The Slack payload (text and blocks).")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(fields=["route", "event"], condition=Q(event__isnull=False),
                                    name="alerts_delivery_unique_route_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="alerts_delivery_due_idx"),
            models.Index(fields=["route", "finding"], name="alerts_delivery_route_find_idx"),
        ]

    def __str__(self) -> str:
        what = self.event_kind or self.kind
        return f"{self.route} {what} {self.status}"


class AlertAttempt(models.Model):
    """One HTTP attempt of a delivery, with what Slack answered."""

    delivery = models.ForeignKey(AlertDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=choices.AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True, default="")
    error = models.TextField(blank=True, default="")
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.outcome}"
