"""Read queries of findings."""

from __future__ import annotations

from django.db.models import QuerySet

from footprint.findings.choices import FindingStatus
from footprint.findings.models import Finding


def findings_open(*, rule: str | None = None, team: str | None = None) -> QuerySet[Finding]:
    """Open findings (snoozed and accepted ones included) with their subject joined, in one query."""
    rows = Finding.objects.filter(status=FindingStatus.OPEN).select_related("deployment", "cluster", "team")
    if rule is not None:
        rows = rows.filter(rule=rule)
    if team is not None:
        rows = rows.filter(team__slug=team)
    return rows.order_by("rule", "subject")
