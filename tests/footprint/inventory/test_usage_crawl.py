"""The usage step of a crawl, end to end: the smoke fleet (simulator, real `kubernetes` client) with a real
Prometheus holding 14 days of history (tests/prometheus_fixture.py), and SageMaker endpoints with their
CloudWatch Invocations (simulator's moto). Deployments get their usage; the usage rules fire for exactly the
planted ones; a failing Prometheus is an error on the run and costs nothing else."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.utils import timezone

from collectors.simulator import FleetSimulator, load_scenario
from footprint.findings.models import Finding
from footprint.inventory.crawl import source_crawl
from footprint.inventory.models import Deployment, Source
from tests.prometheus_fixture import PASSWORD, prometheus  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

CLOUD_SCENARIO = Path(__file__).parents[2] / "fixtures" / "scenarios" / "clouds.yaml"
USAGE_RULES = ("orphans.no_traffic", "waste.low_gpu_util")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    with FleetSimulator(load_scenario("smoke")) as sim:
        path = tmp_path_factory.mktemp("usage-crawl") / "kubeconfig"
        sim.kubeconfig(path)
        yield str(path)


def make_source(kubeconfig: str, *, endpoints: dict | None = None, credentials: dict | None = None,
                **settings) -> Source:
    # A bare row, as the crawl reads it: what the source services accept is tested with them.
    values = {"kubeconfigPath": kubeconfig, "timeoutSeconds": 5, **settings}
    if endpoints is not None:
        values["prometheus"] = endpoints
    return Source.objects.create(name="smoke", kind="kubernetes", settings=values,
                                 credentials=json.dumps(credentials) if credentials else "")


def configured(server, **overrides) -> tuple[dict, dict]:
    endpoints = {"prod-use1": server.endpoint("prod-use1"), "gke-euw4": server.endpoint("gke-euw4"), **overrides}
    return endpoints, {"prometheus": {name: {"password": PASSWORD} for name in endpoints}}


def usage_of(name: str) -> dict:
    return Deployment.objects.get(name=name, ended_at__isnull=True).usage


def open_findings(code: str) -> list[str]:
    return sorted(Finding.objects.filter(rule=code, status="open").values_list("subject", flat=True))


@pytest.mark.prometheus
def test_a_crawl_reads_usage_and_the_rules_fire_for_exactly_the_planted_ones(smoke, prometheus):  # noqa: F811
    endpoints, credentials = configured(prometheus)
    run = source_crawl(source=make_source(smoke, endpoints=endpoints, credentials=credentials))

    assert (run.status, run.errors) == ("ok", [])
    chat = usage_of("chat-vllm")
    assert (chat["source"], chat["window"], chat["pods"]) == ("prometheus", "7d", 2)
    assert chat["requestsPerSecond"] == pytest.approx(2.0, rel=0.02)
    assert chat["gpuUtilAvg"] == pytest.approx(70.8, abs=0.2) and chat["gpuUtilMax"] == 75
    idle = usage_of("ads-copywriter")
    assert idle["requestsTotal"] == 0 and idle["lastRequestAt"] < (timezone.now() - timedelta(days=9)).isoformat()
    assert usage_of("summarizer-tgi")["gpuUtilAvg"] == pytest.approx(3.8, abs=0.2)
    assert usage_of("llama-serve")["gpuUtilAvg"] == pytest.approx(60.8, abs=0.2)
    # configured, but no series: read and nothing known
    qwen = usage_of("qwen-72b")
    assert (qwen["source"], qwen["requestsTotal"], qwen["gpuUtilAvg"], qwen["pods"]) == ("prometheus", None, None, 0)
    # aks-eastus names no Prometheus: nothing is read there (its fraud-model has a flat counter in the history)
    assert {d.usage.get("source") for d in Deployment.objects.filter(cluster_name="aks-eastus")} == {None}

    assert open_findings("orphans.no_traffic") == ["prod-use1/ads-prod/ads-copywriter"]
    assert open_findings("waste.low_gpu_util") == ["gke-euw4/docs-staging/summarizer-tgi"]


@pytest.mark.prometheus
def test_a_failing_prometheus_is_an_error_of_the_run_and_keeps_what_was_known(smoke, prometheus):  # noqa: F811
    endpoints, credentials = configured(prometheus)
    source = make_source(smoke, endpoints=endpoints, credentials=credentials)
    source_crawl(source=source)
    before = usage_of("chat-vllm")

    down, _ = configured(prometheus, **{"prod-use1": {"url": "http://127.0.0.1:9", "timeoutSeconds": 1}})
    credentials["prometheus"]["gke-euw4"] = {"password": "wrong"}
    credentials["prometheus"].pop("prod-use1")
    Source.objects.filter(pk=source.pk).update(settings={**source.settings, "prometheus": down},
                                               credentials=json.dumps(credentials))
    source.refresh_from_db()
    run = source_crawl(source=source)

    assert run.status == "ok" and run.deployments_ended == 0 and run.deployments_unchanged == 9
    errors = {e["scope"]: e for e in run.errors}
    assert set(errors) == {"usage:prod-use1", "usage:gke-euw4"}
    assert errors["usage:prod-use1"]["kind"] == "unreachable"
    assert errors["usage:prod-use1"]["message"].startswith("usage: prometheus http://127.0.0.1:9: unreachable")
    assert errors["usage:gke-euw4"]["kind"] == "auth"
    assert usage_of("chat-vllm") == before, "what the last good read said stays"
    assert open_findings("orphans.no_traffic") == ["prod-use1/ads-prod/ads-copywriter"]


@pytest.mark.prometheus
def test_usage_goes_when_the_prometheus_is_no_longer_named(smoke, prometheus):  # noqa: F811
    endpoints, credentials = configured(prometheus)
    source = make_source(smoke, endpoints=endpoints, credentials=credentials)
    source_crawl(source=source)
    assert open_findings("waste.low_gpu_util")

    Source.objects.filter(pk=source.pk).update(settings={"kubeconfigPath": smoke, "timeoutSeconds": 5},
                                               credentials="")
    source.refresh_from_db()
    run = source_crawl(source=source)

    assert (run.status, run.errors) == ("ok", [])
    assert [d.usage for d in Deployment.objects.all()] == [{}] * 9
    assert open_findings("orphans.no_traffic") == open_findings("waste.low_gpu_util") == []


def test_without_usage_settings_nothing_is_read_and_no_usage_rule_fires(smoke):
    run = source_crawl(source=make_source(smoke))
    assert (run.status, run.errors) == ("ok", [])
    assert all(d.usage == {} for d in Deployment.objects.all())
    assert all(open_findings(code) == [] for code in USAGE_RULES)


def test_bad_usage_settings_are_an_error_of_the_run_not_of_the_inventory(smoke):
    run = source_crawl(source=make_source(smoke, usage={"window": "a week"}))
    assert run.status == "ok" and run.deployments_new == 9
    [error] = run.errors
    assert (error["scope"], error["kind"]) == ("usage", "invalid_input")
    assert error["message"].startswith("usage: usage.window: 'a week' does not match")


# --- SageMaker invocations from CloudWatch, through an aws source ------------------------------------------


@pytest.fixture(scope="module")
def clouds():
    with FleetSimulator(load_scenario(CLOUD_SCENARIO), clouds=True) as sim:
        yield sim


def test_sagemaker_endpoints_get_invocations_from_cloudwatch(clouds):
    described = next(s for s in clouds.cloud_sources() if s["kind"] == "aws")
    keys = described["credentials"]
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=clouds.aws_url,
                              aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"])
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for endpoint, variant, busy_until in [("chat-sm", "AllTraffic", now), ("rerank", "primary", now),
                                          ("rerank", "canary", now - timedelta(days=12))]:
        data = [{"MetricName": "Invocations", "Timestamp": now - timedelta(hours=h), "Unit": "None",
                 "Value": 100.0 if now - timedelta(hours=h) <= busy_until else 0.0,
                 "Dimensions": [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]}
                for h in range(1, 14 * 24)]
        for first in range(0, len(data), 500):
            cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[first:first + 500])
    source = Source.objects.create(
        name="aws-usage", kind="aws", credentials=json.dumps(keys),
        settings={**described["settings"], "regions": ["us-east-1"], "eks": False, "usage": {"cloudwatch": True}})

    run = source_crawl(source=source)

    assert (run.status, run.errors) == ("ok", [])
    chat = Deployment.objects.get(name="chat-sm").usage
    assert (chat["source"], chat["requestMetrics"]) == ("cloudwatch", ["AWS/SageMaker:Invocations"])
    assert chat["requestsTotal"] == pytest.approx(100.0 * 24 * 7, rel=0.02)
    assert Deployment.objects.get(name="rerank", unit="canary").usage["requestsTotal"] == 0
    assert Deployment.objects.get(name="fraud-xgb").usage["requestsTotal"] is None   # publishes nothing
    assert open_findings("orphans.no_traffic") == ["sagemaker:us-east-1/rerank/canary"]
