"""Teams (what each owns, its cost, its open findings) and clusters (GPU nodes, allocation vs idle)."""

from __future__ import annotations

import pytest

from footprint.inventory.models import Cluster

pytestmark = pytest.mark.django_db


def test_team_list_has_cost_findings_and_the_unowned(admin_client, fleet):
    teams = {t["slug"]: t for t in admin_client.get("/teams/").context["teams"]}

    assert set(teams) == {"search", "ranking", ""}
    assert teams["search"]["deployments_live"] == 4 and teams["search"]["models"] == 1
    assert teams["search"]["findings_open"] == 1  # the canary's
    assert teams["search"]["cost"].monthly > 0 and teams["ranking"]["cost"].monthly > 0
    assert teams[""]["name"] == "(no owner)" and teams[""]["deployments_live"] == 1


def test_team_page_shows_what_it_owns_its_cost_and_findings(admin_client, fleet):
    response = admin_client.get("/teams/search/")

    assert [m["model__name"] for m in response.context["models"]] == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert response.context["deployments"] == 4
    assert [f.rule for f in response.context["findings"]] == ["orphans.old_canary"]
    assert {c for c, _ in response.context["by_cloud"]} == {"aws", "gcp"}
    page = response.content.decode()
    assert "Canary running for 90 days" in page and "/inventory/?team=search" in page


def test_cluster_list_shows_capacity_and_idle(admin_client, fleet):
    clusters = {c.name: c for c in admin_client.get("/clusters/").context["clusters"]}

    use1 = clusters["prod-use1"]
    assert use1.gpu_nodes == 3 and use1.idle_nodes == 1
    assert use1.gpus_allocatable == 20 and use1.gpus_requested == 7 and use1.gpus_idle == 13
    assert use1.deployments_live == 3 and use1.cost.monthly > 0
    assert clusters["prod-euw1"].gpu_nodes == 0


def test_cluster_page_shows_nodes_allocation_and_deployments(admin_client, fleet):
    cluster = Cluster.objects.get(name="prod-use1")
    response = admin_client.get(f"/clusters/{cluster.pk}/")

    assert [n.node for n in response.context["nodes"]] == ["gpu-a-1", "gpu-a-2", "gpu-l4-1"]
    by_type = dict(response.context["by_type"])
    assert by_type["A100-80GB"]["idle"] == 12 and by_type["A100-80GB"]["serving"] == 4
    assert by_type["L4"]["other"] == 1 and by_type["L4"]["idle"] == 1
    assert response.context["capacity"]["idle_nodes"] == 1
    assert sorted(d["row"].name for d in response.context["deployments"]) == ["chat", "chat-canary", "embed"]
    assert [f.rule for f in response.context["findings"]] == ["waste.idle_gpu_nodes", "orphans.old_canary"]
    page = response.content.decode()
    assert '<span class="badge failed">idle</span>' in page and "Plotly.newPlot(" in page
    assert f"/inventory/?cluster_id={cluster.pk}" in page
