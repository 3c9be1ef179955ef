"""Ignore rules (like Argo CD's ignoreDifferences): an accepted difference produces no finding, an open
finding it covers resolves at the next evaluation, and an expired one lets the finding come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, IgnoreRule
from footprint.findings.rules import RULES_BY_CODE
from tests.footprint.findings.conftest import NOW, node, spec

SETTINGS = {"tensorParallelSize": 1, "maxModelLen": 8192, "dtype": "bfloat16"}
FACTS = {"model": "meta-llama/Llama-3.1-8B-Instruct", "team": "search", "cluster": "prod-eu-1", "namespace": "llm",
         "environment": "prod"}


@pytest.mark.parametrize(("ignore", "code", "field", "matches"), [
    ({"rule": "drift.settings"}, "drift.settings", None, True),
    ({"rule": "drift.settings"}, "drift.version", None, False),
    ({"rule": "drift"}, "drift.settings", None, True),
    ({"rule": "drift.*"}, "drift.settings", None, True),
    ({"rule": "drift"}, "driftwood.x", None, False),
    ({"rule": "*"}, "waste.wrong_gpu", None, True),
    ({"rule": "drift.settings", "cluster": "prod-eu-*"}, "drift.settings", None, True),
    ({"rule": "drift.settings", "cluster": "prod-us-*"}, "drift.settings", None, False),
    ({"rule": "drift.settings", "model": "meta-llama/*", "team": "search", "namespace": "llm",
      "environment": "prod"}, "drift.settings", None, True),
    ({"rule": "drift.settings", "team": "ads"}, "drift.settings", None, False),
    ({"rule": "drift.settings", "environment": "staging"}, "drift.settings", None, False),
    ({"rule": "drift.settings", "fields": ["maxModelLen"]}, "drift.settings", "maxModelLen", True),
    ({"rule": "drift.settings", "fields": ["maxModelLen"]}, "drift.settings", "dtype", False),
    ({"rule": "drift.settings", "fields": ["maxModelLen"]}, "drift.settings", None, False),   # not the whole finding
    ({"rule": "drift.settings"}, "drift.settings", "dtype", True),   # no fields: every difference
])
def test_what_an_ignore_rule_matches(ignore, code, field, matches):
    assert IgnoreRule(reason="accepted", **ignore).matches(code=code, facts=FACTS, field=field) is matches


def test_a_pattern_never_matches_a_finding_without_that_value():
    ignore = IgnoreRule(rule="waste.idle_gpu_nodes", model="*", reason="x")
    assert not ignore.matches(code="waste.idle_gpu_nodes", facts={"cluster": "cw-ord1"})


@pytest.mark.django_db
def test_an_ignored_finding_resolves_and_comes_back_when_the_ignore_rule_expires(inventory):
    inventory([spec("poc", team=None, namespace="genai-poc", accelerator="T4"), spec("other", team=None, accelerator="T4")])
    rules = [RULES_BY_CODE["orphans.no_owner"]]
    findings_evaluate(now=NOW, rules=rules)
    poc = Finding.objects.get(subject="prod-a/genai-poc/poc")
    ignore = IgnoreRule.objects.create(rule="orphans", namespace="genai-*", reason="POCs are nobody's by design",
                                       created_by="ana", expires_at=NOW + timedelta(days=30))
    summary = findings_evaluate(now=NOW + timedelta(hours=1), rules=rules)
    assert (summary.resolved, summary.ignored) == (1, 1)
    poc.refresh_from_db()
    assert poc.status == "resolved"
    resolved = poc.events.last()
    assert resolved.note == f"ignored by ignore rule #{ignore.pk} (POCs are nobody's by design); open for 1h 0m"
    assert resolved.data == {"openSeconds": 3600, "ignoreRule": ignore.pk}
    assert Finding.objects.get(subject="prod-a/llm/other").status == "open"

    findings_evaluate(now=NOW + timedelta(days=31), rules=rules)
    poc.refresh_from_db()
    assert poc.status == "open" and [e.kind for e in poc.events.all()] == ["opened", "resolved", "opened"]


@pytest.mark.django_db
def test_an_ignored_field_leaves_only_that_difference_out(inventory):
    inventory([spec("chat", cluster="prod-a", settings=SETTINGS),
               spec("chat", cluster="prod-eu-1", settings={**SETTINGS, "maxModelLen": 4096, "dtype": "float16"})])
    rules = [RULES_BY_CODE["drift.settings"]]
    IgnoreRule.objects.create(rule="drift.settings", cluster="prod-eu-*", fields=["maxModelLen"],
                              reason="smaller GPUs in the EU region")
    findings_evaluate(now=NOW, rules=rules)
    finding = Finding.objects.get(rule="drift.settings")
    assert list(finding.evidence["differences"]) == ["dtype"]
    assert finding.evidence["ignored"] == {"maxModelLen": ["prod-eu-1/llm/chat"]}

    IgnoreRule.objects.create(rule="drift.settings", cluster="prod-eu-*", fields=["dtype"], reason="fp16 there")
    findings_evaluate(now=NOW + timedelta(hours=1), rules=rules)
    finding.refresh_from_db()
    assert finding.status == "resolved"


@pytest.mark.django_db
def test_a_gpu_node_finding_is_ignored_by_cluster(inventory):
    inventory([], gpu_nodes=[node("n1", cluster="cw-ord1", pods=0), node("n2", cluster="prod-a", pods=0)])
    IgnoreRule.objects.create(rule="waste.idle_gpu_nodes", cluster="cw-*", reason="reserved for the launch")
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE["waste.idle_gpu_nodes"]])
    assert [f.subject for f in Finding.objects.filter(status="open")] == ["prod-a/n2"]


@pytest.mark.parametrize(("fields", "error"), [
    ({"rule": "nope"}, "matches no rule"),
    ({"rule": "drift.settings", "fields": ["contextLength"]}, "unknown field(s) contextLength"),
    ({"rule": "orphans.no_owner", "fields": ["version"]}, "none (not a drift rule)"),
    ({"rule": "drift.settings", "fields": "maxModelLen"}, "a JSON list"),
    ({"rule": "drift.settings", "reason": " "}, "say why"),
])
def test_a_bad_ignore_rule_is_refused_with_a_reason(fields, error):
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")):
        IgnoreRule(**{"reason": "accepted", **fields}).clean()


@pytest.mark.django_db
def test_the_admin_records_who_created_an_ignore_rule(admin_client):
    response = admin_client.post("/admin/findings/ignorerule/add/", {
        "rule": "drift.accelerator", "model": "", "team": "", "cluster": "lambda-*", "namespace": "",
        "environment": "", "fields": '["accelerator"]', "reason": "no L4 at Lambda", "expires_at_0": "",
        "expires_at_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    ignore = IgnoreRule.objects.get()
    assert (ignore.created_by, ignore.fields, ignore.cluster) == ("admin", ["accelerator"], "lambda-*")
    response = admin_client.post("/admin/findings/ignorerule/add/", {
        "rule": "drift.accelerator", "fields": '["gpu"]', "reason": "x", "expires_at_0": "", "expires_at_1": ""})
    assert response.status_code == 200 and "unknown field(s) gpu" in response.content.decode()


@pytest.mark.django_db
def test_a_region_pinned_on_purpose_is_left_out_of_version_drift(inventory):
    inventory([spec("chat", cluster="prod-a", version="a" * 40), spec("chat", cluster="prod-b", version="a" * 40),
               spec("chat", cluster="prod-eu-1", version="b" * 40)])
    IgnoreRule.objects.create(rule="drift.version", cluster="prod-eu-1", fields=["version"],
                              reason="EU stays on the audited revision until the DPIA is done")
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE["drift.version"]])
    assert not Finding.objects.filter(status="open").exists()
    IgnoreRule.objects.all().delete()
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE["drift.version"]])
    assert Finding.objects.get(status="open").subject == "meta-llama/Llama-3.1-8B-Instruct/prod"
