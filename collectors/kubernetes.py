"""Kubernetes cluster crawler: the official `kubernetes` client, paginated lists, the scope rule.

One crawl of one cluster:
1. discovery (`/apis`) says which serving CRDs the cluster serves; only those are listed;
2. every resource in RESOURCES is listed for all namespaces, page by page (`limit`/`continue`);
   a 403 on the all-namespaces list falls back to per-namespace lists, so one forbidden namespace
   costs only that namespace; an expired continue token (410) restarts that listing once;
3. pods give placement (which node each workload runs on, for the GPU type) and GPU requests;
   nodes give GPU capacity; both are cut down to the fields read as each page arrives (`_slim_pod`,
   `_slim_node`), as pods are most of what a cluster lists;
4. the objects go through `collectors.detect` exactly as a manifest scan does.

The crawl reports the scopes it listed completely and the errors it met; the inventory ends a
deployment only inside a completely listed scope (DESIGN.md, reconcile rules).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from collectors.detect import accelerators
from collectors.detect.objects import containers, dig, mapping, seq, str_map, text
from collectors.detect.workloads import DetectContext, detect
from collectors.errors import CollectorError, NotServed, RetryPolicy, call_with_retries, classify_kubernetes
from collectors.gcmode import no_full_collections
from collectors.spec import CrawlError, CrawlResult, ErrorKind, GpuNode, PendingGpuPod, Scope

logger = logging.getLogger("footprint.collectors.kubernetes")


@dataclass(frozen=True)
class Resource:
    group: str            # "" for the core API
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    crd: bool = False     # listed only when discovery says the cluster serves it


# What the crawler reads. A read-only ClusterRole granting exactly this is in deploy/rbac.yaml.
RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "nodes", "Node", namespaced=False),
    Resource("", "v1", "pods", "Pod"),
    Resource("apps", "v1", "deployments", "Deployment"),
    Resource("apps", "v1", "statefulsets", "StatefulSet"),
    Resource("apps", "v1", "daemonsets", "DaemonSet"),
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    Resource("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService", crd=True),
    Resource("serving.kserve.io", "v1alpha1", "servingruntimes", "ServingRuntime", crd=True),
    Resource("serving.kserve.io", "v1alpha1", "clusterservingruntimes", "ClusterServingRuntime",
             namespaced=False, crd=True),
    Resource("serving.kserve.io", "v1alpha1", "llminferenceservices", "LLMInferenceService", crd=True),
    Resource("machinelearning.seldon.io", "v1", "seldondeployments", "SeldonDeployment", crd=True),
    Resource("mlops.seldon.io", "v1alpha1", "models", "Model", crd=True),
    Resource("mlops.seldon.io", "v1alpha1", "servers", "Server", crd=True),
    Resource("ray.io", "v1", "rayservices", "RayService", crd=True),
    Resource("apps.nvidia.com", "v1alpha1", "nimservices", "NIMService", crd=True),
    Resource("apps.nvidia.com", "v1alpha1", "nimcaches", "NIMCache", crd=True),
    Resource("kaito.sh", "v1beta1", "workspaces", "Workspace", crd=True),
    Resource("kaito.sh", "v1alpha1", "workspaces", "Workspace", crd=True),
    Resource("kaito.sh", "v1alpha1", "inferencesets", "InferenceSet", crd=True),
    Resource("leaderworkerset.x-k8s.io", "v1", "leaderworkersets", "LeaderWorkerSet", crd=True),
    Resource("keda.sh", "v1alpha1", "scaledobjects", "ScaledObject", crd=True),
    Resource("serving.yatai.ai", "v2alpha1", "bentodeployments", "BentoDeployment", crd=True),
    Resource("resources.yatai.ai", "v1alpha1", "bentos", "Bento", crd=True),
    Resource("argoproj.io", "v1alpha1", "rollouts", "Rollout", crd=True),
    Resource("serving.knative.dev", "v1", "services", "Service", crd=True),
)

# The pod of a Deployment is owned by a ReplicaSet named "<deployment>-<pod-template-hash>";
# resolving that by name spares listing every ReplicaSet (ten per Deployment by default).
_REPLICASET = "ReplicaSet"


@dataclass(frozen=True)
class ClusterTarget:
    """How to reach one cluster: a kubeconfig context, in-cluster config, or a server and a token."""

    name: str
    cloud: str = "unknown"
    region: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    server: str | None = None
    token: str | None = None
    ca_data: str | None = None          # base64 PEM (certificate-authority-data)
    insecure: bool = False
    in_cluster: bool = False
    token_provider: Callable[[], str] | None = field(default=None, compare=False)  # EKS: fresh token a crawl

    def api_client(self):
        from kubernetes import client, config

        configuration = client.Configuration()
        if self.in_cluster:
            config.load_incluster_config(client_configuration=configuration)
        elif self.kubeconfig:
            config.load_kube_config(config_file=self.kubeconfig, context=self.context,
                                    client_configuration=configuration)
        else:
            configuration.host = self.server
            token = self.token_provider() if self.token_provider else self.token
            if token:
                configuration.api_key = {"authorization": f"Bearer {token}"}
            if self.ca_data:
                configuration.ssl_ca_cert = _ca_file(self.ca_data)
            configuration.verify_ssl = not self.insecure
        configuration.retries = False   # retries are decided once, in collectors.errors
        return client.ApiClient(configuration)


def _ca_file(ca_data: str) -> str:
    import base64

    handle, path = tempfile.mkstemp(prefix="footprint-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as out:
        out.write(base64.b64decode(ca_data))
    return path


@dataclass
class ClusterCrawl:
    """One cluster's part of a crawl."""

    target: ClusterTarget
    result: CrawlResult
    seconds: float = 0.0


@dataclass
class _Listing:
    items: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    namespaces_failed: dict[str, CollectorError] = field(default_factory=dict)


class KubernetesCrawler:
    """Crawls clusters concurrently (bounded), each through its own ApiClient."""

    def __init__(self, *, page_size: int = 500, timeout: float | tuple[float, float] = (5.0, 30.0),
                 max_concurrency: int = 16, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Any] = time.sleep,
                 progress: Callable[[ClusterCrawl], Any] | None = None):
        self.page_size = page_size
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.progress = progress

    # --- many clusters ---------------------------------------------------------------------------

    def crawl(self, targets: Iterable[ClusterTarget], *, source: str | None = None,
              observed_at: datetime | None = None) -> CrawlResult:
        targets = list(targets)
        observed_at = observed_at or datetime.now(UTC).replace(microsecond=0)
        merged = CrawlResult(started_at=datetime.now(UTC))
        if not targets:
            merged.finished_at = datetime.now(UTC)
            return merged
        workers = max(1, min(self.max_concurrency, len(targets)))
        with no_full_collections(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl") as pool:
            for part in pool.map(lambda t: self.crawl_cluster(t, source=source, observed_at=observed_at), targets):
                merged.merge(part.result)
                if self.progress is not None:
                    self.progress(part)
        merged.finished_at = datetime.now(UTC)
        return merged

    # --- one cluster -----------------------------------------------------------------------------

    def crawl_cluster(self, target: ClusterTarget, *, source: str | None = None,
                      observed_at: datetime | None = None) -> ClusterCrawl:
        started = time.perf_counter()
        result = CrawlResult(started_at=datetime.now(UTC))
        cluster_scope = Scope(cluster=target.name)
        try:
            api = target.api_client()
        except Exception as exc:  # noqa: BLE001 - a broken kubeconfig is this cluster's error, not the crawl's
            result.errors.append(CrawlError(cluster_scope, ErrorKind.INVALID_INPUT, f"cannot configure client: {exc}"))
            return self._done(target, result, started)
        try:
            served = self._discover(api)
            objects: list[dict[str, Any]] = []
            failed_namespaces: dict[str, CollectorError] = {}
            complete = True
            for resource in RESOURCES:
                if resource.crd and (resource.group, resource.version) not in served:
                    continue
                if resource.crd and resource.group == "kaito.sh" and resource.version == "v1alpha1" \
                        and resource.plural == "workspaces" and ("kaito.sh", "v1beta1") in served:
                    continue  # the same Workspaces, served under both versions
                try:
                    listing = self._list(api, resource)
                except NotServed:
                    continue
                except CollectorError as error:
                    if error.kind in (ErrorKind.AUTH, ErrorKind.UNREACHABLE):
                        raise  # the whole cluster is out of reach: stop asking it
                    complete = False
                    result.errors.append(CrawlError(cluster_scope, error.kind, f"{resource.plural}: {error.message}"))
                    continue
                result.pages += listing.pages
                for item in listing.items:
                    item.setdefault("kind", resource.kind)
                    item.setdefault("apiVersion", f"{resource.group}/{resource.version}".lstrip("/"))
                objects.extend(listing.items)
                for namespace, error in listing.namespaces_failed.items():
                    failed_namespaces.setdefault(namespace, error)
                    result.errors.append(CrawlError(Scope(target.name, namespace), error.kind,
                                                    f"{resource.plural}: {error.message}"))
        except CollectorError as error:
            result.errors.append(CrawlError(cluster_scope, error.kind, error.message))
            return self._done(target, result, started)
        result.objects_seen = len(objects)
        if not complete:
            # A resource could not be listed at all: what was seen cannot be trusted to describe the
            # cluster (pods without their Deployments lose placement, CRs lose their runtimes). Report
            # the errors only; the inventory keeps the cluster's deployments as they were, marked stale.
            return self._done(target, result, started)
        # Errors in single namespaces are recorded against those namespaces: the reconcile keeps
        # their deployments (stale), and ends unseen ones everywhere else in the cluster.
        result.scopes.append(cluster_scope)
        self._recognise(target, objects, result, source=source, observed_at=observed_at)
        return self._done(target, result, started)

    def _done(self, target: ClusterTarget, result: CrawlResult, started: float) -> ClusterCrawl:
        result.finished_at = datetime.now(UTC)
        seconds = time.perf_counter() - started
        logger.info("crawl.cluster cluster=%s seconds=%.2f pages=%d objects=%d specs=%d errors=%d",
                    target.name, seconds, result.pages, result.objects_seen, len(result.specs), len(result.errors))
        return ClusterCrawl(target, result, seconds)

    def _call(self, call: Callable[[], Any]) -> Any:
        try:
            return call_with_retries(call, classify=classify_kubernetes, policy=self.retry, sleep=self.sleep)
        except CollectorError as error:
            # The retry loop's frame holds the error in a local, and the error's tracebacks (its own and
            # its cause's) hold that frame: a reference cycle. Once the error has travelled up to
            # crawl_cluster (a 404 for a resource a served group lacks is routine), the cycle would keep
            # crawl_cluster's frame, and with it every object the cluster listed, alive until the cyclic
            # GC happened to run. Clearing the finished frames' locals breaks it; the tracebacks stay.
            _clear_frames(error)
            raise

    def _discover(self, api) -> set[tuple[str, str]]:
        """(group, version) pairs the cluster serves."""
        from kubernetes import client

        response = self._call(lambda: client.ApisApi(api).get_api_versions(
            _preload_content=False, _request_timeout=self.timeout))
        data = orjson.loads(response.data)
        served: set[tuple[str, str]] = set()
        for group in seq(data.get("groups")):
            for version in seq(dig(group, "versions")):
                name, ver = text(dig(group, "name")), text(dig(version, "version"))
                if name and ver:
                    served.add((name, ver))
        return served

    def _list(self, api, resource: Resource) -> _Listing:
        """All items of a resource; per namespace when the all-namespaces list is forbidden."""
        try:
            return self._paged(api, resource, namespace=None)
        except CollectorError as error:
            if error.kind != ErrorKind.FORBIDDEN or not resource.namespaced:
                raise
        namespaces = self._paged(api, Resource("", "v1", "namespaces", "Namespace", namespaced=False), None)
        listing = _Listing(pages=namespaces.pages)
        for namespace in sorted(filter(None, (text(dig(n, "metadata", "name")) for n in namespaces.items))):
            try:
                part = self._paged(api, resource, namespace=namespace)
            except NotServed:
                continue
            except CollectorError as error:
                if error.kind in (ErrorKind.AUTH, ErrorKind.UNREACHABLE):
                    raise
                listing.namespaces_failed[namespace] = error
                continue
            listing.items.extend(part.items)
            listing.pages += part.pages
        return listing

    def _paged(self, api, resource: Resource, namespace: str | None) -> _Listing:
        """Page through one list; an expired continue token (410) restarts the listing once."""
        for attempt in (1, 2):
            listing = _Listing()
            token: str | None = None
            try:
                while True:
                    page = self._call(lambda t=token: self._request(api, resource, namespace, t))
                    data = orjson.loads(page.data)
                    listing.pages += 1
                    items = (i for i in seq(data.get("items")) if isinstance(i, dict))
                    listing.items.extend(map(_SLIM.get(resource.kind, _without_managed_fields), items))
                    token = text(dig(data, "metadata", "continue"))
                    del data, page, items  # the page's full objects go now, not after the next page's
                    if not token:
                        return listing
            except CollectorError as error:
                if error.kind == ErrorKind.PARTIAL_LISTING and attempt == 1:
                    logger.warning("crawl.relist resource=%s reason=%s", resource.plural, error.message)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, api, resource: Resource, namespace: str | None, token: str | None):
        """One page through the client's typed API (core, apps, autoscaling) or CustomObjectsApi."""
        from kubernetes import client

        kwargs: dict[str, Any] = {"limit": self.page_size, "_preload_content": False,
                                  "_request_timeout": self.timeout}
        if token:
            kwargs["_continue"] = token
        if resource.crd:
            custom = client.CustomObjectsApi(api)
            if namespace is None:
                return custom.list_cluster_custom_object(resource.group, resource.version, resource.plural, **kwargs)
            return custom.list_namespaced_custom_object(resource.group, resource.version, namespace,
                                                        resource.plural, **kwargs)
        typed = {"": client.CoreV1Api, "apps": client.AppsV1Api, "autoscaling": client.AutoscalingV2Api}
        api_class = typed[resource.group](api)
        singular = {"nodes": "node", "pods": "pod", "namespaces": "namespace", "deployments": "deployment",
                    "statefulsets": "stateful_set", "daemonsets": "daemon_set",
                    "horizontalpodautoscalers": "horizontal_pod_autoscaler"}[resource.plural]
        if not resource.namespaced:
            return getattr(api_class, f"list_{singular}")(**kwargs)
        if namespace is None:
            return getattr(api_class, f"list_{singular}_for_all_namespaces")(**kwargs)
        return getattr(api_class, f"list_namespaced_{singular}")(namespace, **kwargs)

    # --- from objects to specs and capacity --------------------------------------------------------

    def _recognise(self, target: ClusterTarget, objects: list[dict[str, Any]], result: CrawlResult, *,
                   source: str | None, observed_at: datetime | None) -> None:
        nodes = [o for o in objects if o.get("kind") == "Node"]
        pods = [o for o in objects if o.get("kind") == "Pod"]
        workloads = [o for o in objects if o.get("kind") not in ("Node", "Pod")]
        node_labels = {text(dig(n, "metadata", "name")) or "": str_map(dig(n, "metadata", "labels")) for n in nodes}
        owners = _OwnerIndex(workloads)
        placements: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        pod_workload: dict[int, tuple[str, str, str] | None] = {}
        for pod in pods:
            top = owners.top(pod)
            pod_workload[id(pod)] = top
            node = text(dig(pod, "spec", "nodeName"))
            if top is not None and node and node not in placements[top]:
                placements[top].append(node)
        cloud, region = target.cloud, target.region
        if cloud == "unknown" or region is None:
            found_cloud, found_region = _cloud_of(nodes)
            cloud = found_cloud if cloud == "unknown" else cloud
            region = region or found_region
            target = ClusterTarget(**{**target.__dict__, "cloud": cloud, "region": region})
        ctx = DetectContext(cloud=cloud, region=region, cluster=target.name, source=source,
                            observed_at=observed_at, node_labels=node_labels, placements=dict(placements))
        detection = detect(workloads, ctx)
        result.specs.extend(detection.specs)
        serving = {(s.workload.namespace or "", s.workload.kind, s.workload.name) for s in detection.specs}
        gpu_nodes, pending = _capacity(target, nodes, pods, pod_workload, serving)
        result.gpu_nodes.extend(gpu_nodes)
        result.pending_gpu_pods.extend(pending)


def _clear_frames(error: BaseException) -> None:
    """Drop the locals of the finished frames in an error's tracebacks (and its cause's)."""
    for exc in (error, error.__cause__, error.__context__):
        if exc is not None:
            traceback.clear_frames(exc.__traceback__)


def _slim_pod(pod: dict[str, Any]) -> dict[str, Any]:
    """What the crawl reads of a pod: its controller, node, phase, why it is unscheduled, accelerator requests.

    Pods are most of what a cluster lists (about two thirds of the bytes) and are never given to
    detection; keeping only these fields as each page arrives cuts a crawl's memory several times over.
    Containers that ask for no accelerator are dropped (they add nothing to `_pod_accelerators`).
    """
    meta, spec, status = mapping(pod.get("metadata")), mapping(pod.get("spec")), mapping(pod.get("status"))
    slim: dict[str, Any] = {k: pod[k] for k in ("kind", "apiVersion") if k in pod}
    slim_meta = {k: meta[k] for k in ("name", "namespace", "uid") if k in meta}
    if isinstance(slim_meta.get("namespace"), str):
        slim_meta["namespace"] = sys.intern(slim_meta["namespace"])
    owner = _controller(pod)
    if owner is not None:
        slim_meta["ownerReferences"] = [{k: owner[k] for k in ("kind", "name", "uid", "controller") if k in owner}]
    slim["metadata"] = slim_meta
    slim_spec: dict[str, Any] = {}
    for key in ("containers", "initContainers"):
        kept = [{f: c[f] for f in ("name", "resources", "restartPolicy") if f in c} for c in seq(spec.get(key))
                if isinstance(c, dict) and _asks_accelerators(c.get("resources"))]
        if kept:
            slim_spec[key] = kept
    node = spec.get("nodeName")
    if node:
        slim_spec["nodeName"] = sys.intern(node) if isinstance(node, str) else node
    slim["spec"] = slim_spec
    phase = status.get("phase")
    slim["status"] = {"phase": sys.intern(phase) if isinstance(phase, str) else phase} if phase else {}
    unscheduled = [c for c in seq(status.get("conditions")) if isinstance(c, dict)
                   and c.get("type") == "PodScheduled" and c.get("status") == "False"]
    if unscheduled:
        slim["status"]["conditions"] = unscheduled
    return slim


_PLAIN_RESOURCES = frozenset(("cpu", "memory", "ephemeral-storage", "storage", "pods"))


def _asks_accelerators(resources: Any) -> bool:
    """Whether a container's resources ask for an accelerator (most ask only for CPU and memory)."""
    if not isinstance(resources, dict):
        return False
    for section in (resources.get("limits"), resources.get("requests")):
        if isinstance(section, dict) and any(k not in _PLAIN_RESOURCES and not k.startswith("hugepages-")
                                             for k in section):
            return bool(accelerators.accelerator_resource_count(resources))
    return False


def _slim_node(node: dict[str, Any]) -> dict[str, Any]:
    """What the crawl reads of a node: name, labels, provider id, allocatable resources."""
    meta, spec, status = mapping(node.get("metadata")), mapping(node.get("spec")), mapping(node.get("status"))
    slim: dict[str, Any] = {k: node[k] for k in ("kind", "apiVersion") if k in node}
    slim["metadata"] = {k: meta[k] for k in ("name", "uid", "labels") if k in meta}
    slim["spec"] = {k: spec[k] for k in ("providerID",) if k in spec}
    slim["status"] = {k: status[k] for k in ("allocatable",) if k in status}
    return slim


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """managedFields (server-side apply bookkeeping, often a third of an object) is never read."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


_SLIM: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"Pod": _slim_pod, "Node": _slim_node}

_PROVIDER_CLOUDS = (("aws://", "aws"), ("gce://", "gcp"), ("azure://", "azure"), ("oci://", "oci"))


def _cloud_of(nodes: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Cloud from the nodes' providerID scheme, region from their topology label (most common value)."""
    clouds: dict[str, int] = defaultdict(int)
    regions: dict[str, int] = defaultdict(int)
    for node in nodes:
        provider = (text(dig(node, "spec", "providerID")) or "").lower()
        for prefix, cloud in _PROVIDER_CLOUDS:
            if provider.startswith(prefix):
                clouds[cloud] += 1
        labels = str_map(dig(node, "metadata", "labels"))
        region = labels.get("topology.kubernetes.io/region") or labels.get("failure-domain.beta.kubernetes.io/region")
        if region:
            regions[region] += 1
    cloud = max(clouds, key=clouds.__getitem__) if clouds else "unknown"
    region = max(regions, key=regions.__getitem__) if regions else None
    return cloud, region


class _OwnerIndex:
    """Walks ownerReferences from a pod up to the object that is reported (Deployment, ISVC, LWS...)."""

    def __init__(self, objects: list[dict[str, Any]]):
        self.by_uid: dict[str, dict[str, Any]] = {}
        self.by_name: dict[tuple[str, str, str], dict[str, Any]] = {}
        for obj in objects:
            uid = text(dig(obj, "metadata", "uid"))
            if uid:
                self.by_uid[uid] = obj
            key = (text(dig(obj, "metadata", "namespace")) or "", text(obj.get("kind")) or "",
                   text(dig(obj, "metadata", "name")) or "")
            self.by_name[key] = obj

    def top(self, pod: Mapping[str, Any]) -> tuple[str, str, str] | None:
        namespace = text(dig(pod, "metadata", "namespace")) or ""
        current: Mapping[str, Any] = pod
        for _ in range(8):  # ownership chains are short; a cycle must not hang the crawl
            ref = _controller(current)
            if ref is None:
                break
            kind, name = text(ref.get("kind")) or "", text(ref.get("name")) or ""
            parent = self.by_uid.get(text(ref.get("uid")) or "") or self.by_name.get((namespace, kind, name))
            if parent is None and kind == "RayCluster" and "-raycluster-" in name:
                # KubeRay names a RayService's cluster "<service>-raycluster-<hash>"; RayClusters are not listed.
                parent = self.by_name.get((namespace, "RayService", name.split("-raycluster-", 1)[0]))
            if parent is None and kind == _REPLICASET:
                # Deployment pods: the ReplicaSet "<deployment>-<hash>" is not listed; its Deployment is.
                parent = self.by_name.get((namespace, "Deployment", name.rsplit("-", 1)[0]))
                if parent is None:
                    parent = self.by_name.get((namespace, "Rollout", name.rsplit("-", 1)[0]))
            if parent is None:
                break
            current = parent
        if current is pod:
            return None
        return (namespace, text(current.get("kind")) or "", text(dig(current, "metadata", "name")) or "")


def _controller(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    refs = [r for r in seq(dig(obj, "metadata", "ownerReferences")) if isinstance(r, Mapping)]
    return next((r for r in refs if r.get("controller") is True), refs[0] if refs else None)


def _pod_accelerators(pod: Mapping[str, Any]) -> float:
    total = 0.0
    for container in containers(mapping(pod.get("spec"))):
        total += accelerators.accelerator_resource_count(mapping(container.get("resources"))) or 0.0
    return total


# Node labels naming the node pool / group, per cloud and provisioner, most specific first.
POOL_LABELS = ("eks.amazonaws.com/nodegroup", "cloud.google.com/gke-nodepool", "kubernetes.azure.com/agentpool",
               "karpenter.sh/nodepool", "compute.coreweave.com/node-pool", "node.kubernetes.io/pool",
               "node-pool", "nodepool", "agentpool")
_ACCELERATOR_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron", "aws.amazon.com/neurondevice",
                          "google.com/tpu", "nvidia.com/gpu.shared")


def _capacity(target: ClusterTarget, nodes: list[dict[str, Any]], pods: list[dict[str, Any]],
              pod_workload: Mapping[int, tuple[str, str, str] | None],
              serving: set[tuple[str, str, str]]) -> tuple[list[GpuNode], list[PendingGpuPod]]:
    requested: dict[str, float] = defaultdict(float)
    serving_requested: dict[str, float] = defaultdict(float)
    pod_count: dict[str, int] = defaultdict(int)
    pending: list[PendingGpuPod] = []
    for pod in pods:
        phase = text(dig(pod, "status", "phase")) or ""
        if phase in ("Succeeded", "Failed"):
            continue
        gpus = _pod_accelerators(pod)
        if not gpus:
            continue
        node = text(dig(pod, "spec", "nodeName"))
        if not node:
            reason = next((text(dig(c, "message")) or text(dig(c, "reason"))
                           for c in seq(dig(pod, "status", "conditions"))
                           if text(dig(c, "type")) == "PodScheduled" and text(dig(c, "status")) == "False"), None)
            pending.append(PendingGpuPod(target.name, text(dig(pod, "metadata", "namespace")) or "",
                                         text(dig(pod, "metadata", "name")) or "", gpus, reason))
            continue
        requested[node] += gpus
        pod_count[node] += 1
        if pod_workload.get(id(pod)) in serving:
            serving_requested[node] += gpus
    out: list[GpuNode] = []
    for node in nodes:
        name = text(dig(node, "metadata", "name")) or ""
        allocatable = mapping(dig(node, "status", "allocatable"))
        offered = sum(accelerators.accelerator_resource_count({"limits": {k: v}}) or 0.0
                      for k, v in allocatable.items() if k in _ACCELERATOR_RESOURCES or k.startswith("nvidia.com/mig-"))
        if not offered and not requested.get(name):
            continue
        labels = str_map(dig(node, "metadata", "labels"))
        guess = accelerators.accelerator_from_pod({}, node_labels=labels)
        pool = next((labels[k] for k in POOL_LABELS if labels.get(k)), None)
        out.append(GpuNode(
            cluster=target.name, name=name, cloud=target.cloud, region=target.region, pool=pool,
            instance_type=labels.get("node.kubernetes.io/instance-type") or labels.get("beta.kubernetes.io/instance-type"),
            accelerator=guess.type, allocatable=offered, requested=requested.get(name, 0.0),
            serving_requested=serving_requested.get(name, 0.0), pods=pod_count.get(name, 0),
        ))
    return out, pending


def targets_from_kubeconfig(path: str, *, contexts: Iterable[str] | None = None, cloud: str = "unknown",
                            region: str | None = None) -> list[ClusterTarget]:
    """One target per kubeconfig context (all of them unless named), cluster name = context name."""
    from kubernetes import config

    available, _ = config.list_kube_config_contexts(config_file=path)
    names = [c["name"] for c in available]
    wanted = list(contexts) if contexts else names
    missing = sorted(set(wanted) - set(names))
    if missing:
        raise CollectorError(ErrorKind.INVALID_INPUT, f"kubeconfig {path} has no context {', '.join(missing)}")
    return [ClusterTarget(name=name, cloud=cloud, region=region, kubeconfig=path, context=name) for name in wanted]
