"""Accrual: a month costs what ran in it and for how long (revision history), not today's run-rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from collectors.spec import CrawlResult, GpuNode, Scope
from footprint.costs.models import PriceOverride
from footprint.costs.report import cost_report_build, cost_summary
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Source
from tests.conftest import spec_make

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)   # "today" in these tests


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def crawl(source: Source, when: datetime, specs, nodes=()) -> None:
    specs = [replace(s, observed_at=when) for s in specs]
    deployments_reconcile(source=source, now=when, result=CrawlResult(
        specs=specs, gpu_nodes=list(nodes), scopes=[Scope()], started_at=when, finished_at=when))


def chat(replicas: int, **kw):
    # No node hint: the cheapest A10G instance in us-east-1 is g5.xlarge at $1.006/h (1 GPU).
    return spec_make("chat", accelerator="A10G", per_replica=1, replicas=replicas, **kw)


@pytest.fixture
def october(file_source):
    """chat: 2 replicas from Oct 1, scaled to 4 on Oct 11; embed (unowned, 1 × L4) from Oct 21 12:00."""
    crawl(file_source, at(10, 1), [chat(2)])
    crawl(file_source, at(10, 11), [chat(4)])
    embed = spec_make("embed", accelerator="L4", per_replica=1, replicas=1, team=None)
    crawl(file_source, at(10, 21, 12), [chat(4), embed])
    return file_source


def test_a_deployment_scaled_mid_month_accrues_each_part(october):
    report = cost_report_build(month=OCT, now=LATER)
    lines = {line.name: line for line in report.lines}
    # 240 h × 2 × $1.006 + 504 h × 4 × $1.006 = 482.88 + 2028.096
    assert lines["chat"].cost == Decimal("2510.98")
    assert lines["chat"].hours == Decimal("744.00")          # all of October (31 days)
    assert lines["chat"].gpu_hours == Decimal("2496.00")     # 240 × 2 + 504 × 4
    # 10.5 days × 24 = 252 h × g6.xlarge $0.8048 = 202.8096
    assert lines["embed"].cost == Decimal("202.81") and lines["embed"].hours == Decimal("252.00")
    assert report.total == Decimal("2713.79")
    assert report.unowned == Decimal("202.81")
    assert report.previous_total == 0                        # nothing ran in September
    teams = {row["key"]: row for row in report.by("team")}
    assert teams["search"]["cost"] == Decimal("2510.98") and teams[None]["label"] == "(unowned)"


def test_a_past_month_does_not_change_when_the_fleet_changes_today(october, file_source):
    before = cost_report_build(month=OCT, now=LATER).as_dict()
    # November: chat scaled down, embed deleted (ended by a complete crawl), a new deployment, a price override
    crawl(file_source, at(11, 5), [chat(1), spec_make("new-one", accelerator="H100-80GB", replicas=8)])
    PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=Decimal(50),
                                 effective_from=date(2026, 11, 10))
    after = cost_report_build(month=OCT, now=LATER).as_dict()
    assert after == before
    november = cost_report_build(month=date(2026, 11, 1), now=LATER)
    # a running month is compared with the same days of October (to Oct 20 12:00), not all of it (2713.79)
    assert november.previous_partial
    assert november.previous_total == cost_report_build(month=OCT, now=at(10, 20, 12)).total < Decimal("2713.79")
    # chat in November: Nov 1-5 4 replicas (96 h), then 1 replica; from Nov 10 at half price, to Nov 20 12:00
    # 96 × 4 × 1.006 + 120 × 1 × 1.006 + 252 × 1 × 0.503 = 386.304 + 120.72 + 126.756
    chat_line = next(line for line in november.lines if line.name == "chat")
    assert chat_line.cost == Decimal("633.78")
    # embed ended with the complete crawl of Nov 5: 96 h × $0.8048 = 77.2608, then nothing
    embed = next(line for line in november.lines if line.name == "embed")
    assert (embed.hours, embed.cost) == (Decimal("96.00"), Decimal("77.26"))


def test_unknown_prices_are_unknown_lines_with_reasons_never_zero(file_source):
    crawl(file_source, at(10, 1), [spec_make("mystery", accelerator=None, per_replica=None),
                                   spec_make("onprem", cloud="onprem", region=None)])
    report = cost_report_build(month=OCT, now=LATER)
    assert report.total == 0
    unknown = {line.name: line for line in report.unknown}
    assert unknown["mystery"].cost is None and unknown["mystery"].reason == "accelerator unknown"
    assert unknown["onprem"].reason == "no price catalog for cloud onprem"
    assert unknown["mystery"].unknown_hours == Decimal("744.00")
    rows = cost_summary(month=OCT, group_by="team", now=LATER)
    assert rows == [{"key": "search", "label": "search", "cost": "0.00", "previous": "0.00", "change": "0.00",
                     "changePct": None, "hours": "1488.00", "unknownLines": 2}]


def test_month_over_month_change_per_dimension(file_source):
    crawl(file_source, at(9, 16), [chat(1)])          # September: 15 days × 24 h × $1.006 = 362.16
    crawl(file_source, at(10, 1), [chat(2)])          # October: 744 h × 2 × 1.006 = 1496.928
    report = cost_report_build(month=OCT, now=LATER)
    row = report.by("cloud")[0]
    assert (row["key"], row["cost"], row["previous"], row["change"]) == (
        "aws", Decimal("1496.93"), Decimal("362.16"), Decimal("1134.77"))
    assert row["change_pct"] == 313.3
    with pytest.raises(ValueError, match="unknown dimension"):
        report.by("colour")


def test_node_hint_of_the_month_prices_on_the_node_instance_type(file_source):
    nodes = [GpuNode(cluster="prod-a", name="n1", cloud="aws", region="us-east-1", instance_type="g5.12xlarge",
                     accelerator="A10G", allocatable=4, requested=2, serving_requested=2)]
    crawl(file_source, at(10, 1), [chat(2)], nodes)
    # 2 replicas × 1/4 of g5.12xlarge $5.672/h × 744 h = 2109.984 (not the cheapest g5.xlarge)
    line = cost_report_build(month=OCT, now=LATER).lines[0]
    assert line.cost == Decimal("2109.98")
    assert "g5.12xlarge" in line.basis


def test_a_deployment_handed_to_another_team_mid_month_is_split_between_them(file_source):
    crawl(file_source, at(10, 1), [chat(1)])
    crawl(file_source, at(10, 17), [chat(1, team="ads")])
    teams = {row["key"]: row["cost"] for row in cost_report_build(month=OCT, now=LATER).by("team")}
    # 384 h and 360 h of one g5.xlarge at $1.006/h
    assert teams == {"search": Decimal("386.30"), "ads": Decimal("362.16")}
