"""Actuators: change a serving workload through the same `kubernetes` client and credentials the crawl uses.

Four actions, each in two halves:
- a *plan* (``plan_scale``, ``plan_decommission``, ``plan_align_version``, ``plan_move_gpu``): a pure function
  of the current object(s) giving the exact requests that will be sent (the dry-run preview) and what
  the objects must say afterwards;
- ``Actuator.execute(plan)``: for every step, re-read the object, refuse if its resourceVersion is not the one
  the plan was made from (409, "preview again"), send the request with that resourceVersion as precondition
  (``metadata.resourceVersion`` in the patch, ``preconditions`` on delete, so a real API server refuses a
  change made between our read and our write too), then re-read and check the expected values.

What each action patches (nothing else):
- scale: Deployment/StatefulSet through the ``/scale`` subresource (``spec.replicas``); an HPA targeting the
  workload gets ``minReplicas``/``maxReplicas`` so that it does not scale it straight back (none when scaling
  to 0: an HPA leaves a workload at 0 replicas alone). KServe InferenceService: ``spec.predictor.minReplicas``
  (and ``maxReplicas`` when asked, or when below the new floor) by JSON merge patch. NIMService,
  LeaderWorkerSet and Argo Rollout: ``spec.replicas`` by merge patch.
- decommission: DELETE of the workload (background propagation, so its pods and dependents go too).
- align-version: in the serving container only, the ``--revision`` argument (``--revision X`` or
  ``--revision=X``, appended when absent; or the ``REVISION``/``HF_MODEL_REVISION`` env var where the
  container sets one) and/or the container ``image``. The whole containers list is sent (merge patch lists
  are replaced), changed only in that container.
- move-gpu: the pod spec's ``nodeSelector``: every accelerator-naming label it already has is set to the
  target GPU's spelling in that label's convention (or removed where the convention has no name for it); with
  none, the cloud's GPU label is added (GKE ``cloud.google.com/gke-accelerator``, EKS Karpenter
  ``karpenter.k8s.aws/instance-gpu-name``, CoreWeave ``gpu.nvidia.com/class``, AKS the VM size through
  ``node.kubernetes.io/instance-type``, elsewhere GPU Feature Discovery's ``nvidia.com/gpu.product``).
  Every value written is checked to read back as the target through `collectors.detect.accelerators`.

Errors are ``ActuatorError`` of one kind: forbidden (403), not_found (404), conflict (409 or a changed
resourceVersion), invalid (422 or a plan that cannot be made), unsupported (a kind or action not handled),
auth (401), unreachable (timeouts, 5xx), unknown.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from collectors.detect.accelerators import canonical_accelerator
from collectors.errors import CollectorError, RetryPolicy, call_with_retries, classify_kubernetes
from collectors.spec import ErrorKind

MERGE_PATCH = "application/merge-patch+json"


class ActuatorErrorKind(StrEnum):
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"
    AUTH = "auth"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"


class ActuatorError(Exception):
    def __init__(self, kind: ActuatorErrorKind, message: str, *, status: int | None = None):
        super().__init__(message)
        self.kind = ActuatorErrorKind(kind)
        self.status = status

    @property
    def message(self) -> str:
        return str(self)


# --- what can be acted on -------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadKind:
    kind: str
    group: str
    version: str
    plural: str
    scale_subresource: bool = False         # apps/v1: PATCH .../scale
    replicas_path: tuple[str, ...] | None = ("spec", "replicas")
    pod_spec_path: tuple[str, ...] | None = None   # where nodeSelector and containers live

    @property
    def crd(self) -> bool:
        return self.group not in ("", "apps")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


KINDS: dict[str, WorkloadKind] = {k.kind: k for k in (
    WorkloadKind("Deployment", "apps", "v1", "deployments", scale_subresource=True,
                 pod_spec_path=("spec", "template", "spec")),
    WorkloadKind("StatefulSet", "apps", "v1", "statefulsets", scale_subresource=True,
                 pod_spec_path=("spec", "template", "spec")),
    WorkloadKind("InferenceService", "serving.kserve.io", "v1beta1", "inferenceservices",
                 replicas_path=("spec", "predictor", "minReplicas"), pod_spec_path=("spec", "predictor")),
    WorkloadKind("NIMService", "apps.nvidia.com", "v1alpha1", "nimservices"),
    WorkloadKind("LeaderWorkerSet", "leaderworkerset.x-k8s.io", "v1", "leaderworkersets"),
    WorkloadKind("Rollout", "argoproj.io", "v1alpha1", "rollouts", pod_spec_path=("spec", "template", "spec")),
)}
HPA = WorkloadKind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", replicas_path=None)


def workload_kind(kind: str) -> WorkloadKind:
    if kind == HPA.kind:
        return HPA
    found = KINDS.get(kind)
    if found is None:
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED,
                            f"cannot act on a {kind}; supported kinds: {', '.join(sorted(KINDS))}")
    return found


# --- GPU labels -----------------------------------------------------------------------------------

# Canonical accelerator → its value under each node label convention (None: the convention has no name).
GPU_LABEL_VALUES: dict[str, dict[str, str]] = {
    "cloud.google.com/gke-accelerator": {
        "T4": "nvidia-tesla-t4", "L4": "nvidia-l4", "A100-40GB": "nvidia-tesla-a100", "A100-80GB": "nvidia-a100-80gb",
        "H100-80GB": "nvidia-h100-80gb", "H200-141GB": "nvidia-h200-141gb", "B200": "nvidia-b200",
        "V100-16GB": "nvidia-tesla-v100"},
    "karpenter.k8s.aws/instance-gpu-name": {
        "T4": "t4", "L4": "l4", "A10G": "a10g", "L40S": "l40s", "H100-80GB": "h100", "H200-141GB": "h200",
        "B200": "b200"},
    "gpu.nvidia.com/class": {
        "A100-40GB": "A100_NVLINK", "A100-80GB": "A100_NVLINK_80GB", "H100-80GB": "H100_NVLINK_80GB",
        "V100-16GB": "Tesla_V100_NVLINK"},
    "nvidia.com/gpu.product": {
        "T4": "Tesla-T4", "L4": "NVIDIA-L4", "A10G": "NVIDIA-A10G", "A10": "NVIDIA-A10", "L40S": "NVIDIA-L40S",
        "A100-40GB": "NVIDIA-A100-SXM4-40GB", "A100-80GB": "NVIDIA-A100-SXM4-80GB",
        "H100-80GB": "NVIDIA-H100-80GB-HBM3", "H100-94GB": "NVIDIA-H100-NVL", "H200-141GB": "NVIDIA-H200",
        "B200": "NVIDIA-B200", "V100-16GB": "Tesla-V100-SXM2-16GB"},
    # AKS labels no GPU model: the VM size is what selects it.
    "node.kubernetes.io/instance-type": {
        "T4": "Standard_NC4as_T4_v3", "A10": "Standard_NV36ads_A10_v5", "A100-80GB": "Standard_NC24ads_A100_v4",
        "A100-40GB": "Standard_ND96asr_v4", "H100-80GB": "Standard_ND96isr_H100_v5",
        "H100-94GB": "Standard_NC40ads_H100_v5", "MI300X": "Standard_ND96isr_MI300X_v5"},
}
CLOUD_GPU_LABEL: dict[str, str] = {
    "gcp": "cloud.google.com/gke-accelerator",
    "aws": "karpenter.k8s.aws/instance-gpu-name",
    "coreweave": "gpu.nvidia.com/class",
    "azure": "node.kubernetes.io/instance-type",
}
DEFAULT_GPU_LABEL = "nvidia.com/gpu.product"
# Keys whose value names the GPU and must follow a move (an instance-type selector only on AKS-style use).
_ACCELERATOR_KEYS = tuple(k for k in GPU_LABEL_VALUES if k != "node.kubernetes.io/instance-type") + (
    "karpenter.k8s.aws/instance-gpu-memory", "nvidia.com/gpu.memory", "gpu.nvidia.com/model",
    "eks.amazonaws.com/instance-gpu-name")


def _reads_back(key: str, value: str, target: str) -> bool:
    """Does our own detection read ``key: value`` as ``target``? (the crawl must see the move)."""
    if key == "node.kubernetes.io/instance-type":
        from collectors.detect.accelerators import accelerator_for_instance_type

        found = accelerator_for_instance_type(value)
        return bool(found) and found[0] == target
    return canonical_accelerator(value) == target


# --- plans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Step:
    """One request: ``verb`` patch or delete on ``target`` (``subresource`` scale), with the exact body."""

    verb: str
    target: ObjectRef
    resource_version: str
    body: Any = None
    subresource: str | None = None
    content_type: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)   # JSON Pointer → value after the change

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(verb=data["verb"].lower(), target=ObjectRef(**data["ref"]), resource_version=data["resourceVersion"],
                   body=copy.deepcopy(data.get("body")), subresource=data.get("subresource"),
                   content_type=data.get("contentType"), expect=dict(data.get("expect") or {}))

    def to_dict(self) -> dict[str, Any]:
        kind = workload_kind(self.target.kind)
        path = (f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1") + \
            f"/namespaces/{self.target.namespace}/{kind.plural}/{self.target.name}" + \
            (f"/{self.subresource}" if self.subresource else "")
        return {"verb": self.verb.upper(), "path": path, "target": str(self.target),
                "ref": {"kind": self.target.kind, "namespace": self.target.namespace, "name": self.target.name},
                "subresource": self.subresource,
                "resourceVersion": self.resource_version, "contentType": self.content_type,
                "body": copy.deepcopy(self.body), "expect": dict(self.expect)}


@dataclass(frozen=True)
class Plan:
    action: str
    target: ObjectRef
    steps: tuple[Step, ...]
    summary: str
    before: dict[str, Any]           # excerpt of the objects as read: identity and the fields the plan touches
    after: dict[str, Any] = field(default_factory=dict)   # the same fields as they will read afterwards

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The plan a preview stored (``to_dict``), to execute exactly what was shown."""
        if not data or not data.get("steps"):
            raise ActuatorError(ActuatorErrorKind.INVALID, "there is no preview to execute")
        steps = tuple(Step.from_dict(s) for s in data["steps"])
        return cls(action=data["action"], target=ObjectRef(**data["ref"]), steps=steps, summary=data["summary"],
                   before=copy.deepcopy(data.get("before") or {}), after=copy.deepcopy(data.get("after") or {}))

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "target": str(self.target), "summary": self.summary,
                "ref": {"kind": self.target.kind, "namespace": self.target.namespace, "name": self.target.name},
                "steps": [s.to_dict() for s in self.steps], "before": copy.deepcopy(self.before),
                "after": copy.deepcopy(self.after)}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ref(obj: Mapping[str, Any]) -> ObjectRef:
    meta = _meta(obj)
    return ObjectRef(str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _rv(obj: Mapping[str, Any]) -> str:
    rv = _meta(obj).get("resourceVersion")
    if not rv:
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{_ref(obj)} has no resourceVersion: cannot guard the change")
    return str(rv)


def dig(obj: Any, path: tuple[str, ...] | list[str]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out: Any = value
    for key in reversed(path):
        out = {key: out}
    return out


def _identity(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = _meta(obj)
    return {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"),
            "metadata": {k: meta.get(k) for k in ("namespace", "name", "uid", "resourceVersion", "generation")
                         if meta.get(k) is not None}}


def _merge_patch(obj: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = _nest(path, value)
    body["metadata"] = {"resourceVersion": _rv(obj)}
    return body


def plan_scale(obj: Mapping[str, Any], *, replicas: int, min_replicas: int | None = None,
               max_replicas: int | None = None, hpa: Mapping[str, Any] | None = None) -> Plan:
    """Scale ``obj`` to ``replicas``; ``hpa`` is the HorizontalPodAutoscaler targeting it, if any."""
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ActuatorError(ActuatorErrorKind.INVALID, f"replicas must be a whole number ≥ 0, not {replicas!r}")
    ref = _ref(obj)
    kind = workload_kind(ref.kind)
    steps: list[Step] = []
    before = {"object": _identity(obj)}
    after: dict[str, Any] = {}
    if kind.kind == "InferenceService":
        predictor = dig(obj, ("spec", "predictor")) or {}
        current_max = predictor.get("maxReplicas")
        patch: dict[str, Any] = {"minReplicas": replicas}
        if max_replicas is not None:
            patch["maxReplicas"] = max_replicas
        elif isinstance(current_max, int) and current_max and current_max < replicas:
            patch["maxReplicas"] = replicas
        if patch.get("maxReplicas") is not None and patch["maxReplicas"] < replicas and patch["maxReplicas"] != 0:
            raise ActuatorError(ActuatorErrorKind.INVALID, f"maxReplicas {patch['maxReplicas']} < replicas {replicas}")
        body = _merge_patch(obj, ("spec", "predictor"), patch)
        before["spec.predictor"] = {k: predictor.get(k) for k in ("minReplicas", "maxReplicas")}
        after["spec.predictor"] = {**before["spec.predictor"], **patch}
        steps.append(Step("patch", ref, _rv(obj), body, content_type=MERGE_PATCH,
                          expect={_pointer("spec", "predictor", k): v for k, v in patch.items()}))
    elif kind.scale_subresource:
        if hpa is not None and replicas > 0:
            hpa_step = _hpa_step(hpa, replicas=replicas, min_replicas=min_replicas, max_replicas=max_replicas,
                                 before=before, after=after)
            if hpa_step is not None:
                steps.append(hpa_step)
        before["spec.replicas"] = dig(obj, ("spec", "replicas"))
        after["spec.replicas"] = replicas
        body = {"metadata": {"resourceVersion": _rv(obj)}, "spec": {"replicas": replicas}}
        steps.append(Step("patch", ref, _rv(obj), body, subresource="scale", content_type=MERGE_PATCH,
                          expect={"/spec/replicas": replicas}))
    elif kind.replicas_path:
        before[".".join(kind.replicas_path)] = dig(obj, kind.replicas_path)
        after[".".join(kind.replicas_path)] = replicas
        steps.append(Step("patch", ref, _rv(obj), _merge_patch(obj, kind.replicas_path, replicas),
                          content_type=MERGE_PATCH, expect={_pointer(*kind.replicas_path): replicas}))
    else:
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, f"cannot scale a {ref.kind}")
    note = " (its HPA bounds follow)" if len(steps) > 1 else ""
    return Plan("scale", ref, tuple(steps), f"scale {ref} to {replicas} replicas{note}", before, after)


def _hpa_step(hpa: Mapping[str, Any], *, replicas: int, min_replicas: int | None, max_replicas: int | None,
              before: dict[str, Any], after: dict[str, Any]) -> Step | None:
    """The HPA patch keeping ``replicas`` inside its bounds; None when they already do."""
    spec = hpa.get("spec") or {}
    current = {"minReplicas": spec.get("minReplicas", 1), "maxReplicas": spec.get("maxReplicas")}
    wanted_min = min_replicas if min_replicas is not None else min(current["minReplicas"] or 1, replicas)
    wanted_max = max_replicas if max_replicas is not None else max(current["maxReplicas"] or replicas, replicas)
    if wanted_min < 1 or wanted_max < wanted_min:
        raise ActuatorError(ActuatorErrorKind.INVALID,
                            f"HPA bounds {wanted_min}–{wanted_max} are invalid (1 ≤ min ≤ max)")
    if not wanted_min <= replicas <= wanted_max:
        raise ActuatorError(ActuatorErrorKind.INVALID,
                            f"{replicas} replicas lie outside the HPA bounds {wanted_min}–{wanted_max}")
    patch = {"minReplicas": wanted_min, "maxReplicas": wanted_max}
    if patch == current:
        return None
    before["hpa"] = {**_identity(hpa), "spec": current}
    after["hpa"] = {"spec": patch}
    return Step("patch", _ref({**hpa, "kind": HPA.kind}), _rv(hpa), _merge_patch(hpa, ("spec",), patch),
                content_type=MERGE_PATCH, expect={_pointer("spec", k): v for k, v in patch.items()})


def plan_decommission(obj: Mapping[str, Any]) -> Plan:
    ref = _ref(obj)
    workload_kind(ref.kind)
    meta = _meta(obj)
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background",
            "preconditions": {"resourceVersion": _rv(obj), "uid": meta.get("uid")}}
    return Plan("decommission", ref, (Step("delete", ref, _rv(obj), body, expect={"deleted": True}),),
                f"delete {ref} (its pods and dependents go with it)", {"object": _identity(obj)},
                {"object": None})


def _serving_container(containers: list[Mapping[str, Any]], name: str | None) -> int:
    if not containers:
        raise ActuatorError(ActuatorErrorKind.INVALID, "the workload declares no container")
    if name:
        for index, container in enumerate(containers):
            if container.get("name") == name:
                return index
        raise ActuatorError(ActuatorErrorKind.INVALID, f"no container named {name!r}")
    for index, container in enumerate(containers):
        limits = {**((container.get("resources") or {}).get("requests") or {}),
                  **((container.get("resources") or {}).get("limits") or {})}
        if any(key.endswith("/gpu") or "neuron" in key for key in limits):
            return index
    return 0


REVISION_ENV = ("REVISION", "HF_MODEL_REVISION")
REDACTED = "<redacted>"


def redacted(value: Any) -> Any:
    """``value`` (a plan, a patch body, an object excerpt) with every literal container env value replaced by
    REDACTED, except the model revision variables an action sets: env values are often secrets (tokens,
    keys), and previews and audit records are shown to every signed-in user."""
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if (key == "env" or str(key).endswith("/env")) and isinstance(item, list):   # a field or a JSON Pointer
            out[key] = [{**var, "value": REDACTED} if isinstance(var, dict) and "value" in var
                        and var.get("name") not in REVISION_ENV else redacted(var) for var in item]
        else:
            out[key] = redacted(item)
    return out


def _with_revision(container: dict[str, Any], version: str) -> dict[str, Any]:
    for var in container.get("env") or []:
        if var.get("name") in REVISION_ENV and "value" in var:
            container["env"] = [{**v, "value": version} if v.get("name") == var["name"] else v
                                for v in container["env"]]
            return container
    for field_name in ("args", "command"):
        values = list(container.get(field_name) or [])
        for index, value in enumerate(values):
            if value == "--revision" and index + 1 < len(values):
                values[index + 1] = version
                container[field_name] = values
                return container
            if isinstance(value, str) and value.startswith("--revision="):
                values[index] = f"--revision={version}"
                container[field_name] = values
                return container
    container["args"] = [*(container.get("args") or []), f"--revision={version}"]
    return container


def _containers_path(kind: WorkloadKind) -> tuple[str, ...]:
    if kind.kind == "InferenceService":
        return ("spec", "predictor", "model")
    if kind.pod_spec_path is None:
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, f"cannot change the containers of a {kind.kind}")
    return kind.pod_spec_path


def plan_align_version(obj: Mapping[str, Any], *, version: str | None = None, image: str | None = None,
                       container: str | None = None) -> Plan:
    """Set the model revision (``--revision`` / revision env) and/or the image of the serving container."""
    if not version and not image:
        raise ActuatorError(ActuatorErrorKind.INVALID, "align-version needs a version and/or an image")
    ref = _ref(obj)
    kind = workload_kind(ref.kind)
    where = _containers_path(kind)
    if kind.kind == "InferenceService":
        # KServe's predictor model spec is one container-like object (args, env, runtimeVersion for the image).
        model = copy.deepcopy(dig(obj, where) or {})
        if not model:
            raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, "this InferenceService has no predictor.model to align")
        changed = _with_revision(model, version) if version else model
        patch: dict[str, Any] = {k: changed[k] for k in ("args", "env") if k in changed
                                 and changed[k] != (dig(obj, where) or {}).get(k)}
        if image:
            patch["runtimeVersion"] = image.rsplit(":", 1)[-1] if ":" in image else image
        expect = {_pointer(*where, k): v for k, v in patch.items()}
        before = {"object": _identity(obj), ".".join(where): {k: (dig(obj, where) or {}).get(k) for k in patch}}
        after = {".".join(where): patch}
        body = _merge_patch(obj, where, patch)
    else:
        containers = copy.deepcopy(list(dig(obj, (*where, "containers")) or []))
        index = _serving_container(containers, container)
        current = containers[index]
        if version:
            _with_revision(current, version)
        if image:
            current["image"] = image
        original = (dig(obj, (*where, "containers")) or [])[index]
        touched = {k: current.get(k) for k in ("image", "args", "command", "env") if current.get(k) != original.get(k)}
        before = {"object": _identity(obj), "container": {"name": original.get("name"),
                                                          **{k: original.get(k) for k in touched}}}
        after = {"container": {"name": current.get("name"), **touched}}
        body = _merge_patch(obj, (*where, "containers"), containers)
        expect = {_pointer(*where, "containers", str(index), k): v for k, v in touched.items()}
    what = " and ".join(x for x in (f"revision {version}" if version else "", f"image {image}" if image else "") if x)
    if not expect:
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{ref} already serves {what}: nothing to change")
    return Plan("align-version", ref, (Step("patch", ref, _rv(obj), body, content_type=MERGE_PATCH, expect=expect),),
                f"set {what} on {ref}", before, after)


def plan_move_gpu(obj: Mapping[str, Any], *, accelerator: str, cloud: str | None) -> Plan:
    """Point the pod spec's nodeSelector at ``accelerator`` (canonical name)."""
    ref = _ref(obj)
    kind = workload_kind(ref.kind)
    if kind.pod_spec_path is None:
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, f"cannot move a {ref.kind} to another GPU")
    selector = dict(dig(obj, (*kind.pod_spec_path, "nodeSelector")) or {})
    present = [k for k in selector if k in _ACCELERATOR_KEYS or k in GPU_LABEL_VALUES]
    patch: dict[str, str | None] = {}
    for key in present:
        value = GPU_LABEL_VALUES.get(key, {}).get(accelerator)
        patch[key] = value if value and _reads_back(key, value, accelerator) else None
    if not any(patch.values()):
        key = CLOUD_GPU_LABEL.get(cloud or "", DEFAULT_GPU_LABEL)
        value = GPU_LABEL_VALUES[key].get(accelerator)
        if not value and key != DEFAULT_GPU_LABEL:
            key, value = DEFAULT_GPU_LABEL, GPU_LABEL_VALUES[DEFAULT_GPU_LABEL].get(accelerator)
        if not value or not _reads_back(key, value, accelerator):
            raise ActuatorError(ActuatorErrorKind.UNSUPPORTED,
                                f"no node label names {accelerator} on {cloud or 'this cloud'}")
        patch[key] = value
    if all(selector.get(k) == v for k, v in patch.items() if v) and not any(
            v is None and k in selector for k, v in patch.items()):
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{ref} already selects {accelerator}")
    path = (*kind.pod_spec_path, "nodeSelector")
    expect = {_pointer(*path, k): v for k, v in patch.items()}
    return Plan("move-gpu", ref, (Step("patch", ref, _rv(obj), _merge_patch(obj, path, patch),
                                       content_type=MERGE_PATCH, expect=expect),),
                f"move {ref} to {accelerator} (nodeSelector {', '.join(f'{k}={v}' for k, v in patch.items())})",
                {"object": _identity(obj), ".".join(path): selector},
                {".".join(path): {**{k: v for k, v in selector.items() if k not in patch},
                                  **{k: v for k, v in patch.items() if v is not None}}})


# --- talking to the cluster -----------------------------------------------------------------------


def classify(exc: BaseException, *, what: str) -> ActuatorError:
    """A client error → ActuatorError with a message saying what was refused and why."""
    if isinstance(exc, ActuatorError):
        return exc
    status = getattr(exc, "status", None)
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException) and exc.status == 409:
        return ActuatorError(ActuatorErrorKind.CONFLICT,
                             f"conflict: {what} was refused: the object changed since the preview; preview again",
                             status=409)
    if isinstance(exc, ApiException) and exc.status == 422:
        return ActuatorError(ActuatorErrorKind.INVALID, f"{what} refused as invalid: {_body_message(exc)}", status=422)
    error = exc if isinstance(exc, CollectorError) else classify_kubernetes(exc)
    status = error.status if error.status is not None else status
    if status == 404:
        return ActuatorError(ActuatorErrorKind.NOT_FOUND, f"not found: {what}: the object does not exist (any more)", status=404)
    kind = {ErrorKind.FORBIDDEN: ActuatorErrorKind.FORBIDDEN, ErrorKind.AUTH: ActuatorErrorKind.AUTH,
            ErrorKind.UNREACHABLE: ActuatorErrorKind.UNREACHABLE,
            ErrorKind.RATE_LIMITED: ActuatorErrorKind.UNREACHABLE}.get(error.kind, ActuatorErrorKind.UNKNOWN)
    if kind == ActuatorErrorKind.FORBIDDEN:
        message = (f"forbidden: the source's credentials may not {what} "
                   f"({error.message.removeprefix('forbidden: ')}); grant it in the cluster's RBAC")
    else:
        message = f"{error.message} ({what})"
    return ActuatorError(kind, message, status=status)


def _body_message(exc: Any) -> str:
    try:
        return json.loads(exc.body).get("message") or exc.reason
    except (TypeError, ValueError, AttributeError):
        return str(getattr(exc, "reason", exc))


@dataclass
class StepOutcome:
    step: Step
    after: dict[str, Any] | None
    verified: bool
    mismatches: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"target": str(self.step.target), "verb": self.step.verb.upper(), "verified": self.verified,
                "mismatches": self.mismatches, "after": self.after}


@dataclass
class Outcome:
    plan: Plan
    steps: list[StepOutcome]

    @property
    def verified(self) -> bool:
        return all(s.verified for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"verified": self.verified, "steps": [s.to_dict() for s in self.steps]}


class Actuator:
    """Acts on one cluster through an ApiClient made like the crawler's (``ClusterTarget.api_client``)."""

    def __init__(self, api_client, *, timeout: float | tuple[float, float] = (5.0, 30.0),
                 retry: RetryPolicy | None = None):
        self.api = api_client
        self.timeout = timeout
        # Only reads are retried (throttling, 5xx); a write is sent once, as its outcome is then re-read.
        self.retry = retry or RetryPolicy(rate_limited_attempts=3, unreachable_attempts=2, budget=15.0)

    @classmethod
    def for_target(cls, target, **options) -> Actuator:
        return cls(target.api_client(), **options)

    # reads

    def read(self, ref: ObjectRef) -> dict[str, Any]:
        kind = workload_kind(ref.kind)
        path = (f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1") + \
            f"/namespaces/{ref.namespace}/{kind.plural}/{ref.name}"
        obj = self._json("GET", path, what=f"get {ref}", retry=True)
        obj.setdefault("kind", kind.kind)
        obj.setdefault("apiVersion", kind.api_version)
        return obj

    def hpa_for(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        """The autoscaling/v2 HPA whose scaleTargetRef is ``obj`` (None when there is none)."""
        ref = _ref(obj)
        listing = self._json("GET", f"/apis/autoscaling/v2/namespaces/{ref.namespace}/horizontalpodautoscalers",
                             what=f"list HorizontalPodAutoscalers in {ref.namespace}", retry=True)
        for item in listing.get("items") or []:
            target = dig(item, ("spec", "scaleTargetRef")) or {}
            if target.get("kind") == ref.kind and target.get("name") == ref.name:
                item.setdefault("kind", HPA.kind)
                return item
        return None

    def preview(self, *, action: str, ref: ObjectRef, params: Mapping[str, Any], cloud: str | None = None) -> Plan:
        """Read the object(s) and make the plan: what ``execute`` will send, nothing sent yet."""
        obj = self.read(ref)
        if action == "scale":
            if "replicas" not in params:
                raise ActuatorError(ActuatorErrorKind.INVALID, "scale needs replicas")
            hpa = self.hpa_for(obj) if workload_kind(ref.kind).scale_subresource else None
            return plan_scale(obj, replicas=_int(params["replicas"], "replicas"),
                              min_replicas=_int(params.get("min"), "min"), max_replicas=_int(params.get("max"), "max"),
                              hpa=hpa)
        if action == "decommission":
            return plan_decommission(obj)
        if action == "align-version":
            return plan_align_version(obj, version=params.get("version"), image=params.get("image"),
                                      container=params.get("container"))
        if action == "move-gpu":
            if not params.get("accelerator"):
                raise ActuatorError(ActuatorErrorKind.INVALID, "move-gpu needs an accelerator")
            return plan_move_gpu(obj, accelerator=str(params["accelerator"]), cloud=cloud)
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, f"unknown action {action!r}")

    # writes

    def execute(self, plan: Plan) -> Outcome:
        """Send every step (each guarded by its resourceVersion), then re-read and verify each."""
        for step in plan.steps:   # all preconditions first: a stale plan changes nothing at all
            self._check_current(step)
        outcomes = []
        for step in plan.steps:
            self._check_current(step)
            self._send(step)
            outcomes.append(self._verify(step))
        return Outcome(plan, outcomes)

    def _check_current(self, step: Step) -> None:
        current = self.read(step.target)
        rv = str(_meta(current).get("resourceVersion") or "")
        if rv != step.resource_version:
            raise ActuatorError(ActuatorErrorKind.CONFLICT,
                                f"conflict: {step.target} changed since the preview (resourceVersion "
                                f"{step.resource_version} → {rv}); preview again", status=409)

    def _send(self, step: Step) -> None:
        kind = workload_kind(step.target.kind)
        path = step.to_dict()["path"]
        what = f"{step.verb} {step.target}{'/' + step.subresource if step.subresource else ''}"
        if step.verb == "delete":
            self._json("DELETE", path, body=step.body, what=what)
        elif step.verb == "patch":
            self._json("PATCH", path, body=step.body, content_type=step.content_type or MERGE_PATCH, what=what)
        else:  # pragma: no cover - plans make only these
            raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, f"unknown verb {step.verb} for {kind.kind}")

    def _verify(self, step: Step) -> StepOutcome:
        try:
            current = self.read(step.target)
        except ActuatorError as error:
            if error.kind == ActuatorErrorKind.NOT_FOUND and step.verb == "delete":
                return StepOutcome(step, None, True)
            raise
        if step.verb == "delete":
            gone = bool(_meta(current).get("deletionTimestamp"))
            return StepOutcome(step, _identity(current), gone, {} if gone else {"deleted": "still present"})
        mismatches = {}
        for path, wanted in step.expect.items():
            found = _dig_pointer(current, path)
            if found != wanted:
                mismatches[path] = {"expected": wanted, "found": found}
        excerpt = {**_identity(current), **{p: _dig_pointer(current, p) for p in step.expect}}
        return StepOutcome(step, excerpt, not mismatches, mismatches)

    def _json(self, method: str, path: str, *, what: str, body: Any = None, content_type: str | None = None,
              retry: bool = False) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type

        def call():
            return self.api.call_api(path, method, header_params=headers, body=body, auth_settings=["BearerToken"],
                                     _preload_content=False, _request_timeout=self.timeout, _return_http_data_only=True)

        try:
            if retry:
                response = call_with_retries(call, classify=classify_kubernetes, policy=self.retry)
            else:
                response = call()
        except Exception as exc:  # noqa: BLE001 - every client error becomes one ActuatorError kind
            raise classify(exc, what=what) from None
        data = response.data
        return json.loads(data) if data else {}


def _int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{name} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{name} must be a whole number, not {value!r}") from None
    if number != value and str(number) != str(value):
        raise ActuatorError(ActuatorErrorKind.INVALID, f"{name} must be a whole number, not {value!r}")
    return number


def _pointer(*keys: str) -> str:
    """A JSON Pointer (RFC 6901): label keys hold dots and slashes, so dotted paths would be ambiguous."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def _dig_pointer(obj: Any, pointer: str) -> Any:
    for key in (k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:]):
        if isinstance(obj, list):
            try:
                obj = obj[int(key)]
            except (ValueError, IndexError):
                return None
        elif isinstance(obj, Mapping):
            obj = obj.get(key)
        else:
            return None
    return obj


# --- which cluster -------------------------------------------------------------------------------


def cluster_target(collector, *, cluster: str, workdir: str):
    """The ClusterTarget of ``cluster`` as the source's collector reaches it for a crawl (same kubeconfig,
    token or cloud-issued credentials). ``workdir`` holds any credential file for as long as it is used."""
    if hasattr(collector, "targets"):           # kubeconfig sources (kubernetes, coreweave, nebius, lambda)
        targets = collector.targets(workdir)
    elif hasattr(collector, "discover"):        # cloud sources: ask the cloud, as a crawl does
        if hasattr(collector, "_directory"):
            collector._directory = workdir      # AKS writes the cluster's user kubeconfig there
        found = collector.discover(progress=None)
        targets = found.targets
    else:
        raise ActuatorError(ActuatorErrorKind.UNSUPPORTED, "this source's collector cannot reach clusters")
    for target in targets:
        if target.name == cluster:
            return target
    raise ActuatorError(ActuatorErrorKind.NOT_FOUND, f"the source does not reach a cluster named {cluster!r} "
                                                     f"(it reaches {', '.join(sorted(t.name for t in targets)) or 'none'})")
