"""Placing pods on nodes: what a pod owner's pods are, and where they run.

Accelerator pods are packed first-fit onto eligible nodes with enough free devices (so whole nodes
stay idle, as they do in a real fleet once workloads are scaled down); other pods are spread over
eligible CPU nodes. Eligible means: in the workload's pool (when it names one), matching the
nodeSelector and required node affinity. Taints are not enforced. A pod that does not fit, or is
one of the replicas a scenario keeps unready, stays Pending with the scheduler's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collectors.simulator.nodes import Node
from collectors.simulator.pods import (
    OWNER_KINDS,
    PodGroup,
    PodRecord,
    gpu_request,
    node_filter,
    pod_groups,
    template_hash,
)

if TYPE_CHECKING:
    from collectors.simulator.store import ClusterStore, Entry

DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.16.2"
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.1"


class Scheduler:
    def __init__(self, store: ClusterStore):
        self.store = store
        self._eligible: dict[tuple[Any, ...], list[Node]] = {}
        self._cursor: dict[tuple[Any, ...], int] = {}

    def reset(self) -> None:
        self._eligible.clear()
        self._cursor.clear()

    def adopt(self, entry: Entry, obj: dict[str, Any]) -> None:
        """Make the pods of a newly stored pod owner."""
        if entry.resource.kind in OWNER_KINDS and (entry.source or ("",))[0] != "rs" and entry.resource.group in (
                "apps", "batch", "ray.io"):
            self.schedule(entry, obj)

    def schedule(self, entry: Entry, obj: dict[str, Any]) -> None:
        """(Re)compute an owner's pods: keep those whose name and group still stand, place the new ones."""
        spec = obj.get("spec") or {}
        entry.hash = template_hash(spec.get("template") or spec)
        if entry.resource.kind == "Deployment":
            self._replica_set_entry(entry)
        groups = pod_groups(obj, entry.hash)
        old = {p.name: p for p in entry.pods or []}
        has_accelerators = any(gpu_request(g.template.get("spec") or {}) for g in groups)
        plan: list[tuple[int, int, str, Node | None, PodRecord | None]] = []
        for index, group in enumerate(groups):
            eligible = self._group_nodes(entry, group, has_accelerators)[1] if group.daemon else []
            slots = list(enumerate(eligible)) if group.daemon else [(slot, None) for slot in range(group.count)]
            for slot, daemon_node in slots:
                name = group.names(slot, (entry.incarnations or {}).get(slot, 0))
                kept = old.get(name)
                if kept is not None and kept.group == index:
                    del old[name]
                else:
                    kept = None
                plan.append((index, slot, name, daemon_node, kept))
        for pod in old.values():  # surplus and outdated pods go first: their devices are free again
            self.release(pod)
        pods: list[PodRecord] = []
        placement = {i: self._group_nodes(entry, g, has_accelerators) for i, g in enumerate(groups)}
        for index, slot, name, daemon_node, kept in plan:
            if kept is not None:
                pods.append(kept)
                continue
            group = groups[index]
            signature, eligible, gpus = placement[index]
            pod_spec = group.template.get("spec") or {}
            held = min(entry.hold, group.count) if index == len(groups) - 1 else 0
            if daemon_node is not None:
                node, reason = daemon_node, None
            elif slot >= group.count - held:
                node, reason = None, self._unschedulable(gpus, pod_spec, len(eligible), held=True)
            else:
                node = self._place(signature, eligible, gpus, name)
                reason = None if node else self._unschedulable(gpus, pod_spec, len(eligible), held=False)
            if node is not None and gpus:
                node.free -= gpus
            pod = PodRecord(entry.namespace, name, entry, index, slot, node, gpus, reason, self.store.now(),
                            self.store.next_rv())
            pods.append(pod)
            self.store.add_pod(pod)
        entry.pods = pods
        if entry.replica_set is not None:
            entry.replica_set.pods = pods

    def _group_nodes(self, entry: Entry, group: PodGroup,
                     has_accelerators: bool) -> tuple[tuple[Any, ...], list[Node], int]:
        """(cache signature, eligible nodes, accelerators per pod) of one pod group."""
        pod_spec = group.template.get("spec") or {}
        gpus = gpu_request(pod_spec)
        pool = entry.pool if (gpus or not has_accelerators) else None
        signature = (pool, repr(pod_spec.get("nodeSelector")), repr(pod_spec.get("affinity")))
        return signature, self._eligible_nodes(signature, pool, node_filter(pod_spec)), gpus

    def release(self, pod: PodRecord) -> None:
        if pod.node is not None and pod.gpus and pod.reason is None:
            pod.node.free += pod.gpus
            self._cursor.clear()
        self.store.remove_pod(pod)

    def replace(self, pod: PodRecord) -> PodRecord:
        """A controller replacing a deleted pod: a new incarnation of the same slot, on the same node."""
        owner = pod.owner
        owner.incarnations = {**(owner.incarnations or {}), pod.slot: (owner.incarnations or {}).get(pod.slot, 0) + 1}
        group = pod_groups(self.store.base(owner), owner.hash)[pod.group]
        self.store.remove_pod(pod)
        fresh = PodRecord(pod.namespace, group.names(pod.slot, owner.incarnations[pod.slot]), owner, pod.group,
                          pod.slot, pod.node, pod.gpus, pod.reason, self.store.now(), self.store.next_rv())
        owner.pods = [fresh if p is pod else p for p in owner.pods or []]
        if owner.replica_set is not None:
            owner.replica_set.pods = owner.pods
        self.store.add_pod(fresh)
        return fresh

    # --- placement -------------------------------------------------------------------------------

    def _eligible_nodes(self, signature: tuple[Any, ...], pool: str | None,
                        accepts: Callable[[Node], bool]) -> list[Node]:
        eligible = self._eligible.get(signature)
        if eligible is None:
            eligible = [n for n in self.store.nodes
                        if (pool is None or n.pool.pool.name == pool) and accepts(n)]
            self._eligible[signature] = eligible
        return eligible

    def _place(self, signature: tuple[Any, ...], eligible: list[Node], gpus: int, name: str) -> Node | None:
        if not eligible:
            return None
        if not gpus:
            cpu_nodes = [n for n in eligible if n.pool.gpu is None] or eligible
            return cpu_nodes[sum(name.encode()) % len(cpu_nodes)]
        key = (*signature, gpus)
        start = self._cursor.get(key, 0)
        for i in range(start, len(eligible)):
            node = eligible[i]
            if node.free >= gpus:
                self._cursor[key] = i
                return node
        self._cursor[key] = len(eligible)
        return None

    def _unschedulable(self, gpus: int, pod_spec: dict[str, Any], eligible: int, *, held: bool) -> str:
        """The scheduler's FailedScheduling message."""
        total = len(self.store.nodes)
        limits = [k for c in pod_spec.get("containers") or [] for k in ((c.get("resources") or {}).get("limits") or {})]
        resource = next((k for k in limits if k.endswith("/gpu") or k == "aws.amazon.com/neuron"), "cpu")
        reasons = [f"{max(eligible, 1) if held else eligible} Insufficient {resource if gpus else 'cpu'}"]
        if total - eligible:
            reasons.append(f"{total - eligible} node(s) didn't match Pod's node affinity/selector")
        return (f"0/{total} nodes are available: {', '.join(reasons)}. preemption: 0/{total} nodes are available: "
                f"{total} No preemption victims found for incoming pod.")

    # --- controller-made objects -----------------------------------------------------------------

    def _replica_set_entry(self, deployment: Entry) -> None:
        from collectors.simulator.store import REPLICASETS, object_key

        name = f"{deployment.name}-{deployment.hash}"
        current = deployment.replica_set
        if current is not None and current.name == name:
            return
        if current is not None:
            self.store.bucket(REPLICASETS).remove(object_key(REPLICASETS, current.namespace, current.name))
            deployment.children = [c for c in deployment.children or [] if c is not current]
        entry = self.store.add_entry(REPLICASETS, deployment.namespace, name, source=("rs", deployment),
                                created=self.store.now() if current is not None else deployment.created)
        entry.owner = deployment
        entry.pods = deployment.pods or []
        deployment.children = [*(deployment.children or []), entry]
        deployment.replica_set = entry

    def replica_set(self, deployment: Entry) -> dict[str, Any]:
        dep = self.store.base(deployment)
        spec = dep.get("spec") or {}
        tmpl = spec.get("template") or {}
        labels = {**((tmpl.get("metadata") or {}).get("labels") or {}), "pod-template-hash": deployment.hash}
        selector = {**((spec.get("selector") or {}).get("matchLabels") or {}), "pod-template-hash": deployment.hash}
        replicas = spec.get("replicas", 1)
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": f"{deployment.name}-{deployment.hash}", "namespace": deployment.namespace,
                             "labels": labels,
                             "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                             "deployment.kubernetes.io/max-replicas": str(int(replicas) + 1),
                                             "deployment.kubernetes.io/revision": str(deployment.generation)},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                  "name": deployment.name, "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": {"replicas": replicas, "selector": {"matchLabels": selector},
                         "template": {**tmpl, "metadata": {**(tmpl.get("metadata") or {}), "labels": labels}}}}

    def system_objects(self) -> list[dict[str, Any]]:
        """kube-system workloads every cluster has: CoreDNS, and the NVIDIA device plugin on GPU nodes."""
        cpu_pod = {"containers": [{"name": "coredns", "image": COREDNS_IMAGE, "args": ["-conf", "/etc/coredns/Corefile"],
                                   "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"}],
                                   "resources": {"requests": {"cpu": "100m", "memory": "70Mi"},
                                                 "limits": {"memory": "170Mi"}}}],
                   "priorityClassName": "system-cluster-critical"}
        labels = {"k8s-app": "kube-dns"}
        objects = [{"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels}, "spec": cpu_pod}}}]
        terms = []
        for info in self.store.pools.values():
            if info.gpu is not None:
                selector = info.selector("accelerator", self.store.cluster.provider)
                terms.append({"matchExpressions": [{"key": k, "operator": "In", "values": [v]}
                                                   for k, v in selector.items()]})
        if terms:
            plugin_labels = {"name": "nvidia-device-plugin-ds"}
            objects.append({
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "nvidia-device-plugin-daemonset", "namespace": "kube-system",
                             "labels": plugin_labels},
                "spec": {"selector": {"matchLabels": plugin_labels},
                         "updateStrategy": {"type": "RollingUpdate"},
                         "template": {"metadata": {"labels": plugin_labels}, "spec": {
                             "priorityClassName": "system-node-critical",
                             "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                                             {"key": "sku", "operator": "Equal", "value": "gpu",
                                              "effect": "NoSchedule"}],
                             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                                 "nodeSelectorTerms": terms}}},
                             "containers": [{"name": "nvidia-device-plugin-ctr", "image": DEVICE_PLUGIN_IMAGE,
                                             "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
                                             "securityContext": {"privileged": True}}]}}}})
        return objects
