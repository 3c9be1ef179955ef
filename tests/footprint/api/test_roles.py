"""Each role on each endpoint: who may read, who may write, and operators only on their own team's findings.

Users: viewer (no group: the floor), finance, operator of team search (A) and operator of team ads (B),
approver, admin, and nobody (anonymous). The finding acted on belongs to team search.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from footprint.accounts.models import Membership
from footprint.accounts.roles import Role
from footprint.costs.models import PriceOverride
from footprint.inventory.models import Deployment, Source, Team
from tests.footprint.api.conftest import finding_make

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "finance", "operator_a", "operator_b", "approver", "admin")
READ = (401, 200, 200, 200, 200, 200, 200)
ADMIN_WRITE = (401, 403, 403, 403, 403, 403, "ok")
FINANCE_WRITE = (401, 403, "ok", 403, 403, 403, "ok")
OPERATOR = (401, 403, 403, "ok", "ok", 403, "ok")
TEAM_A = (401, 403, 403, "ok", 403, 403, "ok")

SNOOZE_UNTIL = (timezone.now() + timedelta(days=7)).isoformat()
# (method, url template, body, expected per role: a status, or "ok" for the endpoint's success status)
MATRIX = [
    ("get", "/api/v1/deployments/", None, READ),
    ("get", "/api/v1/deployments/?as_of=2026-06-15", None, READ),
    ("get", "/api/v1/deployments/{deployment}/", None, READ),
    ("get", "/api/v1/deployments/{deployment}/revisions/", None, READ),
    ("get", "/api/v1/models/", None, READ),
    ("get", "/api/v1/clusters/", None, READ),
    ("get", "/api/v1/teams/", None, READ),
    ("get", "/api/v1/sources/", None, READ),
    ("get", "/api/v1/sources/{source}/", None, READ),
    ("get", "/api/v1/crawl-runs/", None, READ),
    ("get", "/api/v1/modelspecs/", None, READ),
    ("get", "/api/v1/modelspecs/?format=yaml", None, READ),
    ("get", "/api/v1/findings/", None, READ),
    ("get", "/api/v1/findings/{finding}/", None, READ),
    ("get", "/api/v1/price-overrides/", None, READ),
    ("get", "/api/v1/price-overrides/{override}/", None, READ),
    ("get", "/api/v1/me/", None, READ),
    ("get", "/api/v1/costs/?month=2026-06&group_by=team", None, READ),
    ("post", "/api/v1/sources/", {"name": "new-files", "kind": "file"}, ADMIN_WRITE),
    ("patch", "/api/v1/sources/{source}/", {"interval_minutes": 30}, ADMIN_WRITE),
    ("post", "/api/v1/sources/{crawlable}/crawl/", None, OPERATOR),
    ("post", "/api/v1/price-overrides/", {"cloud": "aws", "kind": "discount", "discount_percent": "10",
                                          "effective_from": "2026-01-01"},
     FINANCE_WRITE),
    ("patch", "/api/v1/price-overrides/{override}/", {"discount_percent": "12.5"}, FINANCE_WRITE),
    ("delete", "/api/v1/price-overrides/{override}/", None, FINANCE_WRITE),
    ("post", "/api/v1/findings/{finding}/acknowledge/", {"note": "on it"}, TEAM_A),
    ("post", "/api/v1/findings/{finding}/snooze/", {"until": SNOOZE_UNTIL}, TEAM_A),
    ("post", "/api/v1/findings/{finding}/accept/", {"reason": "canary on purpose"}, TEAM_A),
]
SUCCESS = {"get": 200, "post": 200, "patch": 200, "delete": 204}
CREATED = {"/api/v1/sources/": 201, "/api/v1/price-overrides/": 201, "/api/v1/sources/{crawlable}/crawl/": 202}


@pytest.fixture
def people(django_user_model, fleet) -> dict:
    def make(name: str, *roles: str, teams: tuple[str, ...] = ()):
        person = django_user_model.objects.create_user(username=name)  # no password: hashing is slow
        person.groups.add(*Group.objects.filter(name__in=roles))
        for slug in teams:
            Membership.objects.create(user=person, team=Team.objects.get(slug=slug))
        return person

    return {
        "anonymous": None,
        "viewer": make("viola"),
        "finance": make("fiona", Role.FINANCE),
        "operator_a": make("oscar", Role.OPERATOR, teams=("search",)),
        "operator_b": make("olga", Role.OPERATOR, teams=("ads",)),
        "approver": make("april", Role.APPROVER),
        "admin": make("ada", Role.ADMIN),
    }


@pytest.fixture
def objects(fleet) -> dict:
    chat = Deployment.objects.get(name="chat-vllm")
    finding = finding_make(team=chat.team, deployment=chat)
    override = PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=5)
    crawlable = Source.objects.create(name="cluster", kind="kubernetes")   # a file source is fed, not crawled
    return {"deployment": chat.pk, "source": fleet.pk, "crawlable": crawlable.pk, "finding": finding.pk,
            "override": override.pk}


@pytest.mark.parametrize(("method", "url", "body", "expected"), MATRIX,
                         ids=[f"{m} {u}" for m, u, _, _ in MATRIX])
def test_each_role_on_endpoint(people, objects, method, url, body, expected):
    """Every role in turn, each request rolled back (a delete by one role leaves the row for the next)."""
    got, want = {}, {}
    for role, status in zip(ROLES, expected, strict=True):
        want[role] = CREATED.get(url, SUCCESS[method]) if status == "ok" else status
        client = APIClient()
        if people[role] is not None:
            client.force_authenticate(people[role])
        with transaction.atomic():
            response = getattr(client, method)(url.format(**objects), body, format="json")
            transaction.set_rollback(True)
        got[role] = response.status_code
        if response.status_code in (401, 403):
            assert response.data["error"]["code"] in ("not_authenticated", "permission_denied"), role
    assert got == want


def test_refusals_say_what_is_needed(people, objects):
    client = APIClient()
    client.force_authenticate(people["viewer"])
    error = client.post("/api/v1/price-overrides/", {}, format="json").json()["error"]
    assert error == {"code": "permission_denied", "message": "This needs the finance or admin role.", "details": {}}
    client.force_authenticate(people["operator_b"])
    error = client.post(f"/api/v1/findings/{objects['finding']}/acknowledge/", {}, format="json").json()["error"]
    assert error["message"] == "Only an operator of the owning team (or an admin) may do this."


def test_unowned_findings_only_admins_manage(people, fleet):
    finding = finding_make(team=None, subject="prod-a/n1")
    for role, status in (("operator_a", 403), ("admin", 200)):
        client = APIClient()
        client.force_authenticate(people[role])
        assert client.post(f"/api/v1/findings/{finding.pk}/acknowledge/", {}, format="json").status_code == status


def test_me_tells_roles_and_teams(people):
    client = APIClient()
    client.force_authenticate(people["operator_a"])
    assert client.get("/api/v1/me/").json() == {"id": people["operator_a"].pk, "username": "oscar",
                                                "roles": ["viewer", "operator"], "all_teams": False,
                                                "teams": ["search"], "token": None}
    client.force_authenticate(people["admin"])
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == ["viewer", "finance", "operator", "approver", "admin"] and me["all_teams"] is True
