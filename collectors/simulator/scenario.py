"""Scenarios: the fleet a simulator serves, read from YAML or built in Python (see README.md).

    name: smoke
    seed: 7                                # uids, node names and tokens derive from it
    epoch: "2026-06-01T00:00:00Z"          # creationTimestamp of objects that give none
    clouds:
      aws:                                 # aws | gcp | azure | coreweave | nebius | lambda | oci | onprem
        account: "111122223333"            # gcp: project; azure: subscription + resourceGroup
        regions:
          us-east-1:
            clusters:
              - name: prod-use1
                provider: eks              # eks | gke | aks | kubeconfig (default from the cloud)
                token: s3cret              # bearer token (default: derived from seed and name)
                version: v1.30.4-eks-...   # /version gitVersion (default per provider)
                operators: [kserve]        # CRD groups installed even with no objects of theirs
                faults: {latencyMs: 20}    # knobs of faults.py, camelCase
                nodePools:
                  - {name: a10g, instanceType: g5.2xlarge, count: 3, karpenter: true, gfd: false,
                     labels: {team: search}, taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]}
                  - {name: h100, accelerator: H100-80GB, count: 2, gpusPerNode: 8}
                workloads:
                  - {name: chat, namespace: search-prod, kind: Deployment, engine: vllm,
                     model: meta-llama/Llama-3.1-8B-Instruct, revision: main, replicas: 3, ready: 2, gpus: 1,
                     pool: a10g, placement: accelerator, team: search, hpa: {min: 2, max: 6},
                     createdAt: "2026-08-01T09:00:00Z", args: [--enable-prefix-caching]}
                  - {name: site, namespace: web, preset: web, replicas: 2}       # not serving
                  - manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: web}}
                    pool: a10g                                                   # raw object, any kind
            sagemaker:                     # AWS only: SageMaker real-time endpoints (served by moto)
              - {name: chat-sm, model: meta-llama/Llama-3.1-8B-Instruct, instanceType: ml.g5.2xlarge,
                 instanceCount: 2, tags: {team: search, environment: prod}, createdAt: "2026-08-01T09:00:00Z"}

Workload keys: name, namespace (default "default"), kind (Deployment | StatefulSet | InferenceService |
RayService | NIMService | LeaderWorkerSet | Workspace | SeldonDeployment | Model | Job; a preset brings
its own), engine (engines.ENGINES; implied for RayService, NIMService, ...: IMPLIED_ENGINE), model, revision, image, replicas, ready (Running pods; the rest stay
Pending), gpus (per replica), pool, placement (accelerator | pool | instance-type | node: how the pods
ask for the pool: a nodeSelector on the accelerator label, on the pool label, on the instance type, or
nothing at all, the pods merely running there), team, labels, annotations, hpa {min, max}, keda {min, max},
createdAt, args (extra engine args), env (extra env), size (LeaderWorkerSet pods per replica), preset
(engines.PRESETS), manifest (a raw Kubernetes object; with `pool`, its pods run in that pool).
Node pool `autoscaling: {min, max}` is what the cloud API reports (EKS scalingConfig, GKE autoscaling,
AKS minCount/maxCount); the pool still runs `count` nodes.

SageMaker endpoint keys: name, tags, createdAt, and either one variant's keys inline or `variants:` (a list
of them): name (default AllTraffic), model (Hugging Face id → HF_MODEL_ID), engine (tgi | tei | vllm:
the AWS/Hugging Face DLC image; custom: give `image`), image, modelData (s3:// artifacts), env,
instanceType (ml.*), instanceCount, weight, autoscaling {min, max}.
Unknown keys are errors: a misspelt knob must not silently do nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from collectors.simulator.catalog import DEFAULT_PROVIDER, GPUS, INSTANCE_TYPES, PROVIDERS
from collectors.simulator.engines import ENGINES, PRESETS
from collectors.simulator.faults import Faults

SCENARIO_DIR = Path(__file__).parent / "scenarios"
CLOUDS = ("aws", "gcp", "azure", "coreweave", "nebius", "lambda", "oci", "onprem")
KINDS = ("Deployment", "StatefulSet", "InferenceService", "RayService", "NIMService", "LeaderWorkerSet",
         "Workspace", "SeldonDeployment", "Model", "Job")
PLACEMENTS = ("accelerator", "pool", "instance-type", "node")
OPERATORS = ("kserve", "seldon", "seldon-v2", "ray", "nim", "kaito", "lws", "keda")
DEFAULT_EPOCH = "2026-06-01T00:00:00Z"
# Serving CRDs whose operator brings its engine: a shorthand of that kind may leave `engine` out.
IMPLIED_ENGINE = {"RayService": "vllm", "NIMService": "nim", "Workspace": "vllm", "LeaderWorkerSet": "vllm",
                  "InferenceService": "vllm", "Model": "mlserver"}


class ScenarioError(ValueError):
    """A scenario that cannot be served as written."""


@dataclass(slots=True, eq=False)
class NodePool:
    name: str
    count: int = 1
    instance_type: str | None = None
    accelerator: str | None = None
    gpus_per_node: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] | None = None   # None: the cloud's usual GPU taint on GPU pools
    karpenter: bool = False
    gfd: bool = False
    spot: bool = False
    autoscaling: tuple[int, int] | None = None   # (min, max) as the cloud's node pool API reports it


SAGEMAKER_ENGINES = ("tgi", "tei", "vllm", "custom")


@dataclass(slots=True, eq=False)
class SageMakerVariant:
    name: str = "AllTraffic"
    model: str | None = None
    engine: str = "tgi"
    image: str | None = None
    model_data: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    instance_type: str = "ml.g5.2xlarge"
    instance_count: int = 1
    weight: float = 1.0
    autoscaling: tuple[int, int] | None = None


@dataclass(slots=True, eq=False)
class SageMakerEndpoint:
    name: str
    region: str
    account: str | None = None
    variants: list[SageMakerVariant] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    created_at: str | None = None


@dataclass(slots=True, eq=False)
class Workload:
    name: str
    namespace: str = "default"
    kind: str | None = None
    engine: str | None = None
    model: str | None = None
    revision: str | None = None
    image: str | None = None
    replicas: int = 1
    ready: int | None = None
    gpus: int | None = None
    pool: str | None = None
    placement: str = "accelerator"
    team: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    hpa: tuple[int, int] | None = None
    keda: tuple[int, int] | None = None
    created_at: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] | None = None
    size: int = 2
    preset: str | None = None
    manifest: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.engine is None and self.kind in IMPLIED_ENGINE:
            self.engine = IMPLIED_ENGINE[self.kind]

    @property
    def gpus_per_replica(self) -> int:
        if self.gpus is not None:
            return self.gpus
        if self.preset:
            return PRESETS[self.preset].gpus
        return ENGINES[self.engine].gpus if self.engine else 0

    @property
    def ready_replicas(self) -> int:
        return self.replicas if self.ready is None else min(self.ready, self.replicas)


@dataclass(slots=True, eq=False)
class Cluster:
    name: str
    cloud: str
    region: str
    provider: str
    token: str
    node_pools: list[NodePool] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    version: str | None = None
    operators: tuple[str, ...] = ()
    account: str | None = None          # AWS account id
    project: str | None = None          # GCP project
    subscription: str | None = None     # Azure subscription id
    resource_group: str | None = None   # Azure resource group

    def pool(self, name: str | None) -> NodePool | None:
        return next((p for p in self.node_pools if p.name == name), None)


@dataclass(slots=True, eq=False)
class Scenario:
    name: str
    clusters: list[Cluster]
    seed: int = 0
    epoch: str = DEFAULT_EPOCH
    sagemaker: list[SageMakerEndpoint] = field(default_factory=list)

    def cluster(self, name: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise KeyError(f"no cluster {name!r} in scenario {self.name!r}")

    @property
    def workload_count(self) -> int:
        return sum(len(c.workloads) for c in self.clusters)


def default_token(seed: int, cluster: str) -> str:
    return "sim-" + hashlib.blake2b(f"{seed}/{cluster}".encode(), digest_size=12).hexdigest()


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name (`smoke` → scenarios/smoke.yaml) or a YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError(f"no scenario {str(name_or_path)!r} (shipped: {shipped})")
    document = yaml.safe_load(path.read_text())
    return scenario_from_dict(document, default_name=path.stem)


def scenario_from_dict(document: dict[str, Any], *, default_name: str = "scenario") -> Scenario:
    doc = _keys(document, "scenario", {"name", "seed", "epoch", "clouds"})
    seed = int(doc.get("seed", 0))
    clusters: list[Cluster] = []
    endpoints: list[SageMakerEndpoint] = []
    for cloud, cloud_doc in (doc.get("clouds") or {}).items():
        if cloud not in CLOUDS:
            raise ScenarioError(f"unknown cloud {cloud!r} (known: {', '.join(CLOUDS)})")
        cloud_doc = _keys(cloud_doc, f"cloud {cloud}", {"account", "project", "subscription", "resource_group",
                                                         "regions"})
        ids = {k: cloud_doc.get(k) for k in ("account", "project", "subscription", "resource_group")}
        for region, region_doc in (cloud_doc.get("regions") or {}).items():
            region_doc = _keys(region_doc, f"region {region}", {"clusters", "sagemaker"})
            for cluster_doc in region_doc.get("clusters") or []:
                clusters.append(_cluster(cluster_doc, cloud=cloud, region=str(region), ids=ids, seed=seed))
            if region_doc.get("sagemaker") and cloud != "aws":
                raise ScenarioError(f"region {region}: `sagemaker` endpoints live in the aws cloud only")
            for endpoint_doc in region_doc.get("sagemaker") or []:
                endpoints.append(_endpoint(endpoint_doc, region=str(region), account=ids["account"]))
    scenario = Scenario(name=str(doc.get("name", default_name)), clusters=clusters, seed=seed,
                        epoch=str(doc.get("epoch", DEFAULT_EPOCH)), sagemaker=endpoints)
    validate(scenario)
    return scenario


def validate(scenario: Scenario) -> None:
    """Checks that make a bad scenario fail at load time rather than as an odd answer later."""
    seen: set[str] = set()
    for cluster in scenario.clusters:
        if cluster.name in seen or not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", cluster.name):
            raise ScenarioError(f"cluster name {cluster.name!r} is duplicated or not a DNS label")
        seen.add(cluster.name)
        if cluster.provider not in PROVIDERS:
            raise ScenarioError(f"cluster {cluster.name}: unknown provider {cluster.provider!r}")
        if unknown := set(cluster.operators) - set(OPERATORS):
            raise ScenarioError(f"cluster {cluster.name}: unknown operators {sorted(unknown)} (known: {OPERATORS})")
        for pool in cluster.node_pools:
            if pool.accelerator and pool.accelerator not in GPUS:
                raise ScenarioError(f"pool {pool.name}: unknown accelerator {pool.accelerator!r} "
                                    f"(known: {', '.join(GPUS)})")
            if pool.instance_type and pool.instance_type not in INSTANCE_TYPES and not pool.accelerator:
                raise ScenarioError(f"pool {pool.name}: instance type {pool.instance_type!r} is not in the "
                                    f"catalog; give `accelerator` (and gpusPerNode) with it")
        names: set[tuple[str, str, str]] = set()
        for w in cluster.workloads:
            _validate_workload(cluster, w, names)
    endpoints: set[tuple[str | None, str, str]] = set()
    for endpoint in scenario.sagemaker:
        key = (endpoint.account, endpoint.region, endpoint.name)
        if key in endpoints or not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", endpoint.name):
            raise ScenarioError(f"SageMaker endpoint name {endpoint.name!r} is duplicated or not valid")
        endpoints.add(key)
        _validate_endpoint(endpoint)


def _validate_endpoint(endpoint: SageMakerEndpoint) -> None:
    if not endpoint.variants or len({v.name for v in endpoint.variants}) != len(endpoint.variants):
        raise ScenarioError(f"SageMaker endpoint {endpoint.name}: give one or more variants with distinct names")
    for variant in endpoint.variants:
        where = f"SageMaker endpoint {endpoint.name}, variant {variant.name}"
        if variant.engine not in SAGEMAKER_ENGINES:
            raise ScenarioError(f"{where}: engine must be one of {', '.join(SAGEMAKER_ENGINES)}")
        if variant.engine == "custom" and not variant.image:
            raise ScenarioError(f"{where}: a custom engine needs `image`")
        if not variant.instance_type.startswith("ml."):
            raise ScenarioError(f"{where}: instanceType {variant.instance_type!r} is not a SageMaker type (ml.*)")
        if variant.instance_count < 1:
            raise ScenarioError(f"{where}: instanceCount must be at least 1")


def _validate_workload(cluster: Cluster, w: Workload, names: set[tuple[str, str, str]]) -> None:
    where = f"cluster {cluster.name}, workload {w.namespace}/{w.name}"
    if w.manifest is not None:
        meta = w.manifest.get("metadata") or {}
        if not (w.manifest.get("apiVersion") and w.manifest.get("kind") and meta.get("name")):
            raise ScenarioError(f"{where}: a manifest needs apiVersion, kind and metadata.name")
    else:
        if w.preset and w.preset not in PRESETS:
            raise ScenarioError(f"{where}: unknown preset {w.preset!r} (known: {', '.join(PRESETS)})")
        if w.engine and w.engine not in ENGINES:
            raise ScenarioError(f"{where}: unknown engine {w.engine!r} (known: {', '.join(ENGINES)})")
        if not w.engine and not w.preset and not w.image:
            raise ScenarioError(f"{where}: give an engine, a preset, an image or a manifest")
        if w.kind and w.kind not in KINDS:
            raise ScenarioError(f"{where}: unknown kind {w.kind!r} (shorthand kinds: {', '.join(KINDS)}; "
                                f"anything else goes in `manifest`)")
        if w.placement not in PLACEMENTS:
            raise ScenarioError(f"{where}: placement must be one of {PLACEMENTS}")
    if w.pool and cluster.pool(w.pool) is None:
        raise ScenarioError(f"{where}: no node pool {w.pool!r}")
    kind = w.kind or (PRESETS[w.preset].kind if w.preset in PRESETS else "Deployment")
    key = (kind, w.namespace, w.name)
    if w.manifest is None and key in names:
        raise ScenarioError(f"{where}: duplicated")
    names.add(key)


_CLUSTER_KEYS = {"name", "provider", "token", "version", "operators", "faults", "node_pools", "workloads",
                 "account", "project", "subscription", "resource_group", "cloud", "region"}
_POOL_KEYS = {"name", "count", "instance_type", "accelerator", "gpus_per_node", "labels", "taints", "karpenter",
              "gfd", "spot", "autoscaling"}
_VARIANT_KEYS = {"name", "model", "engine", "image", "model_data", "env", "instance_type", "instance_count", "weight",
                 "autoscaling"}
_WORKLOAD_KEYS = {"name", "namespace", "kind", "engine", "model", "revision", "image", "replicas", "ready", "gpus",
                  "pool", "placement", "team", "labels", "annotations", "hpa", "keda", "created_at", "args", "env",
                  "size", "preset", "manifest"}


def _cluster(doc: Any, *, cloud: str, region: str, ids: dict[str, Any], seed: int) -> Cluster:
    doc = _keys(doc, "cluster", _CLUSTER_KEYS)
    name = str(doc["name"])
    faults = Faults().with_knobs(**_keys(doc.get("faults") or {}, f"cluster {name} faults",
                                         set(Faults.knob_names())))
    return Cluster(
        name=name, cloud=str(doc.get("cloud", cloud)), region=str(doc.get("region", region)),
        provider=str(doc.get("provider") or DEFAULT_PROVIDER.get(cloud, "kubeconfig")),
        token=str(doc.get("token") or default_token(seed, name)),
        node_pools=[_pool(p) for p in doc.get("node_pools") or []],
        workloads=[_workload(w) for w in doc.get("workloads") or []],
        faults=faults, version=doc.get("version"), operators=tuple(doc.get("operators") or ()),
        **{k: (str(doc[k]) if doc.get(k) is not None else (str(v) if v is not None else None))
           for k, v in ids.items()},
    )


def _pool(doc: Any) -> NodePool:
    doc = _keys(doc, "node pool", _POOL_KEYS)
    if doc.get("autoscaling") is not None:
        doc["autoscaling"] = _bounds(doc["autoscaling"], "node pool autoscaling")
    return NodePool(**{**doc, "name": str(doc["name"]), "count": int(doc.get("count", 1)),
                       "labels": {str(k): str(v) for k, v in (doc.get("labels") or {}).items()}})


def _bounds(doc: Any, what: str) -> tuple[int, int]:
    bounds = _keys(doc, what, {"min", "max"})
    return int(bounds.get("min", 1)), int(bounds["max"])


def _endpoint(doc: Any, *, region: str, account: Any) -> SageMakerEndpoint:
    doc = _keys(doc, "SageMaker endpoint", {"name", "tags", "created_at", "variants", *(_VARIANT_KEYS - {"name"})})
    if not doc.get("name"):
        raise ScenarioError("SageMaker endpoint: `name` is required")
    inline = {k: v for k, v in doc.items() if k in _VARIANT_KEYS and k != "name"}
    if inline and doc.get("variants"):
        raise ScenarioError(f"SageMaker endpoint {doc['name']}: give `variants` or one variant's keys, not both")
    variants = [_variant(v) for v in doc.get("variants") or [inline]]
    return SageMakerEndpoint(
        name=str(doc["name"]), region=region, account=str(account) if account is not None else None,
        variants=variants, tags={str(k): str(v) for k, v in (doc.get("tags") or {}).items()},
        created_at=str(doc["created_at"]) if doc.get("created_at") is not None else None)


def _variant(doc: Any) -> SageMakerVariant:
    doc = _keys(doc, "SageMaker variant", _VARIANT_KEYS)
    if doc.get("autoscaling") is not None:
        doc["autoscaling"] = _bounds(doc["autoscaling"], "variant autoscaling")
    doc["env"] = {str(k): str(v) for k, v in (doc.get("env") or {}).items()}
    for key in ("name", "model", "image", "model_data", "instance_type", "engine"):
        if doc.get(key) is not None:
            doc[key] = str(doc[key])
    return SageMakerVariant(**doc)


def _workload(doc: Any) -> Workload:
    if isinstance(doc, dict) and "manifest" in doc:
        doc = _keys(doc, "workload", {"manifest", "pool", "ready", "placement"})
        meta = (doc["manifest"] or {}).get("metadata") or {}
        return Workload(name=str(meta.get("name", "")), namespace=str(meta.get("namespace") or ""),
                        kind=None, manifest=doc["manifest"], pool=doc.get("pool"), ready=doc.get("ready"),
                        placement=doc.get("placement", "node"))
    doc = _keys(doc, "workload", _WORKLOAD_KEYS)
    for scaler in ("hpa", "keda"):
        if doc.get(scaler) is not None:
            doc[scaler] = _bounds(doc[scaler], scaler)
    doc["args"] = tuple(str(a) for a in doc.get("args") or ())
    for key in ("name", "namespace", "model", "revision", "created_at"):
        if doc.get(key) is not None:
            doc[key] = str(doc[key])
    return Workload(**doc)


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _keys(doc: Any, what: str, allowed: set[str]) -> dict[str, Any]:
    """camelCase keys → snake_case, refusing keys nobody reads."""
    if not isinstance(doc, dict):
        raise ScenarioError(f"{what}: expected a mapping, got {type(doc).__name__}")
    out = {_snake(str(k)): v for k, v in doc.items()}
    unknown = set(out) - allowed
    if unknown:
        raise ScenarioError(f"{what}: unknown key(s) {', '.join(sorted(unknown))}")
    if "name" in allowed and what in {"cluster", "node pool", "workload"} and not out.get("name"):
        raise ScenarioError(f"{what}: `name` is required")
    return out
