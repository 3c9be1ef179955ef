"""The actions API: create from a finding, the commands with their role checks, the audit trail's filters,
and the error shape of refusals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from footprint.actions.models import DeployAction
from footprint.findings.models import Finding
from tests.footprint.actions.conftest import apps_api, deployment


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_request_approve_execute_and_ask_who_approved_through_the_api(fleet, source, users,
                                                                      django_capture_on_commit_callbacks):
    sim, path = fleet
    finding = Finding.objects.get(rule="waste.nonprod_like_prod", status="open")
    lead, approver = client_for(users["lead"]), client_for(users["approver"])

    created = lead.post("/api/v1/actions/", {"finding": finding.pk, "reason": "too big"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["kind"], body["status"], body["params"], body["requested_by"]) == (
        "scale", "requested", {"replicas": 1}, "lena")
    assert body["preview"]["steps"][0]["body"]["spec"] == {"replicas": 1}
    assert float(body["cost_effect_monthly"]) < 0
    assert sorted(e["verb"] for e in body["audit_events"]) == ["previewed", "requested"]
    url = f"/api/v1/actions/{body['id']}/"

    refused = lead.post(url + "approve/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "self-approval refused" in refused.json()["error"]["message"]
    assert client_for(users["viewer"]).post(url + "execute/").status_code == 403

    approved = approver.post(url + "approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "arno"
    with django_capture_on_commit_callbacks(execute=True):
        executed = lead.post(url + "execute/")
    assert executed.status_code == 200 and executed.json()["status"] == "succeeded"
    assert apps_api(sim, path).read_namespaced_deployment("chat", "search-staging").spec.replicas == 1
    assert client_for(users["viewer"]).get(url).json()["status"] == "verified"

    who = client_for(users["viewer"]).get("/api/v1/audit-events/", {
        "deployment": deployment("search-staging").pk, "verb": "approved"}).json()
    assert [(e["actor"], e["action"]) for e in who["results"]] == [("arno", body["id"])]
    by_actor = client_for(users["viewer"]).get("/api/v1/audit-events/", {"actor": "lena"}).json()
    assert {e["verb"] for e in by_actor["results"]} >= {"requested", "previewed", "executed", "refused"}
    by_target = client_for(users["viewer"]).get("/api/v1/audit-events/", {"target": "search-staging/Deployment"})
    targets = {e["target"] for e in by_target.json()["results"]}
    assert targets == {"prod-use1/search-staging/Deployment/chat"}

    listed = client_for(users["viewer"]).get("/api/v1/actions/", {"status": "verified"}).json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]


def test_bad_requests_and_other_teams_get_the_error_shape(source, users):
    ads = client_for(users["ads_operator"])
    other_team = ads.post("/api/v1/actions/", {"kind": "scale", "deployment": deployment("search-staging").pk,
                                               "params": {"replicas": 1}, "reason": "x"}, format="json")
    assert other_team.status_code == 403
    assert "only operators of its team" in other_team.json()["error"]["message"]
    bad = client_for(users["operator"]).post("/api/v1/actions/", {
        "kind": "scale", "deployment": deployment("search-staging").pk, "params": {"replicas": -1}, "reason": "x"},
        format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert "replicas" in str(bad.json()["error"]["details"])
    gpu = client_for(users["operator"]).post("/api/v1/actions/", {
        "kind": "move-gpu", "deployment": deployment("search-staging").pk, "params": {"accelerator": "X1"},
        "reason": "x"}, format="json")
    assert gpu.status_code == 400
    assert client_for(users["operator"]).post("/api/v1/actions/", {"reason": "x"}, format="json").status_code == 400
    assert not DeployAction.objects.exists()


def test_lists_cost_a_constant_number_of_queries(source, users):
    operator = users["operator"]
    from footprint.actions.services import action_request

    def queries(url):
        client = client_for(operator)
        client.get(url)   # warm caches (content types, roles)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    action_request(user=operator, kind="scale", deployment=deployment("search-staging"), params={"replicas": 2},
                   reason="a")
    few = queries("/api/v1/actions/"), queries("/api/v1/audit-events/")
    for replicas in (1, 0):
        action_request(user=operator, kind="scale", deployment=deployment("search-staging"),
                       params={"replicas": replicas}, reason="b")
    assert (queries("/api/v1/actions/"), queries("/api/v1/audit-events/")) == few


@pytest.mark.parametrize("url", ["/api/v1/actions/", "/api/v1/audit-events/"])
def test_anonymous_requests_are_refused(db, url):
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url, params", [
    ("/api/v1/actions/", {"deployment": "-6e264"}),
    ("/api/v1/actions/", {"finding": "1e30"}),
    ("/api/v1/actions/", {"team_id": str(2**63)}),
    ("/api/v1/actions/", {"team_id": "0"}),
    ("/api/v1/actions/", {"team": "a\x00b"}),
    ("/api/v1/actions/", {"requested_by": "\x00"}),
    ("/api/v1/actions/", {"q": "chat\x00"}),
    ("/api/v1/audit-events/", {"deployment": "1.5"}),
    ("/api/v1/audit-events/", {"action": "-1"}),
    ("/api/v1/audit-events/", {"actor": "\x00"}),
    ("/api/v1/audit-events/", {"target": "x\x00"}),
    ("/api/v1/audit-events/", {"since": "0001-01-01T00:00:00+01:00"}),  # beyond the range in UTC
])
def test_filters_refuse_out_of_range_ids_and_nul_characters_with_a_400(users, url, params):
    answer = client_for(users["viewer"]).get(url, params)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid"
    assert set(answer.json()["error"]["details"]) == set(params)


def test_filters_take_several_ids_and_names(source, users):
    from footprint.actions.services import action_request

    action_request(user=users["operator"], kind="scale", deployment=deployment("search-staging"),
                   params={"replicas": 2}, reason="a")
    viewer = client_for(users["viewer"])
    staging = deployment("search-staging").pk
    listed = viewer.get("/api/v1/actions/", {"deployment": f"{staging},{staging + 1000}",
                                             "requested_by": ["nobody", users["operator"].username]})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert viewer.get("/api/v1/actions/", {"deployment": staging + 1000}).json()["count"] == 0
    events = viewer.get("/api/v1/audit-events/", {"deployment": staging, "actor": users["operator"].username,
                                                  "since": "2026-01-01T00:00:00+02:00"})
    assert events.status_code == 200 and events.json()["count"] >= 1


@pytest.mark.parametrize("url", ["/api/v1/actions/", "/api/v1/audit-events/"])
def test_a_page_past_the_end_is_a_documented_404(users, url):
    answer = client_for(users["viewer"]).get(url, {"page": 99})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert {"200", "400", "404"} <= set(schema["paths"][url]["get"]["responses"])


@pytest.mark.parametrize("body", [
    {"kind": "scale", "deployment": 2**63, "reason": "x"},
    {"kind": "scale", "deployment": 0, "reason": "x"},
    {"finding": -6 * 10**20, "reason": "x"},
    {"kind": "align-version", "deployment": 1, "params": {"version": "v\x00"}, "reason": "x"},
    {"kind": "scale", "deployment": 1, "params": [1], "reason": "x"},
])
def test_create_refuses_out_of_range_ids_and_nul_characters_with_a_400(users, body):
    answer = client_for(users["operator"]).post("/api/v1/actions/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid"
    assert not DeployAction.objects.exists()
