"""deployments_reconcile: rows, revisions, scopes, staleness, reappearance, ownership rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope
from footprint.inventory import ingest
from footprint.inventory.ingest import deployments_reconcile, material_hash
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    Model,
    OwnershipRule,
    Team,
)
from footprint.inventory.selectors import deployments_as_of, deployments_current, specs_from_rows

pytestmark = pytest.mark.django_db

JUNE_1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
JUNE_10 = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
JUNE_20 = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


def crawl(specs, *, at=JUNE_1, scopes=None, errors=None) -> CrawlResult:
    """A crawl observed at ``at``; by default it covered the whole source without errors."""
    return CrawlResult(
        specs=[replace(spec, observed_at=at) for spec in specs],
        scopes=[Scope()] if scopes is None else scopes,
        errors=errors or [],
        objects_seen=len(specs), pages=1, started_at=at, finished_at=at,
    )


def live(source):
    return {d.name: d for d in Deployment.objects.filter(source=source, ended_at__isnull=True)}


def test_first_crawl_creates_deployments_with_one_open_revision_each(file_source, make_spec):
    specs = [make_spec("chat"), make_spec("embed", engine="tei", model="BAAI/bge-m3", accelerator="L4",
                                          cluster="prod-b", region="eu-west-1", team="Ranking Team")]

    run = deployments_reconcile(source=file_source, result=crawl(specs))

    assert (run.status, run.deployments_new, run.deployments_unchanged, run.specs_seen) == ("ok", 2, 0, 2)
    chat = Deployment.objects.get(name="chat")
    assert chat.cluster_name == "prod-a" and chat.cluster.region == "us-east-1"
    assert (chat.engine, chat.accelerator_type, chat.accelerator_total, chat.replicas_desired) == (
        "vllm", "A100-80GB", 2.0, 2)
    assert chat.model.name == "meta-llama/Llama-3.1-8B-Instruct"
    assert chat.team.slug == "search"
    assert chat.spec == specs[0].to_dict()
    assert chat.spec_hash == material_hash(specs[0])
    assert (chat.first_seen, chat.last_seen, chat.ended_at, chat.stale) == (JUNE_1, JUNE_1, None, False)
    embed = Deployment.objects.get(name="embed")
    assert (embed.team.slug, embed.team.name) == ("ranking-team", "Ranking Team")
    revisions = DeploymentRevision.objects.all()
    assert len(revisions) == 2
    assert {(r.deployment_id, r.valid_from, r.valid_to) for r in revisions} == {
        (chat.pk, JUNE_1, None), (embed.pk, JUNE_1, None)}
    assert set(Cluster.objects.values_list("name", "cloud", "region")) == {
        ("prod-a", "aws", "us-east-1"), ("prod-b", "aws", "eu-west-1")}
    assert Model.objects.count() == 2
    file_source.refresh_from_db()
    assert (file_source.last_crawl_at, file_source.last_success_at, file_source.consecutive_failures) == (
        JUNE_1, JUNE_1, 0)


def test_unchanged_recrawl_writes_no_revision_and_refreshes_last_seen_and_ready(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("chat", ready=1)]))

    run = deployments_reconcile(source=file_source, result=crawl([make_spec("chat", ready=2)], at=JUNE_10))

    assert (run.deployments_new, run.deployments_changed, run.deployments_unchanged) == (0, 0, 1)
    assert DeploymentRevision.objects.count() == 1
    chat = Deployment.objects.get()
    assert (chat.first_seen, chat.last_seen, chat.replicas_ready) == (JUNE_1, JUNE_10, 2)
    assert chat.spec == make_spec("chat", ready=2, observed_at=JUNE_10).to_dict()
    assert chat.revisions.get().spec == make_spec("chat", ready=1, observed_at=JUNE_1).to_dict()


def test_unchanged_recrawl_can_set_ready_back_to_unknown(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("chat", ready=1)]))
    unknown = make_spec("chat")
    unknown = replace(unknown, replicas=replace(unknown.replicas, ready=None))

    deployments_reconcile(source=file_source, result=crawl([unknown], at=JUNE_10))

    chat = Deployment.objects.get()
    assert chat.replicas_ready is None
    assert chat.spec == replace(unknown, observed_at=JUNE_10).to_dict()
    assert specs_from_rows(rows=[chat]) == [replace(unknown, observed_at=JUNE_10)]


def test_material_change_closes_the_open_revision_and_opens_a_new_one(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("chat", image="vllm/vllm-openai:v0.6.3")]))

    run = deployments_reconcile(
        source=file_source,
        result=crawl([make_spec("chat", image="vllm/vllm-openai:v0.7.0", engine_version="0.7.0")], at=JUNE_10),
    )

    assert run.deployments_changed == 1
    old, new = DeploymentRevision.objects.order_by("valid_from")
    assert (old.valid_from, old.valid_to, old.engine_version) == (JUNE_1, JUNE_10, "0.6.3")
    assert (new.valid_from, new.valid_to, new.engine_version) == (JUNE_10, None, "0.7.0")
    chat = Deployment.objects.get()
    assert (chat.engine_version, chat.image, chat.spec_hash) == ("0.7.0", "vllm/vllm-openai:v0.7.0", new.spec_hash)


def test_as_of_returns_what_ran_at_a_past_instant(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([
        make_spec("chat", version="v1"), make_spec("eu-chat", cluster="prod-eu", region="eu-west-1", version="v1"),
    ]))
    deployments_reconcile(source=file_source, result=crawl([
        make_spec("chat", version="v2"), make_spec("eu-chat", cluster="prod-eu", region="eu-west-1", version="v2"),
    ], at=JUNE_20))

    june_10 = deployments_as_of(at=JUNE_10, region="eu-west-1")
    assert [(r.name, r.model_version) for r in june_10] == [("eu-chat", "v1")]
    assert [(r.name, r.model_version) for r in deployments_as_of(at=JUNE_20, cluster="prod-a")] == [("chat", "v2")]
    assert list(deployments_as_of(at=JUNE_1 - timedelta(seconds=1))) == []
    specs = specs_from_rows(rows=deployments_as_of(at=JUNE_10, source=file_source))
    assert [(s.workload.name, s.model.version) for s in specs] == [("chat", "v1"), ("eu-chat", "v1")]


def test_as_of_is_one_query(file_source, make_spec, django_assert_num_queries):
    deployments_reconcile(source=file_source, result=crawl([make_spec(f"d{i}") for i in range(5)]))
    with django_assert_num_queries(1):
        rows = list(deployments_as_of(at=JUNE_10, cluster="prod-a"))
        assert [r.model.name for r in rows] and [r.team.slug for r in rows] and [r.source.name for r in rows]


def test_partial_crawl_ends_only_inside_covered_scope_and_marks_errored_cluster_stale(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([
        make_spec("a1", cluster="A"), make_spec("a2", cluster="A"),
        make_spec("b1", cluster="B"), make_spec("b2", cluster="B"),
        make_spec("c1", cluster="C"),
    ]))
    message = "403 Forbidden: cannot list deployments.apps in cluster B"

    run = deployments_reconcile(source=file_source, result=crawl(
        [make_spec("a1", cluster="A"), make_spec("b1", cluster="B")], at=JUNE_10,
        scopes=[Scope(cluster="A")], errors=[CrawlError(Scope(cluster="B"), ErrorKind.FORBIDDEN, message)],
    ))

    assert (run.status, run.deployments_ended, run.deployments_stale, run.deployments_unchanged) == (
        "partial", 1, 1, 2)
    assert run.errors == [{"scope": "B", "kind": "forbidden", "message": message}]
    assert run.scopes == [{"cluster": "A", "namespace": None}]
    rows = {d.name: d for d in Deployment.objects.all()}
    assert rows["a2"].ended_at == JUNE_10
    assert rows["a2"].revisions.get().valid_to == JUNE_10
    assert (rows["b2"].ended_at, rows["b2"].stale, rows["b2"].stale_reason, rows["b2"].stale_since) == (
        None, True, message, JUNE_10)
    assert rows["b2"].revisions.get().valid_to is None
    assert (rows["b1"].stale, rows["a1"].stale) == (False, False)
    # C was neither listed nor in error: left exactly as it was.
    assert (rows["c1"].ended_at, rows["c1"].stale, rows["c1"].last_seen) == (None, False, JUNE_1)


def test_staleness_keeps_its_start_and_clears_when_seen_again(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("b1", cluster="B")]))
    error = CrawlError(Scope(cluster="B"), ErrorKind.UNREACHABLE, "timeout")
    deployments_reconcile(source=file_source, result=crawl([], at=JUNE_10, scopes=[], errors=[error]))
    deployments_reconcile(source=file_source, result=crawl([], at=JUNE_20, scopes=[], errors=[error]))
    assert Deployment.objects.get().stale_since == JUNE_10

    deployments_reconcile(source=file_source, result=crawl([make_spec("b1", cluster="B")], at=JUNE_20))

    b1 = Deployment.objects.get()
    assert (b1.stale, b1.stale_reason, b1.stale_since, b1.last_seen) == (False, "", None, JUNE_20)


def test_errors_win_over_scopes_nothing_ends_where_the_listing_failed(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("x", namespace="llm")]))
    error = CrawlError(Scope(cluster="prod-a", namespace="llm"), ErrorKind.PARTIAL_LISTING, "410 continue expired")

    run = deployments_reconcile(source=file_source, result=crawl([], at=JUNE_10, scopes=[Scope()], errors=[error]))

    assert (run.status, run.deployments_ended, run.deployments_stale) == ("partial", 0, 1)
    assert Deployment.objects.get().ended_at is None


def test_failed_crawl_ends_nothing(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("a"), make_spec("b", cluster="B")]))
    error = CrawlError(Scope(), ErrorKind.AUTH, "401 Unauthorized: token expired")

    run = deployments_reconcile(source=file_source, result=crawl([], at=JUNE_10, scopes=[], errors=[error]))

    assert (run.status, run.deployments_ended, run.deployments_stale) == ("failed", 0, 2)
    assert Deployment.objects.filter(ended_at__isnull=True).count() == 2
    assert DeploymentRevision.objects.filter(valid_to__isnull=True).count() == 2
    assert set(Deployment.objects.values_list("stale_reason", flat=True)) == {"401 Unauthorized: token expired"}
    file_source.refresh_from_db()
    assert (file_source.consecutive_failures, file_source.last_success_at, file_source.last_crawl_at) == (
        1, JUNE_1, JUNE_10)


def test_reappearing_deployment_is_reopened_with_a_new_revision(file_source, make_spec):
    deployments_reconcile(source=file_source, result=crawl([make_spec("chat"), make_spec("other")]))
    run = deployments_reconcile(source=file_source, result=crawl([make_spec("other")], at=JUNE_10))
    assert run.deployments_ended == 1

    run = deployments_reconcile(source=file_source, result=crawl([make_spec("chat"), make_spec("other")], at=JUNE_20))

    assert (run.deployments_new, run.deployments_reopened, run.deployments_unchanged) == (1, 1, 1)
    chat = Deployment.objects.get(name="chat")
    assert (chat.ended_at, chat.first_seen, chat.last_seen) == (None, JUNE_1, JUNE_20)
    assert [(r.valid_from, r.valid_to) for r in chat.revisions.order_by("valid_from")] == [
        (JUNE_1, JUNE_10), (JUNE_20, None)]
    assert [r.name for r in deployments_as_of(at=JUNE_10 + timedelta(days=1))] == ["other"]
    assert Deployment.objects.count() == 2


def test_ownership_rule_assigns_a_team_to_specs_without_one(file_source, make_spec):
    search = Team.objects.create(slug="search", name="Search")
    ml = Team.objects.create(slug="ml-platform", name="ML Platform")
    broad = OwnershipRule.objects.create(priority=100, namespace_pattern="*", team=search)
    labelled = OwnershipRule.objects.create(priority=10, label_key="app.kubernetes.io/part-of",
                                            label_value="rag-*", team=ml)
    OwnershipRule.objects.create(priority=1, cluster_pattern="*", team=ml, enabled=False)

    deployments_reconcile(source=file_source, result=crawl([
        make_spec("rag", team=None, labels={"app.kubernetes.io/part-of": "rag-prod"}),
        make_spec("chat", team=None),
        make_spec("owned", team="ads"),
    ]))

    rows = {d.name: d for d in Deployment.objects.select_related("team")}
    assert (rows["rag"].team, rows["rag"].owner_source) == (ml, f"rule:{labelled.pk}")
    assert rows["rag"].spec["owner"] == {"team": "ml-platform", "contact": None, "source": f"rule:{labelled.pk}"}
    assert (rows["chat"].team, rows["chat"].owner_source) == (search, f"rule:{broad.pk}")
    assert (rows["owned"].team.slug, rows["owned"].owner_source) == ("ads", "label:team")
    assert rows["rag"].revisions.get().team == ml


def test_deployments_without_cluster_or_unit_keep_distinct_identities(file_source, make_spec):
    specs = [make_spec("ray", cluster=None, unit="app-a"), make_spec("ray", cluster=None, unit="app-b"),
             make_spec("ray", cluster=None)]
    deployments_reconcile(source=file_source, result=crawl(specs))
    run = deployments_reconcile(source=file_source, result=crawl(specs, at=JUNE_10))

    assert run.deployments_unchanged == 3
    assert sorted(Deployment.objects.values_list("unit", flat=True)) == ["", "app-a", "app-b"]
    assert Deployment.objects.filter(cluster__isnull=True).count() == 3


def test_many_batches_give_the_same_result(file_source, make_spec, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_SIZE", 3)
    first = [make_spec(f"d{i:02}", cluster=f"c{i % 4}", team=f"team-{i % 5}", model=f"org/model-{i % 7}")
             for i in range(20)]
    deployments_reconcile(source=file_source, result=crawl(first))
    second = [make_spec(s.workload.name, cluster=s.workload.cluster, team=s.owner.team, model=s.model.name,
                        version="v2" if i % 2 else None) for i, s in enumerate(first[:16])]

    run = deployments_reconcile(source=file_source, result=crawl(second, at=JUNE_10))

    assert (run.deployments_changed, run.deployments_unchanged, run.deployments_ended) == (8, 8, 4)
    assert (Team.objects.count(), Model.objects.count(), Cluster.objects.count()) == (5, 7, 4)
    assert DeploymentRevision.objects.count() == 28
    assert DeploymentRevision.objects.filter(valid_to__isnull=True).count() == 16
    assert deployments_current().count() == 16


def test_crawl_run_completes_a_running_run(file_source, make_spec):
    running = CrawlRun.objects.create(source=file_source, started_at=JUNE_1 - timedelta(minutes=5))

    run = deployments_reconcile(source=file_source, result=crawl([make_spec()]), run=running)

    running.refresh_from_db()
    assert run.pk == running.pk
    assert (running.status, running.started_at, running.finished_at, running.deployments_new) == (
        "ok", JUNE_1 - timedelta(minutes=5), JUNE_1, 1)
    assert CrawlRun.objects.count() == 1


def test_sources_do_not_see_each_others_deployments(file_source, make_spec):
    from footprint.inventory.models import Source

    other = Source.objects.create(name="other", kind="file")
    deployments_reconcile(source=file_source, result=crawl([make_spec("chat")]))

    run = deployments_reconcile(source=other, result=crawl([make_spec("chat")], at=JUNE_10))

    assert (run.deployments_new, run.deployments_ended) == (1, 0)
    assert deployments_current(source="fleet").count() == 1
    assert deployments_current(source=other).count() == 1
