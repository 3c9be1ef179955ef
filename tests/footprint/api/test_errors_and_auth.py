"""One error shape for 400/401/404/409/429, and authentication (session and token)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from footprint.accounts.tokens import token_create

pytestmark = pytest.mark.django_db

READ_URLS = ["/api/v1/deployments/", "/api/v1/models/", "/api/v1/clusters/", "/api/v1/teams/",
             "/api/v1/sources/", "/api/v1/crawl-runs/", "/api/v1/modelspecs/"]


@pytest.mark.parametrize("url", READ_URLS)
def test_anonymous_gets_401_in_the_error_shape(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_authenticated",
                                         "message": "Authentication credentials were not provided.", "details": {}}}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_token_authentication(user):
    _, secret = token_create(user=user, name="t")
    client = APIClient()
    assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    bad = client.get("/api/v1/teams/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "authentication_failed"


def test_session_authentication(client, user):
    client.force_login(user)
    assert client.get("/api/v1/teams/").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/deployments/999999/", "/api/v1/models/999999/",
                                 "/api/v1/sources/999999/", "/api/v1/deployments/999999/revisions/",
                                 "/api/v1/no-such-thing/"])
def test_404_in_the_error_shape(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_crawl_now_of_missing_source_is_404(api):
    response = api.post("/api/v1/sources/999999/crawl/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_400_in_the_error_shape(api):
    response = api.post("/api/v1/sources/", {"kind": "file"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": "The request is invalid; see details.",
                                         "details": {"name": ["This field is required."]}}}


def test_huge_ids_are_400_not_a_database_error(api, fleet):
    response = api.get("/api/v1/deployments/", {"team_id": str(2**70)})
    assert response.status_code == 400 and "team_id" in response.json()["error"]["details"]
    assert api.get(f"/api/v1/teams/{2**70}/").status_code == 404


@pytest.mark.parametrize("params", [{"cluster": "a\x00b"}, {"q": "a\x00b"}, {"team": ["ok", "x\x00"]}])
def test_nul_characters_are_400(api, fleet, params):
    # Found by schemathesis on PostgreSQL, which refuses NUL in text (it was a 500).
    response = api.get("/api/v1/deployments/", params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_odd_time_zone_offsets_are_normalised(api, fleet):
    # Found by schemathesis on PostgreSQL, which refuses offsets beyond ±15:59 (it was a 500).
    assert api.get("/api/v1/crawl-runs/", {"started_before": "0191-11-24T14:49:37+22:39"}).status_code == 200
    assert api.get("/api/v1/deployments/", {"as_of": "2026-06-15T00:00:00+22:39"}).status_code == 200
    assert api.get("/api/v1/deployments/", {"as_of": "0001-01-01T00:00:00+01:00"}).status_code == 400
