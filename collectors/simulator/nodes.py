"""Nodes of a simulated cluster: one record per node, its Node object rendered when asked for.

Labels live on the pool (shared by its nodes); a node adds only its hostname and zone. Names,
provider ids and addresses follow each cloud's conventions (ip-10-0-1-2.ec2.internal,
gke-<cluster>-<pool>-<hash>-<suffix>, aks-<pool>-<digits>-vmss00000a) and derive from the seed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from collectors.simulator import catalog
from collectors.simulator.catalog import GPUS, INSTANCE_TYPES, Gpu
from collectors.simulator.scenario import Cluster, NodePool

OS_IMAGE = {"eks": ("Amazon Linux 2023.5.20240916", "6.1.109-118.189.amzn2023.x86_64"),
            "gke": ("Container-Optimized OS from Google", "6.1.100+"),
            "aks": ("Ubuntu 22.04.5 LTS", "5.15.0-1073-azure"),
            "kubeconfig": ("Ubuntu 22.04.4 LTS", "5.15.0-119-generic")}
# The taint each managed service (or its usual GPU setup) puts on GPU nodes.
GPU_TAINTS = {"eks": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
              "gke": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
              "aks": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}],
              "kubeconfig": []}
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated name suffixes


def digest(*parts: object, size: int = 8) -> bytes:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=size).digest()


def suffix(*parts: object, length: int = 5) -> str:
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest(*parts, size=length))


def sim_uuid(*parts: object) -> str:
    return str(uuid.UUID(bytes=digest(*parts, size=16), version=4))


@dataclass(slots=True)
class PoolInfo:
    """What every node of a pool shares, and how a workload asks for it."""

    pool: NodePool
    gpu: Gpu | None
    per_node: int
    instance_type: str | None
    vcpu: int
    memory_gib: int
    labels: dict[str, str]
    taints: list[dict[str, str]]
    resource: str

    def selector(self, placement: str, provider: str) -> dict[str, str]:
        if placement == "node":
            return {}
        if placement == "pool":
            key = catalog.KARPENTER_POOL_LABEL if self.pool.karpenter else catalog.POOL_LABEL[provider]
            return {key: self.pool.name}
        if placement == "instance-type" or self.gpu is None:
            return {"node.kubernetes.io/instance-type": self.instance_type} if self.instance_type else {}
        return catalog.accelerator_selector(self.labels, self.instance_type)

    def tolerations(self) -> list[dict[str, str]]:
        return [{"key": t["key"], "operator": "Exists", "effect": t["effect"]} for t in self.taints]


@dataclass(slots=True)
class Node:
    name: str
    pool: PoolInfo
    zone: str
    index: int
    free: int  # GPUs no bound pod requests

    def labels(self) -> dict[str, str]:
        return {**self.pool.labels, "kubernetes.io/hostname": self.name, "topology.kubernetes.io/zone": self.zone,
                "failure-domain.beta.kubernetes.io/zone": self.zone}

    def matches(self, selector: dict[str, str]) -> bool:
        labels = self.pool.labels
        for key, value in selector.items():
            if labels.get(key) != value and not (
                    (key == "kubernetes.io/hostname" and value == self.name)
                    or (key == "topology.kubernetes.io/zone" and value == self.zone)):
                return False
        return True


def pool_info(cluster: Cluster, pool: NodePool) -> PoolInfo:
    instance_type = pool.instance_type
    gpu = GPUS.get(pool.accelerator) if pool.accelerator else None
    if instance_type is None and gpu is not None:
        instance_type = {"aws": gpu.aws, "gcp": gpu.gcp, "azure": gpu.azure}.get(cluster.cloud)
    if instance_type is None and gpu is None:
        instance_type = catalog.CPU_INSTANCE_TYPE.get(cluster.cloud)
    known = INSTANCE_TYPES.get(instance_type or "")
    if gpu is None and known and known[0]:
        gpu = GPUS[known[0]]
    per_node = pool.gpus_per_node if pool.gpus_per_node is not None else (
        known[1] if known and known[1] else (8 if gpu else 0))
    if gpu is None:
        per_node = 0
    vcpu, memory = (known[2], known[3]) if known else ((96, 1024) if gpu else (8, 32))
    labels = _pool_labels(cluster, pool, gpu, instance_type, per_node)
    taints = pool.taints if pool.taints is not None else (GPU_TAINTS[cluster.provider] if gpu else [])
    return PoolInfo(pool, gpu, per_node, instance_type, vcpu, memory, labels, list(taints),
                    gpu.resource if gpu else catalog.NVIDIA)


def build_nodes(cluster: Cluster, seed: int, pools: dict[str, PoolInfo]) -> list[Node]:
    nodes: list[Node] = []
    taken: set[str] = set()
    for pool in cluster.node_pools:
        info = pools[pool.name]
        for i in range(pool.count):
            name, salt = node_name(cluster, pool.name, i, seed), 0
            while name in taken:  # hashed names (EKS IPs) may collide: draw again
                salt += 1
                name = node_name(cluster, pool.name, i, seed, salt)
            taken.add(name)
            nodes.append(Node(name, info, catalog.zone_of(cluster.cloud, cluster.region, i), len(nodes),
                              info.per_node))
    return nodes


def node_name(cluster: Cluster, pool: str, i: int, seed: int, salt: int = 0) -> str:
    h = digest(seed, cluster.name, pool, i, salt)
    if cluster.provider == "eks":
        domain = "ec2.internal" if cluster.region == "us-east-1" else f"{cluster.region}.compute.internal"
        return f"ip-10-{h[0] % 64}-{h[1]}-{h[2] % 254 + 1}.{domain}"
    if cluster.provider == "gke":
        return f"gke-{cluster.name[:20]}-{pool[:12]}-{digest(seed, cluster.name, pool, size=4).hex()}-{suffix(h, 4)}"
    if cluster.provider == "aks":
        digits = int.from_bytes(digest(seed, cluster.name, pool, size=4)) % 10**8
        return f"aks-{pool[:12]}-{digits:08d}-vmss{_base36(i):0>6}"
    return f"{cluster.name}-{pool}-{i:03d}"


def render_node(cluster: Cluster, node: Node, *, seed: int, created: str) -> dict[str, Any]:
    info = node.pool
    ip = f"10.{digest(seed, node.name)[0] % 64}.{node.index // 250}.{node.index % 250 + 4}"
    os_image, kernel = OS_IMAGE[cluster.provider]
    kubelet = catalog.GIT_VERSION[cluster.provider]
    cap = {"cpu": str(info.vcpu), "memory": f"{info.memory_gib * 1024 * 1024}Ki", "pods": "110",
           "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    alloc = {**cap, "cpu": f"{info.vcpu * 1000 - 90}m", "memory": f"{info.memory_gib * 1024 * 1024 - 1500000}Ki",
             "ephemeral-storage": "95551679124"}
    if info.gpu:
        cap[info.resource] = alloc[info.resource] = str(info.per_node)
    ready = [{"type": t, "status": "False", "reason": f"KubeletHas{r}", "message": m,
              "lastHeartbeatTime": created, "lastTransitionTime": created}
             for t, r, m in (("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
                             ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                             ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"))]
    ready.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                  "message": "kubelet is posting ready status", "lastHeartbeatTime": created,
                  "lastTransitionTime": created})
    spec: dict[str, Any] = {"providerID": provider_id(cluster, node, seed)}
    if info.taints:
        spec["taints"] = info.taints
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node.name, "labels": node.labels(), "creationTimestamp": created,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": spec,
        "status": {
            "capacity": cap, "allocatable": alloc, "conditions": ready,
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": node.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "bootID": sim_uuid(seed, node.name, "boot"),
                         "containerRuntimeVersion": "containerd://1.7.22", "kernelVersion": kernel,
                         "kubeProxyVersion": kubelet, "kubeletVersion": kubelet,
                         "machineID": digest(seed, node.name, "machine", size=16).hex(),
                         "operatingSystem": "linux", "osImage": os_image,
                         "systemUUID": sim_uuid(seed, node.name, "system")},
        },
    }


def provider_id(cluster: Cluster, node: Node, seed: int) -> str:
    if cluster.provider == "eks":
        return f"aws:///{node.zone}/i-0{digest(seed, node.name, size=8).hex()[:16]}"
    if cluster.provider == "gke":
        return f"gce://{cluster.project or 'sim-project'}/{node.zone}/{node.name}"
    if cluster.provider == "aks":
        scale_set, _, ordinal = node.name.rpartition("vmss")
        return (f"azure:///subscriptions/{cluster.subscription or '00000000-0000-0000-0000-000000000000'}"
                f"/resourceGroups/mc_{cluster.resource_group or 'sim'}_{cluster.name}_{cluster.region}"
                f"/providers/Microsoft.Compute/virtualMachineScaleSets/{scale_set}vmss"
                f"/virtualMachines/{int(ordinal, 36)}")
    return f"{cluster.cloud}://{cluster.name}/{node.name}"


def _pool_labels(cluster: Cluster, pool: NodePool, gpu: Gpu | None, instance_type: str | None,
                 per_node: int) -> dict[str, str]:
    labels = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
              "beta.kubernetes.io/arch": "amd64", "topology.kubernetes.io/region": cluster.region,
              "failure-domain.beta.kubernetes.io/region": cluster.region}
    if instance_type:
        labels["node.kubernetes.io/instance-type"] = labels["beta.kubernetes.io/instance-type"] = instance_type
    capacity = "spot" if pool.spot else "on-demand"
    if cluster.provider == "eks" and pool.karpenter:
        family, _, size = (instance_type or "").partition(".")
        labels.update({"karpenter.sh/nodepool": pool.name, "karpenter.sh/capacity-type": capacity,
                       "karpenter.sh/initialized": "true", "karpenter.sh/registered": "true",
                       "karpenter.k8s.aws/instance-family": family, "karpenter.k8s.aws/instance-size": size})
    elif cluster.provider == "eks":
        labels.update({"eks.amazonaws.com/nodegroup": pool.name,
                       "eks.amazonaws.com/capacityType": capacity.upper().replace("-", "_"),
                       "eks.amazonaws.com/nodegroup-image": f"ami-0{digest(cluster.name, pool.name).hex()[:16]}"})
    elif cluster.provider == "gke":
        labels.update({"cloud.google.com/gke-nodepool": pool.name, "cloud.google.com/gke-os-distribution": "cos",
                       "cloud.google.com/gke-boot-disk": "pd-balanced",
                       "cloud.google.com/machine-family": (instance_type or "e2").split("-")[0]})
        if pool.spot:
            labels["cloud.google.com/gke-spot"] = "true"
    elif cluster.provider == "aks":
        labels.update({"kubernetes.azure.com/agentpool": pool.name, "agentpool": pool.name,
                       "kubernetes.azure.com/mode": "system" if pool.name.startswith("system") else "user",
                       "kubernetes.azure.com/role": "agent", "kubernetes.azure.com/os-sku": "Ubuntu",
                       "kubernetes.azure.com/cluster": f"MC_{cluster.resource_group or 'sim'}_{cluster.name}_"
                                                       f"{cluster.region}",
                       "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202409.23.0"})
        if pool.spot:
            labels["kubernetes.azure.com/scalesetpriority"] = "spot"
    else:
        labels["node-pool"] = pool.name
    if gpu:
        labels.update(catalog.gpu_labels(gpu, provider=cluster.provider, cloud=cluster.cloud,
                                         karpenter=pool.karpenter, gfd=pool.gfd, per_node=per_node))
    labels.update(pool.labels)
    return labels


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
