"""Source kinds → providers. A provider is a description (key, label, settings schema, secret fields)
and a collector class bound to one configured source; both registered in PROVIDERS, explicitly.

Third parties add kinds through the `footprint.collectors` entry point group: each entry point
names a `Provider` object.

A collector is constructed with the source's name, its settings (plain JSON, safe to show) and its
credentials (decrypted secrets, never shown), and has one job: `crawl(progress=...) -> CrawlResult`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol

from collectors.errors import CollectorError
from collectors.spec import CrawlResult, ErrorKind


class Collector(Protocol):
    def __init__(self, *, name: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> None: ...

    def crawl(self, *, progress: Callable[[str], Any] | None = None) -> CrawlResult: ...


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    collector: Callable[..., Collector]
    settings_schema: Mapping[str, Any] = field(default_factory=dict)   # JSON Schema of settings
    secret_fields: tuple[str, ...] = ()                                # keys of the credentials object
    help: str = ""

    def validate(self, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> None:
        """Raise CollectorError(INVALID_INPUT) naming the first bad field."""
        import jsonschema

        try:
            jsonschema.validate(dict(settings), dict(self.settings_schema))
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "settings"
            raise CollectorError(ErrorKind.INVALID_INPUT, f"{where}: {exc.message}") from None
        unknown = sorted(set(credentials) - set(self.secret_fields))
        if unknown:
            raise CollectorError(ErrorKind.INVALID_INPUT,
                                 f"unknown credential field(s) {', '.join(unknown)}; "
                                 f"{self.key} takes {', '.join(self.secret_fields) or 'none'}")


# --- kubeconfig sources (any cluster; CoreWeave, Nebius and Lambda clusters are kubeconfig sources) ----

KUBECONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kubeconfigPath": {"type": "string", "description": "path of a kubeconfig file on the Footprint host"},
        "inCluster": {"type": "boolean", "description": "use the service account Footprint runs as"},
        "contexts": {"type": "array", "items": {"type": "string"},
                     "description": "contexts to crawl (default: all); each is one cluster"},
        "clusterNames": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "context → cluster name shown in the inventory"},
        "cloud": {"type": "string", "description": "cloud of these clusters (default: from the nodes)"},
        "region": {"type": "string", "description": "region (default: from the nodes' topology labels)"},
        "regions": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "context → region, where clusters differ"},
        "pageSize": {"type": "integer", "minimum": 1, "maximum": 5000},
        "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 256},
        "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
    },
}


class KubeconfigCollector:
    """Crawls every (or the named) context of a kubeconfig: a file path, or one kept in credentials."""

    default_cloud = "unknown"

    def __init__(self, *, name: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]):
        self.name = name
        self.settings = dict(settings)
        self.credentials = dict(credentials)

    def targets(self, workdir: str | None = None):
        """Cluster targets; a kubeconfig kept in credentials is written under `workdir` (private, temporary)."""
        from collectors.kubernetes import ClusterTarget, targets_from_kubeconfig

        cloud = self.settings.get("cloud") or self.default_cloud
        if self.settings.get("inCluster"):
            return [ClusterTarget(name=self.settings.get("clusterNames", {}).get("in-cluster", self.name),
                                  cloud=cloud, region=self.settings.get("region"), in_cluster=True)]
        path = self.settings.get("kubeconfigPath")
        if self.credentials.get("kubeconfig"):
            if workdir is None:
                raise CollectorError(ErrorKind.INVALID_INPUT, "a kubeconfig from credentials needs a work directory")
            path = _private_file(self.credentials["kubeconfig"], workdir)
        if not path:
            raise CollectorError(ErrorKind.INVALID_INPUT,
                                 "a kubeconfig source needs settings.kubeconfigPath, settings.inCluster, "
                                 "or credentials.kubeconfig")
        if not os.path.exists(path):
            raise CollectorError(ErrorKind.INVALID_INPUT, f"kubeconfig {path} does not exist")
        targets = targets_from_kubeconfig(path, contexts=self.settings.get("contexts"), cloud=cloud,
                                          region=self.settings.get("region"))
        names = self.settings.get("clusterNames", {})
        regions = self.settings.get("regions", {})
        return [ClusterTarget(**{**t.__dict__, "name": names.get(t.context, t.name),
                                 "region": regions.get(t.context, t.region)}) for t in targets]

    def crawl(self, *, progress: Callable[[str], Any] | None = None) -> CrawlResult:
        from collectors.kubernetes import KubernetesCrawler

        timeout = float(self.settings.get("timeoutSeconds", 30))
        crawler = KubernetesCrawler(
            page_size=int(self.settings.get("pageSize", 500)), timeout=(min(timeout, 10.0), timeout),
            max_concurrency=int(self.settings.get("maxConcurrency", 16)),
            progress=(lambda part: progress(_progress_line(part))) if progress else None,
        )
        # The secret kubeconfig lives only as long as the crawl, in a directory only this user can read.
        with tempfile.TemporaryDirectory(prefix="footprint-crawl-") as workdir:
            return crawler.crawl(self.targets(workdir), source=self.name)


class CoreWeaveCollector(KubeconfigCollector):
    default_cloud = "coreweave"


class NebiusCollector(KubeconfigCollector):
    default_cloud = "nebius"


class LambdaCollector(KubeconfigCollector):
    default_cloud = "lambda"


def _progress_line(part) -> str:
    result = part.result
    status = "ok" if not result.errors else ("partial" if result.scopes else "failed")
    line = (f"{part.target.name}: {status} in {part.seconds:.1f}s, {result.pages} pages, "
            f"{result.objects_seen} objects, {len(result.specs)} model deployments, {len(result.gpu_nodes)} GPU nodes")
    if result.errors:
        line += f"; {result.errors[0].kind}: {result.errors[0].message}"
    return line


def _private_file(content: Any, workdir: str) -> str:
    """Write a kubeconfig kept in credentials to a file only this process's user can read."""
    path = os.path.join(workdir, "kubeconfig.yaml")
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(content if isinstance(content, str) else json.dumps(content))
    return path


_KUBECONFIG_SECRETS = ("kubeconfig",)


def _cloud_providers() -> dict[str, Provider]:
    """AWS, GCP and Azure (collectors/aws.py, gcp.py, azure.py; their client libraries load on first crawl)."""
    from collectors.aws import AWS_SCHEMA, AWS_SECRETS, AwsCollector
    from collectors.azure import AZURE_SCHEMA, AZURE_SECRETS, AzureCollector
    from collectors.gcp import GCP_SCHEMA, GCP_SECRETS, GcpCollector

    return {
        "aws": Provider("aws", "AWS (EKS + SageMaker)", AwsCollector, AWS_SCHEMA, AWS_SECRETS,
                        "EKS clusters and SageMaker endpoints of one account, in the configured regions"),
        "gcp": Provider("gcp", "Google Cloud (GKE)", GcpCollector, GCP_SCHEMA, GCP_SECRETS,
                        "GKE clusters of the configured projects"),
        "azure": Provider("azure", "Azure (AKS)", AzureCollector, AZURE_SCHEMA, AZURE_SECRETS,
                          "AKS clusters of the configured subscriptions, through their user kubeconfig"),
    }


PROVIDERS: dict[str, Provider] = {
    "kubernetes": Provider("kubernetes", "Kubernetes (kubeconfig)", KubeconfigCollector, KUBECONFIG_SCHEMA,
                           _KUBECONFIG_SECRETS, "contexts of a kubeconfig, or the cluster Footprint runs in"),
    "coreweave": Provider("coreweave", "CoreWeave", CoreWeaveCollector, KUBECONFIG_SCHEMA, _KUBECONFIG_SECRETS,
                          "CoreWeave clusters through their kubeconfig"),
    "nebius": Provider("nebius", "Nebius", NebiusCollector, KUBECONFIG_SCHEMA, _KUBECONFIG_SECRETS,
                       "Nebius managed Kubernetes through its kubeconfig"),
    "lambda": Provider("lambda", "Lambda", LambdaCollector, KUBECONFIG_SCHEMA, _KUBECONFIG_SECRETS,
                       "Lambda clusters through their kubeconfig"),
    **_cloud_providers(),
}


def provider(kind: str) -> Provider:
    """The provider of a source kind (built in, or from the footprint.collectors entry points)."""
    if kind in PROVIDERS:
        return PROVIDERS[kind]
    for entry in entry_points(group="footprint.collectors"):
        if entry.name == kind:
            found = entry.load()
            if not isinstance(found, Provider):
                raise CollectorError(ErrorKind.INVALID_INPUT, f"entry point {entry.value} is not a Provider")
            return found
    raise CollectorError(ErrorKind.INVALID_INPUT, f"no collector for source kind {kind!r}; "
                                                  f"known: {', '.join(sorted(PROVIDERS))}")
