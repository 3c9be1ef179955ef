"""Declared copies: a file source's workloads in a cluster that a crawled source lists completely are
declarations (desired state, for drift.desired_live), not a second running deployment. The inventory, the
pages, the API's listings and the costs count each such workload once, as the crawl saw it; a file source's
workloads in a cluster no crawled source lists still count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from collectors.spec import CrawlResult, Scope
from footprint.costs.report import cost_report_build
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Cluster, Deployment, DeploymentRevision, Source
from footprint.inventory.selectors import declared_copies_exclude, deployments_as_of, deployments_current
from tests.conftest import spec_make

pytestmark = pytest.mark.django_db

OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)
OCT_15 = datetime(2026, 10, 15, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def spec(name, **fields):
    # A10G in us-east-1: priced (g5.xlarge) with no GPU node hint.
    return replace(spec_make(name, accelerator="A10G", per_replica=1, replicas=2, **fields), observed_at=OCT_1)


def crawl(source: Source, specs, *, scopes) -> None:
    deployments_reconcile(source=source, now=OCT_1, result=CrawlResult(
        specs=list(specs), scopes=scopes, started_at=OCT_1, finished_at=OCT_1))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The pages cache fleet totals per process: no other test's database through them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fleet(file_source):
    """The repo ("fleet", a file source) declares llm/chat in prod-a, which the "clusters" kubernetes source
    lists completely and runs; and llm/solo in gitops-only, which no crawled source lists."""
    crawl(file_source, [spec("chat"), spec("solo", cluster="gitops-only")], scopes=[Scope()])
    clusters = Source.objects.create(name="clusters", kind="kubernetes")
    crawl(clusters, [spec("chat")], scopes=[Scope(cluster="prod-a")])
    return file_source


def where(rows) -> list[tuple[str, str, str]]:
    return sorted((row.source.name, row.cluster_name, row.name) for row in rows)


COUNTED = [("clusters", "prod-a", "chat"), ("fleet", "gitops-only", "solo")]


def test_current_inventory_counts_the_declared_copy_once(fleet, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert where(deployments_current(declared=False)) == COUNTED
    # The findings context reads every row (the declarations are compared with what runs).
    assert where(deployments_current()) == sorted([*COUNTED, ("fleet", "prod-a", "chat")])
    assert where(declared_copies_exclude(Deployment.objects.select_related("source"))) == COUNTED


def test_revisions_and_as_of_leave_the_declared_copy_out_too(fleet):
    revisions = declared_copies_exclude(DeploymentRevision.objects.select_related("source"))
    assert where(revisions) == COUNTED
    assert where(deployments_as_of(at=OCT_15, declared=False)) == COUNTED
    assert len(deployments_as_of(at=OCT_15)) == 3


def test_a_file_source_alone_in_a_cluster_counts_normally(file_source):
    crawl(file_source, [spec("chat")], scopes=[Scope()])
    clusters = Source.objects.create(name="clusters", kind="kubernetes")
    crawl(clusters, [spec("other", cluster="prod-b")], scopes=[Scope(cluster="prod-b")])
    assert where(deployments_current(declared=False)) == [("clusters", "prod-b", "other"), ("fleet", "prod-a", "chat")]


def test_a_cluster_the_crawl_did_not_list_completely_is_not_crawled(file_source):
    crawl(file_source, [spec("chat")], scopes=[Scope()])
    clusters = Source.objects.create(name="clusters", kind="kubernetes")
    crawl(clusters, [spec("chat")], scopes=[])   # no complete listing of prod-a: nothing to trust as "what runs"
    assert len(deployments_current(declared=False)) == 2


def test_the_findings_context_still_sees_the_declaration(fleet):
    from footprint.findings.context import context_build

    context = context_build(now=OCT_15)
    assert [(d.declared.row.source.name, d.live.row.source.name) for d in context.declarations] == [("fleet", "clusters")]


def test_inventory_page_and_csv_count_it_once(admin_client, fleet):
    response = admin_client.get("/inventory/")
    assert where(row["row"] for row in response.context["table"]) == COUNTED
    csv_rows = b"".join(admin_client.get("/inventory/export.csv").streaming_content).decode().splitlines()
    assert len(csv_rows) == 1 + 2
    as_of = admin_client.get("/inventory/", {"as_of": "2026-10-15"})
    assert where(row["row"] for row in as_of.context["table"]) == COUNTED
    # Filtering on the file source shows what it declares.
    declared = admin_client.get("/inventory/", {"source": "fleet"})
    assert where(row["row"] for row in declared.context["table"]) == [("fleet", "gitops-only", "solo"),
                                                                     ("fleet", "prod-a", "chat")]


def test_overview_models_teams_and_clusters_pages_count_it_once(admin_client, fleet):
    overview = admin_client.get("/")
    assert overview.status_code == 200
    assert overview.context["counts"]["deployments"] == 2
    models = admin_client.get("/models/").context["models"]
    assert [row["deployments_live"] for row in models] == [2]
    model = Deployment.objects.filter(model__isnull=False).first().model
    detail = admin_client.get(f"/models/{model.pk}/").context
    assert detail["grid"]["count"] == 2 and detail["history"]["deployments"] == 2
    teams = {row["slug"]: row["deployments_live"] for row in admin_client.get("/teams/").context["teams"]}
    assert teams["search"] == 2
    assert admin_client.get("/teams/search/").context["deployments"] == 2
    clusters = {(c.source.name, c.name): c.deployments_live for c in admin_client.get("/clusters/").context["clusters"]}
    assert clusters == {("clusters", "prod-a"): 1, ("fleet", "prod-a"): 0, ("fleet", "gitops-only"): 1}
    declared = Cluster.objects.get(source=fleet, name="prod-a")
    detail = admin_client.get(f"/clusters/{declared.pk}/").context
    assert detail["cluster"].deployments_live == 0 and detail["deployments"] == []


def test_api_lists_it_once_unless_asked_for_the_file_source(fleet, admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)

    def listed(**params):
        response = api.get("/api/v1/deployments/", params)
        assert response.status_code == 200, response.content
        return sorted((item["source"], item["cluster"], item["name"]) for item in response.json()["results"])

    assert listed() == COUNTED
    assert listed(as_of="2026-10-15") == COUNTED
    assert listed(source="fleet") == [("fleet", "gitops-only", "solo"), ("fleet", "prod-a", "chat")]
    assert listed(source_id=str(fleet.pk)) == [("fleet", "gitops-only", "solo"), ("fleet", "prod-a", "chat")]
    assert len(listed(declared="include")) == 3
    assert listed(source="fleet", declared="exclude") == [("fleet", "gitops-only", "solo")]
    assert api.get("/api/v1/deployments/", {"declared": "maybe"}).status_code == 400
    specs = api.get("/api/v1/modelspecs/").json()["items"]
    assert sorted(s["workload"]["name"] for s in specs) == ["chat", "solo"]
    assert len(api.get("/api/v1/modelspecs/", {"source": "fleet"}).json()["items"]) == 2
    models = api.get("/api/v1/models/").json()["results"]
    assert [m["live_deployments"] for m in models] == [2]


def test_the_months_cost_counts_it_once(fleet):
    report = cost_report_build(month=date(2026, 10, 1), now=LATER)
    lines = {(line.cluster, line.name): line for line in report.lines}
    assert sorted(lines) == [("gitops-only", "solo"), ("prod-a", "chat")]
    crawled = Deployment.objects.get(source__name="clusters")
    assert lines[("prod-a", "chat")].deployment_id == crawled.pk
    assert lines[("prod-a", "chat")].cost == lines[("gitops-only", "solo")].cost > 0
    assert report.total == lines[("prod-a", "chat")].cost * 2
