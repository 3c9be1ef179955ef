"""What users do to a finding: acknowledge it, snooze it until a date, accept its risk with a reason.

Each records who and when on the finding and appends a FindingEvent. None stops the finding from resolving
by itself when its condition clears.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from footprint.findings.choices import EventKind, FindingStatus
from footprint.findings.models import Finding, FindingEvent


def _actor(user) -> str:
    return user if isinstance(user, str) else user.get_username()


def _must_be_open(finding: Finding) -> None:
    if finding.status != FindingStatus.OPEN:
        raise ValidationError({"status": "this finding is resolved: there is nothing to manage"})


def finding_acknowledge(*, finding: Finding, user, note: str = "", now: datetime | None = None) -> Finding:
    _must_be_open(finding)
    now = now or timezone.now()
    with transaction.atomic():
        finding.acknowledged_at, finding.acknowledged_by = now, _actor(user)
        finding.save(update_fields=["acknowledged_at", "acknowledged_by"])
        FindingEvent.objects.create(finding=finding, kind=EventKind.ACKNOWLEDGED, at=now, actor=_actor(user),
                                    note=note)
    return finding


def finding_snooze(*, finding: Finding, user, until: datetime, note: str = "",
                   now: datetime | None = None) -> Finding:
    _must_be_open(finding)
    now = now or timezone.now()
    if until <= now:
        raise ValidationError({"until": "snooze until a time in the future"})
    with transaction.atomic():
        finding.snoozed_until = until
        finding.save(update_fields=["snoozed_until"])
        FindingEvent.objects.create(finding=finding, kind=EventKind.SNOOZED, at=now, actor=_actor(user),
                                    note=note, data={"until": until.isoformat()})
    return finding


def finding_accept_risk(*, finding: Finding, user, reason: str, now: datetime | None = None) -> Finding:
    _must_be_open(finding)
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": "say why the risk is accepted"})
    with transaction.atomic():
        finding.risk_accepted_at, finding.risk_accepted_by = now, _actor(user)
        finding.risk_accepted_reason = reason
        finding.save(update_fields=["risk_accepted_at", "risk_accepted_by", "risk_accepted_reason"])
        FindingEvent.objects.create(finding=finding, kind=EventKind.RISK_ACCEPTED, at=now, actor=_actor(user),
                                    note=reason)
    return finding
