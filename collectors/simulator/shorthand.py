"""Workload shorthand → the Kubernetes objects a team (and its operators) would have in the cluster.

`expand` returns Parts: the objects as their authors wrote them plus the children controllers create
(KServe's predictor Deployment, KubeRay's RayCluster, ...), with owner references by name. The store
fills uids, resourceVersions and the status of pod owners from the pods it schedules. Pod owners
(Deployment, StatefulSet, Job, RayCluster) carry the pool their pods run in and how many of their
replicas stay Pending. CRD kinds live in platforms.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from collectors.simulator.engines import ENGINES, NIM_DEFAULT_VERSION, PRESETS, fill, fill_env, tei_image
from collectors.simulator.nodes import PoolInfo, digest
from collectors.simulator.scenario import Workload


@dataclass(slots=True)
class Target:
    """Where a workload's pods go and how its manifests ask for it."""

    pool: PoolInfo | None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, str]] = field(default_factory=list)
    provider: str = "kubeconfig"

    @property
    def resource(self) -> str:
        return self.pool.resource if self.pool else "nvidia.com/gpu"


@dataclass(slots=True)
class Part:
    obj: dict[str, Any]
    pool: str | None = None   # pod owners: the pool their pods are placed in
    hold: int = 0             # pod owners: replicas (groups for multi-pod replicas) kept Pending


Builder = Callable[[Workload, Target], list[Part]]


def expand(w: Workload, target: Target) -> list[Part]:
    from collectors.simulator import platforms

    kind = kind_of(w)
    builder = BUILDERS.get(kind) or platforms.BUILDERS[kind]
    parts = builder(w, target)
    if w.created_at:
        for part in parts:
            part.obj["metadata"].setdefault("creationTimestamp", w.created_at)
    return parts


def kind_of(w: Workload) -> str:
    if w.kind:
        return w.kind
    return PRESETS[w.preset].kind if w.preset else "Deployment"


# --- metadata -----------------------------------------------------------------------------------

def selector_labels(w: Workload, name: str | None = None) -> dict[str, str]:
    return {"app": name or w.name}


def object_labels(w: Workload, name: str | None = None) -> dict[str, str]:
    labels = {**selector_labels(w, name), "app.kubernetes.io/name": w.name}
    if w.team:
        labels["team"] = w.team
    labels.update(w.labels or {})
    return labels


def meta(w: Workload, name: str | None = None, *, labels: dict[str, str] | None = None,
         owner: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name or w.name, "namespace": w.namespace,
                           "labels": labels if labels is not None else object_labels(w, name)}
    notes = {**(w.annotations or {}), **(annotations or {})} if owner is None else dict(annotations or {})
    if notes:
        out["annotations"] = notes
    if owner is not None:
        out["ownerReferences"] = [owner_ref(owner)]
    return out


def owner_ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "controller": True, "blockOwnerDeletion": True}


# --- containers ---------------------------------------------------------------------------------

def resources(gpus: int, resource: str) -> dict[str, Any]:
    cpu, memory = (str(max(4, 8 * gpus)), f"{max(16, 48 * gpus)}Gi") if gpus else ("500m", "1Gi")
    limits: dict[str, str] = {"memory": memory}
    if gpus:
        limits[resource] = str(gpus)
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": limits}


def engine_values(w: Workload, gpus: int) -> dict[str, Any]:
    return {"model": w.model, "revision": w.revision, "gpus": gpus, "tp": gpus if gpus > 1 else None,
            "name": w.name, "team": w.team or "platform",
            "version": w.revision or NIM_DEFAULT_VERSION}


def engine_container(w: Workload, target: Target, *, gpus: int | None = None) -> dict[str, Any]:
    """The serving container as the engine's public examples write it."""
    engine = ENGINES[w.engine or "custom"]
    gpus = w.gpus_per_replica if gpus is None else gpus
    values = engine_values(w, gpus)
    image = w.image or engine.image.format_map(values)
    if engine.name == "tei" and not w.image:
        image = tei_image(image, target.pool.gpu if target.pool and gpus else None)
    c: dict[str, Any] = {"name": engine.container, "image": image, "imagePullPolicy": "IfNotPresent"}
    if command := fill(engine.command, values):
        c["command"] = command
    args = fill(engine.args, values) + list(w.args)
    if args:
        c["args"] = args
    env = fill_env(engine.env, values) + [{"name": k, "value": str(v)} for k, v in (w.env or {}).items()]
    if engine.name == "nim":
        env.append({"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "ngc-api", "key": "NGC_API_KEY"}}})
    if env:
        c["env"] = env
    c["ports"] = [{"name": "http", "containerPort": engine.port, "protocol": "TCP"}]
    c["resources"] = resources(gpus, target.resource)
    if engine.probe:
        c["readinessProbe"] = {"httpGet": {"path": engine.probe, "port": engine.port}, "periodSeconds": 10,
                               "initialDelaySeconds": 30, "timeoutSeconds": 1, "successThreshold": 1,
                               "failureThreshold": 3}
    if engine.name == "ollama" and w.model:
        c["lifecycle"] = {"postStart": {"exec": {"command": ["/bin/sh", "-c", f"sleep 5 && ollama pull {w.model}"]}}}
    if engine.shm:
        c["volumeMounts"] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    return c


def preset_container(w: Workload, target: Target) -> dict[str, Any]:
    preset = PRESETS[w.preset or ""]
    gpus = w.gpus_per_replica
    values = {**engine_values(w, gpus), "model": w.model or "meta-llama/Llama-3.1-8B-Instruct"}
    c: dict[str, Any] = {"name": preset.container, "image": w.image or preset.image.format_map(values),
                         "imagePullPolicy": "IfNotPresent"}
    if command := fill(preset.command, values):
        c["command"] = ["/bin/sh", "-c", " ".join(command)] if preset.kind == "Job" else command
    if w.args:
        c["args"] = list(w.args)
    env = fill_env(preset.env, values) + [{"name": k, "value": str(v)} for k, v in (w.env or {}).items()]
    if env:
        c["env"] = env
    if preset.port:
        c["ports"] = [{"containerPort": preset.port, "protocol": "TCP"}]
    c["resources"] = resources(gpus, target.resource)
    return c


def pod_spec(w: Workload, target: Target, containers: list[dict[str, Any]], *,
             restart: str = "Always") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers, "restartPolicy": restart, "dnsPolicy": "ClusterFirst",
                            "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30,
                            "securityContext": {}}
    if target.node_selector:
        spec["nodeSelector"] = dict(target.node_selector)
    if target.tolerations:
        spec["tolerations"] = list(target.tolerations)
    if any(m.get("name") == "dshm" for c in containers for m in c.get("volumeMounts", [])):
        spec["volumes"] = [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}}]
    return spec


def main_container(w: Workload, target: Target) -> dict[str, Any]:
    if w.preset:
        return preset_container(w, target)
    return engine_container(w, target)


def template(w: Workload, target: Target, spec: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    labels = selector_labels(w, name)
    if w.team:
        labels["team"] = w.team
    return {"metadata": {"labels": labels}, "spec": spec}


# --- core kinds ---------------------------------------------------------------------------------

def deployment(w: Workload, target: Target, *, name: str | None = None, replicas: int | None = None,
               spec: dict[str, Any] | None = None, owner: dict[str, Any] | None = None,
               labels: dict[str, str] | None = None) -> dict[str, Any]:
    name = name or w.name
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(w, name, owner=owner, labels=labels),
            "spec": {"replicas": w.replicas if replicas is None else replicas,
                     "selector": {"matchLabels": selector_labels(w, name)},
                     "template": template(w, target, spec or pod_spec(w, target, [main_container(w, target)]), name),
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}}


def statefulset(w: Workload, target: Target, *, name: str | None = None, replicas: int | None = None,
                spec: dict[str, Any] | None = None, owner: dict[str, Any] | None = None,
                labels: dict[str, str] | None = None, tmpl: dict[str, Any] | None = None) -> dict[str, Any]:
    name = name or w.name
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": meta(w, name, owner=owner, labels=labels),
            "spec": {"replicas": w.replicas if replicas is None else replicas, "serviceName": name,
                     "selector": {"matchLabels": selector_labels(w, name)},
                     "template": tmpl or template(w, target, spec or pod_spec(w, target, [main_container(w, target)]),
                                                  name),
                     "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}}


def job(w: Workload, target: Target) -> dict[str, Any]:
    spec = pod_spec(w, target, [main_container(w, target)], restart="Never")
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(w),
            "spec": {"parallelism": w.replicas, "completions": w.replicas, "backoffLimit": 0,
                     "completionMode": "NonIndexed", "template": template(w, target, spec)}}


def service(w: Workload, port: int, *, name: str | None = None, selector: dict[str, str] | None = None,
            owner: dict[str, Any] | None = None, headless: bool = False) -> dict[str, Any]:
    name = name or w.name
    h = digest(w.namespace, name, size=2)
    ip = "None" if headless else f"10.96.{h[0]}.{h[1] % 254 + 1}"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(w, name, owner=owner),
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "selector": selector or selector_labels(w, name),
                     "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "internalTrafficPolicy": "Cluster"},
            "status": {"loadBalancer": {}}}


def hpa(w: Workload, target_obj: dict[str, Any], bounds: tuple[int, int], *, name: str | None = None,
        owner: dict[str, Any] | None = None) -> dict[str, Any]:
    low, high = bounds
    current = max(low, min(high, w.replicas))
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": meta(w, name or target_obj["metadata"]["name"], owner=owner),
            "spec": {"scaleTargetRef": {"apiVersion": target_obj["apiVersion"], "kind": target_obj["kind"],
                                        "name": target_obj["metadata"]["name"]},
                     "minReplicas": low, "maxReplicas": high,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
            "status": {"currentReplicas": current, "desiredReplicas": current,
                       "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"},
                                      {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]}}


def scaled_object(w: Workload, target_obj: dict[str, Any], bounds: tuple[int, int]) -> list[dict[str, Any]]:
    """A KEDA ScaledObject and the HPA KEDA makes for it (keda-hpa-<name>)."""
    low, high = bounds
    query = f'sum(vllm:num_requests_waiting{{model_name="{w.model or w.name}"}})'
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta(w),
              "spec": {"scaleTargetRef": {"apiVersion": target_obj["apiVersion"], "kind": target_obj["kind"],
                                          "name": target_obj["metadata"]["name"]},
                       "minReplicaCount": low, "maxReplicaCount": high, "pollingInterval": 30,
                       "cooldownPeriod": 300,
                       "triggers": [{"type": "prometheus", "metadata": {
                           "serverAddress": "http://prometheus.monitoring.svc:9090", "query": query,
                           "threshold": "5"}}]},
              "status": {"scaleTargetKind": f"{target_obj['apiVersion']}.{target_obj['kind']}",
                         "conditions": [{"type": "Ready", "status": "True"}, {"type": "Active", "status": "True"}]}}
    return [scaled, hpa(w, target_obj, bounds, name=f"keda-hpa-{w.name}", owner=scaled)]


def scalers(w: Workload, target_obj: dict[str, Any]) -> list[Part]:
    parts = []
    if w.hpa:
        parts.append(Part(hpa(w, target_obj, w.hpa)))
    if w.keda:
        parts.extend(Part(o) for o in scaled_object(w, target_obj, w.keda))
    return parts


def pending(w: Workload) -> int:
    return w.replicas - w.ready_replicas


def _deployment_kind(w: Workload, target: Target) -> list[Part]:
    obj = deployment(w, target)
    parts = [Part(obj, w.pool, pending(w))]
    if w.engine:
        parts.append(Part(service(w, ENGINES[w.engine].port)))
    elif w.preset and PRESETS[w.preset].port:
        parts.append(Part(service(w, PRESETS[w.preset].port or 80)))
    return parts + scalers(w, obj)


def _statefulset_kind(w: Workload, target: Target) -> list[Part]:
    obj = statefulset(w, target)
    port = ENGINES[w.engine].port if w.engine else (PRESETS[w.preset].port if w.preset else None)
    parts = [Part(obj, w.pool, pending(w))]
    if port:
        parts.append(Part(service(w, port, headless=True)))
    return parts + scalers(w, obj)


def _job_kind(w: Workload, target: Target) -> list[Part]:
    return [Part(job(w, target), w.pool, pending(w))]


BUILDERS: dict[str, Builder] = {
    "Deployment": _deployment_kind,
    "StatefulSet": _statefulset_kind,
    "Job": _job_kind,
}


def yaml_block(value: Any, indent: int = 0) -> str:
    """Block-style YAML for plain data (fields that hold a YAML string, like Ray's serveConfigV2).

    Scalars are written as JSON (a JSON scalar is a YAML scalar); ten times faster than yaml.safe_dump.
    """
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{yaml_block(item, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = yaml_block(item, indent + 2)
                lines.append(f"{pad}- {nested[indent + 2:]}")
            else:
                lines.append(f"{pad}- {_scalar(item)}\n")
        return "".join(lines)
    return f"{pad}{_scalar(value)}\n"


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    if isinstance(value, str) and value and value.replace("-", "").replace("_", "").replace(".", "").isalnum() \
            and not value[0].isdigit() and value.lower() not in ("true", "false", "null", "yes", "no", "on", "off"):
        return value
    return json.dumps(value)
