"""THE demo test: crawl the demo fleet (`manage.py demo --no-serve`), evaluate, and find every planted
situation of collectors/simulator/scenarios/DEMO.md, exactly where it was planted, and nothing else.

#1 drift.version, #2 drift.backup_mismatch, #3 orphans.old_canary, #4 orphans.no_owner,
#5 waste.nonprod_like_prod, #6 waste.wrong_gpu, #7 waste.idle_gpu_nodes (per node: 2 findings),
#8 waste.duplicates, #10 waste.pending_gpu_pods, #11 orphans.zero_ready, #12 orphans.old_version,
#13 orphans.unknown_team (research labels its workloads but never registered), #14 drift.desired_live (the
GitOps file source declares query-rewriter's new revision for europe-west4, which still runs the old one).
#9 (SageMaker) plants nothing. The fleet-group drift rules (engine, accelerator, settings), drift.not_running
and drift.undeclared have nothing planted and must stay silent today: "nothing else" asserts it.

The demo also crawls a simulated past (60 and 35 days ago): what was found then and fixed since is resolved
(RESOLVED_IN_HISTORY), and the findings carry the days they were first seen.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding

PLANTED = {
    ("drift.version", "Qwen/Qwen2.5-7B-Instruct/prod"),                                    # 1
    ("drift.backup_mismatch", "lambda-us-south-1/ads-prod/ads-copywriter-dr"),             # 2
    ("orphans.old_canary", "gke-usc1-prod/docs-prod/docs-summarizer-canary"),              # 3
    ("orphans.no_owner", "eks-use1-prod/genai-poc/phi3-mini-poc"),                         # 4
    ("waste.nonprod_like_prod", "eks-use1-nonprod/growth-staging/growth-copilot"),         # 5
    ("waste.wrong_gpu", "eks-use1-prod/support-prod/support-assistant"),                   # 6
    ("waste.idle_gpu_nodes", "cw-ord1/cw-ord1-h100-reserved-000"),                         # 7
    ("waste.idle_gpu_nodes", "cw-ord1/cw-ord1-h100-reserved-001"),                         # 7
    ("waste.duplicates", "BAAI/bge-large-en-v1.5 prod gcp us-central1"),                   # 8
    ("waste.pending_gpu_pods", "nebius-eu-north1/platform-prod"),                          # 10
    ("orphans.zero_ready", "aks-weu-shared/legal-prod/clause-summarizer"),                 # 11
    ("orphans.old_version", "gke-usc1-prod/search-prod/search-reranker"),                  # 12
    ("orphans.unknown_team", "eks-use1-nonprod/research-dev/gemma-sandbox"),               # 13
    ("drift.desired_live", "gke-euw4-prod/search-prod/query-rewriter"),                    # 14
}
# 60 days ago ticket-router ran on L4 in eu-west-1 (wrong GPU, and unlike us-east-1); moved to T4 since.
RESOLVED_IN_HISTORY = {
    ("drift.accelerator", "meta-llama/Llama-3.2-1B-Instruct/prod"),
    ("waste.wrong_gpu", "eks-euw1-prod/support-prod/ticket-router"),
}
# What appeared with the changes of 35 days ago: query-rewriter upgraded in us-central1 only (drift, and the
# GitOps repo declaring the upgrade for europe-west4 too), kb-embeddings started next to search-embeddings.
SINCE_35_DAYS = {
    ("drift.version", "Qwen/Qwen2.5-7B-Instruct/prod"),
    ("drift.desired_live", "gke-euw4-prod/search-prod/query-rewriter"),
    ("waste.duplicates", "BAAI/bge-large-en-v1.5 prod gcp us-central1"),
}


@pytest.mark.django_db(transaction=True)
def test_every_covered_planted_situation_is_found_where_planted_and_nothing_else(settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True
    call_command("demo", "--no-serve")
    # the crawls already evaluated (one evaluation after each source's crawl)
    assert {(f.rule, f.subject) for f in Finding.objects.filter(status="open")} == PLANTED

    summary = findings_evaluate()
    assert summary.rules_failed == [] and summary.opened == summary.resolved == summary.updated == 0
    every = {(f.rule, f.subject): f for f in Finding.objects.select_related("deployment", "cluster", "team")}
    assert {key for key, f in every.items() if f.status == "resolved"} == RESOLVED_IN_HISTORY
    findings = {key: f for key, f in every.items() if key in PLANTED}
    assert set(findings) == PLANTED
    assert all(f.status == "open" for f in findings.values())

    # the simulated history: first seen 60 days ago, or 35 days ago for what the changes then brought
    today = timezone.now()
    def days_ago(when):
        return round((today - when) / timedelta(days=1))

    for key, finding in every.items():
        assert days_ago(finding.first_seen) == (35 if key in SINCE_35_DAYS else 60), (key, finding.first_seen)
    for key in RESOLVED_IN_HISTORY:
        assert days_ago(every[key].resolved_at) == 35

    def where(rule, subject):
        deployment = findings[(rule, subject)].deployment
        return (deployment.cluster_name, deployment.namespace, deployment.name) if deployment else None

    # deployment-level findings sit on the planted workload
    on_deployments = {"drift.backup_mismatch", "orphans.old_canary", "orphans.no_owner", "orphans.zero_ready",
                      "orphans.old_version", "waste.nonprod_like_prod", "waste.wrong_gpu"}
    for rule, subject in PLANTED:
        if rule in on_deployments:
            assert "/".join(where(rule, subject)) == subject
    assert where("waste.duplicates", "BAAI/bge-large-en-v1.5 prod gcp us-central1") == (
        "gke-usc1-prod", "support-prod", "kb-embeddings")
    assert where("waste.pending_gpu_pods", "nebius-eu-north1/platform-prod") == (
        "nebius-eu-north1", "platform-prod", "deepseek-v3")

    drift = findings[("drift.version", "Qwen/Qwen2.5-7B-Instruct/prod")]
    assert set(drift.evidence["versions"]) == {"a09a35458c702b33eeacc393d103063234e8bc28",
                                               "bb46c15ee4bb56c5b63245ef50fd7637234d6f75"}
    assert drift.impact_monthly == 0 and drift.team.slug == "search"
    backup = findings[("drift.backup_mismatch", "lambda-us-south-1/ads-prod/ads-copywriter-dr")]
    assert backup.evidence["differences"] == {"accelerator": {"backup": "A10", "prod": ["L4"]}}
    wrong = findings[("waste.wrong_gpu", "eks-use1-prod/support-prod/support-assistant")]
    assert wrong.evidence["cheaperGpu"] == "L4" and wrong.action["accelerator"] == "L4"
    assert wrong.impact_monthly == Decimal("8869.79")   # 2 × (p5.4xlarge $6.88 − g6.xlarge $0.8048) × 730
    idle = findings[("waste.idle_gpu_nodes", "cw-ord1/cw-ord1-h100-reserved-000")]
    assert idle.evidence["allocatable"] == 8 and idle.impact_monthly > 0
    duplicate = findings[("waste.duplicates", "BAAI/bge-large-en-v1.5 prod gcp us-central1")]
    assert {d["team"] for d in duplicate.evidence["deployments"]} == {"search", "support"}
    assert findings[("waste.pending_gpu_pods", "nebius-eu-north1/platform-prod")].impact_monthly is None
    for key in PLANTED - {("waste.pending_gpu_pods", "nebius-eu-north1/platform-prod")}:
        assert findings[key].impact_monthly is not None, key
    old = findings[("orphans.old_version", "gke-usc1-prod/search-prod/search-reranker")]
    assert old.evidence["version"] == "12e86ab1f3a0c5bb4d1e2c8b2a1f1c3a3bb2d9e1"
    assert old.evidence["newer"]["where"] == "gke-usc1-prod/search-prod/search-reranker-v2"
    assert old.action == {"kind": "decommission", "deployment": old.deployment_id,
                          "note": "once its traffic has moved to gke-usc1-prod/search-prod/search-reranker-v2"}
    assert old.impact_monthly > 0 and old.team.slug == "search"

    unknown = findings[("orphans.unknown_team", "eks-use1-nonprod/research-dev/gemma-sandbox")]
    assert unknown.team.slug == "research" and unknown.deployment.name == "gemma-sandbox"
    desired = findings[("drift.desired_live", "gke-euw4-prod/search-prod/query-rewriter")]
    assert desired.evidence["declaredIn"] == "gitops-euw4"
    assert desired.evidence["differences"] == {"version": {
        "declared": "a09a35458c702b33eeacc393d103063234e8bc28", "live": "bb46c15ee4bb56c5b63245ef50fd7637234d6f75"}}
    assert desired.deployment.source.kind == "gcp"   # reported on the live deployment, not the declaration
    assert desired.action == {"kind": "align-version", "deployment": desired.deployment_id,
                              "version": "a09a35458c702b33eeacc393d103063234e8bc28"}

    capsys.readouterr()
    call_command("findings", "--format", "json")
    assert '"kind": "FindingList"' in capsys.readouterr().out
