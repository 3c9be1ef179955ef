"""Fleet-group drift beyond the model version: engine, accelerator, serving settings; and the backup
variant compared on them too."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from footprint.inventory.models import Deployment
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

SETTINGS = {"tensorParallelSize": 1, "maxModelLen": 8192, "dtype": "bfloat16", "quantization": None,
            "gpuMemoryUtilization": 0.9}


def found(code: str) -> list[Finding]:
    findings_evaluate(now=NOW, rules=[RULES_BY_CODE[code]])
    return list(Finding.objects.filter(rule=code, status="open").order_by("subject"))


def test_engine_version_drift_is_one_finding_naming_every_side(inventory):
    inventory([spec("chat", cluster="prod-a", engine_version="0.9.2", image="vllm/vllm-openai:v0.9.2"),
               spec("chat", cluster="prod-b", engine_version="0.9.2", image="vllm/vllm-openai:v0.9.2"),
               spec("chat", cluster="prod-c", engine_version="0.8.5", image="vllm/vllm-openai:v0.8.5")])
    [finding] = found("drift.engine")
    assert finding.subject == "meta-llama/Llama-3.1-8B-Instruct/prod"
    assert finding.evidence["differences"] == {
        "engineVersion": {"0.8.5": ["prod-c/llm/chat"], "0.9.2": ["prod-a/llm/chat", "prod-b/llm/chat"]}}
    assert "engineVersion 0.8.5 (1) vs 0.9.2 (2)" in finding.title
    prod_c = Deployment.objects.get(cluster_name="prod-c")
    assert finding.action == {"kind": "align-version", "image": "vllm/vllm-openai:v0.9.2", "deployments": [prod_c.pk]}
    assert (finding.impact_monthly, finding.severity, finding.team.slug) == (Decimal("0.00"), "medium", "search")


def test_another_engine_in_one_cluster_is_drift_too(inventory):
    inventory([spec("chat", engine="vllm"), spec("chat-tgi", engine="tgi", engine_version="3.0.1", image="tgi:3.0.1")])
    [finding] = found("drift.engine")
    assert set(finding.evidence["differences"]) == {"engine", "engineVersion"}


@pytest.mark.parametrize("specs", [
    pytest.param([spec("chat", cluster="prod-a"), spec("chat", cluster="prod-b")], id="same engine everywhere"),
    pytest.param([spec("chat", cluster="prod-a"), spec("chat", cluster="prod-b", engine_version=None)],
                 id="an unknown version is not a difference"),
    pytest.param([spec("chat", cluster="prod-a"), spec("chat", cluster="prod-b", engine_version="0.9.2", variant="canary")],
                 id="a canary is judged by its own rules"),
    pytest.param([spec("chat", cluster="prod-a"), spec("chat", cluster="prod-b", engine_version="0.9.2",
                                                       environment="staging")], id="another environment"),
])
def test_no_engine_drift(inventory, specs):
    inventory(specs)
    assert found("drift.engine") == []


def test_the_image_is_compared_only_when_asked(inventory):
    # SageMaker's regional registries: same engine and version, different registry host
    inventory([spec("chat", cluster="prod-a", image="1.dkr.ecr.us-east-1.amazonaws.com/vllm:0.6.3"),
               spec("chat", cluster="prod-b", image="2.dkr.ecr.eu-west-1.amazonaws.com/vllm:0.6.3")])
    assert found("drift.engine") == []
    RuleSetting.objects.create(code="drift.engine", params={"compare": ["engine", "engineVersion", "image"]})
    [finding] = found("drift.engine")
    assert list(finding.evidence["differences"]) == ["image"]


def test_accelerator_drift_prices_moving_the_odd_one_to_the_majority_type(inventory):
    inventory([spec("chat", cluster="prod-a", accelerator="L4"), spec("chat", cluster="prod-b", accelerator="L4"),
               spec("chat", cluster="prod-c", accelerator="A100-80GB")])
    [finding] = found("drift.accelerator")
    assert finding.evidence["differences"] == {"accelerator": {"A100-80GB": ["prod-c/llm/chat"],
                                                               "L4": ["prod-a/llm/chat", "prod-b/llm/chat"]}}
    assert finding.evidence["majority"] == {"accelerator": "L4"}
    assert finding.action["kind"] == "move-gpu" and finding.action["accelerator"] == "L4"
    assert len(finding.action["deployments"]) == 1
    assert finding.impact_monthly > 0 and finding.impact_basis.startswith("moving to L4: prod-c/llm/chat $")


def test_accelerator_drift_towards_a_dearer_type_has_no_saving(inventory):
    inventory([spec("chat", cluster="prod-a", accelerator="H100-80GB"), spec("chat", cluster="prod-b", accelerator="H100-80GB"),
               spec("chat", cluster="prod-c", accelerator="L4")])
    [finding] = found("drift.accelerator")
    assert finding.impact_monthly == 0 and finding.impact_basis.startswith("risk:")


def test_gpu_count_per_replica_is_an_accelerator_difference(inventory):
    inventory([spec("chat", cluster="prod-a", per_replica=1), spec("chat", cluster="prod-b", per_replica=2)])
    [finding] = found("drift.accelerator")
    assert finding.evidence["differences"] == {"perReplica": {"1": ["prod-a/llm/chat"], "2": ["prod-b/llm/chat"]}}
    assert finding.action == {}


def test_settings_drift_names_each_differing_setting(inventory):
    inventory([spec("chat", cluster="prod-a", settings=SETTINGS),
               spec("chat", cluster="prod-b", settings={**SETTINGS, "maxModelLen": 32768, "quantization": "fp8"}),
               spec("chat", cluster="prod-c", settings={**SETTINGS, "gpuMemoryUtilization": 0.95})])
    [finding] = found("drift.settings")
    assert finding.evidence["differences"] == {"maxModelLen": {"32768": ["prod-b/llm/chat"],
                                                               "8192": ["prod-a/llm/chat", "prod-c/llm/chat"]}}
    # quantization: null on two sides is unknown, not a difference; gpuMemoryUtilization is not compared
    assert finding.action == {} and finding.impact_monthly == 0
    RuleSetting.objects.create(code="drift.settings", params={"compare": ["gpuMemoryUtilization"]})
    [finding] = found("drift.settings")
    assert list(finding.evidence["differences"]) == ["gpuMemoryUtilization"]


def test_the_fleet_drift_rules_are_silent_on_a_consistent_group(inventory):
    inventory([spec("chat", cluster=c, settings=SETTINGS, version="a" * 40) for c in ("prod-a", "prod-b", "prod-c")])
    for code in ("drift.engine", "drift.accelerator", "drift.settings", "drift.version"):
        assert found(code) == [], code


def test_a_backup_with_another_context_length_than_prod(inventory):
    inventory([spec("chat", cluster="prod-a", accelerator="L4", settings=SETTINGS),
               spec("chat-dr", cluster="dr", accelerator="L4", variant="backup",
                    settings={**SETTINGS, "maxModelLen": 4096})])
    [finding] = found("drift.backup_mismatch")
    assert finding.evidence["differences"] == {"maxModelLen": {"backup": 4096, "prod": [8192]}}
    assert finding.title == "Backup chat-dr differs from prod: maxModelLen 4096 vs prod 8192"


@pytest.mark.parametrize(("code", "compare", "error"), [
    ("drift.settings", ["maxModelLength"], "compare: unknown field(s) maxModelLength"),
    ("drift.engine", "engine", "compare: a list of field names"),
    ("drift.backup_mismatch", ["gpu"], "compare: unknown field(s) gpu"),
    ("drift.desired_live", ["replica"], "compare: unknown field(s) replica"),
])
def test_a_misspelt_compare_field_is_refused(code, compare, error):
    with pytest.raises(ValidationError, match=re.escape(error)):
        RuleSetting(code=code, params={"compare": compare}).full_clean()
    RuleSetting(code=code, params={"compare": list(RULES_BY_CODE[code].params["compare"])}).full_clean()
