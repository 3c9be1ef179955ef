"""Findings and sources pages: what they show, their filters, who may acknowledge / snooze / accept the risk
of a finding or start a crawl, and a constant number of queries whatever the number of rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from footprint.accounts.models import Membership
from footprint.findings.models import Finding, FindingEvent
from footprint.inventory.models import Cluster, CrawlRun, Deployment, Model, Source, Team
from footprint.inventory.sources import source_create
from footprint.web import views_ops

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture
def teams(db):
    return {slug: Team.objects.create(slug=slug, name=slug.title()) for slug in ("search", "ads")}


@pytest.fixture
def source(db):
    return Source.objects.create(name="fleet", kind="file")


@pytest.fixture
def clusters(source):
    return {name: Cluster.objects.create(source=source, name=name, cloud="aws", region="us-east-1")
            for name in ("prod-a", "prod-b")}


def deployment(source, cluster, name, *, model="meta-llama/Llama-3.1-8B-Instruct", team=None, version=""):
    return Deployment.objects.create(
        source=source, cluster=cluster, cluster_name=cluster.name, namespace="llm", kind="Deployment", name=name,
        model=Model.objects.get_or_create(name=model)[0], team=team, model_version=version, spec={},
        spec_hash=name, first_seen=T0, last_seen=T0)


def finding(rule="orphans.zero_ready", *, subject="prod-a/llm/chat", severity="high", team=None, cluster=None,
            deployment=None, impact=Decimal("100.00"), evidence=None, action=None, key=None, status="open",
            title=None, events=True) -> Finding:
    key = key or f"deployment:{subject}"
    row = Finding.objects.create(
        rule=rule, title=title or f"{rule} on {subject}", severity=severity, status=status,
        fingerprint=hashlib.sha256(f"{rule}{key}".encode()).hexdigest(), key=key, subject=subject,
        team=team, cluster=cluster, deployment=deployment, evidence=evidence or {}, impact_monthly=impact,
        impact_basis="1 × g6.xlarge at $0.80/h" if impact is not None else "not priced: pending pods",
        action=action or {}, first_seen=T0, opened_at=T0, last_seen=T0,
        resolved_at=T0 + timedelta(days=1) if status == "resolved" else None)
    if events:
        FindingEvent.objects.create(finding=row, kind="opened", at=T0, data={"severity": severity})
    return row


def user_with(django_user_model, username, *, role=None, teams=()):
    user = django_user_model.objects.create_user(username=username, password="pw-123456789")
    if role:
        user.groups.add(Group.objects.get(name=role))
    for team in teams:
        Membership.objects.create(user=user, team=team)
    return user


@pytest.fixture
def search_operator(django_user_model, teams):
    return user_with(django_user_model, "olga", role="operator", teams=[teams["search"]])


@pytest.fixture
def ads_operator(django_user_model, teams):
    return user_with(django_user_model, "omar", role="operator", teams=[teams["ads"]])


@pytest.fixture
def viewer(django_user_model):
    return user_with(django_user_model, "vera")


def logged_in(client, user):
    client.force_login(user)
    return client


DRIFT_EVIDENCE = {
    "group": ["model", "Qwen/Qwen2.5-7B-Instruct", "prod"],
    "versions": {"a09a354": ["prod-a/llm/qwen"], "bb46c15": ["prod-b/llm/qwen", "prod-c/llm/qwen"]},
    "deployments": [
        {"deployment": 1, "where": "prod-a/llm/qwen", "cloud": "aws", "model": "Qwen/Qwen2.5-7B-Instruct",
         "version": "a09a354", "engine": "vllm", "engineVersion": "0.6.3", "accelerator": "L4",
         "replicas": {"desired": 2, "ready": 2, "min": None, "max": None}, "variant": None},
        {"deployment": 2, "where": "prod-b/llm/qwen", "cloud": "aws", "model": "Qwen/Qwen2.5-7B-Instruct",
         "version": "bb46c15", "engine": "vllm", "engineVersion": "0.6.3", "accelerator": "L4",
         "replicas": {"desired": 3, "ready": 3, "min": 2, "max": 6}, "variant": None},
        {"deployment": 3, "where": "prod-c/llm/qwen", "cloud": "aws", "model": "Qwen/Qwen2.5-7B-Instruct",
         "version": "bb46c15", "engine": "vllm", "engineVersion": "0.6.3", "accelerator": "L4",
         "replicas": {"desired": 1, "ready": 1, "min": None, "max": None}, "variant": None},
    ],
}


# ------------------------------------------------------------------------------------------ findings list

def test_pages_need_a_login(client):
    for url in ("/findings/", "/findings/1/", "/sources/", "/sources/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_list_shows_open_findings_biggest_impact_first_with_counts_by_severity(admin_client, teams, clusters):
    finding("waste.wrong_gpu", subject="prod-a/llm/small", severity="medium", impact=Decimal("8869.79"),
            team=teams["search"], title="8B on H100")
    finding("orphans.zero_ready", subject="prod-a/llm/broken", severity="high", impact=Decimal("2681.29"),
            title="zero ready")
    finding("waste.pending_gpu_pods", subject="prod-b/llm", severity="medium", impact=None, title="pending pods")
    finding("orphans.old_canary", subject="prod-a/llm/gone", severity="low", status="resolved", title="old canary")

    response = admin_client.get("/findings/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("8B on H100") < page.index("zero ready") < page.index("pending pods")   # $ desc, unpriced last
    assert "old canary" not in page                                                         # open by default
    assert "$8,869.79" in page and "not priced" in page
    by_severity = {row["severity"]: row for row in response.context["by_severity"]}
    assert by_severity["medium"]["count"] == 2 and by_severity["high"]["count"] == 1
    assert by_severity["medium"]["impact"] == Decimal("8869.79") and by_severity["low"]["count"] == 0
    assert response.context["total"] == 3 and response.context["total_impact"] == Decimal("11551.08")


def _titles(client, query: str) -> set[str]:
    response = client.get(f"/findings/?{query}")
    assert response.status_code == 200
    return {f.title for f in response.context["findings"]}


def test_filters(admin_client, teams, clusters, source, search_operator):
    qwen = deployment(source, clusters["prod-a"], "qwen", model="Qwen/Qwen2.5-7B-Instruct", team=teams["search"])
    finding("orphans.zero_ready", subject="prod-a/llm/qwen", severity="high", team=teams["search"],
            cluster=clusters["prod-a"], deployment=qwen, title="A")
    finding("drift.version", subject="Qwen/Qwen2.5-7B-Instruct/prod", severity="medium", team=teams["search"],
            key="group:model|Qwen/Qwen2.5-7B-Instruct|prod", evidence=DRIFT_EVIDENCE, title="B")
    finding("waste.idle_gpu_nodes", subject="prod-b/node-1", severity="high", cluster=clusters["prod-b"], title="C")
    finding("orphans.old_canary", subject="prod-b/llm/ads", severity="low", team=teams["ads"],
            cluster=clusters["prod-b"], status="resolved", title="D")
    acked = finding("waste.duplicates", subject="dup", severity="medium", team=teams["ads"], title="E")
    acked.acknowledged_at, acked.acknowledged_by = T0, "olga"
    acked.save()
    snoozed = finding("waste.duplicates", subject="dup2", key="x2", severity="medium", title="F")
    snoozed.snoozed_until = timezone.now() + timedelta(days=3)
    snoozed.save()

    assert _titles(admin_client, "severity=high") == {"A", "C"}
    assert _titles(admin_client, "severity=high&severity=low&status=all") == {"A", "C", "D"}
    assert _titles(admin_client, "rule=drift.version") == {"B"}
    assert _titles(admin_client, "team=search") == {"A", "B"}
    assert _titles(admin_client, "team=-") == {"C", "F"}
    assert _titles(admin_client, "cluster=prod-b") == {"C"}
    assert _titles(admin_client, "cluster=prod-b&status=all") == {"C", "D"}
    assert _titles(admin_client, "status=resolved") == {"D"}
    # a model's findings: on its deployments, and fleet-group findings (drift) named after it
    assert _titles(admin_client, "model=Qwen/Qwen2.5-7B-Instruct") == {"A", "B"}
    assert _titles(admin_client, "state=acknowledged") == {"E"}
    assert _titles(admin_client, "state=snoozed") == {"F"}
    assert _titles(admin_client, "state=new") == {"A", "B", "C"}
    assert _titles(admin_client, "q=node-1") == {"C"}
    # the filter form sends its empty fields: they mean "any"
    assert _titles(admin_client, "status=open&severity=&rule=drift.version&team=&cluster=&model=&state=&q=") == {"B"}
    # an unknown value is a form error and an empty list, not a 500
    response = admin_client.get("/findings/?severity=urgent")
    assert response.status_code == 200 and list(response.context["findings"]) == []
    assert "Invalid filters" in response.content.decode()


def test_list_pages_through_many_findings(admin_client, monkeypatch):
    monkeypatch.setattr(views_ops, "FINDINGS_PAGE_SIZE", 2)
    for i in range(5):
        finding(subject=f"prod-a/llm/d{i}", impact=Decimal(100 + i), title=f"T{i}")
    first = admin_client.get("/findings/?severity=high")
    assert [f.title for f in first.context["findings"]] == ["T4", "T3"]
    assert "page 1 of 3" in first.content.decode() and "severity=high&amp;status=open&amp;page=2" in first.content.decode()
    assert [f.title for f in admin_client.get("/findings/?severity=high&page=3").context["findings"]] == ["T0"]


# ----------------------------------------------------------------------------------------- finding detail

def test_detail_renders_evidence_as_facts_and_tables_never_raw_json(client, teams, source, clusters,
                                                                     search_operator):
    qwen = deployment(source, clusters["prod-a"], "qwen-a", model="Qwen/Qwen2.5-7B-Instruct", team=teams["search"])
    found = finding("drift.version", subject="Qwen/Qwen2.5-7B-Instruct/prod", severity="medium",
                    team=teams["search"], impact=Decimal(0), key="group:model|Qwen/Qwen2.5-7B-Instruct|prod",
                    evidence=DRIFT_EVIDENCE,
                    action={"kind": "align-version", "version": "bb46c15", "deployments": [qwen.pk]})
    FindingEvent.objects.create(finding=found, kind="acknowledged", at=T0 + timedelta(hours=2), actor="olga",
                                note="looking into it")

    response = logged_in(client, search_operator).get(f"/findings/{found.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "$0.00" in page and "1 × g6.xlarge at $0.80/h" in page                    # impact and its basis
    assert "Model version differs across clusters" in page                          # the rule's title
    assert "Group</dt><dd>model, Qwen/Qwen2.5-7B-Instruct, prod" in page             # a list as one fact
    assert "prod-b/llm/qwen, prod-c/llm/qwen" in page                                # versions table
    assert "Engine version" in page and "2/2 ready" in page and "3/3 ready (autoscaled 2–6)" in page
    # the odd one out is marked
    assert '<td class="diff" title="differs from the others">a09a354</td>' in page
    assert "{&quot;" not in page and '{"' not in page and "None" not in page        # no raw JSON, no Python
    # the action, with deployment ids turned into places, and the link to request it
    assert "Align the model version" in page and "prod-a/llm/qwen-a" in page
    assert f'href="/actions/new?finding={found.pk}"' in page
    assert f'<a href="/models/{qwen.model_id}/">Model Qwen/Qwen2.5-7B-Instruct</a>' in page   # from the group key
    # history: who and when
    assert "Acknowledged</strong> by olga" in page and "looking into it" in page and "Opened</strong> by Footprint" in page
    # forms, for an operator of the team
    assert f'action="/findings/{found.pk}/acknowledge/"' in page and 'name="until"' in page and 'name="reason"' in page


def test_detail_is_read_only_for_a_viewer_and_another_teams_operator(client, teams, viewer, ads_operator):
    found = finding(team=teams["search"], action={"kind": "scale", "deployment": 999, "replicas": 0})
    for user in (viewer, ads_operator):
        page = logged_in(client, user).get(f"/findings/{found.pk}/").content.decode()
        assert "Read-only" in page
        assert "/acknowledge/" not in page and 'name="reason"' not in page
        assert "/actions/new" not in page and "can request this action" in page
        assert "deployment #999" in page   # an id no longer in the inventory still reads as something


def test_detail_of_a_resolved_finding_has_no_forms(admin_client):
    found = finding(status="resolved")
    page = admin_client.get(f"/findings/{found.pk}/").content.decode()
    assert "Resolved: the condition cleared" in page and "/acknowledge/" not in page


def test_unknown_finding_is_a_404(admin_client):
    assert admin_client.get("/findings/999/").status_code == 404
    assert admin_client.post("/findings/999/acknowledge/").status_code == 404


# ---------------------------------------------------------------------- acknowledge / snooze / accept risk

def test_operator_of_the_team_acknowledges_snoozes_and_accepts(client, teams, search_operator):
    found = finding(team=teams["search"])
    client = logged_in(client, search_operator)
    tomorrow = (timezone.now() + timedelta(days=2)).date()

    ack = client.post(f"/findings/{found.pk}/acknowledge/", {"note": "on it"}, follow=True)
    snooze = client.post(f"/findings/{found.pk}/snooze/", {"until": tomorrow.isoformat()}, follow=True)
    accept = client.post(f"/findings/{found.pk}/accept/", {"reason": "batch job, needs the GPUs"}, follow=True)

    assert ack.redirect_chain == [(f"/findings/{found.pk}/", 302)]
    assert "Acknowledged." in ack.content.decode() and "Snoozed." in snooze.content.decode()
    assert "Risk accepted." in accept.content.decode()
    found.refresh_from_db()
    assert found.acknowledged_by == "olga" and found.acknowledged_at is not None
    assert found.snoozed_until == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
    assert found.risk_accepted_by == "olga" and found.risk_accepted_reason == "batch job, needs the GPUs"
    events = list(found.events.order_by("id").values_list("kind", "actor", "note"))
    assert events[1:] == [("acknowledged", "olga", "on it"), ("snoozed", "olga", ""),
                          ("risk_accepted", "olga", "batch job, needs the GPUs")]
    page = accept.content.decode()
    assert "acknowledged by olga" in page and f"snoozed until {tomorrow.isoformat()}" in page
    assert "risk accepted by olga" in page


@pytest.mark.parametrize("who", ["viewer", "ads_operator"])
@pytest.mark.parametrize("command,data", [("acknowledge", {}), ("snooze", {"until": "2099-01-01"}),
                                          ("accept", {"reason": "because"})])
def test_viewer_and_other_teams_operator_are_refused(client, teams, request, who, command, data):
    found = finding(team=teams["search"])
    response = logged_in(client, request.getfixturevalue(who)).post(f"/findings/{found.pk}/{command}/", data)
    assert response.status_code == 403
    found.refresh_from_db()
    assert found.events.count() == 1 and found.acknowledged_at is None and found.snoozed_until is None
    assert found.risk_accepted_at is None


def test_unowned_finding_is_for_admins_only(client, admin_client, search_operator):
    found = finding(team=None)
    assert logged_in(client, search_operator).post(f"/findings/{found.pk}/acknowledge/").status_code == 403
    assert admin_client.post(f"/findings/{found.pk}/acknowledge/").status_code == 302
    found.refresh_from_db()
    assert found.acknowledged_by == "admin"


def test_invalid_input_is_reported_and_changes_nothing(client, teams, search_operator):
    found = finding(team=teams["search"])
    client = logged_in(client, search_operator)

    past = client.post(f"/findings/{found.pk}/snooze/", {"until": date(2020, 1, 1).isoformat()}, follow=True)
    no_reason = client.post(f"/findings/{found.pk}/accept/", {"reason": "  "}, follow=True)

    assert "Not saved: until: snooze until a day in the future" in past.content.decode()
    assert "Not saved: reason: This field is required." in no_reason.content.decode()
    found.refresh_from_db()
    assert found.snoozed_until is None and found.risk_accepted_at is None and found.events.count() == 1


def test_resolved_finding_cannot_be_managed_and_commands_are_post_only(admin_client):
    found = finding(status="resolved")
    response = admin_client.post(f"/findings/{found.pk}/acknowledge/", follow=True)
    assert "This finding is resolved" in response.content.decode()
    found.refresh_from_db()
    assert found.acknowledged_at is None
    assert admin_client.get(f"/findings/{found.pk}/acknowledge/").status_code == 405


# ------------------------------------------------------------------------------------------------ sources

@pytest.fixture
def kube_source(db):
    return source_create(name="kube", kind="kubernetes", interval_minutes=30,
                         credentials={"kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\n"})


def crawl_run(source, *, status="ok", at=T0, errors=()):
    return CrawlRun.objects.create(source=source, started_at=at, finished_at=at + timedelta(seconds=12),
                                   status=status, errors=list(errors), deployments_new=3, objects_seen=40)


def test_sources_list_shows_health_and_crawl_now_for_operators(client, admin_client, kube_source, source, viewer,
                                                               search_operator):
    crawl_run(kube_source, status="failed", errors=[{"scope": "*", "kind": "unreachable", "message": "refused"}])
    Source.objects.filter(pk=kube_source.pk).update(consecutive_failures=2, last_crawl_at=T0)
    crawl_run(source, status="ok")

    response = logged_in(client, viewer).get("/sources/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "kube" in page and "Kubernetes (kubeconfig)" in page and "30 min" in page
    assert "fed by ingest" in page            # a file source has no schedule
    assert "due now" in page                  # the beat entry never ran
    assert '<span class="badge failed">2</span>' in page and '<span class="badge failed">failed</span>' in page
    assert "Crawl now" not in page            # a viewer may not crawl
    assert "Crawl now" in logged_in(client, search_operator).get("/sources/").content.decode()
    assert "Crawl now" in admin_client.get("/sources/").content.decode()


def test_source_detail_shows_runs_and_errors_per_scope(admin_client, kube_source):
    Cluster.objects.create(source=kube_source, name="prod-a", cloud="gcp", region="us-central1")
    crawl_run(kube_source, status="ok", at=T0)
    crawl_run(kube_source, status="partial", at=T0 + timedelta(hours=1), errors=[
        {"scope": "prod-b", "kind": "forbidden", "message": "403 Forbidden: cannot list pods"},
        {"scope": "prod-a/team-x", "kind": "forbidden", "message": "403 in namespace team-x"},
    ])

    response = admin_client.get(f"/sources/{kube_source.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("partial") < page.index('<span class="badge ok">ok</span>')     # newest first
    assert "2 in 2 scopes" in page and "3 new, 0 changed" in page and "12.0 s" in page
    assert "<td>prod-b</td><td>all</td><td>forbidden</td><td>403 Forbidden: cannot list pods</td>" in page
    assert "<td>prod-a</td><td>team-x</td>" in page
    assert "prod-a" in page and "us-central1" in page                                  # its clusters
    assert "apiVersion" not in page                                                    # credentials never shown
    assert 'id="crawl-now"' in page
    assert response.context["source"].next_crawl_at is not None


def test_crawl_now_enqueues_for_operators_only(client, admin_client, kube_source, viewer, search_operator,
                                               monkeypatch):
    enqueued = []
    monkeypatch.setattr(views_ops, "source_crawl_enqueue", lambda *, source: enqueued.append(source.name))

    assert logged_in(client, viewer).post(f"/sources/{kube_source.pk}/crawl/").status_code == 403
    assert enqueued == []
    response = logged_in(client, search_operator).post(f"/sources/{kube_source.pk}/crawl/", follow=True)
    assert enqueued == ["kube"] and "Crawl of kube enqueued" in response.content.decode()
    assert response.redirect_chain == [(f"/sources/{kube_source.pk}/", 302)]

    Source.objects.filter(pk=kube_source.pk).update(enabled=False)
    response = admin_client.post(f"/sources/{kube_source.pk}/crawl/", follow=True)
    assert enqueued == ["kube"] and "is disabled" in response.content.decode()
    assert admin_client.get(f"/sources/{kube_source.pk}/crawl/").status_code == 405
    assert admin_client.post("/sources/999/crawl/").status_code == 404


# ------------------------------------------------------------------------------------------- query counts

def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_findings(n: int, *, start: int, teams, clusters, source) -> None:
    for i in range(start, start + n):
        cluster = clusters["prod-a" if i % 2 else "prod-b"]
        team = teams["search" if i % 3 else "ads"]
        d = deployment(source, cluster, f"d{i}", model=f"org/m{i % 4}", team=team)
        finding(subject=f"{cluster.name}/llm/d{i}", key=f"k{i}", team=team, cluster=cluster, deployment=d,
                severity=["low", "medium", "high"][i % 3], impact=Decimal(i), evidence=DRIFT_EVIDENCE)


def test_findings_list_query_count_is_constant(client, teams, clusters, source, search_operator):
    client = logged_in(client, search_operator)
    _more_findings(3, start=0, teams=teams, clusters=clusters, source=source)
    few = _queries(client, "/findings/")
    _more_findings(40, start=3, teams=teams, clusters=clusters, source=source)
    many = _queries(client, "/findings/")
    assert few == many <= 10
    assert _queries(client, "/findings/?team=search&model=org/m1&status=all") == many


def test_finding_detail_query_count_is_constant(client, teams, clusters, source, search_operator):
    client = logged_in(client, search_operator)
    small = finding(team=teams["search"], action={"kind": "scale", "deployment": 1, "replicas": 0})
    ids = [deployment(source, clusters["prod-a"], f"x{i}", team=teams["search"]).pk for i in range(30)]
    big = finding(subject="big", key="big", team=teams["search"], evidence=DRIFT_EVIDENCE,
                  action={"kind": "align-version", "version": "v", "deployments": ids})
    for i in range(20):
        FindingEvent.objects.create(finding=big, kind="updated", at=T0 + timedelta(hours=i), data={"n": i})
    assert _queries(client, f"/findings/{small.pk}/") == _queries(client, f"/findings/{big.pk}/") <= 10


def test_sources_query_counts_are_constant(admin_client, kube_source):
    crawl_run(kube_source)
    few_list, few_detail = _queries(admin_client, "/sources/"), _queries(admin_client, f"/sources/{kube_source.pk}/")
    for i in range(8):
        other = source_create(name=f"kube{i}", kind="kubernetes",
                              credentials={"kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\n"})
        crawl_run(other, status="failed")
        Cluster.objects.create(source=other, name=f"c{i}")
    for i in range(15):
        crawl_run(kube_source, at=T0 + timedelta(hours=i + 1), status="partial",
                  errors=[{"scope": f"c{i}/ns", "kind": "forbidden", "message": "no"}])
        Cluster.objects.create(source=kube_source, name=f"k{i}")
    assert _queries(admin_client, "/sources/") == few_list <= 8
    assert _queries(admin_client, f"/sources/{kube_source.pk}/") == few_detail <= 8
