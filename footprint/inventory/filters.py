"""One django-filter FilterSet per inventory model, shared by the REST API and the HTML list pages.

Each relation is filterable by id (``cluster_id=3``) and by natural key (``cluster=prod-a``); both take
several values (``?team=search&team=ads``). ``q`` is a free-text search over the obvious text columns.
"""

from __future__ import annotations

from datetime import UTC

import django_filters as filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from footprint.inventory import choices
from footprint.inventory.models import Cluster, CrawlRun, Deployment, DeploymentRevision, Model, Source, Team


class MultipleCharField(forms.MultipleChoiceField):
    """A list of free-text values: any value is valid (not a fixed vocabulary)."""

    def clean(self, value):
        # An empty field of a submitted filter form (?region=) means "any", not "region is empty".
        return super().clean([item for item in value or [] if item != ""])

    def valid_value(self, value: str) -> bool:
        return True

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for item in value:
            ProhibitNullCharactersValidator()(item)  # PostgreSQL refuses NUL in text: a 400, not a 500


@extend_schema_field(OpenApiTypes.STR)
class MultiValueCharFilter(filters.MultipleChoiceFilter):
    """Several free-text values, OR-ed (``?region=us-east-1&region=eu-west-1``)."""

    field_class = MultipleCharField


@extend_schema_field(OpenApiTypes.INT)
class NumberInFilter(filters.BaseInFilter, filters.NumberFilter):
    """``?cluster_id=1,2`` or a single id; whole numbers in the id range only (else 400, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("date-time out of range", code="invalid") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _q(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value})
    return queryset.filter(condition)


class WorkloadFilterSet(filters.FilterSet):
    """The filters of the material ModelSpec columns, common to Deployment and DeploymentRevision."""

    Q_FIELDS = ("name", "namespace", "model__name", "image", "cluster_name", "unit")

    q = filters.CharFilter(method="search", label="Free text: name, namespace, model, image, cluster")
    cloud = filters.MultipleChoiceFilter(choices=choices.CLOUD_CHOICES)
    region = MultiValueCharFilter()
    cluster = MultiValueCharFilter(field_name="cluster_name", label="Cluster name")
    source_id = NumberInFilter(field_name="source_id", label="Source id(s)")
    source = MultiValueCharFilter(field_name="source__name", label="Source name")
    team_id = NumberInFilter(field_name="team_id", label="Team id(s)")
    team = MultiValueCharFilter(field_name="team__slug", label="Team slug")
    model_id = NumberInFilter(field_name="model_id", label="Model id(s)")
    model = MultiValueCharFilter(field_name="model__name", label="Model name")
    namespace = MultiValueCharFilter()
    engine = filters.MultipleChoiceFilter(choices=choices.ENGINE_CHOICES)
    platform = filters.MultipleChoiceFilter(choices=choices.PLATFORM_CHOICES)
    accelerator = filters.MultipleChoiceFilter(field_name="accelerator_type", choices=choices.ACCELERATOR_CHOICES)
    environment = filters.MultipleChoiceFilter(choices=choices.ENVIRONMENT_CHOICES)
    variant = filters.MultipleChoiceFilter(choices=choices.VARIANT_CHOICES)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _q(queryset, self.Q_FIELDS, value)


class DeploymentFilterSet(WorkloadFilterSet):
    """Filters of the inventory (API ``/api/v1/deployments/`` and the inventory page).

    ``status``: ``live`` (the default when not given), ``ended`` or ``all``.
    """

    STATUS_CHOICES = (("live", "live"), ("ended", "ended"), ("all", "all"))

    cluster_id = NumberInFilter(field_name="cluster_id", label="Cluster id(s)")
    stale = filters.BooleanFilter()
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="by_status", empty_label=None,
                                  label="live (default), ended or all")

    class Meta:
        model = Deployment
        fields: list[str] = []

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied in filter_queryset, so that the default holds when the key is absent

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("status") or "live"
        if status == "live":
            return queryset.filter(ended_at__isnull=True)
        if status == "ended":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class DeploymentRevisionFilterSet(WorkloadFilterSet):
    """The same filters over revisions (``as_of``); the cluster id is the deployment's."""

    cluster_id = NumberInFilter(field_name="deployment__cluster_id", label="Cluster id(s)")

    class Meta:
        model = DeploymentRevision
        fields: list[str] = []


class ModelFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Free text: model name")
    name = MultiValueCharFilter()

    class Meta:
        model = Model
        fields: list[str] = []


class ClusterFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Free text: cluster name, region")
    name = MultiValueCharFilter()
    cloud = filters.MultipleChoiceFilter(choices=choices.CLOUD_CHOICES)
    region = MultiValueCharFilter()
    source_id = NumberInFilter(field_name="source_id", label="Source id(s)")
    source = MultiValueCharFilter(field_name="source__name", label="Source name")

    class Meta:
        model = Cluster
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _q(queryset, ("name", "region"), value)


class TeamFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Free text: slug, name, contact")
    slug = MultiValueCharFilter()

    class Meta:
        model = Team
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _q(queryset, ("slug", "name", "contact"), value)


class SourceFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Free text: source name")
    name = MultiValueCharFilter()
    kind = filters.MultipleChoiceFilter(choices=choices.SourceKind.choices)
    enabled = filters.BooleanFilter()

    class Meta:
        model = Source
        fields: list[str] = []


class CrawlRunFilterSet(filters.FilterSet):
    source_id = NumberInFilter(field_name="source_id", label="Source id(s)")
    source = MultiValueCharFilter(field_name="source__name", label="Source name")
    status = filters.MultipleChoiceFilter(choices=choices.CrawlStatus.choices)
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = CrawlRun
        fields: list[str] = []
