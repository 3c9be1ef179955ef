"""Usage signals through the real clients: Prometheus' HTTP API (a real Prometheus with backfilled history,
tests/prometheus_fixture.py) and CloudWatch through boto3 against moto in server mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from collectors.errors import CollectorError, RetryPolicy
from collectors.spec import ErrorKind
from collectors.usage import (
    PrometheusEndpoint,
    PrometheusUsage,
    SageMakerUsage,
    Workload,
    _PodMatcher,
    usage_settings,
    usage_split,
    usage_validate,
)
from tests.prometheus_fixture import PASSWORD, USERNAME, prometheus  # noqa: F401 - the fixture

FAST = RetryPolicy(rate_limited_attempts=2, unreachable_attempts=2, base_delay=0.01, max_delay=0.02)
WEEK = 7 * 86400


def reader(server, cluster: str, **kwargs) -> PrometheusUsage:
    endpoint = PrometheusEndpoint(url=server.url, username=USERNAME, password=PASSWORD,
                                  selector={"cluster": cluster}, timeout=10)
    return PrometheusUsage(endpoint, retry=FAST, **kwargs)


PROD = [Workload("prod-use1", "search-prod", "chat-vllm", kind="Deployment"),
        Workload("prod-use1", "ads-prod", "ads-copywriter", kind="InferenceService"),
        Workload("prod-use1", "llm-platform-prod", "qwen-72b", kind="StatefulSet")]


@pytest.mark.prometheus
def test_requests_last_request_and_gpu_utilisation_per_workload(prometheus):  # noqa: F811
    usage = reader(prometheus, "prod-use1")
    found = usage.read(PROD, at=prometheus.now)

    chat, ads, qwen = PROD
    assert qwen not in found, "no series at all: nothing is known, not zero"
    busy = found[chat]
    assert (busy.source, busy.window, busy.pods, busy.observed_at) == ("prometheus", "7d", 2, prometheus.now)
    assert busy.request_metrics == ("vllm:request_success_total",)
    # two pods at 1 req/s for a week; the restart of one 3 days ago loses nothing
    assert busy.requests_total == pytest.approx(2 * WEEK, rel=0.01)
    assert busy.requests_per_s == pytest.approx(2.0, rel=0.01)
    assert prometheus.now - timedelta(hours=1) <= busy.last_request_at <= prometheus.now
    assert busy.requests_running_max == 3
    assert busy.gpu_util_avg == pytest.approx(70 + 5 / 6, abs=0.2) and busy.gpu_util_max == 75

    idle = found[ads]
    assert idle.requests_total == 0 and idle.requests_per_s == 0
    ten_days = prometheus.now - timedelta(days=10)
    assert ten_days <= idle.last_request_at <= ten_days + timedelta(hours=1)
    assert idle.gpu_util_avg == pytest.approx(40 + 5 / 6, abs=0.2)
    assert idle.to_dict()["lastRequestAt"].endswith("Z")

    # one query per metric (two per request counter), whatever the number of workloads
    assert usage.queries == 2 * 3 + 1 + 2


@pytest.mark.prometheus
def test_gpu_utilisation_from_servicemonitor_labels_and_low_utilisation(prometheus):  # noqa: F811
    tgi = Workload("gke-euw4", "docs-staging", "summarizer-tgi", kind="Deployment")
    ray = Workload("gke-euw4", "research-dev", "llama-serve", kind="RayService")
    tei = Workload("gke-euw4", "docs-staging", "embeddings", kind="Deployment")
    found = reader(prometheus, "gke-euw4").read([tgi, ray, tei], at=prometheus.now)

    assert tei not in found
    low = found[tgi]
    assert low.gpu_util_avg == pytest.approx(3 + 5 / 6, abs=0.2) and low.gpu_util_max == 9
    assert low.request_metrics == ("tgi_request_count",)
    assert low.requests_per_s == pytest.approx(0.1, rel=0.01)
    # DCGM scraped through a ServiceMonitor: the workload is in exported_namespace / exported_pod
    assert found[ray].gpu_util_avg == pytest.approx(60 + 5 / 6, abs=0.2)
    assert found[ray].requests_per_s == pytest.approx(0.5, rel=0.01)


@pytest.mark.prometheus
def test_no_request_ever_and_the_selector_keeps_clusters_apart(prometheus):  # noqa: F811
    fraud = Workload("aks-eastus", "risk-prod", "fraud-model", kind="Deployment")
    [silent] = reader(prometheus, "aks-eastus").read([fraud], at=prometheus.now).values()
    assert (silent.requests_total, silent.last_request_at, silent.gpu_util_avg) == (0, None, None)
    assert silent.request_metrics == ("nv_inference_request_success",)

    # the same namespace and name read through another cluster's selector: nothing
    assert reader(prometheus, "gke-euw4").read([fraud, *PROD], at=prometheus.now) == {}


@pytest.mark.prometheus
def test_window_and_evaluation_time(prometheus):  # noqa: F811
    ads = PROD[1]
    earlier = reader(prometheus, "prod-use1", window="1d").read([ads], at=prometheus.now - timedelta(days=12))[ads]
    assert earlier.requests_per_s == pytest.approx(0.2, rel=0.02)
    # the rate is over the whole window, even where the history is shorter (2 of 7 days here)
    week = reader(prometheus, "prod-use1").read([ads], at=prometheus.now - timedelta(days=12))[ads]
    assert week.requests_per_s == pytest.approx(0.2 * 2 / 7, rel=0.02)
    day = reader(prometheus, "prod-use1", window="1d").read([ads], at=prometheus.now)[ads]
    assert (day.window, day.requests_total) == ("1d", 0)


@pytest.mark.prometheus
def test_prometheus_errors_are_normalised(prometheus):  # noqa: F811
    anonymous = PrometheusUsage(PrometheusEndpoint(url=prometheus.url), retry=FAST)
    with pytest.raises(CollectorError) as denied:
        anonymous.read(PROD)
    assert denied.value.kind == ErrorKind.AUTH and denied.value.status == 401

    wrong = PrometheusUsage(PrometheusEndpoint(url=prometheus.url, username=USERNAME, password="nope"), retry=FAST)
    with pytest.raises(CollectorError) as refused:
        wrong.read(PROD)
    assert refused.value.kind == ErrorKind.AUTH

    nowhere = PrometheusUsage(PrometheusEndpoint(url="http://127.0.0.1:9", timeout=1), retry=FAST)
    with pytest.raises(CollectorError) as down:
        nowhere.read(PROD)
    assert down.value.kind == ErrorKind.UNREACHABLE

    bad = reader(prometheus, "prod-use1")
    bad.endpoint = PrometheusEndpoint(url=prometheus.url, username=USERNAME, password=PASSWORD,
                                      request_metrics=("not a metric",))
    with pytest.raises(CollectorError) as query:
        bad.read(PROD)
    assert query.value.kind == ErrorKind.INVALID_INPUT and "query refused: bad_data" in query.value.message


def test_pods_go_to_the_workload_with_the_longest_matching_name():
    chat, chat_vllm = Workload("c", "ns", "chat"), Workload("c", "ns", "chat-vllm")
    units = [Workload("c", "ns", "ray", unit="app-a"), Workload("c", "ns", "ray", unit="app-b")]
    match = _PodMatcher([chat, chat_vllm, *units])
    assert match({"namespace": "ns", "pod": "chat-vllm-6f7d9c-abcde"}) == [chat_vllm]
    assert match({"namespace": "ns", "pod": "chat-5c4-x"}) == [chat]
    assert match({"namespace": "other", "pod": "chat-5c4-x"}) == []
    assert match({"namespace": "ns", "pod": "chatty-1"}) == []
    assert match({"namespace": "ns", "pod": ""}) == []
    assert match({"namespace": "ns", "pod": "ray-head-x"}) == units


def test_usage_settings_live_beside_the_providers_and_are_checked():
    settings = {"kubeconfigPath": "/k", "usage": {"window": "3d"},
                "prometheus": {"*": {"url": "http://prom:9090/"}, "prod-use1": {"url": "https://p", "username": "u"}}}
    credentials = {"kubeconfig": "x", "prometheus": {"prod-use1": {"password": "pw"}, "*": {"bearerToken": "tok-secret"}}}
    assert usage_split(settings, credentials) == ({"kubeconfigPath": "/k"}, {"kubeconfig": "x"})
    config = usage_settings(settings, credentials)
    assert (config.window, config.lookback, config.cloudwatch, config.configured) == ("3d", "30d", False, True)
    assert config.endpoint_for("prod-use1").password == "pw"
    other = config.endpoint_for("gke-euw4")
    assert (other.url, other.bearer_token) == ("http://prom:9090", "tok-secret")
    assert "tok-secret" not in repr(other) and "pw" not in repr(config)
    assert not usage_settings({"kubeconfigPath": "/k"}, {}).configured

    for bad, message in [
        ({"prometheus": {"a": {"url": "prom:9090"}}}, "prometheus.a.url: 'prom:9090' does not match"),
        ({"prometheus": {"a": {"url": "http://p", "typo": 1}}}, "prometheus.a: Additional properties"),
        ({"usage": {"window": "7 days"}}, "usage.window: '7 days' does not match"),
        ({"prometheus": {"a": {"url": "http://p", "selector": {"bad-label": "x"}}}}, "'bad-label' is not a label"),
    ]:
        with pytest.raises(CollectorError, match=message.replace("(", r"\(")):
            usage_validate(bad, {})
    with pytest.raises(CollectorError, match="prometheus credentials for b, which settings.prometheus does not name"):
        usage_validate({"prometheus": {"a": {"url": "http://p"}}}, {"prometheus": {"b": {"password": "x"}}})


# --- CloudWatch (SageMaker Invocations) through moto ------------------------------------------------------


@pytest.fixture(scope="module")
def cloudwatch():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=f"http://{host}:{port}",
                           aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret")
    finally:
        server.stop()


def put_invocations(client, endpoint: str, variant: str, hours: list[tuple[datetime, float]]) -> None:
    data = [{"MetricName": "Invocations", "Timestamp": at, "Value": value, "Unit": "None",
             "Dimensions": [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]}
            for at, value in hours]
    for first in range(0, len(data), 500):
        client.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[first:first + 500])


def test_sagemaker_invocations_from_cloudwatch(cloudwatch):
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [now - timedelta(hours=h) for h in range(1, 14 * 24)]
    put_invocations(cloudwatch, "chat-sm", "AllTraffic", [(at, 3600.0) for at in hours])
    put_invocations(cloudwatch, "rerank-sm", "blue", [(at, 0.0 if at > now - timedelta(days=10) else 10.0)
                                                       for at in hours])
    put_invocations(cloudwatch, "rerank-sm", "green", [(at, 0.0) for at in hours])

    chat = Workload("sagemaker:us-east-1", "", "chat-sm", kind="SageMakerEndpoint")
    blue = Workload("sagemaker:us-east-1", "", "rerank-sm", unit="blue", kind="SageMakerEndpoint")
    green = Workload("sagemaker:us-east-1", "", "rerank-sm", unit="green", kind="SageMakerEndpoint")
    silent = Workload("sagemaker:us-east-1", "", "batch-sm", kind="SageMakerEndpoint")
    found = SageMakerUsage(cloudwatch, retry=FAST).read([chat, blue, green, silent], at=now)

    assert silent not in found, "no Invocations metric: nothing is known"
    busy = found[chat]
    assert (busy.source, busy.request_metrics, busy.pods) == ("cloudwatch", ("AWS/SageMaker:Invocations",), 1)
    assert busy.requests_per_s == pytest.approx(1.0, rel=0.02)
    assert now - timedelta(hours=1) <= busy.last_request_at <= now
    assert found[blue].requests_total == 0
    assert now - timedelta(days=10, hours=1) <= found[blue].last_request_at <= now - timedelta(days=10) + timedelta(hours=1)
    assert (found[green].requests_total, found[green].last_request_at) == (0, None)


def test_cloudwatch_errors_are_normalised():
    client = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret",
                          config=__import__("botocore.config").config.Config(retries={"total_max_attempts": 1},
                                                                              connect_timeout=1))
    with pytest.raises(CollectorError) as down:
        SageMakerUsage(client, retry=FAST).read([Workload("sagemaker:us-east-1", "", "x")])
    assert down.value.kind == ErrorKind.UNREACHABLE
