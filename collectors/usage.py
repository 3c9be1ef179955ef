"""Usage signals of served models: request rate, last request and GPU utilisation over a window.

- Prometheus (one endpoint per cluster, or a shared one with a label selector), through its HTTP API
  (``/api/v1/query``): one instant query per metric per cluster, aggregated ``by (namespace, pod)``; pods
  are matched to workloads by name prefix (``<workload>-``, the longest workload name wins) in the
  workload's namespace. Request counters: vLLM ``vllm:request_success_total``, TGI ``tgi_request_count``,
  Triton ``nv_inference_request_success``, plus any counters the endpoint names (``requestMetrics``);
  the vLLM gauge ``vllm:num_requests_running`` adds the peak of requests in flight. GPU utilisation is
  the DCGM exporter's ``DCGM_FI_DEV_GPU_UTIL`` (percent), whose workload labels are ``namespace``/``pod``,
  or ``exported_namespace``/``exported_pod`` when a ServiceMonitor scraped it without honorLabels.
- SageMaker: CloudWatch ``AWS/SageMaker`` ``Invocations`` by EndpointName and VariantName
  (``list_metrics`` tells which variants publish it, then ``get_metric_data`` in batches of 500).

A workload without any series of a kind gets ``None`` for it, never 0: "no metrics" is not "no traffic".
Errors are normalised to CollectorError (collectors.errors) and retried within bounds there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.errors import CollectorError, RetryPolicy, _retry_after, call_with_retries, classify_aws
from collectors.spec import ErrorKind

REQUEST_COUNTERS: tuple[str, ...] = ("vllm:request_success_total", "tgi_request_count",
                                     "nv_inference_request_success")
RUNNING_GAUGE = "vllm:num_requests_running"
GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
DEFAULT_WINDOW = "7d"
DEFAULT_LOOKBACK = "30d"
LAST_REQUEST_STEP = "1h"        # resolution of lastRequestAt
DEFAULT_ENDPOINT = "*"          # settings.prometheus key that serves every cluster not named
SAGEMAKER_KIND = "SageMakerEndpoint"

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

# --- settings: what a source adds to its provider's settings and credentials ------------------------------

WINDOW_SCHEMA = {"type": "string", "pattern": _DURATION.pattern}
PROMETHEUS_ENDPOINT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["url"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://", "description": "Prometheus base URL (Thanos/Mimir query too)"},
        "username": {"type": "string", "description": "basic auth user (the password goes in credentials)"},
        "selector": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "label → value added to every query (a Prometheus shared by clusters)"},
        "requestMetrics": {"type": "array", "items": {"type": "string", "pattern": _METRIC_NAME.pattern},
                           "description": "more request counters to read (besides vLLM, TGI, Triton)"},
        "insecure": {"type": "boolean", "description": "skip TLS verification"},
        "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
    },
}
USAGE_SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": True,
    "properties": {
        "prometheus": {"type": "object", "additionalProperties": PROMETHEUS_ENDPOINT_SCHEMA,
                       "description": "cluster name → Prometheus endpoint; '*' serves every cluster not named"},
        "usage": {"type": "object", "additionalProperties": False, "properties": {
            "window": {**WINDOW_SCHEMA, "description": "window of rates and GPU utilisation (default 7d)"},
            "lookback": {**WINDOW_SCHEMA, "description": "how far back the last request is looked for (30d)"},
            "cloudwatch": {"type": "boolean",
                           "description": "aws sources: read SageMaker Invocations from CloudWatch (default false)"},
        }},
    },
}
USAGE_CREDENTIALS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": True,
    "properties": {"prometheus": {"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {"bearerToken": {"type": "string"}, "password": {"type": "string"}}}}},
}
USAGE_SETTINGS = ("prometheus", "usage")     # keys of a source's settings that are the usage step's
USAGE_SECRETS = ("prometheus",)              # keys of its credentials


def usage_split(settings: Mapping[str, Any], credentials: Mapping[str, Any]
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's own settings and credentials, without the usage keys (the collector never sees them)."""
    return ({k: v for k, v in settings.items() if k not in USAGE_SETTINGS},
            {k: v for k, v in credentials.items() if k not in USAGE_SECRETS})


def usage_validate(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> None:
    """Raise CollectorError(INVALID_INPUT) naming the first bad usage field of a source's configuration."""
    import jsonschema

    for what, value, schema in (("settings", settings, USAGE_SETTINGS_SCHEMA),
                                ("credentials", credentials, USAGE_CREDENTIALS_SCHEMA)):
        try:
            jsonschema.validate(dict(value), schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or what
            raise CollectorError(ErrorKind.INVALID_INPUT, f"{where}: {exc.message}") from None
    named = set(settings.get("prometheus") or {})
    stray = sorted(set(credentials.get("prometheus") or {}) - named)
    if stray:
        raise CollectorError(ErrorKind.INVALID_INPUT, f"prometheus credentials for {', '.join(stray)}, "
                                                      "which settings.prometheus does not name")
    for name, endpoint in (settings.get("prometheus") or {}).items():
        for label in endpoint.get("selector") or {}:
            if not _LABEL_NAME.match(label):
                raise CollectorError(ErrorKind.INVALID_INPUT, f"prometheus.{name}.selector: {label!r} is not a label name")


def duration_seconds(text: str) -> int:
    found = _DURATION.match(text or "")
    if not found or int(found[1]) == 0:
        raise CollectorError(ErrorKind.INVALID_INPUT, f"{text!r} is not a duration like 7d, 24h, 30m")
    return int(found[1]) * _UNIT_SECONDS[found[2]]


@dataclass(frozen=True)
class PrometheusEndpoint:
    url: str
    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None
    selector: Mapping[str, str] = field(default_factory=dict)
    request_metrics: tuple[str, ...] = REQUEST_COUNTERS
    verify: bool = True
    timeout: float = 30.0

    def __repr__(self) -> str:   # never the secrets
        return f"PrometheusEndpoint({self.url!r}, selector={dict(self.selector)!r})"


@dataclass(frozen=True)
class UsageSettings:
    window: str = DEFAULT_WINDOW
    lookback: str = DEFAULT_LOOKBACK
    prometheus: Mapping[str, PrometheusEndpoint] = field(default_factory=dict)
    cloudwatch: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.prometheus) or self.cloudwatch

    def endpoint_for(self, cluster: str | None) -> PrometheusEndpoint | None:
        return self.prometheus.get(cluster or "") or self.prometheus.get(DEFAULT_ENDPOINT)


def usage_settings(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> UsageSettings:
    """The usage configuration of a source (validated); ``configured`` is False when it names none."""
    usage_validate(settings, credentials)
    secrets = credentials.get("prometheus") or {}
    endpoints = {}
    for name, endpoint in (settings.get("prometheus") or {}).items():
        secret = secrets.get(name) or {}
        extra = tuple(m for m in endpoint.get("requestMetrics") or () if m not in REQUEST_COUNTERS)
        endpoints[name] = PrometheusEndpoint(
            url=endpoint["url"].rstrip("/"), bearer_token=secret.get("bearerToken"),
            username=endpoint.get("username"), password=secret.get("password"),
            selector=dict(endpoint.get("selector") or {}), request_metrics=REQUEST_COUNTERS + extra,
            verify=not endpoint.get("insecure", False), timeout=float(endpoint.get("timeoutSeconds", 30)))
    usage = settings.get("usage") or {}
    window, lookback = usage.get("window", DEFAULT_WINDOW), usage.get("lookback", DEFAULT_LOOKBACK)
    duration_seconds(window)
    duration_seconds(lookback)
    return UsageSettings(window=window, lookback=lookback, prometheus=endpoints,
                         cloudwatch=bool(usage.get("cloudwatch", False)))


# --- what is read ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A workload to read usage for: its pods are ``<name>-*`` in ``namespace`` (Prometheus), or a SageMaker
    endpoint ``name`` and variant ``unit`` (None: every variant of it)."""

    cluster: str
    namespace: str
    name: str
    unit: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class Usage:
    window: str
    source: str                                   # prometheus | cloudwatch
    observed_at: datetime
    lookback: str = ""                            # how far back lastRequestAt was looked for
    requests_total: float | None = None           # requests over the window (None: no request metric)
    requests_per_s: float | None = None
    last_request_at: datetime | None = None       # None: none within the lookback, or no request metric
    requests_running_max: float | None = None     # vLLM: peak requests in flight over the window
    gpu_util_avg: float | None = None             # percent, DCGM (None: no GPU metric)
    gpu_util_max: float | None = None
    request_metrics: tuple[str, ...] = ()         # the counters this workload publishes
    pods: int = 0                                 # pods (or variants) whose series were seen

    def to_dict(self) -> dict[str, Any]:
        """The JSON stored with a deployment (camelCase, like the ModelSpec)."""
        return {
            "window": self.window, "lookback": self.lookback, "source": self.source,
            "observedAt": _iso(self.observed_at),
            "requestsTotal": _round(self.requests_total), "requestsPerSecond": _round(self.requests_per_s, 6),
            "lastRequestAt": _iso(self.last_request_at), "requestsRunningMax": _round(self.requests_running_max),
            "gpuUtilAvg": _round(self.gpu_util_avg), "gpuUtilMax": _round(self.gpu_util_max),
            "requestMetrics": list(self.request_metrics), "pods": self.pods,
        }

    @property
    def has_request_metrics(self) -> bool:
        return self.requests_total is not None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


# --- Prometheus -----------------------------------------------------------------------------------------


def classify_prometheus(exc: BaseException) -> CollectorError:
    """requests errors / Prometheus API error answers → CollectorError."""
    import requests

    if isinstance(exc, CollectorError):
        return exc
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        status = response.status_code
        try:
            body = response.json()
            message = f"{body.get('errorType', '')}: {body.get('error', '')}".strip(": ")
        except (ValueError, AttributeError):   # not JSON (a proxy's page), or not Prometheus' error object
            message = (response.text or "").strip()[:200]
        message = message or response.reason or f"HTTP {status}"
        if status == 401:
            return CollectorError(ErrorKind.AUTH, f"unauthorized: {message}", status=status)
        if status == 403:
            return CollectorError(ErrorKind.FORBIDDEN, f"forbidden: {message}", status=status)
        if status == 429:
            return CollectorError(ErrorKind.RATE_LIMITED, f"rate limited: {message}", status=status,
                                  retry_after=_retry_after(response.headers.get("Retry-After")))
        if status in (400, 422):   # bad_data / execution: the query, or what the series hold
            return CollectorError(ErrorKind.INVALID_INPUT, f"query refused: {message}", status=status)
        if status >= 500:
            return CollectorError(ErrorKind.UNREACHABLE, f"server error {status}: {message}", status=status)
        return CollectorError(ErrorKind.UNKNOWN, f"HTTP {status}: {message}", status=status)
    if isinstance(exc, requests.ConnectionError | requests.Timeout | ConnectionError | TimeoutError):
        return CollectorError(ErrorKind.UNREACHABLE, f"unreachable: {type(exc).__name__}: {exc}")
    return CollectorError(ErrorKind.UNKNOWN, f"{type(exc).__name__}: {exc}")


class PrometheusUsage:
    """Reads the usage of many workloads of one cluster from one Prometheus, a fixed number of queries."""

    def __init__(self, endpoint: PrometheusEndpoint, *, window: str = DEFAULT_WINDOW,
                 lookback: str = DEFAULT_LOOKBACK, retry: RetryPolicy | None = None):
        import requests

        self.endpoint = endpoint
        self.window = window
        self.window_seconds = duration_seconds(window)
        self.lookback = lookback if duration_seconds(lookback) >= self.window_seconds else window
        self.retry = retry or RetryPolicy()
        self.queries = 0
        self.session = requests.Session()
        self.session.verify = endpoint.verify
        self.session.headers["User-Agent"] = "model-footprint"
        if endpoint.bearer_token:
            self.session.headers["Authorization"] = f"Bearer {endpoint.bearer_token}"
        elif endpoint.username:
            self.session.auth = (endpoint.username, endpoint.password or "")

    def close(self) -> None:
        self.session.close()

    def read(self, workloads: Sequence[Workload], *, at: datetime | None = None) -> dict[Workload, Usage]:
        """Usage of each workload with at least one series (others are left out), evaluated at ``at``."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        window = self.window
        match = _PodMatcher(workloads)
        totals: dict[Workload, float] = {}
        metrics: dict[Workload, set[str]] = {}
        last: dict[Workload, datetime] = {}
        pods: dict[Workload, set[tuple[str, str]]] = {}
        for metric in self.endpoint.request_metrics:
            series = self._selector(metric)
            for labels, value in self._query(f"sum by (namespace, pod) (increase({series}[{window}]))", at):
                for workload in match(labels):
                    totals[workload] = totals.get(workload, 0.0) + value
                    metrics.setdefault(workload, set()).add(metric)
                    pods.setdefault(workload, set()).add(_pod_of(labels))
            query = (f"max by (namespace, pod) (max_over_time((timestamp(sum by (namespace, pod) "
                     f"(increase({series}[{LAST_REQUEST_STEP}])) > 0))[{self.lookback}:{LAST_REQUEST_STEP}]))")
            for labels, value in self._query(query, at):
                for workload in match(labels):
                    seen = datetime.fromtimestamp(value, UTC)
                    last[workload] = max(last.get(workload, seen), seen)
        running: dict[Workload, float] = {}
        query = f"max by (namespace, pod) (max_over_time({self._selector(RUNNING_GAUGE)}[{window}]))"
        for labels, value in self._query(query, at):
            for workload in match(labels):
                running[workload] = max(running.get(workload, value), value)
        gpu_avg: dict[Workload, list[float]] = {}
        gpu_max: dict[Workload, float] = {}
        by = "namespace, pod, exported_namespace, exported_pod"
        dcgm = self._selector(GPU_UTIL)
        for labels, value in self._query(f"avg by ({by}) (avg_over_time({dcgm}[{window}]))", at):
            for workload in match(_workload_labels(labels)):
                gpu_avg.setdefault(workload, []).append(value)
                pods.setdefault(workload, set()).add(_pod_of(_workload_labels(labels)))
        for labels, value in self._query(f"max by ({by}) (max_over_time({dcgm}[{window}]))", at):
            for workload in match(_workload_labels(labels)):
                gpu_max[workload] = max(gpu_max.get(workload, value), value)

        found = {}
        for workload in set(totals) | set(running) | set(gpu_avg):
            total = totals.get(workload)
            averages = gpu_avg.get(workload)
            found[workload] = Usage(
                window=window, source="prometheus", observed_at=at, lookback=self.lookback,
                requests_total=total, requests_per_s=None if total is None else total / self.window_seconds,
                last_request_at=last.get(workload), requests_running_max=running.get(workload),
                gpu_util_avg=sum(averages) / len(averages) if averages else None, gpu_util_max=gpu_max.get(workload),
                request_metrics=tuple(sorted(metrics.get(workload, ()))), pods=len(pods.get(workload, ())),
            )
        return found

    def _selector(self, metric: str) -> str:
        matchers = ",".join(f'{label}="{_escape(value)}"' for label, value in sorted(self.endpoint.selector.items()))
        return f"{metric}{{{matchers}}}" if matchers else metric

    def _query(self, query: str, at: datetime) -> list[tuple[dict[str, str], float]]:
        """An instant query's vector as (labels, value) pairs; NaN and ±Inf left out."""
        def call():
            response = self.session.post(f"{self.endpoint.url}/api/v1/query",
                                         data={"query": query, "time": f"{at.timestamp():.3f}"},
                                         timeout=(min(self.endpoint.timeout, 10.0), self.endpoint.timeout))
            response.raise_for_status()
            return response.json()

        self.queries += 1
        body = call_with_retries(call, classify=classify_prometheus, policy=self.retry)
        if body.get("status") != "success":
            raise CollectorError(ErrorKind.UNKNOWN, f"prometheus answered {body.get('status')}: {body.get('error')}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            raise CollectorError(ErrorKind.UNKNOWN, f"prometheus answered a {data.get('resultType')}, not a vector")
        found = []
        for sample in data.get("result") or []:
            try:
                value = float(sample["value"][1])
            except (KeyError, IndexError, TypeError, ValueError):
                continue
            if math.isfinite(value):
                found.append((sample.get("metric") or {}, value))
        return found


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _workload_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """DCGM scraped through a ServiceMonitor keeps the workload's labels as exported_namespace/exported_pod."""
    if labels.get("exported_pod"):
        return {"namespace": labels.get("exported_namespace", ""), "pod": labels["exported_pod"]}
    return dict(labels)


def _pod_of(labels: Mapping[str, str]) -> tuple[str, str]:
    return labels.get("namespace", ""), labels.get("pod", "")


class _PodMatcher:
    """namespace + pod name → the workloads whose name prefixes it (the longest name; its every unit)."""

    def __init__(self, workloads: Iterable[Workload]):
        self.by_namespace: dict[str, dict[str, list[Workload]]] = {}
        for workload in workloads:
            self.by_namespace.setdefault(workload.namespace, {}).setdefault(workload.name, []).append(workload)
        self.cache: dict[tuple[str, str], list[Workload]] = {}

    def __call__(self, labels: Mapping[str, str]) -> list[Workload]:
        key = _pod_of(labels)
        if key not in self.cache:
            namespace, pod = key
            names = [n for n in self.by_namespace.get(namespace, {}) if pod.startswith(f"{n}-")]
            self.cache[key] = self.by_namespace[namespace][max(names, key=len)] if pod and names else []
        return self.cache[key]


# --- CloudWatch (SageMaker) -----------------------------------------------------------------------------

CLOUDWATCH_BATCH = 500   # MetricDataQueries per GetMetricData call
CLOUDWATCH_PERIOD = 3600


class SageMakerUsage:
    """Invocations of SageMaker endpoint variants in one region from CloudWatch (boto3 ``cloudwatch`` client)."""

    def __init__(self, cloudwatch, *, window: str = DEFAULT_WINDOW, lookback: str = DEFAULT_LOOKBACK,
                 retry: RetryPolicy | None = None):
        self.cloudwatch = cloudwatch
        self.window = window
        self.window_seconds = duration_seconds(window)
        self.lookback = lookback if duration_seconds(lookback) >= self.window_seconds else window
        self.lookback_seconds = duration_seconds(self.lookback)
        self.retry = retry or RetryPolicy()

    def read(self, workloads: Sequence[Workload], *, at: datetime | None = None) -> dict[Workload, Usage]:
        """Usage of each endpoint (variant) that publishes Invocations; others are left out."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        published = self._published()
        wanted: dict[tuple[str, str], list[Workload]] = {}
        for workload in workloads:
            for endpoint, variant in published:
                if endpoint == workload.name and workload.unit in (None, variant):
                    wanted.setdefault((endpoint, variant), []).append(workload)
        pairs = sorted(wanted)
        end = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        start = end - timedelta(seconds=self.lookback_seconds)
        window_start = at - timedelta(seconds=self.window_seconds)
        points = self._data(pairs, start=start, end=end)
        totals: dict[Workload, float] = {}
        last: dict[Workload, datetime] = {}
        variants: dict[Workload, int] = {}
        for pair in pairs:
            for workload in wanted[pair]:
                variants[workload] = variants.get(workload, 0) + 1
                totals.setdefault(workload, 0.0)
                for stamp, value in points.get(pair, ()):
                    # an hourly bucket counts in the window by its end (it holds requests up to then)
                    if stamp + timedelta(seconds=CLOUDWATCH_PERIOD) > window_start:
                        totals[workload] += value
                    if value > 0:
                        ended = min(stamp + timedelta(seconds=CLOUDWATCH_PERIOD), at)
                        last[workload] = max(last.get(workload, ended), ended)
        return {workload: Usage(window=self.window, source="cloudwatch", observed_at=at, lookback=self.lookback,
                                requests_total=total,
                                requests_per_s=total / self.window_seconds, last_request_at=last.get(workload),
                                request_metrics=("AWS/SageMaker:Invocations",), pods=variants[workload])
                for workload, total in totals.items()}

    def _published(self) -> set[tuple[str, str]]:
        def call():
            found = set()
            paginator = self.cloudwatch.get_paginator("list_metrics")
            for page in paginator.paginate(Namespace="AWS/SageMaker", MetricName="Invocations"):
                for metric in page.get("Metrics") or []:
                    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}
                    if "EndpointName" in dims and "VariantName" in dims:
                        found.add((dims["EndpointName"], dims["VariantName"]))
            return found

        return call_with_retries(call, classify=classify_aws, policy=self.retry)

    def _data(self, pairs: Sequence[tuple[str, str]], *, start: datetime, end: datetime
              ) -> dict[tuple[str, str], list[tuple[datetime, float]]]:
        found: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
        for first in range(0, len(pairs), CLOUDWATCH_BATCH):
            batch = pairs[first:first + CLOUDWATCH_BATCH]
            queries = [{"Id": f"q{i}", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations",
                           "Dimensions": [{"Name": "EndpointName", "Value": endpoint},
                                          {"Name": "VariantName", "Value": variant}]},
                "Period": CLOUDWATCH_PERIOD, "Stat": "Sum"}} for i, (endpoint, variant) in enumerate(batch)]

            def call(queries=queries):
                results: dict[str, list[tuple[datetime, float]]] = {}
                paginator = self.cloudwatch.get_paginator("get_metric_data")
                for page in paginator.paginate(MetricDataQueries=queries, StartTime=start, EndTime=end,
                                               ScanBy="TimestampDescending"):
                    for result in page.get("MetricDataResults") or []:
                        results.setdefault(result["Id"], []).extend(
                            (stamp.astimezone(UTC), float(value))
                            for stamp, value in zip(result.get("Timestamps") or [], result.get("Values") or [],
                                                    strict=False))
                return results

            results = call_with_retries(call, classify=classify_aws, policy=self.retry)
            for i, pair in enumerate(batch):
                found[pair] = results.get(f"q{i}", [])
        return found


def sagemaker_region_of(cluster: str | None) -> str | None:
    """The region of a SageMaker pseudo-cluster (``sagemaker:<region>``)."""
    return cluster.split(":", 1)[1] if cluster and cluster.startswith("sagemaker:") else None


def aws_cloudwatch_factory(*, name: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]
                           ) -> Callable[[str], Any]:
    """region → a CloudWatch client made as the aws source's collector makes its clients (same keys, role,
    endpoint and timeouts)."""
    from collectors.aws import AwsCollector

    collector = AwsCollector(name=name, settings=settings, credentials=credentials)
    try:
        session = collector._session()
    except Exception as exc:  # noqa: BLE001 - a broken profile, a role that cannot be assumed
        raise classify_aws(exc) from exc
    kwargs = collector._client_kwargs()
    return lambda region: session.client("cloudwatch", region_name=region, **kwargs)
