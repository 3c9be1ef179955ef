"""A finding's life: opened once, updated while it holds, resolved when it clears (with how long it was
open), reopened on the same row, and what users do to it (acknowledge, snooze, accept) recorded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, FindingEvent, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from footprint.findings.services import finding_accept_risk, finding_acknowledge, finding_snooze
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=6)
NO_OWNER = [RULES_BY_CODE["orphans.no_owner"]]


def kinds(finding):
    return list(finding.events.order_by("at", "id").values_list("kind", flat=True))


def test_a_finding_opens_once_and_is_not_duplicated_by_re_evaluation(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    first = findings_evaluate(now=NOW, rules=NO_OWNER)
    second = findings_evaluate(now=LATER, rules=NO_OWNER)
    assert (first.opened, second.opened, second.unchanged) == (1, 0, 1)
    finding = Finding.objects.get()
    assert (finding.rule, finding.status, finding.severity) == ("orphans.no_owner", "open", "medium")
    assert (finding.first_seen, finding.opened_at, finding.last_seen) == (NOW, NOW, LATER)
    assert finding.subject == "prod-a/llm/poc"
    assert finding.deployment.name == "poc"
    assert finding.impact_monthly == Decimal("383.98")   # 1 × g4dn.xlarge at $0.526/h × 730
    assert "g4dn.xlarge" in finding.impact_basis
    assert finding.action["kind"] == "decommission"
    assert kinds(finding) == ["opened"]


def test_evidence_changes_update_the_finding_with_an_event(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    inventory([spec("poc", team=None, accelerator="T4", replicas=2)], at=LATER)
    summary = findings_evaluate(now=LATER, rules=NO_OWNER)
    finding = Finding.objects.get()
    assert summary.updated == 1
    assert finding.evidence["replicas"]["desired"] == 2
    assert finding.impact_monthly == Decimal("767.96")
    assert kinds(finding) == ["opened", "updated"]
    update = finding.events.get(kind="updated")
    assert "impact_monthly" in update.note and update.data["impact_monthly"] == ["383.98", "767.96"]


def test_a_finding_resolves_when_the_condition_clears_with_its_open_duration(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    inventory([spec("poc", team="search", accelerator="T4", replicas=1)], at=LATER)
    summary = findings_evaluate(now=LATER, rules=NO_OWNER)
    finding = Finding.objects.get()
    assert summary.resolved == 1
    assert (finding.status, finding.resolved_at) == ("resolved", LATER)
    assert finding.open_duration() == timedelta(hours=6)
    assert finding.events.get(kind="resolved").note == "condition cleared; open for 6h 0m"
    # resolved findings stay resolved while the condition stays away
    assert findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER).resolved == 0


def test_a_condition_that_comes_back_reopens_the_same_row(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    finding = Finding.objects.get()
    finding_acknowledge(finding=finding, user="ana", now=NOW)
    inventory([spec("poc", team="search", accelerator="T4", replicas=1)], at=LATER)
    findings_evaluate(now=LATER, rules=NO_OWNER)
    back = LATER + timedelta(days=1)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)], at=back)
    summary = findings_evaluate(now=back, rules=NO_OWNER)
    finding.refresh_from_db()
    assert (summary.opened, summary.reopened) == (1, 1)
    assert Finding.objects.count() == 1
    assert (finding.status, finding.first_seen, finding.opened_at, finding.resolved_at) == ("open", NOW, back, None)
    assert finding.acknowledged_at is None   # a recurrence is news
    assert kinds(finding) == ["opened", "acknowledged", "resolved", "opened"]
    assert finding.events.filter(kind="opened").last().note.startswith("reopened")


def test_user_states_are_recorded_with_who_and_when_and_do_not_stop_resolution(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    finding = Finding.objects.get()
    finding_acknowledge(finding=finding, user="ana", note="looking", now=NOW + timedelta(minutes=1))
    finding_snooze(finding=finding, user="ben", until=NOW + timedelta(days=7), now=NOW + timedelta(minutes=2))
    finding_accept_risk(finding=finding, user="cy", reason="POC until December", now=NOW + timedelta(minutes=3))
    finding.refresh_from_db()
    assert (finding.acknowledged_by, finding.acknowledged_at) == ("ana", NOW + timedelta(minutes=1))
    assert finding.snoozed_until == NOW + timedelta(days=7) and finding.is_snoozed(now=NOW)
    assert (finding.risk_accepted_by, finding.risk_accepted_reason) == ("cy", "POC until December")
    events = list(finding.events.exclude(kind="opened").values_list("kind", "actor", "note"))
    assert events == [("acknowledged", "ana", "looking"), ("snoozed", "ben", ""),
                      ("risk_accepted", "cy", "POC until December")]
    with pytest.raises(ValidationError):
        finding_accept_risk(finding=finding, user="cy", reason=" ")
    with pytest.raises(ValidationError):
        finding_snooze(finding=finding, user="ben", until=NOW - timedelta(days=1), now=NOW)
    inventory([spec("poc", team="search", accelerator="T4", replicas=1)], at=LATER)
    findings_evaluate(now=LATER, rules=NO_OWNER)
    finding.refresh_from_db()
    assert finding.status == "resolved"


def test_events_are_append_only_and_fingerprints_unique(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    event = FindingEvent.objects.get()
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    finding = Finding.objects.get()
    finding.pk = None
    with pytest.raises(IntegrityError):
        finding.save()


def test_rule_settings_change_severity_and_thresholds_and_disable_rules(inventory):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    setting = RuleSetting.objects.create(code="orphans.no_owner", severity="high")
    summary = findings_evaluate(now=LATER, rules=NO_OWNER)
    finding = Finding.objects.get()
    assert finding.severity == "high" and summary.unchanged == 1
    assert finding.events.get(kind="severity_changed").data == {"from": "medium", "to": "high"}
    setting.enabled = False
    setting.save()
    summary = findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)
    finding.refresh_from_db()
    assert summary.rules_disabled == ["orphans.no_owner"] and finding.status == "resolved"
    assert finding.events.get(kind="resolved").note.startswith("rule disabled")


def test_rule_settings_refuse_unknown_rules_and_parameters():
    with pytest.raises(ValidationError, match="unknown rule"):
        RuleSetting(code="orphans.nope").full_clean()
    with pytest.raises(ValidationError, match="max_age_dayz"):
        RuleSetting(code="orphans.old_canary", params={"max_age_dayz": 3}).full_clean()
    RuleSetting(code="orphans.old_canary", params={"max_age_days": 3}).full_clean()


def test_a_failing_rule_leaves_its_findings_alone_and_the_others_run(inventory, monkeypatch):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    monkeypatch.setattr(type(NO_OWNER[0]), "evaluate", lambda self, context: 1 / 0)
    summary = findings_evaluate(now=LATER, rules=[*NO_OWNER, RULES_BY_CODE["orphans.zero_ready"]])
    assert summary.rules_failed == ["orphans.no_owner"] and summary.rules_run == ["orphans.zero_ready"]
    assert Finding.objects.get().status == "open"


def test_evaluation_costs_a_constant_number_of_queries(inventory, django_assert_max_num_queries):
    def specs(count):
        return [spec(f"poc-{i}", team=None, accelerator="T4", replicas=1) for i in range(count)]

    inventory(specs(3))
    findings_evaluate(now=NOW)
    inventory(specs(4), at=LATER)   # one to open, three to touch
    with django_assert_max_num_queries(20) as few:
        findings_evaluate(now=LATER)
    inventory(specs(30), at=LATER + timedelta(hours=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        findings_evaluate(now=LATER + timedelta(hours=1))


def test_an_unchanged_condition_writes_no_event_on_later_crawls(inventory):
    canary = spec("chat-canary", variant="canary", created=NOW - timedelta(days=60), accelerator="T4")
    inventory([canary])
    rules = [RULES_BY_CODE["orphans.old_canary"]]
    findings_evaluate(now=NOW, rules=rules)
    inventory([canary], at=NOW + timedelta(days=3))
    summary = findings_evaluate(now=NOW + timedelta(days=3), rules=rules)
    assert (summary.unchanged, summary.updated) == (1, 0)
    assert kinds(Finding.objects.get()) == ["opened"]
