"""The filter backend of the API (the inventory's FilterSets, and the revision one under ``as_of``), and the
FilterSets of the findings and price overrides the HTML pages do not share (yet)."""

from __future__ import annotations

import django_filters as filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

from footprint.costs.choices import ACCELERATOR_CHOICES, CLOUD_CHOICES, OverrideKind
from footprint.costs.models import PriceOverride
from footprint.inventory.filters import MultiValueCharFilter, NumberInFilter
from footprint.inventory.models import DeploymentRevision


class FilterBackend(DjangoFilterBackend):
    """Picks ``view.revision_filterset_class`` when the view serves revisions (``/deployments/?as_of=``),
    so the same query parameters filter what runs now and what ran then."""

    def get_filterset_class(self, view, queryset=None):
        revision_filterset = getattr(view, "revision_filterset_class", None)
        if revision_filterset is not None and queryset is not None and queryset.model is DeploymentRevision:
            return revision_filterset
        return super().get_filterset_class(view, queryset)


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
