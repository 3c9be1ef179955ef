"""The ModelSpec v1 contract (see README "ModelSpec v1") and the shapes a crawl returns.

Frozen dataclasses with snake_case attributes; ``to_dict``/``from_dict`` speak the camelCase JSON.
Unknown values are ``None``, never guessed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

API_VERSION = "footprint/v1"

CLOUDS = ("aws", "gcp", "azure", "coreweave", "nebius", "lambda", "oci", "onprem", "unknown")
ENGINES = (
    "vllm", "tgi", "triton", "tensorrt-llm", "sglang", "ollama", "tei", "llama-cpp", "lmdeploy",
    "torchserve", "tf-serving", "mlserver", "onnxruntime", "sagemaker", "custom", "unknown",
)
PLATFORMS = (
    "kubernetes", "kserve", "seldon", "ray-serve", "kaito", "nim", "bentoml", "lws", "sagemaker",
    "vertex", "azureml",
)
ACCELERATORS = (
    "T4", "L4", "A10", "A10G", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H100-94GB",
    "H200-141GB", "B200", "MI300X", "inferentia2", "trainium1", "V100-16GB", "V100-32GB",
)
ENVIRONMENTS = ("prod", "staging", "dev", "test")
VARIANTS = ("canary", "shadow", "backup")

# Serving settings every ModelSpec carries (null when not configured); order is the JSON order.
SETTINGS_KEYS = (
    "tensorParallelSize", "pipelineParallelSize", "maxModelLen", "dtype", "quantization",
    "gpuMemoryUtilization", "kvCacheDtype", "maxNumSeqs", "servedModelName",
)


class SpecError(ValueError):
    """A ModelSpec document that does not follow the v1 contract."""


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 time (Kubernetes, AWS, our own JSON); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise SpecError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SpecError(f"not a timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: float | int | None) -> float | int | None:
    """Whole numbers print as ints (2, not 2.0); fractions (MIG slices) stay floats."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class WorkloadRef:
    kind: str
    name: str
    namespace: str | None = None
    cloud: str = "unknown"
    region: str | None = None
    cluster: str | None = None
    unit: str | None = None
    uid: str | None = None
    source: str | None = None
    created_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity of a workload inside one source (what a re-crawl matches on)."""
        return (self.cluster or "", self.namespace or "", self.kind, self.name, self.unit or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud, "region": self.region, "cluster": self.cluster,
            "namespace": self.namespace, "kind": self.kind, "name": self.name, "unit": self.unit,
            "uid": self.uid, "source": self.source, "createdAt": format_time(self.created_at),
        }


@dataclass(frozen=True)
class ModelRef:
    name: str | None = None
    version: str | None = None
    uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "uri": self.uri}


@dataclass(frozen=True)
class Runtime:
    engine: str = "unknown"
    platform: str = "kubernetes"
    image: str | None = None
    engine_version: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        settings = {key: self.settings.get(key) for key in SETTINGS_KEYS}
        return {
            "engine": self.engine, "platform": self.platform, "image": self.image,
            "engineVersion": self.engine_version, "settings": settings,
        }


@dataclass(frozen=True)
class Replicas:
    desired: int | None = None
    ready: int | None = None
    min: int | None = None
    max: int | None = None
    autoscaled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"desired": self.desired, "ready": self.ready, "min": self.min, "max": self.max,
                "autoscaled": self.autoscaled}


@dataclass(frozen=True)
class Accelerator:
    type: str | None = None
    per_replica: float | None = None
    total: float | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "perReplica": _number(self.per_replica),
                "total": _number(self.total), "source": self.source}


@dataclass(frozen=True)
class Owner:
    team: str | None = None
    contact: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "contact": self.contact, "source": self.source}


@dataclass(frozen=True)
class ModelSpec:
    workload: WorkloadRef
    model: ModelRef = field(default_factory=ModelRef)
    runtime: Runtime = field(default_factory=Runtime)
    replicas: Replicas = field(default_factory=Replicas)
    accelerator: Accelerator = field(default_factory=Accelerator)
    owner: Owner = field(default_factory=Owner)
    environment: str | None = None
    variant: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    observed_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": "ModelSpec",
            "workload": self.workload.to_dict(),
            "model": self.model.to_dict(),
            "runtime": self.runtime.to_dict(),
            "replicas": self.replicas.to_dict(),
            "accelerator": self.accelerator.to_dict(),
            "owner": self.owner.to_dict(),
            "environment": self.environment,
            "variant": self.variant,
            "labels": dict(sorted(self.labels.items())),
            "observedAt": format_time(self.observed_at),
        }

    def material(self) -> dict[str, Any]:
        """The fields whose change makes a new revision (everything but observation times and status)."""
        data = self.to_dict()
        data.pop("observedAt")
        data["replicas"].pop("ready")
        return data

    def with_workload(self, **changes: Any) -> ModelSpec:
        return replace(self, workload=replace(self.workload, **changes))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Read one ModelSpec document; raises SpecError naming the first bad field."""
        if not isinstance(data, Mapping):
            raise SpecError("a ModelSpec must be an object")
        if data.get("kind", "ModelSpec") != "ModelSpec":
            raise SpecError(f"kind must be ModelSpec, not {data.get('kind')!r}")
        if data.get("apiVersion", API_VERSION) != API_VERSION:
            raise SpecError(f"apiVersion must be {API_VERSION}, not {data.get('apiVersion')!r}")
        workload = _section(data, "workload")
        model = _section(data, "model")
        runtime = _section(data, "runtime")
        replicas = _section(data, "replicas")
        accelerator = _section(data, "accelerator")
        owner = _section(data, "owner")
        for required in ("kind", "name"):
            if not isinstance(workload.get(required), str) or not workload.get(required):
                raise SpecError(f"workload.{required} is required")
        cloud = workload.get("cloud") or "unknown"
        _check_vocab("workload.cloud", cloud, CLOUDS)
        engine = runtime.get("engine") or "unknown"
        _check_vocab("runtime.engine", engine, ENGINES)
        platform = runtime.get("platform") or "kubernetes"
        _check_vocab("runtime.platform", platform, PLATFORMS)
        if accelerator.get("type") is not None:
            _check_vocab("accelerator.type", accelerator["type"], ACCELERATORS)
        if data.get("environment") is not None:
            _check_vocab("environment", data["environment"], ENVIRONMENTS)
        if data.get("variant") is not None:
            _check_vocab("variant", data["variant"], VARIANTS)
        settings = runtime.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise SpecError("runtime.settings must be an object")
        labels = data.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise SpecError("labels must be an object")
        return cls(
            workload=WorkloadRef(
                cloud=cloud, region=workload.get("region"), cluster=workload.get("cluster"),
                namespace=workload.get("namespace"), kind=workload["kind"], name=workload["name"],
                unit=workload.get("unit"), uid=workload.get("uid"), source=workload.get("source"),
                created_at=_time_field("workload.createdAt", workload.get("createdAt")),
            ),
            model=ModelRef(name=model.get("name"), version=model.get("version"), uri=model.get("uri")),
            runtime=Runtime(
                engine=engine, platform=platform, image=runtime.get("image"),
                engine_version=runtime.get("engineVersion"),
                settings={k: v for k, v in settings.items() if v is not None},
            ),
            replicas=Replicas(
                desired=_int_field("replicas.desired", replicas.get("desired")),
                ready=_int_field("replicas.ready", replicas.get("ready")),
                min=_int_field("replicas.min", replicas.get("min")),
                max=_int_field("replicas.max", replicas.get("max")),
                autoscaled=bool(replicas.get("autoscaled", False)),
            ),
            accelerator=Accelerator(
                type=accelerator.get("type"),
                per_replica=_float_field("accelerator.perReplica", accelerator.get("perReplica")),
                total=_float_field("accelerator.total", accelerator.get("total")),
                source=accelerator.get("source"),
            ),
            owner=Owner(team=owner.get("team"), contact=owner.get("contact"), source=owner.get("source")),
            environment=data.get("environment"),
            variant=data.get("variant"),
            labels={str(k): str(v) for k, v in labels.items()},
            observed_at=_time_field("observedAt", data.get("observedAt")),
        )


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, Mapping):
        raise SpecError(f"{name} must be an object")
    return value


def _check_vocab(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SpecError(f"{name} {value!r} is not one of {', '.join(allowed)}")


def _int_field(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise SpecError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _float_field(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{name} must be a number, not {value!r}")
    return float(value)


def _time_field(name: str, value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except SpecError as exc:
        raise SpecError(f"{name}: {exc}") from exc


def spec_list(specs: list[ModelSpec]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ModelSpecList", "items": [s.to_dict() for s in specs]}


def specs_from_list(data: Any) -> list[ModelSpec]:
    """Read a ModelSpecList (or a bare list, or one ModelSpec); errors name the item index."""
    if isinstance(data, Mapping) and data.get("kind") == "ModelSpecList":
        items = data.get("items")
        if not isinstance(items, list):
            raise SpecError("ModelSpecList.items must be a list")
    elif isinstance(data, list):
        items = data
    elif isinstance(data, Mapping) and data.get("kind") == "ModelSpec":
        items = [data]
    else:
        raise SpecError("expected a ModelSpecList document (kind: ModelSpecList, items: [...])")
    specs = []
    for index, item in enumerate(items):
        try:
            specs.append(ModelSpec.from_dict(item))
        except SpecError as exc:
            raise SpecError(f"items[{index}]: {exc}") from exc
    return specs


# --- what a crawl returns --------------------------------------------------------------------


class ErrorKind(enum.StrEnum):
    """Errors normalised at the client boundary; each kind is decided once (halt, retry, record)."""

    AUTH = "auth"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    PARTIAL_LISTING = "partial_listing"
    INVALID_INPUT = "invalid_input"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Scope:
    """A part of a source that a crawl listed completely. ``None`` means "all of them"."""

    cluster: str | None = None
    namespace: str | None = None

    def covers(self, cluster: str | None, namespace: str | None) -> bool:
        if self.cluster is not None and self.cluster != (cluster or ""):
            return False
        return self.namespace is None or self.namespace == (namespace or "")

    def __str__(self) -> str:
        if self.cluster is None:
            return "*" if self.namespace is None else f"*/{self.namespace}"
        return self.cluster if self.namespace is None else f"{self.cluster}/{self.namespace}"


@dataclass(frozen=True)
class CrawlError:
    scope: Scope
    kind: ErrorKind
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"scope": str(self.scope), "kind": str(self.kind), "message": self.message}


@dataclass(frozen=True)
class GpuNode:
    """One accelerator node as a crawl saw it: what it offers and what pods ask of it."""

    cluster: str
    name: str
    cloud: str = "unknown"
    region: str | None = None
    pool: str | None = None
    instance_type: str | None = None
    accelerator: str | None = None
    allocatable: float = 0.0          # accelerators the node offers
    requested: float = 0.0            # accelerators requested by pods scheduled on it
    serving_requested: float = 0.0    # ... of which by pods of recognised model-serving workloads
    pods: int = 0                     # pods using accelerators on it

    def to_dict(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "name": self.name, "cloud": self.cloud, "region": self.region,
                "pool": self.pool, "instanceType": self.instance_type, "accelerator": self.accelerator,
                "allocatable": _number(self.allocatable), "requested": _number(self.requested),
                "servingRequested": _number(self.serving_requested), "pods": self.pods}


@dataclass(frozen=True)
class PendingGpuPod:
    """A pod asking for accelerators that no node has taken (capacity someone is waiting for)."""

    cluster: str
    namespace: str
    name: str
    requested: float
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "namespace": self.namespace, "name": self.name,
                "requested": _number(self.requested), "reason": self.reason}


@dataclass
class CrawlResult:
    """What one crawl of one source saw: the specs, the scopes it covered completely, its errors."""

    specs: list[ModelSpec] = field(default_factory=list)
    gpu_nodes: list[GpuNode] = field(default_factory=list)
    pending_gpu_pods: list[PendingGpuPod] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    errors: list[CrawlError] = field(default_factory=list)
    objects_seen: int = 0
    pages: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def covers(self, cluster: str | None, namespace: str | None) -> bool:
        return any(scope.covers(cluster, namespace) for scope in self.scopes)

    def merge(self, part: CrawlResult) -> None:
        """Add another part of the same crawl (a cluster, an account) to this one."""
        self.specs.extend(part.specs)
        self.gpu_nodes.extend(part.gpu_nodes)
        self.pending_gpu_pods.extend(part.pending_gpu_pods)
        self.scopes.extend(part.scopes)
        self.errors.extend(part.errors)
        self.objects_seen += part.objects_seen
        self.pages += part.pages
