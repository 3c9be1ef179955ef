"""GPU capacity is inventory: per crawl, the accelerator nodes and the pods waiting for accelerators.

Written by ``deployments_reconcile`` in the same transaction as the deployments, in bulk. The scope rule
applies here too: rows are written only for clusters the crawl listed completely, and only those
clusters' ``capacity_run`` moves to this run. A cluster that was down keeps its last known capacity
instead of looking empty (which would read as "all GPUs released"), and a cluster whose last GPU node
went away does read as empty, because its covering run simply has no rows for it.

Snapshots are kept (the cost engine integrates GPU node hours per cluster over time);
``capacity_prune`` drops old ones, never those of a cluster's current capacity.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from collectors.spec import CrawlResult
from footprint.inventory.models import Cluster, CrawlRun, GpuNodeSnapshot, PendingGpuPodSnapshot, Source

BATCH_SIZE = 1000


def capacity_clusters(*, result: CrawlResult) -> dict[str, tuple[str, str]]:
    """Clusters named by the crawl's GPU nodes and pending pods → (cloud, region), for Cluster rows."""
    clusters: dict[str, tuple[str, str]] = {}
    for node in result.gpu_nodes:
        if node.cluster:
            cloud, region = clusters.get(node.cluster, ("unknown", ""))
            clusters[node.cluster] = (node.cloud if node.cloud != "unknown" else cloud, node.region or region)
    for pod in result.pending_gpu_pods:
        if pod.cluster:
            clusters.setdefault(pod.cluster, ("unknown", ""))
    return clusters


def capacity_record(*, source: Source, result: CrawlResult, run: CrawlRun, at: datetime) -> tuple[int, int]:
    """Write the snapshots of the clusters ``result`` covered; point those clusters at ``run``.

    The Cluster rows of ``capacity_clusters(result=...)`` must exist (the reconcile makes them).
    Returns (GPU nodes written, pending pods written).
    """
    covered = {
        name: cluster_id
        for name, cluster_id in Cluster.objects.filter(source=source).values_list("name", "id")
        if result.covers(name, None)
    }
    nodes: dict[tuple[str, str], GpuNodeSnapshot] = {}
    for node in result.gpu_nodes:
        cluster_id = covered.get(node.cluster)
        if cluster_id is None or not node.name:
            continue
        # Last one wins: a node reported twice is a collector bug, not a reason to lose the crawl.
        nodes[(node.cluster, node.name)] = GpuNodeSnapshot(
            run=run, source=source, cluster_id=cluster_id, cluster_name=node.cluster, observed_at=at,
            node=node.name[:253], cloud=node.cloud, region=(node.region or "")[:64], pool=(node.pool or "")[:253],
            instance_type=(node.instance_type or "")[:100], accelerator_type=node.accelerator or "",
            allocatable=node.allocatable, requested=node.requested, serving_requested=node.serving_requested,
            pods=node.pods,
        )
    pods = [
        PendingGpuPodSnapshot(
            run=run, source=source, cluster_id=covered[pod.cluster], cluster_name=pod.cluster, observed_at=at,
            namespace=pod.namespace or "", name=pod.name[:253], requested=pod.requested,
            reason=(pod.reason or "")[:1000],
        )
        for pod in result.pending_gpu_pods if pod.cluster in covered
    ]
    GpuNodeSnapshot.objects.bulk_create(nodes.values(), batch_size=BATCH_SIZE)
    PendingGpuPodSnapshot.objects.bulk_create(pods, batch_size=BATCH_SIZE)
    if covered:
        Cluster.objects.filter(id__in=list(covered.values())).update(capacity_run=run)
    return len(nodes), len(pods)


def capacity_prune(*, before: datetime) -> tuple[int, int]:
    """Delete snapshots observed before ``before``, except each cluster's current capacity.

    Returns (GPU node snapshots deleted, pending pod snapshots deleted).
    """
    current = Cluster.objects.filter(capacity_run__isnull=False).values("capacity_run")
    keep = Q(run__in=current)
    nodes, _ = GpuNodeSnapshot.objects.filter(observed_at__lt=before).exclude(keep).delete()
    pods, _ = PendingGpuPodSnapshot.objects.filter(observed_at__lt=before).exclude(keep).delete()
    return nodes, pods
