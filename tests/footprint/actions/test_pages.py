"""Pages of deploy actions: request from a finding, the detail with its buttons per role, the audit log."""

from __future__ import annotations

from django.test import Client

from footprint.actions.models import DeployAction
from footprint.findings.models import Finding
from tests.footprint.actions.conftest import deployment


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_request_from_a_finding_then_approve_on_the_detail_page(source, users):
    finding = Finding.objects.get(rule="waste.nonprod_like_prod", status="open")
    lead, approver = browser(users["lead"]), browser(users["approver"])

    form = lead.get(f"/actions/new?finding={finding.pk}")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="scale" selected' in html and 'name="replicas" value="1"' in html

    posted = lead.post(f"/actions/new?finding={finding.pk}", {
        "kind": "scale", "replicas": "1", "reason": "staging is idle", "deployment": deployment("search-staging").pk})
    action = DeployAction.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/actions/{action.pk}/"
    assert action.finding == finding

    detail = lead.get(f"/actions/{action.pk}/").content.decode()
    assert "/apis/apps/v1/namespaces/search-staging/deployments/chat/scale" in detail   # the exact request
    assert str(action.cost_effect_monthly) in detail
    assert "another approver must approve it" in detail and ">Approve</button>" not in detail

    page = approver.get(f"/actions/{action.pk}/").content.decode()
    assert ">Approve</button>" in page and "Execute against" not in page
    done = approver.post(f"/actions/{action.pk}/approve", {"note": "ok"}, follow=True)
    assert "the action is now approved" in done.content.decode()
    assert "Execute against prod-use1" in lead.get(f"/actions/{action.pk}/").content.decode()

    # an operator without the approver role posting a rejection gets the refusal (and it is recorded)
    refused = browser(users["operator"]).post(f"/actions/{action.pk}/reject", {"note": "x"}, follow=True)
    assert "olga may not reject: this needs the approver role" in refused.content.decode()
    action.refresh_from_db()
    assert action.status == "approved"

    listing = approver.get("/actions/?status=approved").content.decode()
    assert f"/actions/{action.pk}/" in listing
    audit = approver.get(f"/actions/audit/?deployment={deployment('search-staging').pk}").content.decode()
    assert "arno" in audit and "Approved" in audit and "lena" in audit and "Refused" in audit


def test_another_teams_operator_sees_the_form_refused(source, users):
    ads = browser(users["ads_operator"])
    target = deployment("search-staging")
    page = ads.get(f"/actions/new?deployment={target.pk}").content.decode()
    assert "Only operators of team search" in page
    response = ads.post(f"/actions/new?deployment={target.pk}", {"kind": "scale", "replicas": "0", "reason": "x"})
    assert "only operators of its team" in response.content.decode()
    assert not DeployAction.objects.exists()


def test_pages_need_a_login(db):
    for url in ("/actions/", "/actions/audit/", "/actions/new?deployment=1"):
        assert Client().get(url).status_code == 302


def test_list_pages_cost_a_constant_number_of_queries(source, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from footprint.actions.services import action_request

    client = browser(users["approver"])

    def queries(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    action_request(user=users["operator"], kind="scale", deployment=deployment("search-staging"),
                   params={"replicas": 2}, reason="a")
    few = queries("/actions/"), queries("/actions/audit/")
    for replicas in (1, 0):
        action_request(user=users["lead"], kind="scale", deployment=deployment("search-staging"),
                       params={"replicas": replicas}, reason="b")
    assert (queries("/actions/"), queries("/actions/audit/")) == few
