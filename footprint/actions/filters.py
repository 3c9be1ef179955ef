"""FilterSets of the actions app, shared by the API and the pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from footprint.actions.choices import ActionKind, ActionStatus, AuditVerb
from footprint.actions.models import AuditEvent, DeployAction


class DeployActionFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ActionKind.choices)
    deployment = django_filters.NumberFilter(field_name="deployment_id")
    team = django_filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    team_id = django_filters.NumberFilter(field_name="team_id")
    cluster = django_filters.CharFilter(field_name="cluster_name")
    requested_by = django_filters.CharFilter(field_name="requested_by__username")
    approved_by = django_filters.CharFilter(field_name="approved_by__username")
    finding = django_filters.NumberFilter(field_name="finding_id")
    q = django_filters.CharFilter(method="search", help_text="Free text: workload, namespace, cluster, reason.")

    class Meta:
        model = DeployAction
        fields = ["status", "kind", "deployment", "team", "team_id", "cluster", "requested_by", "approved_by",
                  "finding"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(workload_name__icontains=value) | Q(namespace__icontains=value)
                               | Q(cluster_name__icontains=value) | Q(reason__icontains=value))


class AuditEventFilterSet(django_filters.FilterSet):
    deployment = django_filters.NumberFilter(field_name="deployment_id")
    action = django_filters.NumberFilter(field_name="action_id")
    actor = django_filters.CharFilter(field_name="actor_name", help_text="Username of who did it.")
    verb = django_filters.MultipleChoiceFilter(choices=AuditVerb.choices)
    target = django_filters.CharFilter(field_name="target", lookup_expr="icontains",
                                       help_text="Part of cluster/namespace/Kind/name.")
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["deployment", "action", "actor", "verb", "target", "since", "until"]
