"""The filter backend of the API: the inventory's FilterSets, and the revision one under ``as_of``."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend

from footprint.inventory.models import DeploymentRevision


class FilterBackend(DjangoFilterBackend):
    """Picks ``view.revision_filterset_class`` when the view serves revisions (``/deployments/?as_of=``),
    so the same query parameters filter what runs now and what ran then."""

    def get_filterset_class(self, view, queryset=None):
        revision_filterset = getattr(view, "revision_filterset_class", None)
        if revision_filterset is not None and queryset is not None and queryset.model is DeploymentRevision:
            return revision_filterset
        return super().get_filterset_class(view, queryset)
