"""Small hand-made inventories for the findings tests: specs reconciled into a file source."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from collectors.spec import CrawlResult, GpuNode, PendingGpuPod, Replicas, Scope
from footprint.inventory.ingest import deployments_reconcile
from tests.conftest import spec_make

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def spec(name: str = "chat", *, created: datetime | None = datetime(2026, 10, 1, tzinfo=UTC),
         ready: int | None = "same", min_replicas: int | None = None, max_replicas: int | None = None,
         settings: dict | None = None, **fields):
    """spec_make with a creation time, an explicit ready count (None = unknown) and an autoscaler."""
    made = spec_make(name, observed_at=NOW, **fields)
    made = replace(made, workload=replace(made.workload, created_at=created))
    replicas = made.replicas
    made = replace(made, replicas=Replicas(
        desired=replicas.desired, ready=replicas.desired if ready == "same" else ready, min=min_replicas,
        max=max_replicas, autoscaled=max_replicas is not None))
    if settings is not None:
        made = replace(made, runtime=replace(made.runtime, settings=settings))
    return made


@pytest.fixture
def inventory(file_source):
    """inventory(specs, gpu_nodes=[...], pending=[...]): reconcile one complete crawl of the file source."""

    def load(specs, *, gpu_nodes=(), pending=(), at=NOW):
        result = CrawlResult(specs=list(specs), gpu_nodes=list(gpu_nodes), pending_gpu_pods=list(pending),
                             scopes=[Scope()], started_at=at, finished_at=at)
        return deployments_reconcile(source=file_source, result=result, now=at)

    return load


def node(name: str, *, cluster: str = "prod-a", pods: int = 1, allocatable: float = 8, requested: float | None = None,
         accelerator: str = "H100-80GB", instance_type: str | None = "p5.48xlarge", cloud: str = "aws",
         region: str = "us-east-1") -> GpuNode:
    return GpuNode(cluster=cluster, name=name, cloud=cloud, region=region, instance_type=instance_type,
                   accelerator=accelerator, allocatable=allocatable,
                   requested=allocatable if requested is None and pods else (requested or 0),
                   serving_requested=0, pods=pods)


def pending(name: str, *, cluster: str = "prod-a", namespace: str = "llm", requested: float = 8) -> PendingGpuPod:
    return PendingGpuPod(cluster=cluster, namespace=namespace, name=name, requested=requested,
                         reason="0/3 nodes are available: 3 Insufficient nvidia.com/gpu")


@pytest.fixture
def live(db):
    """live(specs, clusters=[...]): reconcile one crawl of a kubernetes source that listed ``clusters``
    completely (default: every cluster the specs name)."""
    from footprint.inventory.models import Source

    source = Source.objects.create(name="clusters", kind="kubernetes")

    def load(specs, *, clusters=None, at=NOW):
        clusters = clusters if clusters is not None else sorted({s.workload.cluster for s in specs})
        result = CrawlResult(specs=list(specs), scopes=[Scope(cluster=c) for c in clusters], started_at=at,
                             finished_at=at)
        return deployments_reconcile(source=source, result=result, now=at)

    return load
