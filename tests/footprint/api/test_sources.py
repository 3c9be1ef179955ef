"""/api/v1/sources/: health, create/update through the source services, credentials never shown, crawl now."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from footprint.inventory.models import CrawlRun, Deployment, Source
from footprint.inventory.sources import source_create

pytestmark = pytest.mark.django_db

SECRET = "apiVersion: v1\nkind: Config\nclusters: []\n# s3cr3t-token-value\n"
KUBECONFIG = {"kubeconfig": SECRET}


@pytest.fixture
def kube_source(db):
    return source_create(name="kube", kind="kubernetes", credentials=KUBECONFIG)



def test_list_with_health_and_no_credentials(api, fleet, kube_source):
    response = api.get("/api/v1/sources/")
    assert response.status_code == 200
    assert "s3cr3t" not in response.content.decode()
    rows = {s["name"]: s for s in response.json()["results"]}
    assert "credentials" not in rows["kube"]
    assert rows["kube"]["has_credentials"] is True and rows["fleet"]["has_credentials"] is False
    assert rows["fleet"]["last_status"] == "ok" and rows["kube"]["last_status"] is None
    assert rows["kube"]["next_crawl_at"] is not None and rows["fleet"]["next_crawl_at"] is None
    assert [s["name"] for s in api.get("/api/v1/sources/", {"kind": "kubernetes"}).json()["results"]] == ["kube"]


def test_create_validates_and_never_echoes_credentials(api):
    response = api.post("/api/v1/sources/", {"name": "kube2", "kind": "kubernetes", "credentials": KUBECONFIG,
                                             "interval_minutes": 30}, format="json")
    assert response.status_code == 201, response.content
    assert "s3cr3t" not in response.content.decode() and "credentials" not in response.json()
    source = Source.objects.get(name="kube2")
    assert json.loads(source.credentials) == KUBECONFIG and source.schedule is not None
    assert response.json()["interval_minutes"] == 30 and response.json()["has_credentials"] is True


def test_create_errors_in_the_error_shape(api):
    response = api.post("/api/v1/sources/", {"name": "k", "kind": "kubernetes", "credentials": {"nope": 1}},
                        format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["details"]) == ["credentials"]
    bad_kind = api.post("/api/v1/sources/", {"name": "x", "kind": "ftp"}, format="json").json()["error"]
    assert list(bad_kind["details"]) == ["kind"]
    file_with_secret = api.post("/api/v1/sources/", {"name": "f", "kind": "file", "credentials": {"a": "b"}},
                                format="json").json()["error"]
    assert file_with_secret["details"] == {"credentials": ["a file source takes no credentials"]}


def test_duplicate_name_is_a_400(api, fleet):
    response = api.post("/api/v1/sources/", {"name": "fleet", "kind": "file"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["error"]["details"]


def test_update_keeps_credentials_unless_given(api, kube_source):
    response = api.patch(f"/api/v1/sources/{kube_source.pk}/", {"interval_minutes": 15, "enabled": False},
                         format="json")
    assert response.status_code == 200, response.content
    assert "s3cr3t" not in response.content.decode()
    kube_source.refresh_from_db()
    assert kube_source.interval_minutes == 15 and not kube_source.enabled
    assert json.loads(kube_source.credentials) == KUBECONFIG
    assert kube_source.schedule.enabled is False


def test_detail_never_shows_credentials(api, kube_source):
    response = api.get(f"/api/v1/sources/{kube_source.pk}/")
    assert response.status_code == 200 and "s3cr3t" not in response.content.decode()


def test_crawl_now_of_a_file_source_is_409(api, fleet):
    response = api.post(f"/api/v1/sources/{fleet.pk}/crawl/")
    assert response.status_code == 409 and "fed by manage.py ingest" in response.json()["error"]["message"]
    assert not CrawlRun.objects.filter(source=fleet, status="failed").exists()


def test_crawl_now_enqueues_and_runs(api, fleet, django_capture_on_commit_callbacks):
    Source.objects.filter(pk=fleet.pk).update(kind="kubernetes")   # (its collector is not configured: a failed run)
    before = CrawlRun.objects.filter(source=fleet).count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(f"/api/v1/sources/{fleet.pk}/crawl/")
    assert response.status_code == 202
    assert response.json() == {"source_id": fleet.pk, "source": "fleet", "status": "enqueued"}
    assert len(callbacks) == 1
    assert CrawlRun.objects.filter(source=fleet).count() == before + 1  # ran eagerly
    assert Deployment.objects.filter(source=fleet).exists()


def test_crawl_now_of_disabled_source_is_409(api, fleet):
    fleet.enabled = False
    fleet.save()
    response = api.post(f"/api/v1/sources/{fleet.pk}/crawl/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_crawl_now_is_throttled(api, fleet, django_capture_on_commit_callbacks, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "crawl": "2/hour"})
    Source.objects.filter(pk=fleet.pk).update(kind="kubernetes")
    cache.clear()
    statuses = [api.post(f"/api/v1/sources/{fleet.pk}/crawl/").status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    error = api.post(f"/api/v1/sources/{fleet.pk}/crawl/").json()["error"]
    assert error["code"] == "throttled" and error["details"] == {}
