"""The filter backend of the API (the inventory's FilterSets, and the revision one under ``as_of``), and the
FilterSets of the findings and price overrides the HTML pages do not share (yet)."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

from footprint.costs.choices import ACCELERATOR_CHOICES, CLOUD_CHOICES, OverrideKind
from footprint.costs.models import PriceOverride
from footprint.findings.choices import FindingStatus, Severity
from footprint.findings.models import Finding
from footprint.inventory.filters import MultiValueCharFilter, NumberInFilter, _q
from footprint.inventory.models import DeploymentRevision


class FilterBackend(DjangoFilterBackend):
    """Picks ``view.revision_filterset_class`` when the view serves revisions (``/deployments/?as_of=``),
    so the same query parameters filter what runs now and what ran then."""

    def get_filterset_class(self, view, queryset=None):
        revision_filterset = getattr(view, "revision_filterset_class", None)
        if revision_filterset is not None and queryset is not None and queryset.model is DeploymentRevision:
            return revision_filterset
        return super().get_filterset_class(view, queryset)


class FindingFilterSet(filters.FilterSet):
    """Filters of ``/api/v1/findings/``. ``status``: ``open`` (the default), ``resolved`` or ``all``; each
    relation by id and natural key, like the inventory's."""

    STATUS_CHOICES = (("open", "open"), ("resolved", "resolved"), ("all", "all"))

    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="by_status", empty_label=None,
                                  label="open (default), resolved or all")
    rule = MultiValueCharFilter(label="Rule code, e.g. drift.version")
    severity = filters.MultipleChoiceFilter(choices=Severity.choices)
    team_id = NumberInFilter(field_name="team_id", label="Team id(s)")
    team = MultiValueCharFilter(field_name="team__slug", label="Team slug")
    cluster_id = NumberInFilter(field_name="cluster_id", label="Cluster id(s)")
    cluster = MultiValueCharFilter(field_name="cluster__name", label="Cluster name")
    deployment_id = NumberInFilter(field_name="deployment_id", label="Deployment id(s)")
    model_id = NumberInFilter(field_name="deployment__model_id", label="Model id(s)")
    model = MultiValueCharFilter(method="by_model", label="Model name")
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

    def by_model(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        # Fleet-group findings (version drift) have no single deployment; their key names the model.
        condition = Q(deployment__model__name__in=value)
        for model in value:
            condition |= Q(key__startswith=f"group:model|{model}|")
        return queryset.filter(condition)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _q(queryset, ("title", "subject", "rule"), value)


class PriceOverrideFilterSet(filters.FilterSet):
    source_id = NumberInFilter(field_name="source_id", label="Source id(s)")
    source = MultiValueCharFilter(field_name="source__name", label="Source name")
    cloud = filters.MultipleChoiceFilter(choices=CLOUD_CHOICES)
    kind = filters.MultipleChoiceFilter(choices=OverrideKind.choices)
    instance_type = MultiValueCharFilter()
    accelerator = filters.MultipleChoiceFilter(choices=ACCELERATOR_CHOICES)

    class Meta:
        model = PriceOverride
        fields: list[str] = []


class FindingOrderingFilter(OrderingFilter):
    """``?ordering=-impact`` etc. over the view's ``ordering_fields``; public names map onto annotations
    (``severity`` → its rank, ``impact`` → unknown impact last) and ``id`` always breaks ties, so cursor
    pagination stays stable."""

    ALIASES = {"severity": "severity_rank", "impact": "impact_sort"}

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or ()
        mapped = [("-" if term.startswith("-") else "") + self.ALIASES.get(term.lstrip("-"), term.lstrip("-"))
                  for term in ordering]
        if not any(term.lstrip("-") == "id" for term in mapped):
            mapped.append("id")
        return tuple(mapped)
