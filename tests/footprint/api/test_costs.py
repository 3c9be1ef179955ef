"""/api/v1/costs/ (a month's summary, grouped), /api/v1/price-overrides/ (CRUD with clear errors) and
/api/v1/models/{id}/sizing/."""

from __future__ import annotations

from decimal import Decimal

import pytest

from footprint.costs.models import PriceOverride
from footprint.inventory.models import Model

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("group_by", ["team", "model", "cloud", "region", "environment", "cluster"])
def test_cost_summary_groups(api, fleet, group_by):
    response = api.get("/api/v1/costs/", {"month": "2026-06", "group_by": group_by})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["month"] == "2026-06" and body["group_by"] == group_by and body["currency"] == "USD"
    assert body["rows"] and set(body["rows"][0]) == {"key", "label", "cost", "previous", "change", "change_pct",
                                                     "hours", "unknown_lines"}
    assert Decimal(body["total"]) == sum(Decimal(row["cost"]) for row in body["rows"])


def test_cost_summary_by_team_prices_the_fleet(api, fleet):
    rows = {row["key"]: row for row in api.get("/api/v1/costs/", {"month": "2026-06"}).json()["rows"]}
    assert "search" in rows and Decimal(rows["search"]["cost"]) > 0


def test_cost_summary_defaults_to_this_month(api, fleet):
    from django.utils import timezone

    body = api.get("/api/v1/costs/").json()
    assert body["month"] == timezone.now().strftime("%Y-%m") and body["group_by"] == "team"


@pytest.mark.parametrize("params", [{"month": "2026-13"}, {"month": "June"}, {"month": "9999-12"},
                                    {"group_by": "planet"}])
def test_cost_summary_bad_query_is_400(api, params):
    response = api.get("/api/v1/costs/", params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_price_override_crud(api, fleet, user):
    created = api.post("/api/v1/price-overrides/", {"source_id": fleet.pk, "instance_type": "g5.12xlarge",
                                                    "kind": "price", "usd_per_hour": "4.5",
                                                    "effective_from": "2026-01-01"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["source"] == "fleet" and body["created_by"] == "admin" and body["usd_per_hour"] == "4.500000"
    url = f"/api/v1/price-overrides/{body['id']}/"
    assert api.patch(url, {"usd_per_hour": "4.0"}, format="json").json()["usd_per_hour"] == "4.000000"
    assert api.get("/api/v1/price-overrides/", {"source": "fleet"}).json()["count"] == 1
    assert api.get("/api/v1/price-overrides/", {"cloud": "gcp"}).json()["count"] == 0
    assert api.delete(url).status_code == 204
    assert not PriceOverride.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "discount", "discount_percent": "10"}, "cloud"),
    ({"cloud": "aws", "kind": "discount"}, "discount_percent"),
    ({"cloud": "aws", "kind": "discount", "discount_percent": "120"}, "discount_percent"),
    ({"cloud": "aws", "kind": "discount", "discount_percent": "5", "usd_per_hour": "1"}, "usd_per_hour"),
    ({"cloud": "aws", "kind": "price", "usd_per_hour": "3"}, "instance_type"),
    ({"cloud": "aws", "kind": "price", "usd_per_hour": "-3", "accelerator": "A10G"}, "usd_per_hour"),
    ({"cloud": "aws", "kind": "price", "usd_per_hour": "3", "accelerator": "A10G", "instance_type": "x"},
     "accelerator"),
    ({"cloud": "aws", "kind": "rebate"}, "kind"),
    ({"cloud": "aws", "kind": "discount", "discount_percent": "5", "effective_from": "2026-01-01"},
     "effective_from"),
])
def test_price_override_errors_are_400(api, fleet, body, field):
    PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=1, effective_from="2026-01-01")
    response = api.post("/api/v1/price-overrides/", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"], response.content


def test_sizing_of_a_known_model(api, fleet):
    model = Model.objects.get(name="meta-llama/Llama-3.1-8B-Instruct")
    response = api.get(f"/api/v1/models/{model.pk}/sizing/", {"context_len": 8192, "concurrency": 4})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["contextLen"] == 8192 and body["concurrency"] == 4 and body["gpus"]


def test_sizing_of_an_unknown_model_or_bad_input(api, fleet):
    unknown = Model.objects.create(name="acme/secret-model")
    response = api.get(f"/api/v1/models/{unknown.pk}/sizing/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "sizing_unknown"
    model = Model.objects.get(name="meta-llama/Llama-3.1-8B-Instruct")
    assert api.get(f"/api/v1/models/{model.pk}/sizing/", {"concurrency": 0}).status_code == 400
    assert api.get("/api/v1/models/999999/sizing/").status_code == 404
