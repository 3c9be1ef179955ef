"""Source credentials: encrypted at rest, write-only in the admin; the other admin pages render."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from collectors.spec import CrawlError, CrawlResult, ErrorKind, GpuNode, Scope
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import CrawlRun, Deployment, OwnershipRule, Source, Team
from footprint.inventory.sources import source_create

pytestmark = pytest.mark.django_db

SECRET_TOKEN = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SECRET = json.dumps({"kubeconfig": f"users: [{{name: u, user: {{token: {SECRET_TOKEN}}}}}]"})


def raw_credentials(source: Source) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inventory_source WHERE id = %s", [source.pk])
        return cursor.fetchone()[0]


def test_credentials_are_stored_encrypted(db):
    source = Source.objects.create(name="k8s-prod", kind="kubernetes", credentials=SECRET)

    stored = raw_credentials(source)

    assert stored != SECRET and SECRET not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert Source.objects.get(pk=source.pk).credentials == SECRET


def test_admin_change_form_never_shows_credentials(admin_client):
    source = Source.objects.create(name="k8s-prod", kind="kubernetes", credentials=SECRET)

    page = admin_client.get(reverse("admin:inventory_source_change", args=[source.pk])).content.decode()

    assert 'name="credentials"' in page and 'type="password"' in page
    assert SECRET not in page
    assert raw_credentials(source) not in page
    assert "EXAMPLEKEY" not in page


def _post(admin_client, source: Source, **changes) -> None:
    data = {"name": source.name, "kind": source.kind, "enabled": "on", "interval_minutes": "30",
            "settings": "{}", "credentials": "", **changes}
    response = admin_client.post(reverse("admin:inventory_source_change", args=[source.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_admin_blank_credentials_keep_the_stored_ones_and_clear_removes_them(admin_client):
    source = Source.objects.create(name="k8s-prod", kind="kubernetes", credentials=SECRET)

    _post(admin_client, source)
    source.refresh_from_db()
    assert (source.credentials, source.interval_minutes) == (SECRET, 30)

    _post(admin_client, source, credentials='{"kubeconfig": "new-secret"}')
    source.refresh_from_db()
    assert json.loads(source.credentials) == {"kubeconfig": "new-secret"}

    _post(admin_client, source, clear_credentials="on")
    source.refresh_from_db()
    assert source.credentials == ""


def test_admin_pages_render(admin_client, make_spec):
    source = Source.objects.create(name="fleet", kind="file")
    at = datetime(2026, 6, 1, tzinfo=UTC)
    deployments_reconcile(source=source, result=CrawlResult(
        specs=[replace(make_spec("chat"), observed_at=at)], scopes=[Scope()], started_at=at, finished_at=at))
    OwnershipRule.objects.create(namespace_pattern="llm-*", team=Team.objects.get(slug="search"))
    deployment = Deployment.objects.get()

    for name in ("source", "cluster", "team", "ownershiprule", "model", "deployment", "deploymentrevision",
                 "crawlrun", "gpunodesnapshot", "pendinggpupodsnapshot"):
        assert admin_client.get(reverse(f"admin:inventory_{name}_changelist")).status_code == 200, name
    page = admin_client.get(reverse("admin:inventory_deployment_change", args=[deployment.pk]))
    assert page.status_code == 200
    assert b"vllm/vllm-openai:v0.6.3" in page.content
    assert admin_client.get(reverse("admin:inventory_deployment_add")).status_code == 403


# --- sources through the services, health, crawl now, crawl runs, capacity ---------------------------


def _add(admin_client, **fields):
    data = {"name": "lab", "kind": "kubernetes", "enabled": "on", "interval_minutes": "30", "settings": "{}",
            "credentials": "", **fields}
    return admin_client.post(reverse("admin:inventory_source_add"), data)


def test_admin_add_validates_through_the_provider_and_never_echoes_credentials(admin_client):
    bad_json = _add(admin_client, credentials="token=" + SECRET_TOKEN)
    assert bad_json.status_code == 200
    page = bad_json.content.decode()
    assert "credentials must be a JSON object" in page
    assert SECRET_TOKEN not in page

    wrong_field = _add(admin_client, credentials=json.dumps({"token": SECRET_TOKEN}))
    assert "unknown credential field(s) token; kubernetes takes kubeconfig" in wrong_field.content.decode()
    assert SECRET_TOKEN not in wrong_field.content.decode()

    bad_settings = _add(admin_client, settings='{"pageSize": 0}', credentials=SECRET)
    assert "settings: pageSize: 0 is less than the minimum of 1" in bad_settings.content.decode()
    assert SECRET_TOKEN not in bad_settings.content.decode()
    assert not Source.objects.exists()

    assert _add(admin_client, credentials=SECRET).status_code == 302
    source = Source.objects.get()
    assert json.loads(source.credentials) == json.loads(SECRET)
    assert PeriodicTask.objects.get().interval.every == 30  # saved through the service: scheduled


def test_admin_delete_removes_the_schedule(admin_client):
    source = source_create(name="lab", kind="kubernetes")
    response = admin_client.post(reverse("admin:inventory_source_delete", args=[source.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Source.objects.exists() and not PeriodicTask.objects.exists()


def _failed_run(source: Source, at: datetime) -> None:
    error = CrawlError(Scope("prod-a", "llm"), ErrorKind.FORBIDDEN, "forbidden: namespaces \"llm\" is forbidden")
    deployments_reconcile(source=source, result=CrawlResult(
        scopes=[Scope("prod-a")], errors=[error], started_at=at, finished_at=at,
        gpu_nodes=[GpuNode(cluster="prod-a", name="gpu-1", accelerator="H100-80GB", allocatable=8, requested=2)]))


def test_the_source_list_shows_health_in_a_constant_number_of_queries(admin_client):
    url = reverse("admin:inventory_source_changelist")
    at = datetime(2026, 6, 1, tzinfo=UTC)
    source_create(name="a", kind="kubernetes")
    _failed_run(Source.objects.get(name="a"), at)
    with CaptureQueriesContext(connection) as one:
        page = admin_client.get(url).content.decode()
    assert ">partial<" in page and "Crawl now" in page
    for name in ("b", "c", "d"):
        _failed_run(source_create(name=name, kind="kubernetes"), at)
    with CaptureQueriesContext(connection) as four:
        assert admin_client.get(url).status_code == 200
    assert len(four) == len(one)


def test_crawl_now_action_enqueues_a_crawl(admin_client, django_capture_on_commit_callbacks, tmp_path):
    source = source_create(name="lost", kind="kubernetes", settings={"kubeconfigPath": str(tmp_path / "none")})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:inventory_source_changelist"),
                                     {"action": "crawl_now", "_selected_action": [source.pk]})
    assert response.status_code == 302
    run = CrawlRun.objects.get()
    assert run.status == "failed" and "does not exist" in run.errors[0]["message"]


def test_a_crawl_run_shows_its_errors_per_scope_and_its_capacity(admin_client):
    source = source_create(name="lab", kind="kubernetes")
    _failed_run(source, datetime(2026, 6, 1, tzinfo=UTC))
    run = CrawlRun.objects.get()

    page = admin_client.get(reverse("admin:inventory_crawlrun_change", args=[run.pk])).content.decode()

    assert "<td>prod-a/llm</td><td>forbidden</td><td>forbidden: namespaces &quot;llm&quot; is forbidden</td>" in page
    assert "1 GPU nodes" in page
    nodes = admin_client.get(reverse("admin:inventory_gpunodesnapshot_changelist")).content.decode()
    assert "gpu-1" in nodes and "H100-80GB" in nodes
    history = admin_client.get(reverse("admin:inventory_gpunodesnapshot_changelist") + "?current=all")
    assert history.status_code == 200 and "gpu-1" in history.content.decode()
