"""From Kubernetes objects to ModelSpecs: the one pipeline a file scan and a live crawl share.

`detect(objects, context)` indexes the supporting objects (HPAs, KEDA ScaledObjects, ServingRuntimes,
Seldon Servers, Bentos), hands every object to the recogniser for its kind (pod-template workloads
here, serving CRDs in `platforms`), and turns each Candidate into a ModelSpec with owner, environment,
accelerator and autoscaling filled in. Every object gets a Verdict saying what matched or why it was
left out, which is what `scan --explain` prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectors.detect import accelerators, owners, platforms, runtimes
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.objects import (
    api_group,
    as_int,
    command_line,
    containers,
    dig,
    labels_of,
    mapping,
    meta,
    seq,
    str_map,
    text,
)
from collectors.spec import (
    Accelerator,
    ModelSpec,
    Owner,
    Replicas,
    Runtime,
    SpecError,
    WorkloadRef,
    parse_time,
)


@dataclass(frozen=True)
class DetectContext:
    """Where the objects come from; a file scan leaves cloud/cluster unknown unless told."""

    cloud: str = "unknown"
    region: str | None = None
    cluster: str | None = None
    source: str | None = None
    observed_at: datetime | None = None
    # live crawl: node name → labels, so a pod's GPU type comes from the node it actually runs on
    node_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # live crawl: (namespace, workload kind, name) → node names its pods run on
    placements: Mapping[tuple[str, str, str], Sequence[str]] = field(default_factory=dict)


@dataclass
class Verdict:
    kind: str
    namespace: str | None
    name: str
    origin: str | None
    reported: bool
    signals: list[str]
    reason: str | None = None
    units: list[str] = field(default_factory=list)
    gpu: bool = False

    @property
    def ref(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass
class Detection:
    specs: list[ModelSpec] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)


class ObjectIndex:
    """Objects other objects refer to: looked up by namespace and name, built in one pass."""

    def __init__(self, objects: Iterable[Mapping[str, Any]]):
        self.by_kind: dict[str, dict[tuple[str, str], Mapping[str, Any]]] = defaultdict(dict)
        self.scalers: dict[tuple[str, str, str], tuple[int | None, int | None, str]] = {}
        for obj in objects:
            if not isinstance(obj, Mapping):
                continue
            kind = text(obj.get("kind")) or ""
            ns = text(dig(obj, "metadata", "namespace")) or ""
            name = text(dig(obj, "metadata", "name")) or ""
            if kind in INDEXED_KINDS:
                self.by_kind[kind][(ns, name)] = obj
            if kind == "HorizontalPodAutoscaler":
                target = mapping(dig(obj, "spec", "scaleTargetRef"))
                key = (ns, text(target.get("kind")) or "", text(target.get("name")) or "")
                minimum = as_int(dig(obj, "spec", "minReplicas"))
                self.scalers[key] = (1 if minimum is None else minimum, as_int(dig(obj, "spec", "maxReplicas")),
                                     f"HorizontalPodAutoscaler {name}")
            elif kind == "ScaledObject":  # KEDA
                target = mapping(dig(obj, "spec", "scaleTargetRef"))
                key = (ns, text(target.get("kind")) or "Deployment", text(target.get("name")) or "")
                minimum = as_int(dig(obj, "spec", "minReplicaCount"))
                maximum = as_int(dig(obj, "spec", "maxReplicaCount"))
                self.scalers[key] = (0 if minimum is None else minimum, 100 if maximum is None else maximum,
                                     f"ScaledObject {name}")

    def get(self, kind: str, namespace: str | None, name: str | None) -> Mapping[str, Any] | None:
        table = self.by_kind.get(kind, {})
        return table.get((namespace or "", name or "")) or (table.get(("", name or "")) if namespace else None)

    def scaler(self, namespace: str | None, kind: str, name: str) -> tuple[int | None, int | None, str] | None:
        return self.scalers.get((namespace or "", kind, name))


INDEXED_KINDS = {"ServingRuntime", "ClusterServingRuntime", "Server", "Bento", "BentoRequest", "NIMCache", "ConfigMap"}

# Kinds that run pods to completion (training, batch, notebooks): never a serving endpoint.
BATCH_KINDS = {
    "Job", "CronJob", "PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob", "TrainJob",
    "RayJob", "RayCluster", "Notebook", "JobSet", "Workflow", "WorkflowTemplate", "CronWorkflow",
    "VolcanoJob", "SparkApplication", "PipelineRun", "TaskRun", "NeMoTraining",
}
def _pod_template_kinds() -> dict[str, Callable[[Mapping[str, Any]], tuple[list[tuple[Mapping, float]], int | None, int | None]]]:
    def deployment_like(obj):
        replicas = as_int(dig(obj, "spec", "replicas"))
        ready = as_int(dig(obj, "status", "readyReplicas"))
        status = mapping(obj.get("status"))
        return ([(mapping(dig(obj, "spec", "template", "spec")), 1.0)],
                1 if replicas is None and "replicas" not in mapping(obj.get("spec")) else replicas,
                ready if ready is not None or not status else 0)

    def daemonset(obj):
        return ([(mapping(dig(obj, "spec", "template", "spec")), 1.0)],
                as_int(dig(obj, "status", "desiredNumberScheduled")), as_int(dig(obj, "status", "numberReady")))

    def pod(obj):
        ready = None
        for cond in seq(dig(obj, "status", "conditions")):
            if text(dig(cond, "type")) == "Ready":
                ready = 1 if text(dig(cond, "status")) == "True" else 0
        return [(mapping(obj.get("spec")), 1.0)], 1, ready

    def knative(obj):
        minimum = as_int(dig(obj, "spec", "template", "metadata", "annotations", "autoscaling.knative.dev/min-scale"))
        return [(mapping(dig(obj, "spec", "template", "spec")), 1.0)], minimum, None

    return {
        "Deployment": deployment_like, "StatefulSet": deployment_like, "ReplicaSet": deployment_like,
        "ReplicationController": deployment_like, "Rollout": deployment_like, "DeploymentConfig": deployment_like,
        "DaemonSet": daemonset, "Pod": pod, "Service@serving.knative.dev": knative,
    }


POD_TEMPLATE_KINDS = _pod_template_kinds()


def _kind_key(obj: Mapping[str, Any]) -> str:
    kind = text(obj.get("kind")) or ""
    group = api_group(obj)
    if kind == "Service" and group == "serving.knative.dev":
        return "Service@serving.knative.dev"
    return kind


def recognise_pod_workload(obj: Mapping[str, Any], index: ObjectIndex, ctx: DetectContext) -> list[Candidate] | Skip:
    """Deployments, StatefulSets, Rollouts, bare Pods...: find the engine in the pod template."""
    pods, desired, ready = POD_TEMPLATE_KINDS[_kind_key(obj)](obj)
    pod_spec = pods[0][0]
    ctrs = containers(pod_spec)
    if not ctrs:
        return Skip("no containers in the pod template", quiet=True)
    candidate = platforms.from_containers(ctrs, obj, pod_spec=pod_spec)
    if candidate is None:
        uses_gpu = requests_accelerators(pod_spec)
        images = ", ".join(sorted({text(c.get("image")) or "?" for c in ctrs}))
        return Skip(f"no serving engine, platform or footprint.io annotation matched (images: {images})",
                    gpu=uses_gpu, quiet=not uses_gpu)
    if isinstance(candidate, Skip):
        candidate.gpu = requests_accelerators(pod_spec)
        return candidate
    candidate.pod_specs = pods
    candidate.desired = desired
    candidate.ready = ready
    candidate.metadatas.append(mapping(dig(obj, "spec", "template", "metadata")))
    _apply_multinode(candidate, pod_spec)
    return [candidate]


def requests_accelerators(pod_spec: Mapping[str, Any]) -> bool:
    """Cheap test used on every non-serving pod: does any container ask for an accelerator?"""
    return any(accelerators.accelerator_resource_count(mapping(c.get("resources")))
               for c in containers(pod_spec, init=True))


def _apply_multinode(candidate: Candidate, pod_spec: Mapping[str, Any]) -> None:
    """A StatefulSet whose pods form one engine instance (`--nnodes N`) is desired/N replicas of N pods."""
    nnodes = None
    for container in containers(pod_spec):
        tokens = command_line(container)
        for i, token in enumerate(tokens):
            flag = token.split("=", 1)[0].replace("_", "-")
            if flag in {"--nnodes", "--num-nodes"}:
                raw = token.split("=", 1)[1] if "=" in token else (tokens[i + 1] if i + 1 < len(tokens) else None)
                nnodes = as_int(raw)
    if nnodes and nnodes > 1:
        candidate.pod_specs = [(spec, count * nnodes) for spec, count in candidate.pod_specs]
        if candidate.desired is not None:
            candidate.desired = max(1, candidate.desired // nnodes)
        if candidate.ready is not None:
            candidate.ready = candidate.ready // nnodes
        candidate.signals.append(f"multi-node: {nnodes} pods per replica (--nnodes)")


def detect(
    objects: Sequence[Mapping[str, Any]],
    context: DetectContext | None = None,
    *,
    origins: Sequence[str | None] | None = None,
) -> Detection:
    """Recognise every model-serving workload among `objects` (dicts as the API serves them)."""
    ctx = context or DetectContext()
    index = ObjectIndex(objects)
    return _detect_range(objects, ctx, origins, index, 0, len(objects))


def _detect_range(objects, ctx: DetectContext, origins, index: ObjectIndex, start: int, end: int) -> Detection:
    out = Detection()
    for position in range(start, end):
        obj = objects[position]
        if not isinstance(obj, Mapping):
            continue
        origin = origins[position] if origins is not None else None
        kind = text(obj.get("kind")) or ""
        name = text(dig(obj, "metadata", "name"))
        namespace = text(dig(obj, "metadata", "namespace"))
        if not kind or not name:
            continue
        result = _recognise(obj, index, ctx)
        if isinstance(result, Skip):
            if not result.quiet:
                out.verdicts.append(Verdict(kind, namespace, name, origin, False, result.signals, result.reason,
                                            gpu=result.gpu))
            continue
        # a file scan with no source name names each workload's file as its source
        source = ctx.source or (origin.rsplit(":", 1)[0] if origin else None)
        specs = [_build_spec(obj, cand, index, ctx, source) for cand in result]
        out.specs.extend(specs)
        signals = [s for cand in result for s in cand.signals]
        out.verdicts.append(Verdict(kind, namespace, name, origin, True, signals,
                                    units=[s.workload.unit for s in specs if s.workload.unit]))
    return out


def _recognise(obj: Mapping[str, Any], index: ObjectIndex, ctx: DetectContext) -> list[Candidate] | Skip:
    kind = text(obj.get("kind")) or ""
    owner_refs = [r for r in seq(dig(obj, "metadata", "ownerReferences")) if isinstance(r, Mapping)]
    controller = next((r for r in owner_refs if r.get("controller") is True), owner_refs[0] if owner_refs else None)
    key = _kind_key(obj)
    handler = platforms.RECOGNISERS.get((api_group(obj), kind)) or platforms.RECOGNISERS.get(("*", kind))
    if controller is not None and (handler or key in POD_TEMPLATE_KINDS):
        # Generated by something we report on its own (ReplicaSet of a Deployment, Deployment of an
        # InferenceService, Pod of a StatefulSet): counting it again would double the fleet.
        return Skip(f"managed by {text(controller.get('kind'))} {text(controller.get('name'))}", quiet=True)
    if kind in BATCH_KINDS:
        spec = mapping(obj.get("spec"))
        gpu = "nvidia.com/gpu" in str(spec) or "amd.com/gpu" in str(spec) or "neuron" in str(spec)
        return Skip(f"{kind} runs to completion (training, batch or notebook), not a serving endpoint",
                    gpu=gpu, quiet=not gpu)
    if handler is not None:
        return handler(obj, index, ctx)
    if key in POD_TEMPLATE_KINDS:
        return recognise_pod_workload(obj, index, ctx)
    return Skip(f"{kind} is not a workload kind", quiet=True)


def _build_spec(obj: Mapping[str, Any], cand: Candidate, index: ObjectIndex, ctx: DetectContext,
                source: str | None) -> ModelSpec:
    md = meta(obj)
    kind = text(obj.get("kind")) or ""
    name = text(md.get("name")) or ""
    namespace = text(md.get("namespace"))
    labels = labels_of(obj)
    try:
        created = parse_time(md.get("creationTimestamp"))
    except SpecError:
        created = None

    # Autoscaling: an HPA/KEDA object aimed at this workload overrides what the CR itself says.
    minimum, maximum, autoscaled = cand.min, cand.max, cand.autoscaled
    scaler = index.scaler(namespace, kind, name)
    if scaler is not None:
        minimum, maximum = scaler[0], scaler[1]
        autoscaled = True
        cand.signals.append(f"autoscaled by {scaler[2]}")
    desired = cand.desired

    accelerator = cand.accelerator or _accelerator(obj, cand, ctx)
    total = None
    if accelerator.per_replica is not None and desired is not None:
        total = accelerator.per_replica * desired
    if accelerator.total is None and total is not None:
        accelerator = Accelerator(accelerator.type, accelerator.per_replica, total, accelerator.source)

    merged_labels: dict[str, str] = {}
    for extra in reversed(cand.metadatas):
        merged_labels.update(str_map(mapping(extra).get("labels")))
    merged_labels.update(labels)
    owner = owners.owner_from([md, *cand.metadatas], namespace=namespace)
    environment, _ = owners.environment_from(labels=merged_labels, namespace=namespace, cluster=ctx.cluster,
                                             name=name)
    variant = cand.variant or owners.variant_from(labels=merged_labels, name=cand.unit or name)
    if cand.unit and not cand.variant:
        variant = variant or owners.variant_from(labels=merged_labels, name=name)

    engine_version = cand.engine_version
    if engine_version is None and cand.image:
        engine_version = runtimes.engine_version(cand.engine, cand.image)
    return ModelSpec(
        workload=WorkloadRef(
            cloud=ctx.cloud, region=ctx.region, cluster=ctx.cluster, namespace=namespace, kind=kind,
            name=name, unit=cand.unit, uid=text(md.get("uid")), source=source, created_at=created,
        ),
        model=cand.model,
        runtime=Runtime(engine=cand.engine, platform=cand.platform, image=cand.image,
                        engine_version=engine_version, settings=cand.settings),
        replicas=Replicas(desired=desired, ready=cand.ready, min=minimum, max=maximum, autoscaled=autoscaled),
        accelerator=accelerator,
        owner=owner if isinstance(owner, Owner) else Owner(),
        environment=environment,
        variant=variant,
        labels=labels,
        observed_at=ctx.observed_at,
    )


def _accelerator(obj: Mapping[str, Any], cand: Candidate, ctx: DetectContext) -> Accelerator:
    """Sum accelerators over the pods of one replica; the type from the first pod that tells it."""
    if not cand.pod_specs:
        return Accelerator()
    node_labels = _node_labels_for(obj, ctx)
    per_replica = 0.0
    counted = False
    gpu_type = None
    source = None
    for pod_spec, count in cand.pod_specs:
        guess = accelerators.accelerator_from_pod(pod_spec, node_labels=node_labels)
        if guess.per_replica:
            per_replica += guess.per_replica * count
            counted = True
        if gpu_type is None and guess.type:
            gpu_type, source = guess.type, guess.source
        cand.signals.extend(guess.signals)
    if not counted:
        return Accelerator(type=gpu_type, source=source) if gpu_type else Accelerator()
    return Accelerator(type=gpu_type, per_replica=per_replica, source=source)


def _node_labels_for(obj: Mapping[str, Any], ctx: DetectContext) -> Mapping[str, str] | None:
    if not ctx.node_labels:
        return None
    key = (text(dig(obj, "metadata", "namespace")) or "", text(obj.get("kind")) or "",
           text(dig(obj, "metadata", "name")) or "")
    for node in ctx.placements.get(key, ()):
        if node in ctx.node_labels:
            return ctx.node_labels[node]
    return None


__all__ = ["DetectContext", "Detection", "ObjectIndex", "Verdict", "detect"]
