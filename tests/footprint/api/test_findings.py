"""/api/v1/findings/: filters, ordering, cursor pages, and acknowledge / snooze / accept through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from footprint.findings.models import Finding
from footprint.inventory.models import Deployment, Team
from tests.footprint.api.conftest import finding_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings(fleet) -> dict[str, Finding]:
    chat = Deployment.objects.get(name="chat-vllm")
    embed = Deployment.objects.get(name="embed-tei")
    earlier = timezone.now() - timedelta(days=3)
    return {
        "idle": finding_make(team=chat.team, deployment=chat, impact="900.00", severity="high"),
        "drift": finding_make(team=None, rule="drift.version", severity="medium", impact=None,
                              subject="meta-llama/Llama-3.1-8B-Instruct",
                              key="group:model|meta-llama/Llama-3.1-8B-Instruct|prod", opened_at=earlier),
        "dup": finding_make(team=embed.team, deployment=embed, rule="waste.duplicates", severity="critical",
                            impact="50.00", subject="prod-a/llm/embed-tei"),
        "gone": finding_make(team=chat.team, deployment=chat, rule="waste.nonprod_like_prod", severity="low",
                             impact="10.00", subject="old", status="resolved", resolved_at=timezone.now()),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["rule"] for row in response.json()["results"]]


def test_list_open_by_default_biggest_impact_first(api, findings):
    response = api.get("/api/v1/findings/")
    assert names(response) == ["waste.idle_gpu_nodes", "waste.duplicates", "drift.version"]
    row = response.json()["results"][0]
    assert row["team"] == "search" and row["deployment"] == "chat-vllm" and row["cluster"] == "prod-a"
    assert row["model"] == "meta-llama/Llama-3.1-8B-Instruct" and row["impact_monthly"] == "900.00"
    assert row["snoozed"] is False and row["events"] == []


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "resolved"}, ["waste.nonprod_like_prod"]),
    ({"status": "all", "team": "search"}, ["waste.idle_gpu_nodes", "waste.nonprod_like_prod"]),
    ({"severity": ["critical", "medium"]}, ["waste.duplicates", "drift.version"]),
    ({"rule": "drift.version"}, ["drift.version"]),
    ({"cluster": "prod-a"}, ["waste.idle_gpu_nodes", "waste.duplicates"]),
    ({"model": "meta-llama/Llama-3.1-8B-Instruct"}, ["waste.idle_gpu_nodes", "drift.version"]),
    ({"q": "embed"}, ["waste.duplicates"]),
    ({"ordering": "-severity"}, ["waste.duplicates", "waste.idle_gpu_nodes", "drift.version"]),
    ({"ordering": "opened_at"}, ["drift.version", "waste.idle_gpu_nodes", "waste.duplicates"]),
])
def test_filters_and_ordering(api, findings, params, expected):
    assert names(api.get("/api/v1/findings/", params)) == expected


def test_filters_by_id(api, findings):
    team = Team.objects.get(slug="ads")
    assert names(api.get("/api/v1/findings/", {"team_id": str(team.pk)})) == ["waste.duplicates"]
    assert api.get("/api/v1/findings/", {"team_id": "x"}).status_code == 400
    assert api.get("/api/v1/findings/", {"severity": "huge"}).status_code == 400


@pytest.mark.parametrize("ordering", ["-severity", "-impact", "impact", "opened_at", "-last_seen"])
def test_cursor_pages_cover_every_finding_once(api, findings, ordering):
    seen, url = [], f"/api/v1/findings/?status=all&page_size=1&ordering={ordering}"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f.pk for f in findings.values())
    # A cursor whose position does not fit the ordering ("p=abc" on the severity rank) is DRF's invalid cursor.
    response = api.get("/api/v1/findings/", {"cursor": "cD1hYmM=", "ordering": "-severity"})
    assert response.status_code == 404 and response.json()["error"]["message"] == "Invalid cursor"
    assert api.get("/api/v1/deployments/", {"cursor": "cD1hYmM="}).status_code == 404


def test_acknowledge_snooze_accept(api, findings, user):
    idle = findings["idle"]
    response = api.post(f"/api/v1/findings/{idle.pk}/acknowledge/", {"note": "looking"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["acknowledged_by"] == "admin" and body["events"][-1]["kind"] == "acknowledged"
    until = timezone.now() + timedelta(days=2)
    body = api.post(f"/api/v1/findings/{idle.pk}/snooze/", {"until": until.isoformat()}, format="json").json()
    assert body["snoozed"] is True and body["events"][-1]["kind"] == "snoozed"
    body = api.post(f"/api/v1/findings/{idle.pk}/accept/", {"reason": "kept on purpose"}, format="json").json()
    assert body["risk_accepted_reason"] == "kept on purpose" and body["risk_accepted_by"] == "admin"
    assert [e["kind"] for e in api.get(f"/api/v1/findings/{idle.pk}/").json()["events"]] == [
        "acknowledged", "snoozed", "risk_accepted"]


@pytest.mark.parametrize(("command", "body", "field"), [
    ("snooze", {"until": "2000-01-01T00:00:00Z"}, "until"),
    ("snooze", {}, "until"),
    ("accept", {"reason": "   "}, "reason"),
    ("accept", {}, "reason"),
])
def test_command_errors_are_400(api, findings, command, body, field):
    response = api.post(f"/api/v1/findings/{findings['idle'].pk}/{command}/", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]


def test_commands_on_a_missing_finding_are_404(api, findings):
    assert api.post("/api/v1/findings/999999/acknowledge/", {}, format="json").status_code == 404


@pytest.mark.parametrize("command, body", [("acknowledge", {}), ("snooze", {"until": "2999-01-01T00:00:00Z"}),
                                           ("accept", {"reason": "known"})])
def test_a_resolved_finding_has_nothing_to_manage(api, findings, command, body):
    response = api.post(f"/api/v1/findings/{findings['gone'].pk}/{command}/", body, format="json")
    assert response.status_code == 400 and "resolved" in response.json()["error"]["details"]["status"][0]
    assert not findings["gone"].events.exists()
