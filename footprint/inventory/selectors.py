"""Read queries of the inventory: what runs now, what ran at a past instant, and back to ModelSpecs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from collectors.spec import ModelSpec
from footprint.inventory.models import CrawlRun, Deployment, DeploymentRevision, Source


def deployments_current(
    *,
    source: Source | str | None = None,
    cluster: str | None = None,
    region: str | None = None,
    cloud: str | None = None,
    team: str | None = None,
) -> QuerySet[Deployment]:
    """Live deployments (not ended), stale ones included, with their relations joined in one query.

    ``source`` is a Source or its name, ``cluster`` a cluster name, ``team`` a team slug.
    """
    rows = Deployment.objects.filter(ended_at__isnull=True).select_related("source", "cluster", "model", "team")
    rows = _by_place(rows, source=source, cluster=cluster, region=region)
    if cloud is not None:
        rows = rows.filter(cloud=cloud)
    if team is not None:
        rows = rows.filter(team__slug=team)
    return rows.order_by("source__name", "cluster_name", "namespace", "name", "unit")


def deployments_as_of(
    *,
    at: datetime,
    source: Source | str | None = None,
    cluster: str | None = None,
    region: str | None = None,
) -> QuerySet[DeploymentRevision]:
    """The revisions valid at ``at`` (``valid_from <= at < valid_to``): what ran then, in one query."""
    rows = DeploymentRevision.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at), valid_from__lte=at
    ).select_related("source", "model", "team")
    rows = _by_place(rows, source=source, cluster=cluster, region=region)
    return rows.order_by("source__name", "cluster_name", "namespace", "name", "unit")


def specs_from_rows(*, rows: Iterable[Deployment | DeploymentRevision]) -> list[ModelSpec]:
    """The stored ModelSpec of each Deployment or DeploymentRevision row."""
    return [ModelSpec.from_dict(row.spec) for row in rows]


def crawl_runs_recent(*, source: Source | None = None, limit: int = 20) -> QuerySet[CrawlRun]:
    runs = CrawlRun.objects.select_related("source")
    if source is not None:
        runs = runs.filter(source=source)
    return runs.order_by("-started_at", "-id")[:limit]


def _by_place(rows: QuerySet, *, source: Source | str | None, cluster: str | None, region: str | None) -> QuerySet:
    if isinstance(source, Source):
        rows = rows.filter(source=source)
    elif source is not None:
        rows = rows.filter(source__name=source)
    if cluster is not None:
        rows = rows.filter(cluster_name=cluster)
    if region is not None:
        rows = rows.filter(region=region)
    return rows
