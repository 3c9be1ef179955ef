"""Instance types / machine types / VM sizes → (canonical accelerator, accelerators per instance).

Sources: docs/reference/gpu-catalog.md §2a–2d (KP-types, TORCHX, SKY-GCP, SKY-AZ, SKY-LAMBDA, SKY-NEBIUS),
cross-checked against cloud documentation where the fact sheet is silent. A count of ``None`` marks a
fractional share of one GPU (Azure NV*ads_A10_v5 partitions, AWS g6f): the type is known, the count is
not a whole number of accelerators.
"""

from __future__ import annotations

# AWS EC2 (and SageMaker "ml." names): family → (accelerator, {size: count}).
# "*" is the count for every size not listed.
AWS_FAMILIES: dict[str, tuple[str, dict[str, int | None]]] = {
    "g4dn": ("T4", {"*": 1, "12xlarge": 4, "metal": 8}),
    # g5g carries the NVIDIA T4G: the T4 silicon (16 GB) on a Graviton host.
    "g5g": ("T4", {"*": 1, "16xlarge": 2, "metal": 2}),
    "g5": ("A10G", {"*": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}),
    "g6": ("L4", {"*": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}),
    "gr6": ("L4", {"*": 1}),
    "g6f": ("L4", {"*": None}),  # fractional L4 (1/8 … 1/2)
    "gr6f": ("L4", {"*": None}),
    "g6e": ("L40S", {"*": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}),
    "p3": ("V100-16GB", {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}),
    "p3dn": ("V100-32GB", {"24xlarge": 8}),
    "p4d": ("A100-40GB", {"24xlarge": 8}),
    "p4de": ("A100-80GB", {"24xlarge": 8}),
    "p5": ("H100-80GB", {"4xlarge": 1, "48xlarge": 8}),
    "p5e": ("H200-141GB", {"48xlarge": 8}),
    "p5en": ("H200-141GB", {"48xlarge": 8}),
    "p6-b200": ("B200", {"48xlarge": 8}),
    "inf2": ("inferentia2", {"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}),
    "trn1": ("trainium1", {"2xlarge": 1, "32xlarge": 16}),
    "trn1n": ("trainium1", {"32xlarge": 16}),
}

# GCP machine types: series → accelerator; the count is in the name (a2-highgpu-4g, g2 by vCPU).
GCP_ACCELERATOR_SERIES: dict[str, str] = {
    "a2-highgpu": "A100-40GB",
    "a2-megagpu": "A100-40GB",
    "a2-ultragpu": "A100-80GB",
    "a3-highgpu": "H100-80GB",
    "a3-megagpu": "H100-80GB",
    "a3-edgegpu": "H100-80GB",
    "a3-ultragpu": "H200-141GB",
    "a4-highgpu": "B200",
}
GCP_G2_L4_BY_VCPU: dict[int, int] = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}

# Azure VM sizes, lower-case, without the "standard_" prefix.
AZURE_SIZES: dict[str, tuple[str, int | None]] = {
    "nc4as_t4_v3": ("T4", 1),
    "nc8as_t4_v3": ("T4", 1),
    "nc16as_t4_v3": ("T4", 1),
    "nc64as_t4_v3": ("T4", 4),
    "nv6ads_a10_v5": ("A10", None),  # 1/6 of an A10
    "nv12ads_a10_v5": ("A10", None),  # 1/3
    "nv18ads_a10_v5": ("A10", None),  # 1/2
    "nv36ads_a10_v5": ("A10", 1),
    "nv36adms_a10_v5": ("A10", 1),
    "nv72ads_a10_v5": ("A10", 2),
    "nc24ads_a100_v4": ("A100-80GB", 1),
    "nc48ads_a100_v4": ("A100-80GB", 2),
    "nc96ads_a100_v4": ("A100-80GB", 4),
    "nd96asr_v4": ("A100-40GB", 8),
    "nd96asr_a100_v4": ("A100-40GB", 8),
    "nd96amsr_a100_v4": ("A100-80GB", 8),
    "nd96isr_h100_v5": ("H100-80GB", 8),  # SKY-AZ says 12: wrong, an ND H100 v5 has 8
    "nd96isr_h200_v5": ("H200-141GB", 8),
    "nd96isr_mi300x_v5": ("MI300X", 8),
    "nc40ads_h100_v5": ("H100-94GB", 1),
    "nc80adis_h100_v5": ("H100-94GB", 2),
    "nc6s_v3": ("V100-16GB", 1),
    "nc12s_v3": ("V100-16GB", 2),
    "nc24s_v3": ("V100-16GB", 4),
    "nc24rs_v3": ("V100-16GB", 4),
    "nd40rs_v2": ("V100-32GB", 8),
}

# Lambda instance names gpu_<n>x_<gpu>: Lambda's own convention for bare names.
LAMBDA_DEFAULTS: dict[str, str] = {"a100": "A100-40GB", "v100": "V100-16GB"}

# Nebius platforms (the preset, e.g. "8gpu-128vcpu-1600gb", carries the count).
NEBIUS_PLATFORMS: dict[str, str] = {
    "gpu-h100-sxm": "H100-80GB",
    "gpu-h200-sxm": "H200-141GB",
    "gpu-b200-sxm": "B200",
    "gpu-b200-sxm-a": "B200",
    "gpu-l40s-a": "L40S",
    "gpu-l40s-d": "L40S",
}

# OCI shapes (docs.oracle.com …/Compute/References/computeshapes.htm, 2025-02; not in gpu-catalog.md).
OCI_SHAPES: dict[str, tuple[str, int | None]] = {
    "vm.gpu3.1": ("V100-16GB", 1),
    "vm.gpu3.2": ("V100-16GB", 2),
    "vm.gpu3.4": ("V100-16GB", 4),
    "bm.gpu3.8": ("V100-16GB", 8),
    "bm.gpu4.8": ("A100-40GB", 8),
    "bm.gpu.a100-v2.8": ("A100-80GB", 8),
    "vm.gpu.a10.1": ("A10", 1),
    "vm.gpu.a10.2": ("A10", 2),
    "bm.gpu.a10.4": ("A10", 4),
    "bm.gpu.l40s.4": ("L40S", 4),
    "bm.gpu.l40s-nc.4": ("L40S", 4),
    "bm.gpu.h100.8": ("H100-80GB", 8),
    "bm.gpu.h200.8": ("H200-141GB", 8),
    "bm.gpu.mi300x.8": ("MI300X", 8),
}
