"""orphans.old_version and orphans.unknown_team on small hand-made inventories."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from footprint.accounts.models import Membership
from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from footprint.inventory.models import OwnershipRule, Team
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

V1, V2 = "a" * 40, "b" * 40
OLD, NEW = NOW - timedelta(days=200), NOW - timedelta(days=30)


def found(code: str) -> list[Finding]:
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE[code]])
    return list(Finding.objects.filter(rule=code, status="open").order_by("subject"))


# --- orphans.old_version ------------------------------------------------------------------------


def test_the_old_version_next_to_the_newer_one_is_reported_on_the_old_deployment(inventory):
    inventory([spec("reranker", version=V1, created=OLD, accelerator="T4"),
               spec("reranker-v2", version=V2, created=NEW, accelerator="T4")])
    [finding] = found("orphans.old_version")
    assert finding.subject == "prod-a/llm/reranker" and finding.deployment.name == "reranker"
    assert finding.evidence["newer"]["where"] == "prod-a/llm/reranker-v2"
    assert finding.title == (f"reranker still serves meta-llama/Llama-3.1-8B-Instruct at {V1[:12]} (since "
                             f"{OLD:%Y-%m-%d}) next to reranker-v2 at {V2[:12]} (since {NEW:%Y-%m-%d})")
    assert finding.action == {"kind": "decommission", "deployment": finding.deployment_id,
                              "note": "once its traffic has moved to prod-a/llm/reranker-v2"}
    assert finding.impact_monthly > 0 and finding.severity == "medium"


@pytest.mark.parametrize("specs", [
    pytest.param([spec("a", version=V1, created=OLD), spec("b", version=V1, created=NEW)], id="same version twice"),
    pytest.param([spec("a", version=V1, created=OLD), spec("b", version=V2, created=NEW, cluster="prod-b")],
                 id="other cluster: drift.version's"),
    pytest.param([spec("a", version=V1, created=OLD), spec("b", version=V2, created=NOW - timedelta(days=2))],
                 id="a rollout within the grace period"),
    pytest.param([spec("a", version=V1, created=None), spec("b", version=V2, created=NEW)], id="undated"),
    pytest.param([spec("a", version=None, created=OLD), spec("b", version=V2, created=NEW)], id="unpinned"),
    pytest.param([spec("a", version=V1, created=OLD), spec("b", version=V2, created=NEW, environment="staging")],
                 id="another environment"),
    pytest.param([spec("a", version=V1, created=OLD), spec("b", version=V2, created=NEW, variant="canary")],
                 id="a canary is judged by its own rule"),
])
def test_no_old_version(inventory, specs):
    inventory(specs)
    assert found("orphans.old_version") == []


def test_the_grace_period_is_a_setting(inventory):
    inventory([spec("a", version=V1, created=OLD), spec("b", version=V2, created=NEW)])
    RuleSetting.objects.create(code="orphans.old_version", params={"grace_days": 60})
    assert found("orphans.old_version") == []


# --- orphans.unknown_team -----------------------------------------------------------------------


def test_a_team_named_by_a_label_that_nobody_registered(inventory):
    inventory([spec("chat", team="search"), spec("poc", team="serch"), spec("ads", team="ads")])
    OwnershipRule.objects.create(namespace_pattern="search-*", team=Team.objects.get(slug="search"))
    user = get_user_model().objects.create(username="ana")
    Membership.objects.create(user=user, team=Team.objects.get(slug="ads"))
    [finding] = found("orphans.unknown_team")
    assert finding.subject == "prod-a/llm/poc" and finding.team.slug == "serch"
    assert finding.title == "poc names team 'serch', which Footprint does not know (did you mean search?)"
    assert finding.evidence["ownerSource"] == "label:team" and finding.evidence["similarTeams"] == ["search"]
    assert finding.impact_monthly > 0 and finding.severity == "low"
    assert not Finding.objects.filter(rule="orphans.unknown_team", subject="prod-a/llm/chat").exists()


def test_no_owner_is_not_an_unknown_team(inventory):
    inventory([spec("poc", team=None), spec("chat", team="search")])
    OwnershipRule.objects.create(namespace_pattern="nowhere", team=Team.objects.get(slug="search"))
    assert found("orphans.unknown_team") == []
    assert len(found("orphans.no_owner")) == 1


def test_silent_until_some_team_is_registered(inventory):
    inventory([spec("poc", team="serch")])
    assert found("orphans.unknown_team") == []


def test_known_teams_setting_registers_teams_by_glob(inventory):
    inventory([spec("chat", team="ml-search"), spec("poc", team="serch")])
    RuleSetting.objects.create(code="orphans.unknown_team", params={"known_teams": ["ml-*"]})
    assert [f.subject for f in found("orphans.unknown_team")] == ["prod-a/llm/poc"]


def test_a_team_given_by_an_ownership_rule_is_known(inventory):
    rule_team = Team.objects.create(slug="platform", name="Platform")
    OwnershipRule.objects.create(namespace_pattern="llm", team=rule_team)
    inventory([spec("poc", team=None)])
    assert found("orphans.unknown_team") == [] and found("orphans.no_owner") == []
