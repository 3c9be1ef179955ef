"""Every dashboard page renders for a signed-in user, on an empty inventory and on a fleet."""

from __future__ import annotations

import pytest

from footprint.inventory.models import Cluster, Model, Team

pytestmark = pytest.mark.django_db

PAGES = ["/", "/inventory/", "/inventory/?as_of=2026-06-15", "/inventory/export.csv", "/models/", "/teams/",
         "/clusters/"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_on_an_empty_inventory(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_on_a_fleet(admin_client, fleet, url):
    response = admin_client.get(url)

    assert response.status_code == 200


def test_detail_pages_render(admin_client, fleet):
    model = Model.objects.get(name="meta-llama/Llama-3.1-8B-Instruct")
    team = Team.objects.get(slug="search")
    cluster = Cluster.objects.get(name="prod-use1")

    for url in (f"/models/{model.pk}/", f"/teams/{team.slug}/", f"/clusters/{cluster.pk}/"):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/models/999999/", "/teams/nobody/", "/clusters/999999/"])
def test_unknown_subjects_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


def test_unpriced_deployments_are_counted_not_zero(admin_client, fleet, make_spec):
    from tests.footprint.web.conftest import JULY_1, fleet_specs, ingest

    ingest(fleet, [*fleet_specs(make_spec, drift_version="2024-09"),
                   make_spec("rack", cluster="dc-1", cloud="onprem", region=None, team="search"),
                   make_spec("mystery", cluster="prod-use1", replicas=None, team="search")], at=JULY_1)

    overview = admin_client.get("/")
    assert overview.context["total"].unknown == 2
    assert "2 deployments not priced" in overview.content.decode()
    for url in ("/models/", "/teams/", "/teams/search/", "/clusters/"):
        page = admin_client.get(url).content.decode()
        assert "unpriced" in page or "not priced" in page, url
    teams = {t["slug"]: t["cost"] for t in admin_client.get("/teams/").context["teams"]}
    assert dict(teams["search"].reason_list) == {"no price catalog for cloud onprem": 1, "replicas unknown": 1}
