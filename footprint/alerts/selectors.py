"""Read queries of the alerts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from footprint.alerts.models import AlertDelivery


def deliveries_of_finding(*, finding_id: int) -> QuerySet[AlertDelivery]:
    """What Slack was told about one finding, newest first: its own deliveries and the digests that listed
    it (the digest rows, not their items), with the route joined."""
    return (AlertDelivery.objects.filter(Q(finding_id=finding_id, digest__isnull=True)
                                         | Q(items__finding_id=finding_id))
            .select_related("route").distinct().order_by("-created_at", "-id"))
