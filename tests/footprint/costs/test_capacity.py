"""Cluster cost conservation: GPU node cost = serving + other (non-serving) GPU pods + idle capacity."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from collectors.spec import GpuNode
from footprint.costs.accrual import month_next
from footprint.costs.report import cost_report_build
from footprint.inventory.selectors import capacity_current
from tests.footprint.costs.test_accrual import LATER, OCT, at, chat, crawl


def node(name: str, *, allocatable=4, requested=0, serving=0, instance_type="g5.12xlarge", accelerator="A10G",
         cloud="aws", region="us-east-1") -> GpuNode:
    return GpuNode(cluster="prod-a", name=name, cloud=cloud, region=region, instance_type=instance_type,
                   accelerator=accelerator, allocatable=allocatable, requested=requested, serving_requested=serving)


@pytest.mark.django_db
def test_node_cost_splits_into_serving_other_and_idle_over_the_month(file_source):
    # Oct 1-11: n1 (4 GPUs: 2 serving, 1 other pod, 1 idle) and n2 (4 idle); Oct 11-21: n1 only;
    # from Oct 21 a complete crawl sees no GPU node: nothing more is billed.
    crawl(file_source, at(10, 1), [chat(2)], [node("n1", requested=3, serving=2), node("n2")])
    crawl(file_source, at(10, 11), [chat(2)], [node("n1", requested=3, serving=2)])
    crawl(file_source, at(10, 21), [chat(2)], [])
    report = cost_report_build(month=OCT, now=LATER)
    (cluster,) = report.clusters
    # g5.12xlarge $5.672/h; 240 h per part. serving: 2 × 240 × 5.672 × 2/4; other: ... × 1/4
    assert cluster.serving == Decimal("1361.28")
    assert cluster.other == Decimal("680.64")
    assert cluster.idle == Decimal("2041.92")        # n1 ¼ for 480 h + n2 whole for 240 h
    assert cluster.node_cost == Decimal("4083.84") == cluster.serving + cluster.other + cluster.idle
    assert cluster.gpu_hours == Decimal("2880.00") and cluster.idle_gpu_hours == Decimal("1440.00")
    assert report.idle == Decimal("2041.92")
    assert "g5.12xlarge at $5.672/h" in cluster.as_dict()["basis"]
    # chat's 2 replicas priced on the node's instance type: 744 h × 2 × $5.672/4 = 2109.984
    assert cluster.deployments == report.lines[0].cost == Decimal("2109.98")


@pytest.mark.django_db
def test_capacity_seen_before_the_month_holds_into_it(file_source):
    crawl(file_source, at(9, 20), [chat(0)], [node("n1")])
    (cluster,) = cost_report_build(month=OCT, now=LATER).clusters
    assert cluster.idle == cluster.node_cost == Decimal("4219.97")      # 744 h × $5.672
    # September: Sep 20 - Oct 1 = 264 h
    (september,) = cost_report_build(month=date(2026, 9, 1), now=LATER).clusters
    assert september.idle == Decimal("1497.41")                        # 264 × 5.672 = 1497.408


@pytest.mark.django_db
def test_a_node_without_price_is_unknown_not_zero(file_source):
    crawl(file_source, at(10, 1), [chat(1)], [node("n1", instance_type="x9.mystery", accelerator="", requested=1,
                                                   serving=1)])
    (cluster,) = cost_report_build(month=OCT, now=LATER).clusters
    assert cluster.node_cost == 0 and cluster.unknown_node_hours == Decimal("744.00")
    assert cluster.reason == "no price for GPU node x9.mystery in aws us-east-1"


@pytest.mark.django_db(transaction=True)
def test_conservation_holds_on_the_demo_fleet(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # the demo refuses production mode (DATABASE_URL set, as in CI, and no debug)
    call_command("demo", "--no-serve")
    month = month_next(timezone.now().date())
    hours = Decimal((datetime.combine(month_next(month), datetime.min.time(), tzinfo=UTC)
                     - datetime.combine(month, datetime.min.time(), tzinfo=UTC)).total_seconds() / 3600)
    report = cost_report_build(month=month, now=datetime(2100, 1, 1, tzinfo=UTC))
    current = list(capacity_current())
    assert report.clusters and {c.cluster for c in report.clusters} == {n.cluster_name for n in current}
    for cluster in report.clusters:
        assert cluster.node_cost == cluster.serving + cluster.other + cluster.idle
        nodes = [n for n in current if n.cluster_id == cluster.cluster_id]
        assert cluster.gpu_hours == (sum(Decimal(str(n.allocatable)) for n in nodes) * hours).quantize(Decimal("0.01"))
        idle_gpus = sum(Decimal(str(n.allocatable - min(n.requested, n.allocatable))) for n in nodes)
        assert cluster.idle_gpu_hours == (idle_gpus * hours).quantize(Decimal("0.01"))
    by_name = {c.cluster: c for c in report.clusters}
    reserved = by_name["cw-ord1"]        # DEMO.md #7: two reserved H100 nodes run no GPU pod
    assert reserved.idle > 0 and reserved.idle_gpu_hours >= 16 * hours
    assert report.idle == sum((c.idle for c in report.clusters), Decimal(0))
    assert sum(c.serving for c in report.clusters) > 0


@pytest.mark.django_db
def test_an_override_taking_effect_mid_month_reprices_nodes_from_that_day(file_source):
    from footprint.costs.models import PriceOverride

    crawl(file_source, at(10, 1), [chat(0)], [node("n1")])
    PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=Decimal(50),
                                 effective_from=date(2026, 10, 17))
    (cluster,) = cost_report_build(month=OCT, now=LATER).clusters
    # Oct 1-17: 384 h × $5.672 = 2178.048; Oct 17-Nov 1: 360 h × $2.836 = 1020.96
    assert cluster.idle == cluster.node_cost == Decimal("3199.01")
