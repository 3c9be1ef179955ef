"""A small fleet for the dashboard tests: deployments through the real ingest (revisions included), GPU
nodes, findings, and a second crawl that changes a version so that history and ``as_of`` have something
to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from collectors.spec import CrawlResult, GpuNode, Scope
from footprint.findings.models import Finding
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Deployment, Source

JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)
JULY_1 = datetime(2026, 7, 1, tzinfo=UTC)
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def ingest(source: Source, specs, *, at=JUNE_1, nodes=(), scopes=None, errors=None):
    return deployments_reconcile(source=source, result=CrawlResult(
        specs=[replace(spec, observed_at=at) for spec in specs], gpu_nodes=list(nodes),
        scopes=[Scope()] if scopes is None else scopes, errors=errors or [], started_at=at, finished_at=at))


def fleet_specs(make_spec, *, n: int = 0, drift_version: str = "2024-07", prefix: str = ""):
    """Five deployments of Llama in prod (one region drifts), an embedding model on L4, a canary, an
    unowned staging copy, plus ``n`` more (for query-count comparisons)."""
    specs = [
        make_spec(f"{prefix}chat", cluster="prod-use1", version="2024-06"),
        make_spec(f"{prefix}chat", cluster="prod-euw1", region="eu-west-1", version=drift_version),
        make_spec(f"{prefix}chat", cluster="prod-gke", cloud="gcp", region="us-central1", version="2024-06",
                  accelerator="H100-80GB"),
        make_spec(f"{prefix}chat-canary", cluster="prod-use1", version="2024-08", variant="canary"),
        make_spec(f"{prefix}chat", cluster="stage-use1", environment="staging", team=None, version="2024-06"),
        make_spec(f"{prefix}embed", cluster="prod-use1", model="BAAI/bge-large-en-v1.5", engine="tei",
                  accelerator="L4", team="ranking", image="ghcr.io/huggingface/text-embeddings-inference:1.5"),
    ]
    specs += [make_spec(f"{prefix}extra-{i}", cluster=("prod-use1", "prod-x1", "prod-x2", "prod-x3")[i % 4], namespace=f"ns{i % 3}", team=f"team-{i % 5}",
                        model=f"org/model-{i % 6}", accelerator=("L4", "A100-80GB", "H100-80GB")[i % 3],
                        engine=("vllm", "tgi")[i % 2], replicas=1 + i % 3)
              for i in range(n)]
    return specs


def fleet_nodes(*, n: int = 0):
    nodes = [
        GpuNode(cluster="prod-use1", name="gpu-a-1", cloud="aws", region="us-east-1", pool="a100",
                instance_type="p4de.24xlarge", accelerator="A100-80GB", allocatable=8, requested=4,
                serving_requested=4, pods=3),
        GpuNode(cluster="prod-use1", name="gpu-a-2", cloud="aws", region="us-east-1", pool="a100",
                instance_type="p4de.24xlarge", accelerator="A100-80GB", allocatable=8, requested=0, pods=0),
        GpuNode(cluster="prod-use1", name="gpu-l4-1", cloud="aws", region="us-east-1", pool="l4",
                instance_type="g6.12xlarge", accelerator="L4", allocatable=4, requested=3, serving_requested=2, pods=2),
    ]
    nodes += [GpuNode(cluster=("prod-use1", "prod-x1", "prod-x2", "prod-x3")[i % 4], name=f"node-{i}", cloud="aws", region="us-east-1",
                      instance_type="g6.12xlarge", accelerator="L4", allocatable=4, requested=i % 5, pods=i % 3)
              for i in range(n)]
    return nodes


@pytest.fixture
def fleet(db, file_source, make_spec):
    """The small fleet, crawled on June 1st, then on July 1st with eu-west-1 moved to another version."""
    ingest(file_source, fleet_specs(make_spec), nodes=fleet_nodes())
    ingest(file_source, fleet_specs(make_spec, drift_version="2024-09"), at=JULY_1, nodes=fleet_nodes())
    findings_make()
    return file_source


def findings_make(*, suffix: str = "") -> None:
    """An old canary finding on the canary, a version drift finding on the Llama prod group, an idle node."""
    now = timezone.now()
    canary = Deployment.objects.filter(name__endswith="chat-canary").first()
    rows = [
        Finding(rule="orphans.old_canary", title="Canary running for 90 days", severity="low",
                fingerprint=f"c{suffix}", key=f"deployment:canary{suffix}", subject=str(canary), deployment=canary,
                team=canary.team, cluster=canary.cluster, impact_monthly=Decimal("1200.50"),
                first_seen=now - timedelta(days=3), opened_at=now - timedelta(days=3), last_seen=now),
        Finding(rule="drift.version", title=f"{LLAMA} (prod) runs 2 versions across 3 clusters", severity="medium",
                fingerprint=f"d{suffix}", key=f"group:model|{LLAMA}|prod", subject=f"{LLAMA}/prod",
                impact_monthly=Decimal(0), first_seen=now, opened_at=now, last_seen=now),
        Finding(rule="waste.idle_gpu_nodes", title="GPU node gpu-a-2 runs no GPU pod", severity="high",
                fingerprint=f"n{suffix}", key=f"node:gpu-a-2{suffix}", subject="prod-use1/gpu-a-2",
                cluster=canary.cluster, impact_monthly=Decimal("20000"), first_seen=now, opened_at=now, last_seen=now),
    ]
    Finding.objects.bulk_create(rows)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Fleet totals are cached per process; a test must not see another test's database through them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
