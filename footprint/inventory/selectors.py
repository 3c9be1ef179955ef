"""Read queries of the inventory: what runs now, what ran at a past instant, and back to ModelSpecs.

Declared copies: a file source (``manage.py ingest`` of a GitOps repo's ModelSpecList) may list workloads of
a cluster that a crawled source (kubernetes, a cloud) lists completely too. There the file's rows are
*declarations* (desired state, compared with what runs by the findings rule drift.desired_live), not a second
running deployment: ``declared_copies_exclude`` drops them so that the inventory, its costs and its counts
hold each running workload once. A file source's rows in a cluster no crawled source lists stay ordinary
deployments (a file can be the only inventory there is). The crawled clusters are those of
``crawled_cluster_names``, the notion footprint.findings.context uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from collectors.spec import ModelSpec
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    GpuNodeSnapshot,
    PendingGpuPodSnapshot,
    Source,
)


def crawled_cluster_names() -> QuerySet:
    """Names of the clusters a crawled (non-file) source has listed completely, as a subquery (no query of
    its own when used in a filter)."""
    return (Cluster.objects.filter(capacity_run__isnull=False).exclude(source__kind=SourceKind.FILE)
            .exclude(name="").order_by().values("name"))


def declared_copies_q(prefix: str = "") -> Q:
    """The rows that are declared copies: of a file source, in a cluster ``crawled_cluster_names`` names.
    For Deployment and DeploymentRevision rows (both have ``source`` and ``cluster_name``); ``prefix`` for
    a relation to them (``"deployments__"``). Subqueries only: no join, no query of its own."""
    return Q(**{f"{prefix}source_id__in": Source.objects.filter(kind=SourceKind.FILE).order_by().values("pk"),
                f"{prefix}cluster_name__in": crawled_cluster_names()})


def declared_copies_exclude(rows: QuerySet) -> QuerySet:
    """``rows`` (Deployments or DeploymentRevisions) without the declared copies: each workload that runs in
    a crawled cluster counted once, as the crawl saw it. Still one query."""
    return rows.exclude(declared_copies_q())


def declared_shown(params) -> bool:
    """Whether a listing shows the declared copies: when asked (``declared=include``) or when it filters on
    a source (``source`` / ``source_id``: that source's rows, all of them)."""
    if params.get("declared") == "include":
        return True
    getlist = getattr(params, "getlist", lambda name: [params.get(name)])
    return any(value for name in ("source", "source_id") for value in getlist(name))


def deployments_current(
    *,
    source: Source | str | None = None,
    cluster: str | None = None,
    region: str | None = None,
    cloud: str | None = None,
    team: str | None = None,
    declared: bool = True,
) -> QuerySet[Deployment]:
    """Live deployments (not ended), stale ones included, with their relations joined in one query.

    ``source`` is a Source or its name, ``cluster`` a cluster name, ``team`` a team slug. ``declared=False``
    leaves out the declared copies (``declared_copies_exclude``): what runs, each workload once. The default
    keeps them, for the findings context, which compares the declarations with what runs.
    """
    rows = Deployment.objects.filter(ended_at__isnull=True).select_related("source", "cluster", "model", "team")
    if not declared:
        rows = declared_copies_exclude(rows)
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
    declared: bool = True,
) -> QuerySet[DeploymentRevision]:
    """The revisions valid at ``at`` (``valid_from <= at < valid_to``): what ran then, in one query.
    ``declared=False`` leaves out the declared copies (as ``deployments_current``; the crawled clusters are
    today's)."""
    rows = DeploymentRevision.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at), valid_from__lte=at
    ).select_related("source", "model", "team")
    if not declared:
        rows = declared_copies_exclude(rows)
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


def capacity_current(*, source: Source | str | None = None, cluster: str | None = None) -> QuerySet[GpuNodeSnapshot]:
    """The GPU nodes of every cluster as the latest crawl that listed that cluster completely saw them.

    A cluster that is down keeps the capacity of its last good crawl; one query whatever the fleet size.
    """
    rows = GpuNodeSnapshot.objects.filter(run_id=F("cluster__capacity_run_id")).select_related("source", "cluster")
    return _by_place(rows, source=source, cluster=cluster, region=None).order_by("cluster_name", "node")


def pending_gpu_pods_current(*, source: Source | str | None = None,
                             cluster: str | None = None) -> QuerySet[PendingGpuPodSnapshot]:
    """Pods waiting for accelerators, per cluster from the same crawl as ``capacity_current``."""
    rows = PendingGpuPodSnapshot.objects.filter(run_id=F("cluster__capacity_run_id")).select_related("source")
    return _by_place(rows, source=source, cluster=cluster, region=None).order_by("cluster_name", "namespace", "name")


def capacity_by_cluster(*, source: Source | str | None = None) -> list[dict]:
    """Current capacity per cluster and accelerator type: nodes, idle nodes, GPUs allocatable, requested
    and requested by serving workloads, and when it was observed. One query."""
    rows = capacity_current(source=source).order_by()
    return list(
        rows.values("cluster_name", "accelerator_type", "observed_at")
        .annotate(nodes=Count("id"), idle_nodes=Count("id", filter=Q(requested=0)),
                  allocatable=Sum("allocatable"), requested=Sum("requested"),
                  serving_requested=Sum("serving_requested"))
        .order_by("cluster_name", "accelerator_type")
    )


def sources_with_health() -> QuerySet[Source]:
    """Sources with ``last_status`` / ``last_started_at`` (their latest run) and their beat schedule joined:
    a constant number of queries for any number of sources."""
    latest = CrawlRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-id")
    return Source.objects.select_related("schedule__interval").annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_started_at=Subquery(latest.values("started_at")[:1]),
    ).order_by("name")


def source_next_crawl_at(*, source: Source):
    """When beat will next crawl ``source`` (``None``: not scheduled). A schedule that never ran is due now."""
    task = source.schedule
    if task is None or not task.enabled or task.interval is None:
        return None
    every = timedelta(**{task.interval.period: task.interval.every})
    anchor = task.last_run_at or task.start_time
    return anchor + every if anchor is not None else task.date_changed


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
