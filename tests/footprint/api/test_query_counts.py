"""Every list endpoint costs the same number of queries for 5 rows as for 50."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectors.spec import GpuNode
from footprint.inventory.models import CrawlRun, Source, Team
from footprint.inventory.sources import source_create
from tests.conftest import spec_make
from tests.footprint.api.conftest import crawl

pytestmark = pytest.mark.django_db

T = datetime(2026, 6, 1, tzinfo=UTC)
URLS = ["/api/v1/deployments/", "/api/v1/deployments/?as_of=2026-06-01T12:00:00Z", "/api/v1/models/",
        "/api/v1/clusters/", "/api/v1/teams/", "/api/v1/sources/", "/api/v1/crawl-runs/",
        "/api/v1/modelspecs/", "/api/v1/modelspecs/?as_of=2026-06-01T12:00:00Z"]


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
    crawl(source, [spec_make(s.workload.name, cluster=s.workload.cluster, team=s.owner.team, model=s.model.name,
                             accelerator="A10G", version="v2") for s in specs], at=T + timedelta(days=1), nodes=nodes)
    CrawlRun.objects.bulk_create([CrawlRun(source=source, started_at=T - timedelta(hours=i), status="failed",
                                           finished_at=T, errors=[{"scope": "", "kind": "x", "message": "y"}])
                                  for i in range(1, n)])


def _counts(api) -> dict[str, int]:
    counts = {}
    for url in URLS:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200, (url, response.content)
        counts[url] = len(captured)
    return counts


def test_list_query_counts_do_not_grow_with_rows(api, django_db_blocker):
    _fleet(5)
    small = _counts(api)
    from footprint.inventory.models import Deployment

    Deployment.objects.all().delete()
    CrawlRun.objects.all().delete()
    Source.objects.all().delete()
    Team.objects.all().delete()
    _fleet(50)
    large = _counts(api)
    assert small == large
    assert max(large.values()) <= 6, large  # e.g. deployments: page, catalog x2, node hints (+ savepoints)
    assert Deployment.objects.filter(ended_at__isnull=True).count() == 50


def test_detail_query_count(api):
    _fleet(5)
    from footprint.inventory.models import Deployment

    deployment = Deployment.objects.first()
    with CaptureQueriesContext(connection) as captured:
        assert api.get(f"/api/v1/deployments/{deployment.pk}/").status_code == 200
    assert len(captured) <= 5
