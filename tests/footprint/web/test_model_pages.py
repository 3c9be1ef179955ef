"""Models: the list (cost, versions) and a model's page: where it runs, drift highlighted, sizing, history."""

from __future__ import annotations

import pytest

from footprint.inventory.models import Model

pytestmark = pytest.mark.django_db

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def test_model_list_shows_cost_and_flags_more_than_one_version(admin_client, fleet):
    response = admin_client.get("/models/")
    rows = {m["name"]: m for m in response.context["models"]}

    assert set(rows) == {LLAMA, "BAAI/bge-large-en-v1.5"}
    assert rows[LLAMA]["deployments_live"] == 5 and rows[LLAMA]["clusters"] == 4
    assert rows[LLAMA]["versions"] == 2  # 2024-06 and 2024-09 (the canary's own version is left out)
    assert rows[LLAMA]["cost"].monthly > rows["BAAI/bge-large-en-v1.5"]["cost"].monthly > 0
    assert response.context["drifting"] == 1
    assert 'class="num diff"' in response.content.decode()


def test_model_list_search_and_sort(admin_client, fleet):
    assert [m["name"] for m in admin_client.get("/models/?q=bge").context["models"]] == ["BAAI/bge-large-en-v1.5"]
    assert [m["name"] for m in admin_client.get("/models/?sort=name").context["models"]] == [
        "BAAI/bge-large-en-v1.5", LLAMA]


def test_model_page_highlights_cells_that_differ_from_the_group_majority(admin_client, fleet):
    model = Model.objects.get(name=LLAMA)
    response = admin_client.get(f"/models/{model.pk}/")
    groups = {g["environment"]: g for g in response.context["grid"]["groups"]}

    prod = groups["prod"]
    assert prod["majority"] == {"version": "2024-06", "engine": "vllm 0.6.3", "accelerator": "A100-80GB × 1"}
    assert prod["differing"] == ["accelerator", "version"]
    diffs = {(m["row"].cluster_name, m["row"].name): m["diff"] for m in prod["members"]}
    assert diffs[("prod-euw1", "chat")] == {"version": True, "engine": False, "accelerator": False}
    assert diffs[("prod-gke", "chat")] == {"version": False, "engine": False, "accelerator": True}
    assert diffs[("prod-use1", "chat")] == {"version": False, "engine": False, "accelerator": False}
    assert diffs[("prod-use1", "chat-canary")]["version"] is True  # the canary runs ahead, and shows it
    assert groups["staging"]["differing"] == []
    page = response.content.decode()
    assert '<td class="diff">2024-09</td>' in page and '<td class="diff">H100-80GB × 1</td>' in page
    assert "drift: accelerator, version" in page and "consistent" in page


def test_model_page_prices_each_deployment_and_sums_them(admin_client, fleet):
    model = Model.objects.get(name=LLAMA)
    grid = admin_client.get(f"/models/{model.pk}/").context["grid"]
    prices = [m["price"] for g in grid["groups"] for m in g["members"]]

    assert grid["count"] == 5 and all(not p.is_unknown for p in prices)
    assert grid["total"].monthly == sum(p.monthly for p in prices)


def test_model_page_history_shows_the_version_change(admin_client, fleet):
    model = Model.objects.get(name=LLAMA)
    response = admin_client.get(f"/models/{model.pk}/")
    history = response.context["history"]

    (change,) = history["changes"]
    assert change["what"] == ["version"] and change["before"]["model_version"] == "2024-07"
    assert change["after"]["model_version"] == "2024-09" and change["after"]["cluster_name"] == "prod-euw1"
    page = response.content.decode()
    assert "Plotly.newPlot(" in page and "2026-07-01 00:00" in page


def test_model_page_lists_the_findings_of_its_deployments_and_fleet_groups(admin_client, fleet):
    model = Model.objects.get(name=LLAMA)
    findings = admin_client.get(f"/models/{model.pk}/").context["findings"]

    assert sorted(f.rule for f in findings) == ["drift.version", "orphans.old_canary"]


def test_sizing_estimate_shows_the_fit_per_gpu_and_the_cheapest(admin_client, fleet):
    pytest.importorskip("footprint.sizing.selectors")
    model = Model.objects.get(name=LLAMA)
    response = admin_client.get(f"/models/{model.pk}/")
    sizing = response.context["sizing"]
    page = response.content.decode()

    assert sizing is not None, "Llama 3.1 8B is in the shipped architecture table"
    facts = dict(sizing["facts"])
    assert facts["Parameters"].startswith("8.0 B") and "GiB in" in facts["Weights"]
    assert any(g["gpu"] == "A100-80GB" and g["fits"] for g in sizing["gpus"])
    assert "GPU fit" in page and "Cheapest fit" in page and '<span class="badge ok">cheapest</span>' in page
    section = page.split("Sizing estimate")[1].split("History")[0]
    assert "{&quot;" not in section and "{'" not in section  # no raw JSON or dicts on the page


def test_no_sizing_estimate_says_so(admin_client, fleet, monkeypatch):
    from footprint.web import selectors

    monkeypatch.setattr(selectors, "model_sizing_for", lambda **kwargs: None)
    model = Model.objects.get(name=LLAMA)

    assert "No sizing estimate" in admin_client.get(f"/models/{model.pk}/").content.decode()
