"""`make demo` runs `manage.py demo`: the simulated fleet, its sources, a simulated history of crawls, today's
crawl, the teams, a GitOps file source, a login."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from footprint.costs.accrual import month_previous
from footprint.costs.report import cost_report_build
from footprint.inventory.management.commands.demo import _as_60_days_ago, fleet_as_of
from footprint.inventory.models import (
    CrawlRun,
    Deployment,
    DeploymentRevision,
    GpuNodeSnapshot,
    OwnershipRule,
    Source,
    Team,
)
from footprint.inventory.selectors import deployments_as_of


@pytest.mark.django_db(transaction=True)
def test_the_demo_sets_up_and_crawls_the_whole_simulated_fleet(settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # the demo refuses production mode (DATABASE_URL set, as in CI, and no debug)
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    kinds = set(Source.objects.values_list("kind", flat=True))
    assert kinds == {"aws", "gcp", "azure", "coreweave", "nebius", "lambda", "file"}
    assert set(CrawlRun.objects.values_list("status", flat=True)) == {"ok"}
    live = Deployment.objects.filter(ended_at__isnull=True).exclude(source__kind="file")
    assert live.count() >= 60
    assert live.values("cloud").distinct().count() == 6
    assert live.filter(platform="sagemaker").exists()
    assert GpuNodeSnapshot.objects.exists()
    assert get_user_model().objects.filter(username="demo", is_superuser=True).exists()
    assert "demo login: demo / demo" in out

    # simulated history, said so: crawls 60 and 35 days ago, then today's
    assert "SIMULATED" in out and "[simulated]" in out
    now = timezone.now()
    days = sorted({round((now - started) / timedelta(days=1)) for started in
                   CrawlRun.objects.exclude(source__kind="file").values_list("started_at", flat=True)})
    assert days == [0, 35, 60]
    assert all(run.finished_at >= run.started_at for run in CrawlRun.objects.all())
    assert not DeploymentRevision.objects.filter(valid_to__lt=F("valid_from")).exists()
    rewriter = Deployment.objects.get(cluster_name="gke-usc1-prod", name="query-rewriter")
    versions = list(rewriter.revisions.order_by("valid_from").values_list("model_version", flat=True))
    assert [v[:8] for v in versions] == ["bb46c15e", "a09a3545"]
    as_of_50 = {(d.cluster_name, d.name): d for d in deployments_as_of(at=now - timedelta(days=50))}
    assert as_of_50[("gke-usc1-prod", "query-rewriter")].model_version.startswith("bb46c15e")
    assert as_of_50[("eks-use1-prod", "support-assistant")].replicas_desired == 1
    assert ("gke-usc1-prod", "kb-embeddings") not in as_of_50   # created 2026-09-30, after the first crawl
    # the previous month has cost lines: a whole month of deployments ran (priced or not: the price catalog
    # is migration data, which another transactional test may have flushed)
    previous = cost_report_build(month=month_previous(now.date()))
    assert sum(line.hours + line.unknown_hours for line in previous.lines) > 24 * 20 * 60   # 60 deployments, 20 days

    # teams registered with contacts and ownership rules; research (unregistered) is what unknown_team shows
    assert Team.objects.get(slug="search").contact == "#search-oncall"
    assert set(OwnershipRule.objects.values_list("namespace_pattern", flat=True)) == {
        f"{t}-*" for t in ("ads", "commerce", "devex", "docs", "growth", "legal", "platform", "risk", "search",
                           "support", "voice")}
    # the GitOps file source declares two of gke-euw4-prod's prod services
    declared = Deployment.objects.filter(source__kind="file")
    assert {(d.cluster_name, d.name) for d in declared} == {("gke-euw4-prod", "query-rewriter"),
                                                            ("gke-euw4-prod", "llm-gateway")}

    call_command("demo", "--no-serve")  # a second run re-points the sources and changes nothing
    assert "simulated history: skipped" in capsys.readouterr().out
    assert Source.objects.count() == len(kinds)
    latest = CrawlRun.objects.order_by("-pk")[: len(kinds)]
    assert all(run.deployments_new == 0 and run.deployments_ended == 0 for run in latest)


def test_the_fleet_60_days_ago_lacks_later_workloads_and_their_gpu_nodes():
    at = datetime(2026, 9, 23, tzinfo=UTC)
    fleet = fleet_as_of("demo", at=at, rewind=_as_60_days_ago)
    usc1 = fleet.cluster("gke-usc1-prod")
    assert "kb-embeddings" not in {w.name for w in usc1.workloads}
    assert usc1.pool("t4").count == 10 - 2          # kb-embeddings' two T4 nodes came with it
    assert "relevance-notebook" in {w.name for w in fleet.cluster("gke-usc1-nonprod").workloads}   # not serving
    assert fleet.cluster("eks-use1-prod").pool("h100").count == 1


@pytest.mark.django_db
def test_the_demo_refuses_production_mode(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    settings.EMBEDDED = False
    with pytest.raises(CommandError, match="embedded or debug mode only"):
        call_command("demo", "--no-serve")
    assert not Source.objects.exists()
