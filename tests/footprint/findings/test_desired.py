"""Desired vs live: a file source (a GitOps repo's ModelSpecList) declares workloads; a crawled source
shows what runs. Differences, declared-but-not-running, running-but-undeclared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding
from footprint.findings.rules import RULES
from footprint.inventory.models import Deployment
from tests.footprint.findings.conftest import NOW
from tests.footprint.findings.conftest import spec as spec_any

DESIRED = ("drift.desired_live", "drift.not_running", "drift.undeclared")


def spec(name, **fields):
    """An 8B model on the GPU that fits it (so that waste.wrong_gpu has nothing to say)."""
    return spec_any(name, **{"accelerator": "L4", **fields})

pytestmark = pytest.mark.django_db

V1, V2 = "a" * 40, "b" * 40


def open_findings(*codes: str) -> dict[tuple[str, str], Finding]:
    findings_evaluate(now=NOW)
    rows = Finding.objects.filter(status="open")
    if codes:
        rows = rows.filter(rule__in=codes)
    return {(f.rule, f.subject): f for f in rows}


def test_the_cluster_runs_another_version_and_replica_count_than_declared(inventory, live):
    inventory([spec("chat", version=V1, replicas=2, accelerator="L4")])
    live([spec("chat", version=V2, replicas=4, accelerator="L4")])
    findings = open_findings()
    assert set(findings) == {("drift.desired_live", "prod-a/llm/chat")}   # and the file copy is no duplicate
    finding = findings[("drift.desired_live", "prod-a/llm/chat")]
    live_row = Deployment.objects.get(source__kind="kubernetes")
    assert finding.deployment == live_row
    assert finding.evidence["declaredIn"] == "fleet"
    assert finding.evidence["differences"] == {"version": {"declared": V1, "live": V2},
                                               "replicas": {"declared": 2, "live": 4}}
    assert finding.title == f"prod-a/llm/chat runs version {V2} (declared {V1}); replicas 4 (declared 2) — fleet declares otherwise"
    assert finding.action == {"kind": "align-version", "deployment": live_row.pk, "version": V1}
    assert finding.impact_monthly > 0 and "declared $" in finding.impact_basis   # 2 replicas more than declared


def test_a_version_difference_alone_is_a_risk_not_a_cost(inventory, live):
    inventory([spec("chat", version=V1, replicas=2)])
    live([spec("chat", version=V2, replicas=2)])
    finding = open_findings("drift.desired_live")[("drift.desired_live", "prod-a/llm/chat")]
    assert finding.evidence["differences"] == {"version": {"declared": V1, "live": V2}}
    assert finding.impact_monthly == 0 and finding.impact_basis.startswith("risk:")


def test_a_declared_accelerator_or_replicas_alone_suggest_moving_or_scaling(inventory, live):
    inventory([spec("a", accelerator="L4"), spec("b", replicas=1)])
    live([spec("a", accelerator="A100-80GB"), spec("b", replicas=3)])
    findings = open_findings("drift.desired_live")
    assert findings[("drift.desired_live", "prod-a/llm/a")].action["accelerator"] == "L4"
    assert findings[("drift.desired_live", "prod-a/llm/b")].action["replicas"] == 1


def test_an_autoscaled_deployment_is_compared_on_its_bounds_not_its_count(inventory, live):
    inventory([spec("chat", replicas=2, min_replicas=2, max_replicas=6)])
    live([spec("chat", replicas=5, min_replicas=2, max_replicas=6)])
    assert open_findings(*DESIRED) == {}
    live([spec("chat", replicas=5, min_replicas=2, max_replicas=10)], at=NOW + timedelta(minutes=1))
    [finding] = open_findings(*DESIRED).values()
    assert finding.evidence["differences"] == {"replicas": {"declared": {"min": 2, "max": 6},
                                                            "live": {"min": 2, "max": 10}}}
    assert finding.action == {}


def test_declared_but_not_running_and_running_but_undeclared(inventory, live):
    inventory([spec("chat"), spec("gone")])
    live([spec("chat"), spec("extra", accelerator="T4"), spec("elsewhere", namespace="other")])
    findings = open_findings(*DESIRED)
    assert set(findings) == {("drift.not_running", "prod-a/llm/gone"), ("drift.undeclared", "prod-a/llm/extra")}
    gone = findings[("drift.not_running", "prod-a/llm/gone")]
    assert gone.deployment.source.kind == "file" and gone.impact_monthly is None and gone.severity == "low"
    extra = findings[("drift.undeclared", "prod-a/llm/extra")]
    assert extra.evidence["coveredBy"] == ["fleet"] and extra.impact_monthly > 0


def test_a_source_covers_more_namespaces_through_its_settings(inventory, live, file_source):
    file_source.settings = {"covers": ["prod-*/other"]}
    file_source.save()
    inventory([spec("chat")])
    live([spec("chat"), spec("elsewhere", namespace="other"), spec("far", namespace="third")])
    assert set(open_findings("drift.undeclared")) == {("drift.undeclared", "prod-a/other/elsewhere")}


def test_a_cluster_no_crawl_listed_completely_is_not_judged(inventory, live):
    inventory([spec("chat", version=V1), spec("gone"), spec("batch", cluster="prod-b", version=V1)])
    live([spec("chat", version=V1), spec("batch", cluster="prod-b", version=V2)], clusters=["prod-a"])
    # prod-b was not listed completely: neither "not running" nor compared; the file row stays a deployment
    assert set(open_findings(*DESIRED)) == {
        ("drift.not_running", "prod-a/llm/gone")}


def test_without_a_crawled_source_a_file_source_is_the_inventory(inventory):
    inventory([spec("chat", team=None)])
    assert set(open_findings()) == {("orphans.no_owner", "prod-a/llm/chat")}


def test_a_declaration_only_is_judged_by_no_other_rule(inventory, live):
    # declared without an owner on an expensive GPU, and not running: only "not running" applies
    inventory([spec("ghost", team=None, accelerator="H100-80GB"),
               spec("chat", model="Qwen/Qwen2.5-7B-Instruct", version=V2)])
    live([spec("chat", model="Qwen/Qwen2.5-7B-Instruct", version=V1)])
    assert set(open_findings()) == {("drift.not_running", "prod-a/llm/ghost"), ("drift.desired_live", "prod-a/llm/chat")}


def test_every_rule_has_a_documented_default_severity_and_params():
    for rule in RULES:
        assert rule.code and rule.title and rule.description and rule.severity in (
            "info", "low", "medium", "high", "critical"), rule.code
