"""What the cloud collectors (aws.py, gcp.py, azure.py) share: the settings every one of them takes, how a
managed cluster becomes a Kubernetes crawl target, and the one concurrent crawl of all of them.

A cloud crawl has two steps. Discovery asks the cloud's API, account by account and region by region,
which clusters exist (and, for AWS, which SageMaker endpoints); a failing account or region is a
CrawlError on its own scope and the others go on. Then every cluster found in every account is crawled
by one `KubernetesCrawler.crawl`, concurrently and bounded, so a slow cluster stalls no other.

Scopes of the cloud side: a cluster is `Scope(cluster=<name>)` as in a kubeconfig crawl; a SageMaker
region is the pseudo-cluster `sagemaker:<region>`. A listing that failed names where it failed
(`eks:<region>`, `gke:<project>`, `aks:<subscription>`): the clusters it would have listed are in no
scope, so none of their deployments is ended.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import yaml

from collectors.errors import CollectorError, RetryPolicy, call_with_retries
from collectors.kubernetes import ClusterTarget, KubernetesCrawler
from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope

logger = logging.getLogger("footprint.collectors.cloud")

# Settings every cloud provider takes, besides its own (regions, projects, subscriptions, endpoints...).
COMMON_SETTINGS: dict[str, Any] = {
    "clusters": {"type": "array", "items": {"type": "string"},
                 "description": "crawl only these clusters (default: every cluster found)"},
    "kubernetesEndpoints": {
        "type": "object", "additionalProperties": {"type": "string", "pattern": "^https?://"},
        "description": "cluster → Kubernetes API URL to use instead of the one the cloud reports "
                       "(a private endpoint reached through a tunnel or proxy)"},
    "certificateAuthorities": {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "cluster → base64 PEM CA bundle to trust instead of the one the cloud reports"},
    "insecure": {"type": "boolean", "description": "skip TLS verification of the clusters' Kubernetes APIs"},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 5000, "description": "Kubernetes list page size"},
    "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 256, "description": "clusters crawled at once"},
    "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0, "description": "read timeout of one request"},
}


def settings_schema(properties: Mapping[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": {**properties, **COMMON_SETTINGS}}


@dataclass(frozen=True)
class PoolHardware:
    """What the cloud's node pool API says a pool's machines are."""

    instance_type: str | None
    accelerator: str | None


@dataclass
class Discovery:
    """What the cloud APIs said: clusters to crawl, their pools, and what needs no Kubernetes (SageMaker)."""

    targets: list[ClusterTarget] = field(default_factory=list)
    pools: dict[str, dict[str, PoolHardware]] = field(default_factory=dict)   # cluster → pool → hardware
    result: CrawlResult = field(default_factory=CrawlResult)

    def fail(self, scope: Scope, error: CollectorError, where: str) -> None:
        logger.warning("crawl.cloud_error scope=%s kind=%s message=%s", scope, error.kind, error.message)
        self.result.errors.append(CrawlError(scope, error.kind, f"{where}: {error.message}"))

    def extend(self, other: Discovery) -> None:
        self.targets.extend(other.targets)
        self.pools.update(other.pools)
        self.result.merge(other.result)


class CloudCollector:
    """The shape of a cloud collector: discover (per account/region, errors on their scopes), then crawl."""

    cloud = "unknown"

    def __init__(self, *, name: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]):
        self.name = name
        self.settings = dict(settings)
        self.credentials = dict(credentials)
        self.timeout = float(self.settings.get("timeoutSeconds", 30))
        self.retry = RetryPolicy()
        self.observed_at = datetime.now(UTC).replace(microsecond=0)

    # --- to be written by each cloud ---------------------------------------------------------------------

    def discover(self, *, progress: Callable[[str], Any] | None) -> Discovery:
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------------------

    def crawl(self, *, progress: Callable[[str], Any] | None = None) -> CrawlResult:
        from collectors.registry import _progress_line

        started = datetime.now(UTC)
        self.observed_at = started.replace(microsecond=0)
        try:
            found = self.discover(progress=progress)
        except CollectorError as error:   # nothing could be asked at all (no credentials, bad settings)
            result = CrawlResult(started_at=started, finished_at=datetime.now(UTC))
            result.errors.append(CrawlError(Scope(), error.kind, error.message))
            return result
        crawler = KubernetesCrawler(
            page_size=int(self.settings.get("pageSize", 500)), timeout=(min(self.timeout, 10.0), self.timeout),
            max_concurrency=int(self.settings.get("maxConcurrency", 16)), retry=self.retry,
            progress=(lambda part: progress(_progress_line(part))) if progress else None,
        )
        result = crawler.crawl(found.targets, source=self.name, observed_at=self.observed_at)
        result.merge(found.result)
        result.gpu_nodes = [_with_pool_hardware(node, found.pools.get(node.cluster, {})) for node in result.gpu_nodes]
        result.started_at = started
        return result

    def gather(self, jobs: list[Callable[[], Discovery]]) -> Discovery:
        """Run discovery jobs (one per account, project, subscription or region) side by side: a slow
        cloud API in one of them holds up no other."""
        found = Discovery()
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(jobs))), thread_name_prefix=self.cloud) as pool:
            for part in pool.map(lambda job: job(), jobs):
                found.extend(part)
        return found

    def call(self, request: Callable[[], Any], classify: Callable[[BaseException], CollectorError]) -> Any:
        return call_with_retries(request, classify=classify, policy=self.retry)

    def wanted(self, cluster: str) -> bool:
        names = self.settings.get("clusters")
        return not names or cluster in names

    def target(self, *, name: str, region: str | None, server: str, ca_data: str | None = None,
               token: str | None = None, token_provider: Callable[[], str] | None = None) -> ClusterTarget:
        """A cluster as the cloud reports it, with this source's endpoint, CA and TLS overrides applied."""
        server = self.settings.get("kubernetesEndpoints", {}).get(name) or server
        ca_data = self.settings.get("certificateAuthorities", {}).get(name) or ca_data
        insecure = bool(self.settings.get("insecure"))
        if insecure or not server.startswith("https://") or not _is_base64(ca_data):
            ca_data = None   # plain HTTP (a local tunnel) has no TLS to verify
        return ClusterTarget(name=name, cloud=self.cloud, region=region, server=server, token=token,
                             ca_data=ca_data, insecure=insecure, token_provider=token_provider)

    def kubeconfig_target(self, *, name: str, region: str | None, kubeconfig: Mapping[str, Any],
                          directory: str) -> ClusterTarget:
        """A cluster reached through a kubeconfig the cloud handed out (AKS), overrides applied, kept in a
        file only this process reads for the length of the crawl."""
        document = dict(kubeconfig)
        current = document.get("current-context") or (document.get("contexts") or [{}])[0].get("name")
        context = next((c.get("context", {}) for c in document.get("contexts") or [] if c.get("name") == current), {})
        for entry in document.get("clusters") or []:
            if entry.get("name") != context.get("cluster"):
                continue
            cluster = dict(entry.get("cluster") or {})
            if self.settings.get("kubernetesEndpoints", {}).get(name):
                cluster["server"] = self.settings["kubernetesEndpoints"][name]
            if self.settings.get("certificateAuthorities", {}).get(name):
                cluster["certificate-authority-data"] = self.settings["certificateAuthorities"][name]
            if self.settings.get("insecure"):
                cluster.pop("certificate-authority-data", None)
                cluster.pop("certificate-authority", None)
                cluster["insecure-skip-tls-verify"] = True
            entry["cluster"] = cluster
        path = os.path.join(directory, f"{name}.kubeconfig")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            yaml.safe_dump(document, out, sort_keys=False)
        return ClusterTarget(name=name, cloud=self.cloud, region=region, kubeconfig=path, context=current)


def _is_base64(value: str | None) -> bool:
    if not value:
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _with_pool_hardware(node, pools: Mapping[str, PoolHardware]):
    """Fill a GPU node's instance type / accelerator from its pool when its labels did not tell."""
    hardware = pools.get(node.pool or "")
    if hardware is None or (node.instance_type and node.accelerator):
        return node
    return replace(node, instance_type=node.instance_type or hardware.instance_type,
                   accelerator=node.accelerator or hardware.accelerator)


def invalid(message: str) -> CollectorError:
    return CollectorError(ErrorKind.INVALID_INPUT, message)
