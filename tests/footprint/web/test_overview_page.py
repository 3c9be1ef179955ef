"""The overview at /: headline cards, the three charts (plotly.js from static, figure JSON in a data
script), open findings by kind and crawl health per source."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302 and "login" in response["Location"] and "next=/" in response["Location"]


def test_cards_count_the_live_fleet(admin_client, fleet):
    response = admin_client.get("/")
    counts = response.context["counts"]

    assert counts["deployments"] == 6 and counts["models"] == 2 and counts["clusters"] == 4
    assert counts["gpus"] == 12  # six deployments × 2 GPUs
    assert response.context["total"].monthly > 0 and response.context["total"].unknown == 0
    assert response.context["findings_total"] == 3
    page = response.content.decode()
    assert '<div class="label">Models</div><div class="value">2</div>' in page
    assert "A100-80GB 8" in page  # the GPU types on the card


def test_costs_roll_up_by_cloud_and_team(admin_client, fleet):
    response = admin_client.get("/")
    by_cloud = dict(response.context["by_cloud"])
    by_team = {slug: cost for (slug, _), cost in response.context["by_team"]}

    assert set(by_cloud) == {"aws", "gcp"}
    assert by_cloud["aws"].priced == 5 and by_cloud["gcp"].priced == 1
    assert set(by_team) == {"search", "ranking", None}
    assert sum(c.monthly for c in by_cloud.values()) == response.context["total"].monthly
    assert sum(c.monthly for c in by_team.values()) == response.context["total"].monthly


def test_charts_are_plotly_figures_fed_from_static(admin_client, fleet):
    page = admin_client.get("/").content.decode()

    assert '<script src="/static/vendor/plotly.min.js"></script>' in page
    assert page.count("Plotly.newPlot(") == 3
    assert page.count('type="application/json"') == 3
    assert "#ff9900" in page  # AWS keeps its colour in the cost-by-cloud donut
    assert "cdn" not in page.lower()


def test_open_findings_by_kind_and_severity(admin_client, fleet):
    response = admin_client.get("/")
    rules = {r["rule"]: r for r in response.context["findings_by_rule"]}
    page = response.content.decode()

    assert set(rules) == {"orphans.old_canary", "drift.version", "waste.idle_gpu_nodes"}
    assert rules["waste.idle_gpu_nodes"]["severities"] == {"high": 1}
    assert response.context["findings_by_rule"][0]["rule"] == "waste.idle_gpu_nodes"  # biggest impact first
    assert '<span class="sev high">1 high</span>' in page
    assert "$21,201" in page  # savings on the table: 20,000 + 1,200.50 + 0


def test_crawl_health_per_source_links_to_the_sources_pages(admin_client, fleet):
    page = admin_client.get("/").content.decode()

    assert f'<a href="/sources/{fleet.pk}/">fleet</a>' in page
    assert '<span class="badge ok">ok</span>' in page
    assert 'href="/sources/"' in page


def test_an_empty_inventory_says_what_to_do(admin_client):
    page = admin_client.get("/").content.decode()

    assert "No sources yet" in page and "No open findings" in page
