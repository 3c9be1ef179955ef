"""Pods as controllers would make them: which pods an owner has, where they may run, how they look.

A pod is a small record (name, owner, group, node, pending reason); its object is rendered from the
owner's template when a client asks for it. Owners: Deployment (through its ReplicaSet), ReplicaSet,
StatefulSet (honours `spec.ordinals.start`), DaemonSet (one pod per eligible node), Job
(`parallelism`) and KubeRay's RayCluster (head + worker groups).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.simulator.nodes import Node, digest, suffix

OWNER_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "RayCluster")
ACCELERATOR_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron", "habana.ai/gaudi")
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


@dataclass(slots=True)
class PodGroup:
    template: dict[str, Any]
    count: int
    owner: tuple[str, str, str]          # the pod's controller: (apiVersion, kind, name)
    names: Callable[[int, int], str]     # (slot, incarnation) → pod name
    labels: dict[str, str]
    daemon: bool = False                 # one pod per eligible node instead of `count`


@dataclass(slots=True)
class PodRecord:
    namespace: str
    name: str
    owner: Any                 # the store Entry of the pod owner (the Deployment for ReplicaSet pods)
    group: int
    slot: int
    node: Node | None
    gpus: int
    reason: str | None         # why it is Pending (None: Running and Ready)
    created: str
    rv: int


def template_hash(template: Mapping[str, Any]) -> str:
    return suffix(repr(template), length=10)


def replica_set_name(deployment: Mapping[str, Any], hash_: str) -> str:
    return f"{deployment['metadata']['name']}-{hash_}"


def pod_groups(obj: Mapping[str, Any], hash_: str) -> list[PodGroup]:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    name = obj["metadata"]["name"]
    api = obj.get("apiVersion", "apps/v1")
    tmpl = spec.get("template") or {}
    if kind == "Deployment":
        rs = f"{name}-{hash_}"
        return [PodGroup(tmpl, _int(spec.get("replicas"), 1), ("apps/v1", "ReplicaSet", rs),
                         lambda slot, inc: f"{rs}-{suffix(rs, slot, inc)}", {"pod-template-hash": hash_})]
    if kind == "ReplicaSet":
        return [PodGroup(tmpl, _int(spec.get("replicas"), 1), (api, kind, name),
                         lambda slot, inc: f"{name}-{suffix(name, slot, inc)}", {})]
    if kind == "StatefulSet":
        start = _int((spec.get("ordinals") or {}).get("start"), 0)
        return [PodGroup(tmpl, _int(spec.get("replicas"), 1), (api, kind, name),
                         lambda slot, inc: f"{name}-{slot + start}",
                         {"controller-revision-hash": f"{name}-{hash_}"})]
    if kind == "DaemonSet":
        return [PodGroup(tmpl, 0, (api, kind, name), lambda slot, inc: f"{name}-{suffix(name, slot, inc)}",
                         {"controller-revision-hash": hash_, "pod-template-generation": "1"}, daemon=True)]
    if kind == "Job":
        uid = digest(name, hash_, size=16).hex()
        return [PodGroup(tmpl, _int(spec.get("parallelism"), 1), (api, kind, name),
                         lambda slot, inc: f"{name}-{suffix(name, slot, inc)}",
                         {"batch.kubernetes.io/job-name": name, "job-name": name,
                          "batch.kubernetes.io/controller-uid": uid, "controller-uid": uid})]
    if kind == "RayCluster":
        head = spec.get("headGroupSpec") or {}
        groups = [PodGroup(head.get("template") or {}, 1, (api, kind, name),
                           lambda slot, inc: f"{name}-head-{suffix(name, 'head', slot, inc)}",
                           {"ray.io/cluster": name, "ray.io/node-type": "head", "ray.io/group": "headgroup",
                            "ray.io/is-ray-node": "yes"})]
        for group in spec.get("workerGroupSpecs") or []:
            group_name = group.get("groupName", "workers")
            groups.append(PodGroup(group.get("template") or {}, _int(group.get("replicas"), 0), (api, kind, name),
                                   lambda slot, inc, g=group_name: f"{name}-{g}-worker-{suffix(name, g, slot, inc)}",
                                   {"ray.io/cluster": name, "ray.io/node-type": "worker", "ray.io/group": group_name,
                                    "ray.io/is-ray-node": "yes", "ray.io/serve": "true"}))
        return groups
    return []


def gpu_request(pod_spec: Mapping[str, Any]) -> int:
    total = 0
    for container in pod_spec.get("containers") or []:
        res = container.get("resources") or {}
        for bucket in (res.get("limits") or {}, res.get("requests") or {}):
            found = [v for k, v in bucket.items() if k in ACCELERATOR_RESOURCES or k.endswith("/gpu")]
            if found:
                total += sum(_int(v, 0) for v in found)
                break
    return total


def node_filter(pod_spec: Mapping[str, Any]) -> Callable[[Node], bool]:
    """nodeSelector AND any of the required node-affinity terms (In, NotIn, Exists, DoesNotExist)."""
    selector = {str(k): str(v) for k, v in (pod_spec.get("nodeSelector") or {}).items()}
    required = ((((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])

    def term_ok(labels: Mapping[str, str], term: Mapping[str, Any]) -> bool:
        for expr in term.get("matchExpressions") or []:
            key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and labels.get(key) in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True

    def accepts(node: Node) -> bool:
        if selector and not node.matches(selector):
            return False
        if required:
            labels = node.labels()
            return any(term_ok(labels, term) for term in required)
        return True
    return accepts


def render_pod(pod: PodRecord, group: PodGroup, *, uid: str, owner_uid: str, seed: int) -> dict[str, Any]:
    tmpl_meta, tmpl_spec = group.template.get("metadata") or {}, group.template.get("spec") or {}
    api, kind, owner_name = group.owner
    spec = {**tmpl_spec, "serviceAccountName": tmpl_spec.get("serviceAccountName", "default"),
            "enableServiceLinks": True, "priority": 0, "preemptionPolicy": "PreemptLowerPriority",
            "tolerations": [*(tmpl_spec.get("tolerations") or []), *DEFAULT_TOLERATIONS]}
    spec.setdefault("containers", [])
    if kind == "StatefulSet":
        spec["hostname"], spec["subdomain"] = pod.name, owner_name
    metadata: dict[str, Any] = {
        "name": pod.name, "namespace": pod.namespace, "uid": uid, "resourceVersion": str(pod.rv),
        "creationTimestamp": pod.created, "labels": {**(tmpl_meta.get("labels") or {}), **group.labels},
        "ownerReferences": [{"apiVersion": api, "kind": kind, "name": owner_name, "uid": owner_uid,
                             "controller": True, "blockOwnerDeletion": True}]}
    if kind == "StatefulSet":
        metadata["labels"]["statefulset.kubernetes.io/pod-name"] = pod.name
        metadata["labels"]["apps.kubernetes.io/pod-index"] = pod.name.rsplit("-", 1)[-1]
    else:
        metadata["generateName"] = pod.name[:-5]
    if tmpl_meta.get("annotations"):
        metadata["annotations"] = dict(tmpl_meta["annotations"])
    if pod.reason is None and pod.node is not None:
        spec["nodeName"] = pod.node.name
        status = _running_status(pod, spec, seed)
    else:
        status = {"phase": "Pending", "qosClass": "Burstable",
                  "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                  "message": pod.reason, "lastProbeTime": None,
                                  "lastTransitionTime": pod.created}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def _running_status(pod: PodRecord, spec: Mapping[str, Any], seed: int) -> dict[str, Any]:
    h = digest(seed, pod.namespace, pod.name, size=4)
    ip = f"10.{100 + h[0] % 100}.{h[1]}.{h[2] % 254 + 1}"
    host_ip = f"10.0.{(pod.node.index if pod.node else 0) // 250}.{(pod.node.index if pod.node else 0) % 250 + 4}"
    conditions = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": pod.created}
                  for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")]
    statuses = []
    for c in spec.get("containers") or []:
        image = c.get("image") or ""
        sha = digest(image, size=32).hex()
        statuses.append({"name": c.get("name") or "main", "image": image,
                         "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{sha}",
                         "containerID": f"containerd://{digest(pod.name, c.get('name'), size=32).hex()}",
                         "ready": True, "started": True, "restartCount": 0, "lastState": {},
                         "state": {"running": {"startedAt": pod.created}}})
    return {"phase": "Running", "qosClass": "Burstable", "conditions": conditions, "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}], "podIP": ip, "podIPs": [{"ip": ip}], "startTime": pod.created,
            "containerStatuses": statuses}


def owner_status(obj: Mapping[str, Any], pods: list[PodRecord], generation: int) -> dict[str, Any]:
    """Status the controller would write, counted from the pods actually placed."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    total, ready = len(pods), sum(1 for p in pods if p.reason is None)
    created = obj["metadata"].get("creationTimestamp")
    if kind == "DaemonSet":
        return {"currentNumberScheduled": total, "desiredNumberScheduled": total, "numberMisscheduled": 0,
                "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": total,
                "observedGeneration": generation}
    if kind == "Job":
        return {"active": total, "ready": ready, "startTime": created, "uncountedTerminatedPods": {}}
    if kind == "RayCluster":
        return dict(obj.get("status") or {})
    desired = _int(spec.get("replicas"), 1)
    status: dict[str, Any] = {"observedGeneration": generation, "replicas": total}
    if ready:
        status["readyReplicas"] = status["availableReplicas"] = ready
    if kind == "Deployment":
        status["updatedReplicas"] = total
        if total - ready:
            status["unavailableReplicas"] = total - ready
        available = "True" if ready > 0 or desired == 0 else "False"
        status["conditions"] = [
            {"type": "Available", "status": available,
             "reason": "MinimumReplicasAvailable" if available == "True" else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available == "True"
             else "Deployment does not have minimum availability.",
             "lastUpdateTime": created, "lastTransitionTime": created},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": "ReplicaSet has successfully progressed.", "lastUpdateTime": created,
             "lastTransitionTime": created}]
    elif kind == "StatefulSet":
        status.update({"currentReplicas": total, "updatedReplicas": total, "collisionCount": 0})
    elif kind == "ReplicaSet":
        status["fullyLabeledReplicas"] = total
    return status


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
