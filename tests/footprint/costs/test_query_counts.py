"""Pricing a fleet costs a constant number of queries, whatever the number of deployments."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectors.spec import CrawlResult, GpuNode, Scope
from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import deployment_price
from footprint.costs.selectors import deployment_prices
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Deployment, Source
from tests.conftest import spec_make

pytestmark = pytest.mark.django_db


def test_twenty_thousand_deployments_cost_the_catalog_queries_only(django_assert_num_queries):
    accelerators = ["A10G", "A100-40GB", "L4", "H100-80GB", "T4"]
    specs = [spec_make(f"d{i}", accelerator=accelerators[i % 5], per_replica=1 + i % 2, replicas=1 + i % 3,
                       region=("us-east-1", "eu-west-1")[i % 2]) for i in range(20_000)]
    with django_assert_num_queries(2):  # price entries, overrides
        catalog = PriceCatalog.load()
        prices = [deployment_price(spec=s, catalog=catalog, at=date(2026, 11, 1)) for s in specs]
    assert len(prices) == 20_000 and not any(p.is_unknown for p in prices)


def _queries(n: int) -> int:
    source = Source.objects.create(name=f"fleet-{n}", kind="file")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    specs = [spec_make(f"d{i}", cluster="prod-a", accelerator="A10G", observed_at=at) for i in range(n)]
    nodes = [GpuNode(cluster="prod-a", name=f"n{i}", cloud="aws", region="us-east-1", instance_type="g5.12xlarge",
                     accelerator="A10G", allocatable=4) for i in range(3)]
    deployments_reconcile(source=source, result=CrawlResult(specs=specs, gpu_nodes=nodes, scopes=[Scope()],
                                                            started_at=at, finished_at=at))
    with CaptureQueriesContext(connection) as captured:
        prices = deployment_prices(deployments=Deployment.objects.filter(source=source))
    assert len(prices) == n
    assert all(p.basis.startswith("2 × g5.12xlarge share: 1/4 of $5.672/h") for p in prices.values())
    return len(captured)


def test_selector_query_count_does_not_grow_with_deployments():
    assert _queries(3) == _queries(60) <= 4


def _report_queries(n: int) -> int:
    from datetime import date

    from footprint.costs.report import cost_report_build

    source = Source.objects.create(name=f"history-{n}", kind="file")
    nodes = [GpuNode(cluster=f"c{i % 3}", name=f"n{i}", cloud="aws", region="us-east-1", instance_type="g5.12xlarge",
                     accelerator="A10G", allocatable=4, requested=2, serving_requested=1) for i in range(n)]
    for day in (1, 11, 21):  # three crawls in October; each one rescales every deployment
        at = datetime(2026, 10, day, tzinfo=UTC)
        specs = [spec_make(f"d{i}", cluster=f"c{i % 3}", accelerator="A10G", replicas=day % 7 + i % 2,
                           team=f"t{i % 4}", observed_at=at) for i in range(n)]
        deployments_reconcile(source=source, result=CrawlResult(specs=specs, gpu_nodes=nodes, scopes=[Scope()],
                                                                started_at=at, finished_at=at))
    with CaptureQueriesContext(connection) as captured:
        report = cost_report_build(month=date(2026, 10, 1), now=datetime(2026, 11, 5, tzinfo=UTC))
        report.by("team")
    mine = [line for line in report.lines if line.name.startswith("d") and line.cluster.startswith("c")]
    assert len(mine) >= n and report.total > 0 and len(report.clusters) >= 3
    return len(captured)


def test_report_query_count_does_not_grow_with_the_fleet():
    assert _report_queries(4) == _report_queries(40) <= 12
