"""Every list endpoint costs the same number of queries for 5 rows as for 50."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collectors.spec import GpuNode
from footprint.costs.models import PriceOverride
from footprint.findings.models import Finding, FindingEvent
from footprint.inventory.models import CrawlRun, Deployment, Source, Team
from footprint.inventory.sources import source_create
from tests.conftest import spec_make
from tests.footprint.api.conftest import crawl

pytestmark = pytest.mark.django_db

T = datetime(2026, 6, 1, tzinfo=UTC)
URLS = ["/api/v1/deployments/", "/api/v1/deployments/?as_of=2026-06-01T12:00:00Z", "/api/v1/models/",
        "/api/v1/clusters/", "/api/v1/teams/", "/api/v1/sources/", "/api/v1/crawl-runs/",
        "/api/v1/modelspecs/", "/api/v1/modelspecs/?as_of=2026-06-01T12:00:00Z", "/api/v1/findings/",
        "/api/v1/findings/?status=all&ordering=-severity", "/api/v1/price-overrides/", "/api/v1/me/",
        "/api/v1/costs/?month=2026-06&group_by=team", "/api/v1/costs/?month=2026-06&group_by=model"]
# A cost report reads the catalog, two months of history and capacity, and the findings: about a dozen.
CEILINGS = {"/api/v1/costs/?month=2026-06&group_by=team": 16, "/api/v1/costs/?month=2026-06&group_by=model": 16}


def _fleet(n: int) -> None:
    for i in range(n):
        Team.objects.create(slug=f"team-{i}", name=f"Team {i}")
        source_create(name=f"kube-{i}", kind="kubernetes", credentials={"kubeconfig": "apiVersion: v1\nkind: Config\n"})
    source = Source.objects.create(name="fleet", kind="file")
    specs = [spec_make(f"d{i}", cluster=f"c{i % 5 if n == 5 else i}", team=f"team-{i}", model=f"org/model-{i}",
                       accelerator="A10G") for i in range(n)]
    nodes = [GpuNode(cluster=f"c{i}", name=f"n{i}", cloud="aws", region="us-east-1", instance_type="g5.12xlarge",
                     accelerator="A10G", allocatable=4) for i in range(n)]
    crawl(source, specs, at=T, nodes=nodes)
    now = timezone.now()
    for i, deployment in enumerate(Deployment.objects.select_related("team")):
        finding = Finding.objects.create(
            rule="waste.idle_gpu_nodes", title="idle", severity="high", fingerprint=f"f{i}", key=f"k{i}",
            subject=deployment.name, deployment=deployment, cluster_id=deployment.cluster_id,
            team=deployment.team, impact_monthly=i, first_seen=now, opened_at=now, last_seen=now)
        FindingEvent.objects.create(finding=finding, kind="opened", at=now)
        PriceOverride.objects.create(source=source, instance_type=f"type-{i}", kind="discount", discount_percent=i)
    crawl(source, [spec_make(s.workload.name, cluster=s.workload.cluster, team=s.owner.team, model=s.model.name,
                             accelerator="A10G", version="v2") for s in specs], at=T + timedelta(days=1), nodes=nodes)
    CrawlRun.objects.bulk_create([CrawlRun(source=source, started_at=T - timedelta(hours=i), status="failed",
                                           finished_at=T, errors=[{"scope": "", "kind": "x", "message": "y"}])
                                  for i in range(1, n)])


def _counts(api, user) -> dict[str, int]:
    counts = {}
    for url in URLS:
        for cached in ("_footprint_roles", "_footprint_team_ids"):  # a request of its own, as over the wire
            user.__dict__.pop(cached, None)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200, (url, response.content)
        counts[url] = len(captured)
    return counts


def test_list_query_counts_do_not_grow_with_rows(api, user):
    _fleet(5)
    small = _counts(api, user)

    Finding.objects.all().delete()
    PriceOverride.objects.all().delete()
    Deployment.objects.all().delete()
    CrawlRun.objects.all().delete()
    Source.objects.all().delete()
    Team.objects.all().delete()
    _fleet(50)
    large = _counts(api, user)
    assert small == large
    assert all(count <= CEILINGS.get(url, 6) for url, count in large.items()), large  # e.g. deployments: page, catalog x2, node hints (+ savepoints)
    assert Deployment.objects.filter(ended_at__isnull=True).count() == 50


def test_detail_query_count(api):
    _fleet(5)

    deployment = Deployment.objects.first()
    with CaptureQueriesContext(connection) as captured:
        assert api.get(f"/api/v1/deployments/{deployment.pk}/").status_code == 200
    assert len(captured) <= 5
