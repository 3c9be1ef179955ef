"""Choices of the findings app."""

from django.db import models


class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    UPDATED = "updated", "Updated"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"
    RESOLVED = "resolved", "Resolved"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SNOOZED = "snoozed", "Snoozed"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"


class ActionKind(models.TextChoices):
    SCALE = "scale", "Scale"
    DECOMMISSION = "decommission", "Decommission"
    ALIGN_VERSION = "align-version", "Align version"
    MOVE_GPU = "move-gpu", "Move to another GPU"
