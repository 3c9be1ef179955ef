"""The findings' one FilterSet, shared by the findings page (footprint.web.views_ops) and the API
(``/api/v1/findings/``), so that a page URL and an API URL take the same parameters."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from footprint.findings.choices import FindingStatus, Severity
from footprint.findings.models import Finding
from footprint.inventory.filters import MultiValueCharFilter, NumberInFilter, _q

NO_TEAM = "-"
STATE_CHOICES = (("new", "New"), ("acknowledged", "Acknowledged"), ("snoozed", "Snoozed"),
                 ("accepted", "Risk accepted"))


class FindingFilterSet(filters.FilterSet):
    """``status``: ``open`` (the default), ``resolved`` or ``all``; each relation by id and natural key, like
    the inventory's; ``team=-`` is the findings without a team; ``state`` is what users did about them."""

    status = filters.ChoiceFilter(choices=[*FindingStatus.choices, ("all", "All")], method="by_status",
                                  empty_label=None, label="open (default), resolved or all")
    rule = MultiValueCharFilter(label="Rule code, e.g. drift.version")
    severity = filters.MultipleChoiceFilter(choices=Severity.choices)
    team_id = NumberInFilter(field_name="team_id", label="Team id(s)")
    team = MultiValueCharFilter(method="by_team", label=f"Team slug ({NO_TEAM}: no team)")
    cluster_id = NumberInFilter(field_name="cluster_id", label="Cluster id(s)")
    cluster = MultiValueCharFilter(field_name="cluster__name", label="Cluster name")
    deployment_id = NumberInFilter(field_name="deployment_id", label="Deployment id(s)")
    model_id = NumberInFilter(field_name="deployment__model_id", label="Model id(s)")
    model = MultiValueCharFilter(method="by_model", label="Model name")
    state = filters.ChoiceFilter(choices=STATE_CHOICES, method="by_state",
                                 label="new, acknowledged, snoozed or accepted")
    q = filters.CharFilter(method="search", label="Free text: title, subject, rule")

    class Meta:
        model = Finding
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=FindingStatus.OPEN)
        return super().filter_queryset(queryset)

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(status=value)

    def by_team(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        condition = Q(team__slug__in=[slug for slug in value if slug != NO_TEAM])
        if NO_TEAM in value:   # the unowned findings, which only admins may manage
            condition |= Q(team__isnull=True)
        return queryset.filter(condition)

    def by_model(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        # Fleet-group findings (version drift) have no single deployment; their key names the model.
        condition = Q(deployment__model__name__in=value)
        for model in value:
            condition |= Q(key__startswith=f"group:model|{model}|")
        return queryset.filter(condition)

    def by_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        if value == "new":
            return queryset.filter(acknowledged_at__isnull=True, risk_accepted_at__isnull=True).exclude(
                snoozed_until__gt=now)
        if value == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        if value == "snoozed":
            return queryset.filter(snoozed_until__gt=now)
        return queryset.filter(risk_accepted_at__isnull=False)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _q(queryset, ("title", "subject", "rule"), value)
