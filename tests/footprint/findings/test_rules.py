"""Each rule, positive and negative, on small hand-made inventories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from tests.footprint.findings.conftest import NOW, node, pending, spec

pytestmark = pytest.mark.django_db

V1, V2 = "a" * 40, "b" * 40


def found(code: str) -> list[Finding]:
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE[code]])
    return list(Finding.objects.filter(rule=code, status="open").order_by("subject"))


# --- drift.version ------------------------------------------------------------------------------


def test_version_drift_across_clusters_is_one_finding_for_the_fleet_group(inventory):
    inventory([spec("chat", cluster="prod-a", version=V1), spec("chat", cluster="prod-b", region="eu-west-1", version=V2),
               spec("chat", cluster="prod-c", region="us-west-2", version=V1)])
    [finding] = found("drift.version")
    assert finding.subject == "meta-llama/Llama-3.1-8B-Instruct/prod"
    assert finding.evidence["versions"] == {V1: ["prod-a/llm/chat", "prod-c/llm/chat"], V2: ["prod-b/llm/chat"]}
    assert (finding.impact_monthly, finding.impact_basis.split(":")[0]) == (Decimal("0.00"), "risk")
    assert finding.action["kind"] == "align-version" and finding.action["version"] == V1
    assert finding.team.slug == "search"


@pytest.mark.parametrize("specs", [
    pytest.param([spec("chat", cluster="prod-a", version=V1), spec("chat", cluster="prod-b", version=V1)],
                 id="same version everywhere"),
    pytest.param([spec("chat", cluster="prod-a", version=V1), spec("chat-v2", cluster="prod-a", version=V2)],
                 id="two versions in one cluster is not drift"),
    pytest.param([spec("chat", cluster="prod-a", version=V1), spec("chat", cluster="prod-b", version=V2, variant="canary")],
                 id="a canary is judged by its own rule"),
    pytest.param([spec("chat", cluster="prod-a", version=V1), spec("chat", cluster="prod-b", version=V2, environment="staging")],
                 id="other environment"),
    pytest.param([spec("chat", cluster="prod-a", version=V1, labels={"footprint.io/service": "chat"}),
                  spec("chat", cluster="prod-b", version=V2, labels={"footprint.io/service": "eval"})],
                 id="the service label overrides the grouping"),
])
def test_no_version_drift(inventory, specs):
    inventory(specs)
    assert found("drift.version") == []


def test_the_service_label_groups_different_model_names(inventory):
    label = {"footprint.io/service": "chat"}
    inventory([spec("chat", cluster="prod-a", version=V1, labels=label),
               spec("chat", cluster="prod-b", model="meta-llama/Meta-Llama-3.1-8B-Instruct", version=V2, labels=label)])
    [finding] = found("drift.version")
    assert finding.subject == "chat/prod (service)"


# --- drift.backup_mismatch ----------------------------------------------------------------------


def test_a_backup_on_another_gpu_than_prod(inventory):
    inventory([spec("chat", cluster="prod-a", accelerator="L4"),
               spec("chat-dr", cluster="dr", region="us-west-2", accelerator="A10G", variant="backup")])
    [finding] = found("drift.backup_mismatch")
    assert finding.subject == "dr/llm/chat-dr" and finding.deployment.name == "chat-dr"
    assert finding.evidence["differences"] == {"accelerator": {"backup": "A10G", "prod": ["L4"]}}
    assert finding.action == {"kind": "move-gpu", "deployment": finding.deployment_id, "accelerator": "L4"}
    assert finding.impact_monthly == 0 and finding.severity == "high"


def test_a_backup_like_prod_is_fine(inventory):
    inventory([spec("chat", cluster="prod-a", accelerator="L4"),
               spec("chat-dr", cluster="dr", accelerator="L4", variant="backup")])
    assert found("drift.backup_mismatch") == []


# --- orphans ------------------------------------------------------------------------------------


def test_no_owner_fires_only_without_a_team(inventory):
    inventory([spec("poc", team=None, accelerator="T4"), spec("chat", accelerator="T4")])
    assert [f.subject for f in found("orphans.no_owner")] == ["prod-a/llm/poc"]


def test_an_old_canary_fires_and_a_young_one_or_an_undated_one_does_not(inventory):
    inventory([spec("chat-canary", variant="canary", created=NOW - timedelta(days=60)),
               spec("chat-shadow", variant="shadow", created=NOW - timedelta(days=3)),
               spec("chat-undated", variant="canary", created=None),
               spec("chat", created=NOW - timedelta(days=300))])
    [finding] = found("orphans.old_canary")
    assert finding.subject == "prod-a/llm/chat-canary"
    assert finding.evidence["createdAt"].startswith("2026-09-21") and finding.impact_monthly > 0
    assert finding.title == "Canary chat-canary running since 2026-09-21 (more than 14 days)"
    assert finding.action["kind"] == "decommission"
    RuleSetting.objects.create(code="orphans.old_canary", params={"max_age_days": 90})
    assert found("orphans.old_canary") == []


def test_zero_ready_needs_an_explicit_zero_and_gpus(inventory):
    inventory([spec("dead", ready=0, replicas=1, accelerator="A100-80GB"),
               spec("unknown", ready=None, replicas=1),
               spec("cpu", ready=0, replicas=1, accelerator=None, per_replica=None),
               spec("scaled-to-zero", ready=0, replicas=0),
               spec("fine", replicas=1)])
    [finding] = found("orphans.zero_ready")
    assert finding.subject == "prod-a/llm/dead"
    assert finding.action == {"kind": "scale", "deployment": finding.deployment_id, "replicas": 0}
    assert finding.impact_monthly > 0 and "A100-80GB" in finding.impact_basis


# --- waste.wrong_gpu ----------------------------------------------------------------------------


def test_an_8b_model_on_h100s_should_run_on_l4(inventory):
    inventory([spec("chat", accelerator="H100-80GB", replicas=2)])
    [finding] = found("waste.wrong_gpu")
    assert finding.evidence["cheaperGpu"] == "L4" and finding.evidence["contextLen"] == 8192
    # 2 × p5.4xlarge ($6.88/h) − 2 × g6.xlarge ($0.8048/h), 730 h
    assert finding.impact_monthly == Decimal("8869.79")
    assert finding.action == {"kind": "move-gpu", "deployment": finding.deployment_id, "accelerator": "L4",
                              "perReplica": 1}


@pytest.mark.parametrize("specs", [
    pytest.param([spec("chat", accelerator="L4")], id="already the cheapest fit"),
    pytest.param([spec("big", model="meta-llama/Llama-3.1-70B-Instruct", cloud="gcp", region="us-central1",
                       accelerator="A100-80GB", per_replica=4)],
                 id="70B needs its A100s on GCP"),
    pytest.param([spec("odd", model="acme/unknown-model", accelerator="H100-80GB")], id="unknown architecture"),
    pytest.param([spec("onprem", cloud="onprem", accelerator="H100-80GB")], id="current price unknown"),
])
def test_no_wrong_gpu(inventory, specs):
    inventory(specs)
    assert found("waste.wrong_gpu") == []


# --- waste.idle_gpu_nodes -----------------------------------------------------------------------


def test_gpu_nodes_without_gpu_pods_are_dark_capacity(inventory):
    inventory([spec("chat")], gpu_nodes=[node("gpu-busy"), node("gpu-idle", pods=0),
                                          node("gpu-mystery", pods=0, instance_type="x9.weird", accelerator="B200")])
    findings = found("waste.idle_gpu_nodes")
    assert [f.subject for f in findings] == ["prod-a/gpu-idle", "prod-a/gpu-mystery"]
    idle, mystery = findings
    assert idle.impact_monthly == Decimal("40179.20")   # p5.48xlarge $55.04/h × 730
    assert idle.cluster.name == "prod-a" and idle.action["node"] == "gpu-idle"
    assert mystery.impact_monthly is None and mystery.impact_basis.startswith("cannot price")


def test_busy_gpu_nodes_are_not_idle(inventory):
    inventory([spec("chat")], gpu_nodes=[node("gpu-1"), node("gpu-2", pods=1, requested=2)])
    assert found("waste.idle_gpu_nodes") == []


# --- waste.pending_gpu_pods ---------------------------------------------------------------------


def test_pending_gpu_pods_are_found_with_their_deployment(inventory):
    inventory([spec("chat", replicas=2, ready=1), spec("chat-eval", replicas=1)],
              pending=[pending("chat-6f9c8-x2x9z")])
    [finding] = found("waste.pending_gpu_pods")
    assert finding.subject == "prod-a/llm" and finding.deployment.name == "chat"
    assert finding.impact_monthly is None and finding.impact_basis.startswith("not priced")
    assert finding.action["kind"] == "scale" and finding.action["replicas"] == 1
    assert finding.evidence["pods"][0]["reason"].startswith("0/3 nodes")


def test_no_pending_pods_no_finding(inventory):
    inventory([spec("chat", replicas=2, ready=1)])
    assert found("waste.pending_gpu_pods") == []


# --- waste.nonprod_like_prod --------------------------------------------------------------------


def test_staging_scaled_like_prod(inventory):
    inventory([spec("chat", replicas=3, min_replicas=3, max_replicas=8),
               spec("chat", cluster="nonprod", environment="staging", replicas=3, min_replicas=3, max_replicas=8,
                    accelerator="L4"),
               spec("eval", cluster="nonprod", model="Qwen/Qwen2.5-7B-Instruct", environment="dev", replicas=2,
                    accelerator="L4"),
               spec("eval", model="Qwen/Qwen2.5-7B-Instruct", replicas=2, accelerator="L4")])
    findings = found("waste.nonprod_like_prod")
    assert [f.subject for f in findings] == ["nonprod/llm/chat", "nonprod/llm/eval"]
    chat = findings[0]
    # 2 of 3 g6.xlarge replicas: 2 × $0.8048 × 730
    assert chat.impact_monthly == Decimal("1175.01")
    assert chat.action == {"kind": "scale", "deployment": chat.deployment_id, "replicas": 1, "max": 1}


def test_small_non_prod_is_fine(inventory):
    inventory([spec("chat", replicas=4), spec("chat", cluster="nonprod", environment="staging", replicas=2),
               spec("solo", cluster="nonprod", model="Qwen/Qwen2.5-7B-Instruct", environment="dev", replicas=1)])
    assert found("waste.nonprod_like_prod") == []


# --- waste.duplicates ---------------------------------------------------------------------------


def test_one_model_served_by_two_teams_in_one_region(inventory):
    inventory([spec("embed", cluster="prod-a", model="BAAI/bge-large-en-v1.5", version=V1, accelerator="T4",
                    created=datetime(2026, 2, 1, tzinfo=UTC)),
               spec("kb-embed", cluster="prod-b", namespace="support", model="BAAI/bge-large-en-v1.5", version=V1,
                    accelerator="T4", team="support", created=datetime(2026, 3, 1, tzinfo=UTC))])
    [finding] = found("waste.duplicates")
    assert finding.deployment.name == "kb-embed" and finding.team.slug == "support"
    assert finding.evidence["keep"]["where"] == "prod-a/llm/embed"
    assert finding.impact_monthly == Decimal("767.96")   # 2 × g4dn.xlarge $0.526/h
    assert finding.action["kind"] == "decommission" and finding.action["keep"] != finding.deployment_id


@pytest.mark.parametrize("specs", [
    pytest.param([spec("embed", version=V1), spec("embed", cluster="prod-eu", region="eu-west-1", version=V1)],
                 id="two regions"),
    pytest.param([spec("rerank", version=V1), spec("rerank-v2", version=V2)], id="old and new version of one team"),
    pytest.param([spec("embed", version=V1), spec("embed-canary", version=V1, variant="canary")], id="a variant"),
    pytest.param([spec("embed", version=V1), spec("embed", cluster="nonprod", environment="staging", version=V1)],
                 id="two environments"),
])
def test_no_duplicates(inventory, specs):
    inventory(specs)
    assert found("waste.duplicates") == []
