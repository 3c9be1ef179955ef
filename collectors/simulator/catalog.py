"""Hardware the simulated clusters run on: accelerators, instance types, and how each cloud labels nodes.

The simulator keeps its own small tables rather than importing `collectors.detect`: it plays the world
the detectors read, and a shared table would hide a detector's mistake behind the same mistake here.
Values follow the shared reference gpu-catalog.md §2a-2e (label spellings per cloud, GPU memory in MiB
as Karpenter/GFD report it, instance type → GPUs per node).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gpu:
    name: str                      # canonical accelerator name (DESIGN.md vocabulary)
    memory_mib: int | None         # per device, as karpenter.k8s.aws/instance-gpu-memory / nvidia.com/gpu.memory
    resource: str                  # extended resource the device plugin advertises
    karpenter: str | None          # karpenter.k8s.aws/instance-gpu-name (Neuron: instance-accelerator-name)
    gke: str | None                # cloud.google.com/gke-accelerator
    coreweave: str | None          # gpu.nvidia.com/class
    gfd: str | None                # nvidia.com/gpu.product (GPU Feature Discovery)
    aws: str | None                # default instance type per cloud for a pool that names only the GPU
    gcp: str | None
    azure: str | None


NVIDIA, AMD, NEURON = "nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron"

GPUS: dict[str, Gpu] = {g.name: g for g in (
    Gpu("T4", 16384, NVIDIA, "t4", "nvidia-tesla-t4", None, "Tesla-T4", "g4dn.xlarge", "n1-standard-8",
        "Standard_NC4as_T4_v3"),
    Gpu("L4", 23034, NVIDIA, "l4", "nvidia-l4", None, "NVIDIA-L4", "g6.xlarge", "g2-standard-8", None),
    Gpu("A10G", 23028, NVIDIA, "a10g", None, None, "NVIDIA-A10G", "g5.2xlarge", None, None),
    Gpu("A10", 24576, NVIDIA, None, None, None, "NVIDIA-A10", None, None, "Standard_NV36ads_A10_v5"),
    Gpu("L40S", 46068, NVIDIA, "l40s", None, None, "NVIDIA-L40S", "g6e.xlarge", None, None),
    Gpu("A100-40GB", 40960, NVIDIA, "a100", "nvidia-tesla-a100", "A100_NVLINK", "NVIDIA-A100-SXM4-40GB",
        "p4d.24xlarge", "a2-highgpu-8g", "Standard_ND96asr_v4"),
    Gpu("A100-80GB", 81920, NVIDIA, "a100", "nvidia-a100-80gb", "A100_NVLINK_80GB", "NVIDIA-A100-SXM4-80GB",
        "p4de.24xlarge", "a2-ultragpu-8g", "Standard_NC24ads_A100_v4"),
    Gpu("H100-80GB", 81920, NVIDIA, "h100", "nvidia-h100-80gb", "H100_NVLINK_80GB", "NVIDIA-H100-80GB-HBM3",
        "p5.48xlarge", "a3-highgpu-8g", "Standard_ND96isr_H100_v5"),
    Gpu("H100-94GB", 95830, NVIDIA, None, None, None, "NVIDIA-H100-NVL", None, None, "Standard_NC40ads_H100_v5"),
    Gpu("H200-141GB", 144384, NVIDIA, "h200", "nvidia-h200-141gb", None, "NVIDIA-H200", "p5en.48xlarge",
        "a3-ultragpu-8g", None),
    Gpu("B200", 183359, NVIDIA, "b200", "nvidia-b200", None, "NVIDIA-B200", "p6-b200.48xlarge", "a4-highgpu-8g",
        None),
    Gpu("V100-16GB", 16384, NVIDIA, "v100", "nvidia-tesla-v100", "Tesla_V100_NVLINK", "Tesla-V100-SXM2-16GB",
        "p3.2xlarge", "n1-standard-8", None),
    Gpu("MI300X", 196608, AMD, None, None, None, None, None, None, "Standard_ND96isr_MI300X_v5"),
    Gpu("inferentia2", None, NEURON, "inferentia2", None, None, None, "inf2.xlarge", None, None),
    Gpu("trainium1", None, NEURON, "trainium", None, None, None, "trn1.2xlarge", None, None),
)}

# Instance type / machine type / VM size → (accelerator, GPUs per node, vCPU, memory GiB).
INSTANCE_TYPES: dict[str, tuple[str | None, int, int, int]] = {
    # AWS (§2a)
    "m6i.2xlarge": (None, 0, 8, 32), "m6i.4xlarge": (None, 0, 16, 64), "c6i.4xlarge": (None, 0, 16, 32),
    "g4dn.xlarge": ("T4", 1, 4, 16), "g4dn.2xlarge": ("T4", 1, 8, 32), "g4dn.12xlarge": ("T4", 4, 48, 192),
    "g5.xlarge": ("A10G", 1, 4, 16), "g5.2xlarge": ("A10G", 1, 8, 32), "g5.4xlarge": ("A10G", 1, 16, 64),
    "g5.12xlarge": ("A10G", 4, 48, 192), "g5.48xlarge": ("A10G", 8, 192, 768),
    "g6.xlarge": ("L4", 1, 4, 16), "g6.2xlarge": ("L4", 1, 8, 32), "g6.12xlarge": ("L4", 4, 48, 192),
    "g6.48xlarge": ("L4", 8, 192, 768),
    "g6e.xlarge": ("L40S", 1, 4, 32), "g6e.2xlarge": ("L40S", 1, 8, 64), "g6e.12xlarge": ("L40S", 4, 48, 384),
    "g6e.48xlarge": ("L40S", 8, 192, 1536),
    "p3.2xlarge": ("V100-16GB", 1, 8, 61), "p3.8xlarge": ("V100-16GB", 4, 32, 244),
    "p4d.24xlarge": ("A100-40GB", 8, 96, 1152), "p4de.24xlarge": ("A100-80GB", 8, 96, 1152),
    "p5.4xlarge": ("H100-80GB", 1, 16, 256), "p5.48xlarge": ("H100-80GB", 8, 192, 2048),
    "p5en.48xlarge": ("H200-141GB", 8, 192, 2048), "p6-b200.48xlarge": ("B200", 8, 192, 2048),
    "inf2.xlarge": ("inferentia2", 1, 4, 16), "inf2.24xlarge": ("inferentia2", 6, 96, 384),
    "inf2.48xlarge": ("inferentia2", 12, 192, 768), "trn1.2xlarge": ("trainium1", 1, 8, 32),
    "trn1.32xlarge": ("trainium1", 16, 128, 512),
    # GCP (§2b); n1 machines carry attached T4/V100s, counted by the pool
    "e2-standard-8": (None, 0, 8, 32), "n2-standard-8": (None, 0, 8, 32), "n2-standard-16": (None, 0, 16, 64),
    "n1-standard-8": (None, 0, 8, 30), "n1-standard-16": (None, 0, 16, 60),
    "g2-standard-8": ("L4", 1, 8, 32), "g2-standard-24": ("L4", 2, 24, 96), "g2-standard-48": ("L4", 4, 48, 192),
    "g2-standard-96": ("L4", 8, 96, 384),
    "a2-highgpu-1g": ("A100-40GB", 1, 12, 85), "a2-highgpu-2g": ("A100-40GB", 2, 24, 170),
    "a2-highgpu-4g": ("A100-40GB", 4, 48, 340), "a2-highgpu-8g": ("A100-40GB", 8, 96, 680),
    "a2-ultragpu-1g": ("A100-80GB", 1, 12, 170), "a2-ultragpu-2g": ("A100-80GB", 2, 24, 340),
    "a2-ultragpu-4g": ("A100-80GB", 4, 48, 680), "a2-ultragpu-8g": ("A100-80GB", 8, 96, 1360),
    "a3-highgpu-8g": ("H100-80GB", 8, 208, 1872), "a3-megagpu-8g": ("H100-80GB", 8, 208, 1872),
    "a3-ultragpu-8g": ("H200-141GB", 8, 224, 2952), "a4-highgpu-8g": ("B200", 8, 224, 3968),
    # Azure (§2c)
    "Standard_D8s_v5": (None, 0, 8, 32), "Standard_D16s_v5": (None, 0, 16, 64),
    "Standard_NC4as_T4_v3": ("T4", 1, 4, 28), "Standard_NC64as_T4_v3": ("T4", 4, 64, 440),
    "Standard_NV36ads_A10_v5": ("A10", 1, 36, 440), "Standard_NV72ads_A10_v5": ("A10", 2, 72, 880),
    "Standard_NC24ads_A100_v4": ("A100-80GB", 1, 24, 220), "Standard_NC48ads_A100_v4": ("A100-80GB", 2, 48, 440),
    "Standard_NC96ads_A100_v4": ("A100-80GB", 4, 96, 880), "Standard_ND96asr_v4": ("A100-40GB", 8, 96, 900),
    "Standard_ND96amsr_A100_v4": ("A100-80GB", 8, 96, 1800), "Standard_ND96isr_H100_v5": ("H100-80GB", 8, 96, 1900),
    "Standard_NC40ads_H100_v5": ("H100-94GB", 1, 40, 320), "Standard_NC80adis_H100_v5": ("H100-94GB", 2, 80, 640),
    "Standard_ND96isr_MI300X_v5": ("MI300X", 8, 96, 1850),
}

# A pool that names neither GPU nor instance type is a CPU pool of this type.
CPU_INSTANCE_TYPE = {"aws": "m6i.2xlarge", "gcp": "e2-standard-8", "azure": "Standard_D8s_v5"}

# Provider kind (how Footprint reaches the cluster) when a cluster does not say.
DEFAULT_PROVIDER = {"aws": "eks", "gcp": "gke", "azure": "aks"}
PROVIDERS = ("eks", "gke", "aks", "kubeconfig")

# Server versions as each managed service reports them in /version.
GIT_VERSION = {"eks": "v1.30.4-eks-a737599", "gke": "v1.30.5-gke.1014001", "aks": "v1.30.4",
               "kubeconfig": "v1.30.4"}

# Label key a nodeSelector uses to pick a pool's nodes (`placement: pool`), per provider.
POOL_LABEL = {"eks": "eks.amazonaws.com/nodegroup", "gke": "cloud.google.com/gke-nodepool",
              "aks": "kubernetes.azure.com/agentpool", "kubeconfig": "node-pool"}
KARPENTER_POOL_LABEL = "karpenter.sh/nodepool"


def zone_of(cloud: str, region: str, index: int) -> str:
    """us-east-1a, us-central1-b, eastus-2; GPU clouds have one site per region."""
    letter = "abc"[index % 3]
    if cloud == "aws":
        return f"{region}{letter}"
    if cloud == "gcp":
        return f"{region}-{letter}"
    if cloud == "azure":
        return f"{region}-{index % 3 + 1}"
    return region


def gpu_labels(gpu: Gpu, *, provider: str, cloud: str, karpenter: bool, gfd: bool, per_node: int) -> dict[str, str]:
    """The labels that tell a node's accelerator, in each cloud's own spelling (gpu-catalog.md §2e)."""
    labels: dict[str, str] = {}
    if provider == "eks" and karpenter and gpu.karpenter:
        if gpu.resource == NEURON:
            labels.update({"karpenter.k8s.aws/instance-accelerator-name": gpu.karpenter,
                           "karpenter.k8s.aws/instance-accelerator-manufacturer": "aws",
                           "karpenter.k8s.aws/instance-accelerator-count": str(per_node)})
        else:
            labels.update({"karpenter.k8s.aws/instance-gpu-name": gpu.karpenter,
                           "karpenter.k8s.aws/instance-gpu-manufacturer": "nvidia",
                           "karpenter.k8s.aws/instance-gpu-count": str(per_node),
                           "karpenter.k8s.aws/instance-gpu-memory": str(gpu.memory_mib)})
    if provider == "gke" and gpu.gke:
        labels["cloud.google.com/gke-accelerator"] = gpu.gke
        labels["cloud.google.com/gke-gpu"] = "true"
    if provider == "aks" and gpu.resource == NVIDIA:
        labels["kubernetes.azure.com/accelerator"] = "nvidia"
    if cloud == "coreweave" and gpu.coreweave:
        labels["gpu.nvidia.com/class"] = gpu.coreweave
    elif provider == "kubeconfig" and gpu.resource == NVIDIA:
        gfd = True  # GPU clouds without their own labels run NVIDIA's GPU Operator
    if gfd and gpu.gfd:
        labels.update({"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": gpu.gfd,
                       "nvidia.com/gpu.count": str(per_node), "nvidia.com/gpu.memory": str(gpu.memory_mib)})
    if gpu.resource == AMD:
        labels["amd.com/gpu.device-id"] = "74a1"
    return labels


# Node label keys a manifest writer uses to ask for an accelerator, most specific first.
ACCELERATOR_SELECTOR_KEYS = (
    "cloud.google.com/gke-accelerator", "karpenter.k8s.aws/instance-gpu-name",
    "karpenter.k8s.aws/instance-accelerator-name", "gpu.nvidia.com/class", "nvidia.com/gpu.product",
)


def accelerator_selector(node_labels: dict[str, str], instance_type: str | None) -> dict[str, str]:
    """nodeSelector that picks this pool's accelerator (`placement: accelerator`), like a manifest would."""
    for key in ACCELERATOR_SELECTOR_KEYS:
        if key in node_labels:
            return {key: node_labels[key]}
    return {"node.kubernetes.io/instance-type": instance_type} if instance_type else {}
