"""The cloud side of the simulator: who may call, what each cloud account suffers, and the settings of
the Footprint sources that crawl it.

Served on the fleet simulator's own port, beside `/clusters/<name>`, at the paths the real APIs use:
- GKE `GET /v1/projects/{project}/locations/{location}/clusters[/{name}[/nodePools]]` and Google's OAuth
  token endpoint `POST /token` (gke.py);
- Azure ARM `.../Microsoft.ContainerService/managedClusters` with nextLink paging, `listClusterUserCredential`,
  and the Entra ID token endpoint `POST /{tenant}/oauth2/v2.0/token` (arm.py);
- AWS through moto in server mode on a port of its own (aws.py): EKS, SageMaker, STS, IAM,
  application-autoscaling, seeded from the scenario.

Identities: one GCP service account (its key JSON points at `/token`), one Azure service principal,
one IAM user per AWS account; plus static tokens (`gcp_token`, `azure_token`) for the `accessToken`
credential. A GKE cluster's Kubernetes API accepts the Google tokens; an EKS cluster's accepts EKS IAM
tokens (`k8s-aws-v1.`) signed for its name; an AKS cluster's takes the token of its user kubeconfig.

Faults per cloud scope, with the knobs of faults.py (latency_ms, stall_s, unauthorized, forbidden,
throttle + retry_after, server_errors + server_error_code, only = AWS services): scope keys are
`gcp:<project>`, `azure:<subscription>`, `aws:<region>` and `aws:<account>`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collectors.simulator.faults import Faults, FaultState

if TYPE_CHECKING:
    from collectors.simulator.kube import Reply
    from collectors.simulator.scenario import Cluster
    from collectors.simulator.server import FleetSimulator

DEFAULT_ACCOUNT = "123456789012"                       # moto's default account
DEFAULT_PROJECT = "sim-project"
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "sim"
GPU_CLOUD_KINDS = ("coreweave", "nebius", "lambda")    # kubeconfig sources of their own kind


@dataclass(frozen=True)
class CloudRequest:
    api: str       # gke (with Google's /token) | arm (with Entra ID's token endpoint) | aws
    method: str
    path: str      # aws: "<region>/<service> <X-Amz-Target or path?query>"
    status: int


@dataclass(frozen=True)
class CloudFault:
    """A fault answer in neutral terms; each API renders it in its own error format."""

    status: int
    kind: str                  # unauthorized | forbidden | throttled | server_error
    retry_after: int | None = None


class CloudAPIs:
    def __init__(self, fleet: FleetSimulator):
        from collectors.simulator.arm import ArmApi
        from collectors.simulator.gke import GkeApi

        self.fleet = fleet
        self.seed = fleet.scenario.seed
        self._faults: dict[str, FaultState] = {}
        self._issued: set[str] = set()
        self._lock = threading.Lock()
        self.requests: deque[CloudRequest] = deque(maxlen=10_000)
        self.gcp_token = "ya29.sim-" + self.derive("gcp-static-token")
        self.azure_token = "eyJ0eXAiOiJKV1QifQ.sim-" + self.derive("azure-static-token")
        self.gke = GkeApi(self)
        self.arm = ArmApi(self)
        self.aws = None   # AwsCloud once started

    # --- life cycle --------------------------------------------------------------------------------

    def start(self) -> None:
        from collectors.simulator.aws import AwsCloud

        if not self.clusters("eks") and not self.fleet.scenario.sagemaker:
            return   # no AWS in this fleet: spare starting moto
        aws = AwsCloud(self)
        aws.start()
        self.aws = aws

    def stop(self) -> None:
        if self.aws is not None:
            self.aws.stop()
            self.aws = None

    # --- routing (called by the Kubernetes handler for every path outside /clusters/) ----------------

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str],
               body: bytes) -> Reply | None:
        for api in (self.gke, self.arm):
            reply = api.handle(method, path, query, headers, body)
            if reply is not None:
                self.requests.append(CloudRequest(api.name, method, path, reply.code))
                return reply
        return None

    # --- tokens ------------------------------------------------------------------------------------

    def issue(self, prefix: str) -> str:
        token = prefix + secrets.token_urlsafe(24)
        with self._lock:
            self._issued.add(token)
        return token

    def bearer_ok(self, headers: Mapping[str, str], *, static: str) -> bool:
        token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            return False
        with self._lock:
            return token == static or token in self._issued

    def accepts_kube_token(self, cluster: Cluster, token: str) -> bool:
        """Cloud identities a managed cluster's API server accepts besides its own token."""
        if cluster.provider == "gke":
            with self._lock:
                return token == self.gcp_token or token in self._issued
        if cluster.provider == "eks" and self.aws is not None:
            return self.aws.verify_eks_token(token, cluster.name) is None
        return False

    # --- faults --------------------------------------------------------------------------------------

    def set_faults(self, key: str, **knobs: Any) -> Faults:
        with self._lock:
            state = self._faults.setdefault(key, FaultState())
        faults = state.faults.with_knobs(**knobs)
        state.set(faults)
        return faults

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fault(self, *keys: str, service: str | None = None) -> CloudFault | None:
        """Wait out latency/stalls, then the first fault the scope keys (most specific first) say."""
        for key in keys:
            state = self._faults.get(key)
            if state is None or (service is not None and not state.applies(service)):
                continue
            knobs = state.faults
            if knobs.stall_s:
                self.fleet.stopping.wait(knobs.stall_s)
            if knobs.latency_ms:
                self.fleet.stopping.wait(knobs.latency_ms / 1000)
            if knobs.unauthorized:
                return CloudFault(401, "unauthorized")
            if state.take_throttle():
                return CloudFault(429, "throttled", knobs.retry_after)
            if knobs.forbidden:
                return CloudFault(403, "forbidden")
            if state.take_error():
                return CloudFault(knobs.server_error_code, "server_error")
        return None

    # --- scenario views --------------------------------------------------------------------------------

    def clusters(self, provider: str) -> list[Cluster]:
        return [c for c in self.fleet.scenario.clusters if c.provider == provider]

    def derive(self, *parts: object, size: int = 16) -> str:
        return hashlib.blake2b("/".join(map(str, (self.seed, *parts))).encode(), digest_size=size).hexdigest()

    # --- the settings of the sources that crawl this fleet -------------------------------------------

    def sources(self, *, kubeconfig: str | None = None) -> list[dict[str, Any]]:
        """One Footprint source per AWS account, one for all GCP projects, one for all Azure subscriptions,
        and (given the path of the simulator's kubeconfig) one kubeconfig source per other cloud."""
        sources: list[dict[str, Any]] = []
        if self.aws is not None:
            sources.extend(self.aws.sources())
        gke = self.clusters("gke")
        if gke:
            sources.append({
                "name": "gcp", "kind": "gcp",
                "settings": {"projects": sorted({c.project or DEFAULT_PROJECT for c in gke}),
                             "apiEndpoint": self.fleet.url,
                             "kubernetesEndpoints": {c.name: self.fleet.cluster_url(c.name) for c in gke}},
                "credentials": {"serviceAccountJson": self.gke.service_account_json()},
            })
        aks = self.clusters("aks")
        if aks:
            sources.append({
                "name": "azure", "kind": "azure",
                "settings": {"subscriptions": sorted({c.subscription or DEFAULT_SUBSCRIPTION for c in aks}),
                             "tenantId": self.arm.tenant, "clientId": self.arm.client_id,
                             "armEndpoint": self.fleet.url, "authorityHost": self.fleet.url},
                "credentials": {"clientSecret": self.arm.client_secret},
            })
        if kubeconfig:
            sources.extend(self._kubeconfig_sources(kubeconfig))
        return sources

    def _kubeconfig_sources(self, path: str) -> list[dict[str, Any]]:
        by_cloud: dict[str, list[Cluster]] = {}
        for cluster in self.clusters("kubeconfig"):
            by_cloud.setdefault(cluster.cloud, []).append(cluster)
        sources = []
        for cloud, clusters in sorted(by_cloud.items()):
            settings: dict[str, Any] = {"kubeconfigPath": path, "contexts": [c.name for c in clusters],
                                        "regions": {c.name: c.region for c in clusters}}
            kind = cloud if cloud in GPU_CLOUD_KINDS else "kubernetes"
            if kind == "kubernetes":
                settings["cloud"] = cloud
            sources.append({"name": cloud, "kind": kind, "settings": settings, "credentials": {}})
        return sources


def form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qs

    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}

