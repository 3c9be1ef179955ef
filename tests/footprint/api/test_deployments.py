"""/api/v1/deployments/: filters (by id and natural key), as_of, the ModelSpec and the price of each item."""

from __future__ import annotations

import pytest

from footprint.inventory.models import Cluster, Deployment, Model, Team

pytestmark = pytest.mark.django_db

URL = "/api/v1/deployments/"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["results"])


def test_live_deployments_with_spec_and_price(api, fleet):
    response = api.get(URL)
    assert names(response) == ["chat-vllm", "embed-tei"]
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    chat = next(item for item in body["results"] if item["name"] == "chat-vllm")
    assert chat["source"] == "fleet" and chat["cluster"] == "prod-a" and chat["team"] == "search"
    assert chat["model"] == "meta-llama/Llama-3.1-8B-Instruct" and chat["model_version"] == "v2"
    assert chat["live"] is True and chat["valid_from"] is None
    assert chat["spec"]["kind"] == "ModelSpec" and chat["spec"]["model"]["version"] == "v2"
    price = chat["price"]
    assert price["known"] is True and price["currency"] == "USD"
    assert price["basis"].startswith("2 × g5.12xlarge share: 1/4")
    assert float(price["monthly"]) == pytest.approx(float(price["hourly"]) * 730, rel=1e-6)


def test_unknown_price_says_why(api, fleet):
    response = api.get(URL, {"status": "ended"})
    assert names(response) == ["old-tgi"]
    price = response.json()["results"][0]["price"]
    assert price == {"known": False, "hourly": None, "monthly": None, "currency": "USD",
                     "basis": "unknown: cloud unknown", "reason": "cloud unknown"}


def test_status_filter(api, fleet):
    assert names(api.get(URL, {"status": "all"})) == ["chat-vllm", "embed-tei", "old-tgi"]
    assert names(api.get(URL, {"status": "ended"})) == ["old-tgi"]


@pytest.mark.parametrize("params, expected", [
    ({"team": "ads"}, ["embed-tei"]),
    ({"model": "BAAI/bge-m3"}, ["embed-tei"]),
    ({"engine": "vllm"}, ["chat-vllm"]),
    ({"engine": ["vllm", "tei"]}, ["chat-vllm", "embed-tei"]),
    ({"environment": "staging"}, ["embed-tei"]),
    ({"cloud": "aws", "region": "us-east-1"}, ["chat-vllm", "embed-tei"]),
    ({"cloud": "gcp"}, []),
    ({"accelerator": "A10G"}, ["chat-vllm", "embed-tei"]),
    ({"platform": "kubernetes"}, ["chat-vllm", "embed-tei"]),
    ({"cluster": "prod-a"}, ["chat-vllm", "embed-tei"]),
    ({"source": "fleet"}, ["chat-vllm", "embed-tei"]),
    ({"source": "other"}, []),
    ({"stale": "false"}, ["chat-vllm", "embed-tei"]),
    ({"stale": "true"}, []),
    ({"q": "BGE"}, ["embed-tei"]),
    ({"q": "vllm-openai"}, ["chat-vllm"]),
    ({"q": "chat"}, ["chat-vllm"]),
])
def test_filters_by_natural_key(api, fleet, params, expected):
    assert names(api.get(URL, params)) == expected


def test_filters_by_id(api, fleet):
    ads = Team.objects.get(slug="ads")
    bge = Model.objects.get(name="BAAI/bge-m3")
    cluster = Cluster.objects.get(name="prod-a")
    assert names(api.get(URL, {"team_id": ads.pk})) == ["embed-tei"]
    assert names(api.get(URL, {"model_id": bge.pk})) == ["embed-tei"]
    assert names(api.get(URL, {"cluster_id": cluster.pk})) == ["chat-vllm", "embed-tei"]
    assert names(api.get(URL, {"source_id": fleet.pk})) == ["chat-vllm", "embed-tei"]
    assert names(api.get(URL, {"team_id": f"{ads.pk},{Team.objects.get(slug='search').pk}"})) == [
        "chat-vllm", "embed-tei"]


def test_invalid_filter_is_a_400_in_the_error_shape(api, fleet):
    response = api.get(URL, {"engine": "nope", "cluster_id": "x"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["details"]) == {"engine", "cluster_id"}


def test_as_of_returns_what_ran_then(api, fleet):
    then = api.get(URL, {"as_of": "2026-06-15"})
    assert names(then) == ["chat-vllm", "embed-tei", "old-tgi"]
    chat = next(item for item in then.json()["results"] if item["name"] == "chat-vllm")
    assert chat["model_version"] == "v1" and chat["spec"]["model"]["version"] == "v1"
    assert chat["id"] == Deployment.objects.get(name="chat-vllm").pk
    assert chat["valid_from"].startswith("2026-06-01T09:00") and chat["valid_to"].startswith("2026-07-01T09:00")
    assert chat["live"] is False and chat["price"]["known"] is True
    assert names(api.get(URL, {"as_of": "2026-07-01T09:00:00Z"})) == ["chat-vllm", "embed-tei"]
    assert names(api.get(URL, {"as_of": "2026-05-01"})) == []
    # The same filters apply to the past, by natural key and by id.
    assert names(api.get(URL, {"as_of": "2026-06-15", "engine": "tgi"})) == ["old-tgi"]
    cluster = Cluster.objects.get(name="prod-a")
    assert names(api.get(URL, {"as_of": "2026-06-15", "cluster_id": cluster.pk})) == ["chat-vllm", "embed-tei",
                                                                                       "old-tgi"]


def test_as_of_rejects_garbage(api, fleet):
    response = api.get(URL, {"as_of": "last tuesday"})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "as_of": ["'last tuesday' is not a date (2026-06-10) or a date-time (2026-06-10T12:00:00Z)"]}


def test_detail_and_revisions(api, fleet):
    chat = Deployment.objects.get(name="chat-vllm")
    detail = api.get(f"{URL}{chat.pk}/")
    assert detail.status_code == 200
    assert detail.json()["name"] == "chat-vllm" and detail.json()["price"]["known"] is True
    old = Deployment.objects.get(name="old-tgi")
    assert api.get(f"{URL}{old.pk}/").json()["live"] is False  # ended ones have a page too
    revisions = api.get(f"{URL}{chat.pk}/revisions/")
    assert revisions.status_code == 200
    rows = revisions.json()["results"]
    assert [r["model_version"] for r in rows] == ["v1", "v2"]
    assert rows[0]["valid_to"] == rows[1]["valid_from"] and rows[1]["valid_to"] is None


def test_cursor_pagination(api, fleet):
    first = api.get(URL, {"status": "all", "page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    seen = {item["name"] for item in first["results"] + second["results"]}
    assert seen == {"chat-vllm", "embed-tei", "old-tgi"}
