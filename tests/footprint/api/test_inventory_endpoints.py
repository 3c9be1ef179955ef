"""/api/v1/ models, clusters, teams, crawl runs and the ModelSpec export."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command

from footprint.inventory.models import CrawlRun, Source

pytestmark = pytest.mark.django_db


def test_models_with_live_deployment_counts(api, fleet):
    body = api.get("/api/v1/models/").json()
    counts = {m["name"]: m["live_deployments"] for m in body["results"]}
    assert counts == {"BAAI/bge-m3": 1, "meta-llama/Llama-3.1-8B-Instruct": 1, "mistralai/Mistral-7B": 0}
    assert body["count"] == 3
    assert [m["name"] for m in api.get("/api/v1/models/", {"q": "llama"}).json()["results"]] == [
        "meta-llama/Llama-3.1-8B-Instruct"]


def test_clusters_with_current_capacity(api, fleet):
    [cluster] = api.get("/api/v1/clusters/").json()["results"]
    assert cluster["name"] == "prod-a" and cluster["source"] == "fleet" and cluster["source_id"] == fleet.pk
    assert cluster["live_deployments"] == 2
    assert cluster["gpu_nodes"] == 2 and cluster["gpus_allocatable"] == 8 and cluster["gpus_requested"] == 4
    assert cluster["capacity_observed_at"].startswith("2026-07-01")
    assert api.get("/api/v1/clusters/", {"source": "other"}).json()["results"] == []
    assert len(api.get("/api/v1/clusters/", {"source_id": fleet.pk}).json()["results"]) == 1


def test_teams(api, fleet):
    body = api.get("/api/v1/teams/").json()
    assert [(t["slug"], t["live_deployments"]) for t in body["results"]] == [("ads", 1), ("search", 1)]
    assert [t["slug"] for t in api.get("/api/v1/teams/", {"slug": "ads"}).json()["results"]] == ["ads"]
    assert [t["slug"] for t in api.get("/api/v1/teams/", {"q": "sear"}).json()["results"]] == ["search"]


def test_crawl_runs_with_errors_per_scope(api, fleet):
    CrawlRun.objects.create(source=fleet, started_at="2026-08-01T00:00:00Z", status="partial", errors=[
        {"scope": "cluster prod-b", "kind": "forbidden", "message": "403"},
        {"scope": "cluster prod-b", "kind": "unreachable", "message": "timeout"},
        {"scope": "cluster prod-c", "kind": "unreachable", "message": "timeout"},
    ])
    body = api.get("/api/v1/crawl-runs/").json()
    assert len(body["results"]) == 3 and "count" not in body  # cursor-paginated
    newest = body["results"][0]
    assert newest["status"] == "partial" and newest["source"] == "fleet"
    assert newest["errors_by_scope"] == {"cluster prod-b": 2, "cluster prod-c": 1}
    assert newest["errors"][0] == {"scope": "cluster prod-b", "kind": "forbidden", "message": "403"}
    partial = api.get("/api/v1/crawl-runs/", {"status": "partial", "source": "fleet"}).json()["results"]
    assert [r["id"] for r in partial] == [newest["id"]]
    assert len(api.get("/api/v1/crawl-runs/", {"source_id": fleet.pk, "status": "ok"}).json()["results"]) == 2


def _inventory_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("inventory", *args, stdout=out)
    return out.getvalue()


def test_modelspecs_export_is_the_inventory_command_output(api, fleet):
    response = api.get("/api/v1/modelspecs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.content.decode() == _inventory_command("--format", "json")
    as_yaml = api.get("/api/v1/modelspecs/", {"format": "yaml", "as_of": "2026-06-15"})
    assert as_yaml.status_code == 200 and as_yaml["Content-Type"].startswith("application/yaml")
    assert as_yaml.content.decode() == _inventory_command("--format", "yaml", "--as-of", "2026-06-15")
    filtered = json.loads(api.get("/api/v1/modelspecs/", {"team": "ads"}).content)
    assert filtered["kind"] == "ModelSpecList"
    assert [s["workload"]["name"] for s in filtered["items"]] == ["embed-tei"]
    assert yaml.safe_load(as_yaml.content)["items"][0]["apiVersion"] == "footprint/v1"


def test_modelspecs_unknown_format_is_404_in_error_shape(api, fleet):
    response = api.get("/api/v1/modelspecs/", {"format": "xml"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_source_is_filtered_out(api, fleet):
    Source.objects.create(name="other", kind="file")
    assert api.get("/api/v1/deployments/", {"source": "other"}).json()["results"] == []
