"""orphans.no_traffic and waste.low_gpu_util on hand-made inventories whose usage is set as a crawl stores it
(Deployment.usage, collectors.usage.Usage.to_dict())."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, FindingEvent, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from footprint.inventory.models import Deployment
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db


def iso(when) -> str:
    return when.isoformat().replace("+00:00", "Z")


def usage(*, total: float | None = 0.0, last=None, gpu: float | None = None, running: float | None = None,
          window: str = "7d", lookback: str = "30d") -> dict:
    return {"window": window, "lookback": lookback, "source": "prometheus", "observedAt": iso(NOW),
            "requestsTotal": total, "requestsPerSecond": None if total is None else total / 604800,
            "lastRequestAt": iso(last) if last else None, "requestsRunningMax": running,
            "gpuUtilAvg": gpu, "gpuUtilMax": None if gpu is None else gpu + 10,
            "requestMetrics": [] if total is None else ["vllm:request_success_total"], "pods": 2}


def with_usage(**by_name: dict) -> None:
    for name, value in by_name.items():
        assert Deployment.objects.filter(name=name).update(usage=value) == 1


def found(code: str, *, now=NOW) -> list[Finding]:
    findings_evaluate(now=now, rules=[RULES_BY_CODE[code]])
    return list(Finding.objects.filter(rule=code, status="open").order_by("subject"))


def monthly_in(basis: str) -> Decimal:
    return Decimal(re.search(r"\$([0-9.]+)/month", basis)[1])


# --- orphans.no_traffic ---------------------------------------------------------------------------------


def test_no_request_for_more_than_the_days_fires_with_the_whole_cost(inventory):
    inventory([spec("idle"), spec("busy"), spec("recent"), spec("unmetered"), spec("unconfigured")])
    with_usage(idle=usage(last=NOW - timedelta(days=10)), busy=usage(total=120000.0, last=NOW - timedelta(hours=1)),
               recent=usage(total=0.0, last=NOW - timedelta(days=2)), unmetered=usage(total=None, gpu=50.0))

    [finding] = found("orphans.no_traffic")
    idle = Deployment.objects.get(name="idle")
    assert (finding.deployment_id, finding.severity) == (idle.pk, "high")
    assert finding.title == "idle in prod-a: no requests since 2026-11-10 12:00 UTC"
    assert finding.evidence["usage"] == {"source": "prometheus", "window": "7d", "lookback": "30d",
                                         "lastRequestAt": "2026-11-10T12:00:00Z",
                                         "requestMetrics": ["vllm:request_success_total"]}
    assert finding.evidence["days"] == 7
    assert finding.impact_basis.startswith("cost of an endpoint nobody calls: $")
    assert finding.impact_monthly == monthly_in(finding.impact_basis) > 0
    assert finding.action == {"kind": "scale", "deployment": idle.pk, "replicas": 0,
                              "note": "or decommission it, once its owner confirms nobody calls it"}


def test_no_request_in_the_whole_lookback_needs_a_workload_old_enough(inventory):
    inventory([spec("never", created=NOW - timedelta(days=50)), spec("new", created=NOW - timedelta(days=3)),
               spec("short", created=NOW - timedelta(days=50))])
    with_usage(never=usage(), new=usage(), short=usage(window="1d", lookback="1d"))
    [finding] = found("orphans.no_traffic")
    assert finding.subject == "prod-a/llm/never" and finding.title.endswith("no requests in 30d")


@pytest.mark.parametrize("value, fields", [
    pytest.param({}, {}, id="no usage configured"),
    pytest.param(usage(total=None, gpu=2.0), {}, id="GPU metrics only: no request metric"),
    pytest.param(usage(running=2.0, last=NOW - timedelta(days=10)), {}, id="requests in flight"),
    pytest.param(usage(last=NOW - timedelta(days=10)), {"replicas": 0}, id="scaled to zero"),
])
def test_no_traffic_is_never_guessed(inventory, value, fields):
    inventory([spec("quiet", **fields)])
    with_usage(quiet=value)
    assert found("orphans.no_traffic") == []


def test_days_shorter_than_the_window_is_decided_by_the_last_request(inventory):
    inventory([spec("quiet"), spec("busy")])
    # requests earlier in the 7-day window, none in the last 3 days
    with_usage(quiet=usage(total=500.0, last=NOW - timedelta(days=5)),
               busy=usage(total=500.0, last=NOW - timedelta(days=1)))
    RuleSetting.objects.create(code="orphans.no_traffic", params={"days": 3})
    [finding] = found("orphans.no_traffic")
    assert finding.subject == "prod-a/llm/quiet"


def test_days_is_a_setting(inventory):
    inventory([spec("idle")])
    with_usage(idle=usage(last=NOW - timedelta(days=10)))
    RuleSetting.objects.create(code="orphans.no_traffic", params={"days": 14})
    assert found("orphans.no_traffic") == []


# --- waste.low_gpu_util -----------------------------------------------------------------------------------


def test_low_gpu_utilisation_suggests_the_replicas_the_load_needs(inventory):
    inventory([spec("fleet", replicas=4), spec("busy"), spec("cpu"), spec("unconfigured")])
    with_usage(fleet=usage(total=5000.0, gpu=3.4), busy=usage(total=5000.0, gpu=71.0), cpu=usage(total=5000.0))

    [finding] = found("waste.low_gpu_util")
    fleet = Deployment.objects.get(name="fleet")
    assert (finding.deployment_id, finding.severity) == (fleet.pk, "medium")
    assert finding.title == "fleet: GPUs 3% busy on average over 7d (4× A100-80GB)"
    assert finding.evidence["usage"] == {"source": "prometheus", "window": "7d", "gpuUtilAvg": 3}
    assert (finding.evidence["thresholdPercent"], finding.evidence["neededReplicas"]) == (15, 1)
    assert finding.action == {"kind": "scale", "deployment": fleet.pk, "replicas": 1}
    assert finding.impact_basis.startswith("GPU time idle (97%): 97% of $")
    assert abs(finding.impact_monthly - monthly_in(finding.impact_basis) * Decimal("0.97")) <= Decimal("0.01")


def test_one_replica_gets_no_scale_action_and_thresholds_are_settings(inventory):
    inventory([spec("single", replicas=1), spec("half", replicas=2)])
    with_usage(single=usage(total=10.0, gpu=5.0), half=usage(total=10.0, gpu=40.0))
    [single] = found("waste.low_gpu_util")
    assert single.subject == "prod-a/llm/single" and single.action == {}

    RuleSetting.objects.create(code="waste.low_gpu_util", params={"max_util_percent": 50})
    assert [f.subject for f in found("waste.low_gpu_util")] == ["prod-a/llm/half", "prod-a/llm/single"]


def test_a_small_change_of_utilisation_does_not_update_the_finding(inventory):
    inventory([spec("fleet", replicas=4)])
    with_usage(fleet=usage(total=5000.0, gpu=3.4))
    [first] = found("waste.low_gpu_util")
    with_usage(fleet={**usage(total=5100.0, gpu=3.2), "observedAt": iso(NOW + timedelta(hours=1))})
    [again] = found("waste.low_gpu_util", now=NOW + timedelta(hours=1))
    assert again.pk == first.pk
    assert list(FindingEvent.objects.filter(finding=first).values_list("kind", flat=True)) == ["opened"]
