"""FilterSets of the actions app, shared by the API and the pages.

Ids take whole numbers in the id range only and the exact text filters several values (the inventory's
``NumberInFilter`` and ``MultiValueCharFilter``): an out-of-range id or a NUL character is a 400, never a
database error."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from footprint.actions.choices import ActionKind, ActionStatus, AuditVerb
from footprint.actions.models import AuditEvent, DeployAction
from footprint.inventory.filters import MultiValueCharFilter, NumberInFilter, UtcDateTimeFilter


class DeployActionFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ActionKind.choices)
    deployment = NumberInFilter(field_name="deployment_id", label="Deployment id(s)")
    team = MultiValueCharFilter(field_name="team__slug", label="Team slug")
    team_id = NumberInFilter(field_name="team_id", label="Team id(s)")
    cluster = MultiValueCharFilter(field_name="cluster_name", label="Cluster name")
    requested_by = MultiValueCharFilter(field_name="requested_by__username", label="Username of the requester")
    approved_by = MultiValueCharFilter(field_name="approved_by__username", label="Username of the approver")
    finding = NumberInFilter(field_name="finding_id", label="Finding id(s)")
    q = django_filters.CharFilter(method="search", label="Free text: workload, namespace, cluster, reason")

    class Meta:
        model = DeployAction
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(workload_name__icontains=value) | Q(namespace__icontains=value)
                               | Q(cluster_name__icontains=value) | Q(reason__icontains=value))


class AuditEventFilterSet(django_filters.FilterSet):
    deployment = NumberInFilter(field_name="deployment_id", label="Deployment id(s)")
    action = NumberInFilter(field_name="action_id", label="Action id(s)")
    actor = MultiValueCharFilter(field_name="actor_name", label="Username of who did it")
    verb = django_filters.MultipleChoiceFilter(choices=AuditVerb.choices)
    # A plain CharField: Django's form field refuses NUL characters (a 400).
    target = django_filters.CharFilter(field_name="target", lookup_expr="icontains",
                                       label="Part of cluster/namespace/Kind/name")
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte", label="Events at or after (RFC 3339)")
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lt", label="Events before (RFC 3339)")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
