"""Nodes carry the labels, taints and capacity of their cloud (gpu-catalog.md §2e)."""

from __future__ import annotations

from kubernetes import client

from collectors.simulator import FleetSimulator, scenario_from_dict

GPU_CLOUDS = {"name": "gpu-clouds", "clouds": {
    "coreweave": {"regions": {"ORD1": {"clusters": [
        {"name": "cw", "nodePools": [{"name": "h100", "accelerator": "H100-80GB", "count": 1}]}]}}},
    "nebius": {"regions": {"eu-north1": {"clusters": [
        {"name": "nb", "nodePools": [{"name": "h200", "accelerator": "H200-141GB", "count": 1}]}]}}},
    "aws": {"regions": {"us-west-2": {"clusters": [
        {"name": "inf", "nodePools": [{"name": "neuron", "instanceType": "inf2.24xlarge", "count": 1,
                                       "karpenter": True}]}]}}},
}}


def test_eks_nodegroup_and_karpenter_labels(api):
    nodes = client.CoreV1Api(api("prod-use1")).list_node().items
    pools = {n.metadata.labels.get("eks.amazonaws.com/nodegroup") or n.metadata.labels["karpenter.sh/nodepool"]:
             n.metadata.labels for n in nodes}
    a10g = pools["a10g"]
    assert a10g["node.kubernetes.io/instance-type"] == "g5.2xlarge"
    assert a10g["karpenter.k8s.aws/instance-gpu-name"] == "a10g"
    assert a10g["karpenter.k8s.aws/instance-gpu-memory"] == "23028"
    assert a10g["topology.kubernetes.io/region"] == "us-east-1"
    assert pools["h100"]["eks.amazonaws.com/nodegroup"] == "h100"
    assert pools["h100"]["node.kubernetes.io/instance-type"] == "p5.48xlarge"
    assert "karpenter.k8s.aws/instance-gpu-name" not in pools["h100"]


def test_gke_and_aks_labels_and_gpu_capacity(api):
    gke = client.CoreV1Api(api("gke-euw4")).list_node(label_selector="cloud.google.com/gke-nodepool=l4").items[0]
    assert gke.metadata.labels["cloud.google.com/gke-accelerator"] == "nvidia-l4"
    assert gke.metadata.labels["node.kubernetes.io/instance-type"] == "g2-standard-24"
    assert gke.status.capacity["nvidia.com/gpu"] == gke.status.allocatable["nvidia.com/gpu"] == "2"
    assert gke.spec.taints[0].key == "nvidia.com/gpu" and gke.spec.provider_id.startswith("gce://acme-ml-prod/")
    aks = client.CoreV1Api(api("aks-eastus")).list_node(label_selector="agentpool=gpu").items[0]
    assert aks.metadata.labels["kubernetes.azure.com/accelerator"] == "nvidia"
    assert aks.metadata.labels["node.kubernetes.io/instance-type"] == "Standard_NC24ads_A100_v4"
    assert aks.metadata.name.startswith("aks-gpu-") and "vmss" in aks.metadata.name
    assert "/resourceGroups/mc_rg-ml-prod_aks-eastus_eastus/" in aks.spec.provider_id


def test_gpu_cloud_labels(tmp_path):
    with FleetSimulator(scenario_from_dict(GPU_CLOUDS)) as sim:
        store = {name: sim.store(name) for name in sim.cluster_names}
        labels = {name: store[name].render(store[name].buckets[("", "nodes")].items[k])["metadata"]["labels"]
                  for name in store for k in store[name].buckets[("", "nodes")].ordered()[:1]}
    assert labels["cw"]["gpu.nvidia.com/class"] == "H100_NVLINK_80GB"
    assert labels["nb"]["nvidia.com/gpu.product"] == "NVIDIA-H200"
    assert labels["nb"]["nvidia.com/gpu.count"] == "8"
    assert labels["inf"]["karpenter.k8s.aws/instance-accelerator-name"] == "inferentia2"


def test_idle_gpu_nodes_are_real(api):
    core = client.CoreV1Api(api("prod-use1"))
    requested: dict[str, int] = {}
    for pod in core.list_pod_for_all_namespaces().items:
        if pod.spec.node_name:
            gpus = sum(int((c.resources.limits or {}).get("nvidia.com/gpu", 0)) for c in pod.spec.containers
                       if c.resources)
            requested[pod.spec.node_name] = requested.get(pod.spec.node_name, 0) + gpus
    free = {n.metadata.name: int(n.status.allocatable.get("nvidia.com/gpu", 0)) - requested.get(n.metadata.name, 0)
            for n in core.list_node().items if "nvidia.com/gpu" in n.status.allocatable}
    assert all(left >= 0 for left in free.values())
    idle = [name for name, left in free.items() if left and not requested.get(name)]
    assert len(idle) == 1  # one A10G node runs nothing but the device plugin
