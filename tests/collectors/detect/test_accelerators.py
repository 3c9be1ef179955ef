import pytest

from collectors.detect.accelerators import (
    CANONICAL,
    AcceleratorGuess,
    accelerator_for_instance_type,
    accelerator_from_pod,
    accelerator_resource_count,
    canonical_accelerator,
)


def pod(*, limits=None, requests=None, **spec):
    resources = {}
    if limits is not None:
        resources["limits"] = limits
    if requests is not None:
        resources["requests"] = requests
    return {"containers": [{"name": "server", "resources": resources}], **spec}


def required(*expressions):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": list(expressions)}]}}}


def preferred(*weighted):
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": w, "preference": {"matchExpressions": [e]}} for w, e in weighted]}}


def expr(key, *values, operator="In"):
    return {"key": key, "operator": operator, "values": list(values)}


# --- canonical_accelerator ---------------------------------------------------------------------

@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_names_map_to_themselves(name):
    assert canonical_accelerator(name) == name
    assert canonical_accelerator(name.lower()) == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # GKE cloud.google.com/gke-accelerator (gpu-catalog §2e)
        ("nvidia-tesla-t4", "T4"),
        ("nvidia-l4", "L4"),
        ("nvidia-tesla-a100", "A100-40GB"),
        ("nvidia-a100-80gb", "A100-80GB"),
        ("nvidia-h100-80gb", "H100-80GB"),
        ("nvidia-h100-mega-80gb", "H100-80GB"),
        ("nvidia-h200-141gb", "H200-141GB"),
        ("nvidia-b200", "B200"),
        ("nvidia-tesla-v100", "V100-16GB"),
        ("nvidia-gb200", None),
        ("nvidia-tesla-p100", None),
        ("nvidia-rtx-pro-6000", None),
        # Karpenter instance-gpu-name / instance-accelerator-name
        ("t4", "T4"),
        ("a10g", "A10G"),
        ("l4", "L4"),
        ("l40s", "L40S"),
        ("h100", "H100-80GB"),
        ("h200", "H200-141GB"),
        ("b200", "B200"),
        ("t4g", "T4"),
        ("inferentia2", "inferentia2"),
        ("trainium", "trainium1"),
        ("inferentia", None),  # Inf1: not a canonical type
        ("trainium2", None),
        # GFD nvidia.com/gpu.product (sanitised nvidia-smi names)
        ("Tesla-T4", "T4"),
        ("NVIDIA-A10G", "A10G"),
        ("NVIDIA-A10", "A10"),
        ("NVIDIA-L4", "L4"),
        ("NVIDIA-L40S", "L40S"),
        ("NVIDIA-A100-SXM4-40GB", "A100-40GB"),
        ("NVIDIA-A100-SXM4-80GB", "A100-80GB"),
        ("NVIDIA-A100-PCIE-40GB", "A100-40GB"),
        ("NVIDIA-A100-80GB-PCIe", "A100-80GB"),
        ("NVIDIA-H100-80GB-HBM3", "H100-80GB"),
        ("NVIDIA-H100-PCIe", "H100-80GB"),
        ("NVIDIA-H100-NVL", "H100-94GB"),
        ("NVIDIA-H200", "H200-141GB"),
        ("NVIDIA-H200-NVL", "H200-141GB"),
        ("NVIDIA-B200", "B200"),
        ("Tesla-V100-SXM2-16GB", "V100-16GB"),
        ("Tesla-V100-SXM2-32GB", "V100-32GB"),
        ("Tesla-V100-PCIE-32GB", "V100-32GB"),
        ("NVIDIA-A100-SXM4-40GB-MIG-1g.5gb", "A100-40GB"),
        ("NVIDIA-H100-80GB-HBM3-MIG-3g.40gb", "H100-80GB"),
        ("NVIDIA-GH200-480GB", None),
        ("NVIDIA-A40", None),
        ("NVIDIA-L40", None),
        ("NVIDIA-RTX-A6000", None),
        # nvidia-smi names with spaces
        ("NVIDIA H100 80GB HBM3", "H100-80GB"),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("Tesla T4", "T4"),
        # CoreWeave gpu.nvidia.com/class
        ("H100_NVLINK_80GB", "H100-80GB"),
        ("H100_PCIE", "H100-80GB"),
        ("A100_NVLINK_80GB", "A100-80GB"),
        ("A100_NVLINK", "A100-40GB"),
        ("A100_PCIE_40GB", "A100-40GB"),
        ("A100_PCIE_80GB", "A100-80GB"),
        ("Tesla_V100_NVLINK", "V100-16GB"),
        ("A40", None),
        ("RTX_A6000", None),
        ("RTX_A5000", None),
        ("Quadro_RTX_5000", None),
        # SkyPilot names (bare A100 needs the SkyPilot key; see pod tests)
        ("A100-80GB", "A100-80GB"),
        ("H100-MEGA", "H100-80GB"),
        ("H200", "H200-141GB"),
        ("MI300X", "MI300X"),
        # AMD
        ("AMD Instinct MI300X", "MI300X"),
        ("AMD_Instinct_MI300X_OAM", "MI300X"),
        ("mi300a", None),
        ("mi325x", None),
        # Lambda-ish spellings
        ("h100_sxm5", "H100-80GB"),
        ("a100_80gb_sxm4", "A100-80GB"),
        ("h100sxm", "H100-80GB"),
    ],
)
def test_aliases(value, expected):
    assert canonical_accelerator(value) == expected


@pytest.mark.parametrize(
    ("value", "memory", "expected"),
    [
        ("a100", 40960, "A100-40GB"),
        ("a100", 81920, "A100-80GB"),
        ("a100", 40536, "A100-40GB"),  # usable memory as nvidia-smi reports it
        ("a100", 81559, "A100-80GB"),
        ("a100", None, None),
        ("a100", 10240, None),  # a MIG slice says nothing about the whole GPU
        ("v100", 16384, "V100-16GB"),
        ("v100", 32768, "V100-32GB"),
        ("v100", None, None),
        ("h100", 95830, "H100-94GB"),
        ("h100", 81559, "H100-80GB"),
        ("h100", None, "H100-80GB"),
        ("NVIDIA-A100-SXM4-40GB", 81920, "A100-40GB"),  # the name beats a label
    ],
)
def test_memory_disambiguates(value, memory, expected):
    assert canonical_accelerator(value, memory_mib=memory) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "nvidia", "gpu", "true", "product", "gh200", "a100-h100", "l40", "h800", "a800", 42, [], {}],
)
def test_unknown_or_garbage_is_none(value):
    assert canonical_accelerator(value) is None


def test_tokens_not_substrings():
    assert canonical_accelerator("gh200") is None  # not h200
    assert canonical_accelerator("nvidia-gb200") is None  # not b200
    assert canonical_accelerator("ml-l40-node") is None  # not l4 / l40s


# --- accelerator_for_instance_type ------------------------------------------------------------

@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        # AWS §2a
        ("g4dn.xlarge", ("T4", 1)), ("g4dn.2xlarge", ("T4", 1)), ("g4dn.4xlarge", ("T4", 1)),
        ("g4dn.8xlarge", ("T4", 1)), ("g4dn.12xlarge", ("T4", 4)), ("g4dn.16xlarge", ("T4", 1)),
        ("g4dn.metal", ("T4", 8)),
        ("g5.xlarge", ("A10G", 1)), ("g5.2xlarge", ("A10G", 1)), ("g5.4xlarge", ("A10G", 1)),
        ("g5.8xlarge", ("A10G", 1)), ("g5.12xlarge", ("A10G", 4)), ("g5.16xlarge", ("A10G", 1)),
        ("g5.24xlarge", ("A10G", 4)), ("g5.48xlarge", ("A10G", 8)),
        ("g6.xlarge", ("L4", 1)), ("g6.2xlarge", ("L4", 1)), ("g6.4xlarge", ("L4", 1)),
        ("g6.8xlarge", ("L4", 1)), ("g6.12xlarge", ("L4", 4)), ("g6.16xlarge", ("L4", 1)),
        ("g6.24xlarge", ("L4", 4)), ("g6.48xlarge", ("L4", 8)),
        ("g6e.xlarge", ("L40S", 1)), ("g6e.2xlarge", ("L40S", 1)), ("g6e.4xlarge", ("L40S", 1)),
        ("g6e.8xlarge", ("L40S", 1)), ("g6e.12xlarge", ("L40S", 4)), ("g6e.16xlarge", ("L40S", 1)),
        ("g6e.24xlarge", ("L40S", 4)), ("g6e.48xlarge", ("L40S", 8)),
        ("p3.2xlarge", ("V100-16GB", 1)), ("p3.8xlarge", ("V100-16GB", 4)), ("p3.16xlarge", ("V100-16GB", 8)),
        ("p3dn.24xlarge", ("V100-32GB", 8)),
        ("p4d.24xlarge", ("A100-40GB", 8)), ("p4de.24xlarge", ("A100-80GB", 8)),
        ("p5.4xlarge", ("H100-80GB", 1)), ("p5.48xlarge", ("H100-80GB", 8)),
        ("p5e.48xlarge", ("H200-141GB", 8)), ("p5en.48xlarge", ("H200-141GB", 8)),
        ("p6-b200.48xlarge", ("B200", 8)),
        ("inf2.xlarge", ("inferentia2", 1)), ("inf2.8xlarge", ("inferentia2", 1)),
        ("inf2.24xlarge", ("inferentia2", 6)), ("inf2.48xlarge", ("inferentia2", 12)),
        ("trn1.2xlarge", ("trainium1", 1)), ("trn1.32xlarge", ("trainium1", 16)),
        ("trn1n.32xlarge", ("trainium1", 16)),
        ("g5g.xlarge", ("T4", 1)),
        # SageMaker
        ("ml.g5.2xlarge", ("A10G", 1)), ("ml.p4d.24xlarge", ("A100-40GB", 8)),
        ("ml.inf2.24xlarge", ("inferentia2", 6)), ("ML.G6E.12XLARGE", ("L40S", 4)),
        # GCP §2b
        ("g2-standard-4", ("L4", 1)), ("g2-standard-8", ("L4", 1)), ("g2-standard-12", ("L4", 1)),
        ("g2-standard-16", ("L4", 1)), ("g2-standard-24", ("L4", 2)), ("g2-standard-32", ("L4", 1)),
        ("g2-standard-48", ("L4", 4)), ("g2-standard-96", ("L4", 8)),
        ("a2-highgpu-1g", ("A100-40GB", 1)), ("a2-highgpu-2g", ("A100-40GB", 2)),
        ("a2-highgpu-4g", ("A100-40GB", 4)), ("a2-highgpu-8g", ("A100-40GB", 8)),
        ("a2-megagpu-16g", ("A100-40GB", 16)),
        ("a2-ultragpu-1g", ("A100-80GB", 1)), ("a2-ultragpu-2g", ("A100-80GB", 2)),
        ("a2-ultragpu-4g", ("A100-80GB", 4)), ("a2-ultragpu-8g", ("A100-80GB", 8)),
        ("a3-highgpu-8g", ("H100-80GB", 8)), ("a3-highgpu-1g", ("H100-80GB", 1)),
        ("a3-megagpu-8g", ("H100-80GB", 8)), ("a3-edgegpu-8g", ("H100-80GB", 8)),
        ("a3-ultragpu-8g", ("H200-141GB", 8)), ("a4-highgpu-8g", ("B200", 8)),
        # Azure §2c
        ("Standard_NC4as_T4_v3", ("T4", 1)), ("Standard_NC8as_T4_v3", ("T4", 1)),
        ("Standard_NC16as_T4_v3", ("T4", 1)), ("Standard_NC64as_T4_v3", ("T4", 4)),
        ("Standard_NV36ads_A10_v5", ("A10", 1)), ("Standard_NV36adms_A10_v5", ("A10", 1)),
        ("Standard_NV72ads_A10_v5", ("A10", 2)),
        ("Standard_NC24ads_A100_v4", ("A100-80GB", 1)), ("Standard_NC48ads_A100_v4", ("A100-80GB", 2)),
        ("Standard_NC96ads_A100_v4", ("A100-80GB", 4)),
        ("Standard_ND96asr_v4", ("A100-40GB", 8)), ("Standard_ND96amsr_A100_v4", ("A100-80GB", 8)),
        ("Standard_ND96isr_H100_v5", ("H100-80GB", 8)),  # not 12, whatever SKY-AZ says
        ("Standard_NC40ads_H100_v5", ("H100-94GB", 1)), ("Standard_NC80adis_H100_v5", ("H100-94GB", 2)),
        ("Standard_ND96isr_MI300X_v5", ("MI300X", 8)), ("Standard_ND96isr_H200_v5", ("H200-141GB", 8)),
        ("standard_nc6s_v3", ("V100-16GB", 1)), ("Standard_ND40rs_v2", ("V100-32GB", 8)),
        # Lambda / Nebius §2d
        ("gpu_1x_a10", ("A10", 1)), ("gpu_1x_a100", ("A100-40GB", 1)), ("gpu_1x_a100_sxm4", ("A100-40GB", 1)),
        ("gpu_8x_a100_80gb_sxm4", ("A100-80GB", 8)), ("gpu_1x_h100_pcie", ("H100-80GB", 1)),
        ("gpu_8x_h100_sxm5", ("H100-80GB", 8)), ("gpu_8x_v100", ("V100-16GB", 8)),
        ("gpu-h100-sxm_1gpu-16vcpu-200gb", ("H100-80GB", 1)),
        ("gpu-h100-sxm_8gpu-128vcpu-1600gb", ("H100-80GB", 8)),
        ("gpu-h200-sxm_8gpu-128vcpu-1600gb", ("H200-141GB", 8)),
        ("gpu-l40s-a_1gpu-8vcpu-32gb", ("L40S", 1)),
    ],
)
def test_instance_types(instance_type, expected):
    assert accelerator_for_instance_type(instance_type) == expected


@pytest.mark.parametrize(
    "instance_type",
    [
        None, "", "m5.large", "c7g.4xlarge", "n1-standard-8", "e2-medium", "Standard_D4s_v5",
        "g4ad.xlarge",  # AMD Radeon Pro V520: a GPU, but not a canonical one
        "p6e-gb200.36xlarge", "gpu_1x_gh200", "g5.unknownsize", "a2-highgpu", "dl1.24xlarge",
        "Standard_NV12ads_A10_v5",  # a third of an A10: not a whole accelerator
        "g6f.xlarge",  # fractional L4
        "gpu-h100-sxm",  # a Nebius platform without preset: the count is not known
        42, ["g5.xlarge"],
    ],
)
def test_instance_types_without_whole_accelerators(instance_type):
    assert accelerator_for_instance_type(instance_type) is None


# --- resources ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"limits": {"nvidia.com/gpu": 1}}, 1),
        ({"limits": {"nvidia.com/gpu": "2"}}, 2),
        ({"requests": {"nvidia.com/gpu": "4"}}, 4),  # requests when no limits
        ({"limits": {"nvidia.com/gpu": 2}, "requests": {"nvidia.com/gpu": 1}}, 2),  # limits win
        ({"limits": {"amd.com/gpu": 8}}, 8),
        ({"limits": {"aws.amazon.com/neuron": 1}}, 1),
        ({"limits": {"aws.amazon.com/neurondevice": 6}}, 6),
        ({"limits": {"aws.amazon.com/neuroncore": 2}}, 1),
        ({"limits": {"aws.amazon.com/neuroncore": 1}}, 0.5),
        ({"limits": {"google.com/tpu": 4}}, 4),
        ({"limits": {"gpu.intel.com/i915": 1}}, 1),
        ({"limits": {"nvidia.com/mig-1g.5gb": 1}}, round(1 / 7, 4)),
        ({"limits": {"nvidia.com/mig-3g.40gb": 2}}, round(6 / 7, 4)),
        ({"limits": {"nvidia.com/mig-7g.80gb": 1}}, 1),
        ({"limits": {"nvidia.com/mig-1g.10gb.me": 1}}, round(1 / 7, 4)),
        ({"limits": {"nvidia.com/mig-1g.6gb": 1}}, 0.25),  # A30: four slices
        ({"limits": {"nvidia.com/gpu.shared": 1}}, 1),
        ({"limits": {"cpu": "4", "memory": "16Gi"}}, None),
        ({"limits": {"nvidia.com/gpu": 0}}, None),
        ({"limits": {"nvidia.com/gpu": "abc"}}, None),
        ({"limits": {"nvidia.com/gpu": None}}, None),
        ({"limits": {"nvidia.com/gpu": -1}}, None),
        ({"limits": ["nvidia.com/gpu"]}, None),
        ({"limits": None, "requests": None}, None),
        ({}, None),
    ],
)
def test_accelerator_resource_count(resources, expected):
    assert accelerator_resource_count(resources) == expected


@pytest.mark.parametrize("garbage", [None, [], "nvidia.com/gpu", 1, {"limits": "x"}])
def test_resource_count_garbage_never_raises(garbage):
    assert accelerator_resource_count(garbage) is None


def test_sums_containers_and_native_sidecars():
    spec = {
        "containers": [
            {"resources": {"limits": {"nvidia.com/gpu": 1}}},
            {"resources": {"limits": {"nvidia.com/gpu": "1"}}},
        ],
        "initContainers": [
            {"restartPolicy": "Always", "resources": {"limits": {"nvidia.com/gpu": 1}}},  # native sidecar
            {"resources": {"limits": {"nvidia.com/gpu": 1}}},  # plain init: runs before, not alongside
        ],
    }
    assert accelerator_from_pod(spec).per_replica == 3


def test_init_container_larger_than_app_sets_the_request():
    spec = {
        "containers": [{"resources": {"limits": {"nvidia.com/gpu": 1}}}],
        "initContainers": [{"resources": {"limits": {"nvidia.com/gpu": 4}}}],
    }
    guess = accelerator_from_pod(spec)
    assert guess.per_replica == 4
    assert any("init container" in s for s in guess.signals)


def test_no_accelerator_request_is_none():
    guess = accelerator_from_pod(pod(limits={"cpu": 2}))
    assert guess == AcceleratorGuess(type=None, per_replica=None, source=None, signals=())


def test_unreadable_quantity_is_a_signal():
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": "lots"}))
    assert guess.per_replica is None
    assert any("unreadable" in s for s in guess.signals)


def test_time_sliced_gpu_is_counted_and_labelled():
    spec = pod(limits={"nvidia.com/gpu.shared": 1}, nodeSelector={"nvidia.com/gpu.product": "NVIDIA-L4"})
    guess = accelerator_from_pod(spec)
    assert (guess.type, guess.per_replica) == ("L4", 1)
    assert "time-sliced" in guess.source
    assert any("time-sliced" in s for s in guess.signals)


# --- type from where the pod runs ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("labels", "expected_type", "expected_source"),
    [
        ({"cloud.google.com/gke-accelerator": "nvidia-l4"}, "L4", "nodeSelector:cloud.google.com/gke-accelerator"),
        ({"karpenter.k8s.aws/instance-gpu-name": "a10g"}, "A10G", "nodeSelector:karpenter.k8s.aws/instance-gpu-name"),
        ({"karpenter.k8s.aws/instance-gpu-name": "a100", "karpenter.k8s.aws/instance-gpu-memory": "81920"},
         "A100-80GB", "nodeSelector:karpenter.k8s.aws/instance-gpu-name"),
        ({"karpenter.k8s.aws/instance-gpu-name": "a100", "karpenter.k8s.aws/instance-gpu-memory": "40960"},
         "A100-40GB", "nodeSelector:karpenter.k8s.aws/instance-gpu-name"),
        ({"karpenter.k8s.aws/instance-accelerator-name": "inferentia2"}, "inferentia2",
         "nodeSelector:karpenter.k8s.aws/instance-accelerator-name"),
        ({"karpenter.k8s.aws/instance-family": "g5"}, "A10G", "nodeSelector:karpenter.k8s.aws/instance-family"),
        ({"karpenter.k8s.aws/instance-family": "p4de"}, "A100-80GB", "nodeSelector:karpenter.k8s.aws/instance-family"),
        ({"node.kubernetes.io/instance-type": "g5.12xlarge"}, "A10G", "nodeSelector:instanceType:g5.12xlarge"),
        ({"beta.kubernetes.io/instance-type": "p4d.24xlarge"}, "A100-40GB", "nodeSelector:instanceType:p4d.24xlarge"),
        ({"node.kubernetes.io/instance-type": "Standard_NC24ads_A100_v4"}, "A100-80GB",
         "nodeSelector:instanceType:Standard_NC24ads_A100_v4"),
        ({"node.kubernetes.io/instance-type": "Standard_NV12ads_A10_v5"}, "A10",
         "nodeSelector:instanceType:Standard_NV12ads_A10_v5"),  # partition: type known, count not
        ({"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, "H100-80GB", "nodeSelector:nvidia.com/gpu.product"),
        ({"nvidia.com/gpu.product": "NVIDIA-A100-PCIE-40GB"}, "A100-40GB", "nodeSelector:nvidia.com/gpu.product"),
        ({"gpu.nvidia.com/class": "A100_NVLINK_80GB"}, "A100-80GB", "nodeSelector:gpu.nvidia.com/class"),
        ({"gpu.nvidia.com/model": "H200"}, "H200-141GB", "nodeSelector:gpu.nvidia.com/model"),
        ({"gpu.nvidia.com/class": "Tesla_V100", "gpu.nvidia.com/vram": "16"}, "V100-16GB",
         "nodeSelector:gpu.nvidia.com/class"),
        ({"skypilot.co/accelerator": "a100"}, "A100-40GB", "nodeSelector:skypilot.co/accelerator"),
        ({"skypilot.co/accelerator": "a100-80gb"}, "A100-80GB", "nodeSelector:skypilot.co/accelerator"),
        ({"amd.com/gpu.device-id": "74a1"}, "MI300X", "nodeSelector:amd.com/gpu.device-id"),
        ({"accelerator": "nvidia-h100-80gb"}, "H100-80GB", "nodeSelector:accelerator"),
        ({"example.com/gpu-type": "L40S"}, "L40S", "nodeSelector:example.com/gpu-type"),
        ({"gpu-type": "a100-80gb"}, "A100-80GB", "nodeSelector:gpu-type"),
    ],
)
def test_node_selector_keys(labels, expected_type, expected_source):
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}, nodeSelector=labels))
    assert guess.type == expected_type
    assert guess.source == expected_source


@pytest.mark.parametrize(
    "labels",
    [
        {"kubernetes.azure.com/accelerator": "nvidia"},  # AKS: names no model
        {"karpenter.k8s.aws/instance-gpu-name": "a100"},  # 40 or 80 GB: unknown
        {"karpenter.k8s.aws/instance-gpu-manufacturer": "nvidia"},
        {"cloud.google.com/gke-tpu-accelerator": "tpu-v5-lite-podslice"},
        {"nvidia.com/gpu.family": "hopper"},
        {"eks.amazonaws.com/nodegroup": "gpu-a100"},  # unknown key: ignored
        {"node.kubernetes.io/instance-type": "m5.large"},
        {"gpu": "true"},
        {"kubernetes.io/os": "linux"},
    ],
)
def test_keys_that_name_no_type(labels):
    assert accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}, nodeSelector=labels)).type is None


def test_node_labels_beat_node_selector():
    spec = pod(limits={"nvidia.com/gpu": 1}, nodeSelector={"cloud.google.com/gke-accelerator": "nvidia-tesla-a100"})
    node = {"cloud.google.com/gke-accelerator": "nvidia-a100-80gb", "node.kubernetes.io/instance-type": "a2-ultragpu-1g"}
    guess = accelerator_from_pod(spec, node_labels=node)
    assert guess.type == "A100-80GB"
    assert guess.source == "node:cloud.google.com/gke-accelerator"
    assert any("trusted more" in s for s in guess.signals)


def test_gfd_product_beats_instance_type_on_the_same_node():
    node = {"nvidia.com/gpu.product": "NVIDIA-A10G", "node.kubernetes.io/instance-type": "g5.xlarge"}
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}), node_labels=node)
    assert (guess.type, guess.source) == ("A10G", "node:nvidia.com/gpu.product")


def test_karpenter_a100_is_settled_by_instance_type():
    node = {"karpenter.k8s.aws/instance-gpu-name": "a100", "node.kubernetes.io/instance-type": "p4de.24xlarge"}
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 8}), node_labels=node)
    assert guess.type == "A100-80GB"
    assert guess.per_replica == 8


def test_gfd_memory_label_disambiguates():
    node = {"nvidia.com/gpu.product": "NVIDIA-A100", "nvidia.com/gpu.memory": "81920"}
    assert accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}), node_labels=node).type == "A100-80GB"


def test_required_affinity_single_type():
    spec = pod(limits={"nvidia.com/gpu": 1}, affinity=required(expr("karpenter.k8s.aws/instance-gpu-name", "l40s")))
    guess = accelerator_from_pod(spec)
    assert (guess.type, guess.source) == ("L40S", "affinity:karpenter.k8s.aws/instance-gpu-name")


def test_required_affinity_values_with_one_outcome():
    spec = pod(limits={"nvidia.com/gpu": 1},
               affinity=required(expr("node.kubernetes.io/instance-type", "g5.xlarge", "g5.2xlarge", "g5.12xlarge")))
    assert accelerator_from_pod(spec).type == "A10G"


def test_required_affinity_several_gpus_is_none_with_signal():
    spec = pod(limits={"nvidia.com/gpu": 1},
               affinity=required(expr("cloud.google.com/gke-accelerator", "nvidia-l4", "nvidia-tesla-t4")))
    guess = accelerator_from_pod(spec)
    assert guess.type is None
    assert guess.per_replica == 1
    assert any("several accelerators" in s for s in guess.signals)


def test_required_affinity_terms_are_alternatives():
    terms = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [expr("karpenter.k8s.aws/instance-gpu-name", "h100")]},
        {"matchExpressions": [expr("karpenter.k8s.aws/instance-gpu-name", "h200")]},
    ]}}}
    assert accelerator_from_pod(pod(limits={"nvidia.com/gpu": 8}, affinity=terms)).type is None


def test_karpenter_memory_gt_in_affinity():
    spec = pod(limits={"nvidia.com/gpu": 1}, affinity=required(
        expr("karpenter.k8s.aws/instance-gpu-name", "a100"),
        expr("karpenter.k8s.aws/instance-gpu-memory", "40960", operator="Gt"),
    ))
    assert accelerator_from_pod(spec).type == "A100-80GB"
    loose = pod(limits={"nvidia.com/gpu": 1}, affinity=required(
        expr("karpenter.k8s.aws/instance-gpu-name", "a100"),
        expr("karpenter.k8s.aws/instance-gpu-memory", "20000", operator="Gt"),
    ))
    assert accelerator_from_pod(loose).type is None


def test_required_beats_preferred():
    affinity = {**required(expr("cloud.google.com/gke-accelerator", "nvidia-l4"))}
    affinity["nodeAffinity"].update(preferred((100, expr("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")))
                                    ["nodeAffinity"])
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}, affinity=affinity))
    assert (guess.type, guess.source) == ("L4", "affinity:cloud.google.com/gke-accelerator")


def test_preferred_affinity_is_used_alone_and_highest_weight_wins():
    affinity = preferred((10, expr("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")),
                         (80, expr("cloud.google.com/gke-accelerator", "nvidia-l4")))
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}, affinity=affinity))
    assert (guess.type, guess.source) == ("L4", "preferredAffinity:cloud.google.com/gke-accelerator")


def test_node_selector_beats_affinity():
    spec = pod(limits={"nvidia.com/gpu": 1}, nodeSelector={"cloud.google.com/gke-accelerator": "nvidia-l4"},
               affinity=required(expr("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")))
    assert accelerator_from_pod(spec).type == "L4"


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], None),
        ([{"key": "gpu-type", "operator": "Equal", "value": "h100", "effect": "NoSchedule"}], "H100-80GB"),
        ([{"key": "dedicated", "value": "a100-80gb"}], "A100-80GB"),
        ([{"key": "nvidia.com/gpu.product", "value": "NVIDIA-L40S"}], "L40S"),
        ([{"key": "sku", "value": "gpu"}], None),
        ([{"key": "dedicated", "value": "nvidia-l4"}, {"key": "other", "value": "nvidia-tesla-t4"}], None),
        ("not-a-list", None),
        ([None, "x", {"value": "h100"}], None),  # no key: not a GPU toleration we can read
    ],
)
def test_tolerations(tolerations, expected):
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}, tolerations=tolerations))
    assert guess.type == expected
    if expected:
        assert guess.source.startswith("toleration:")


def test_affinity_beats_toleration():
    spec = pod(limits={"nvidia.com/gpu": 1}, tolerations=[{"key": "gpu-type", "value": "t4"}],
               affinity=required(expr("cloud.google.com/gke-accelerator", "nvidia-l4")))
    assert accelerator_from_pod(spec).type == "L4"


# --- MIG -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("resource", "expected_type"),
    [
        ("nvidia.com/mig-1g.5gb", "A100-40GB"),
        ("nvidia.com/mig-2g.10gb", "A100-40GB"),
        ("nvidia.com/mig-3g.20gb", "A100-40GB"),
        ("nvidia.com/mig-1g.10gb", None),  # A100-40GB, A100-80GB and H100 all offer it
        ("nvidia.com/mig-3g.40gb", None),  # A100-80GB or H100-80GB
        ("nvidia.com/mig-7g.80gb", None),
        ("nvidia.com/mig-3g.47gb", "H100-94GB"),
        ("nvidia.com/mig-1g.12gb", None),  # H100 NVL or GH200/H20
        ("nvidia.com/mig-3g.71gb", "H200-141GB"),
        ("nvidia.com/mig-7g.180gb", "B200"),
        ("nvidia.com/mig-7g.186gb", None),  # B200 or GB200
    ],
)
def test_mig_profile_implies_type_only_when_unambiguous(resource, expected_type):
    guess = accelerator_from_pod(pod(limits={resource: 1}))
    assert guess.type == expected_type
    if expected_type:
        assert guess.source == f"mig:{resource}"


def test_mig_ambiguity_settled_by_another_signal():
    spec = pod(limits={"nvidia.com/mig-3g.40gb": 1}, nodeSelector={"karpenter.k8s.aws/instance-gpu-name": "a100"})
    guess = accelerator_from_pod(spec)
    assert guess.type == "A100-80GB"
    assert guess.per_replica == round(3 / 7, 4)
    assert "mig:" in guess.source


def test_mig_with_definite_node_label():
    spec = pod(limits={"nvidia.com/mig-1g.10gb": 2})
    guess = accelerator_from_pod(spec, node_labels={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"})
    assert (guess.type, guess.per_replica) == ("H100-80GB", round(2 / 7, 4))


def test_mig_single_strategy_counts_slices_from_product_label():
    node = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB-MIG-3g.20gb", "nvidia.com/mig.strategy": "single"}
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 2}), node_labels=node)
    assert guess.type == "A100-40GB"
    assert guess.per_replica == round(6 / 7, 4)


# --- garbage ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "spec",
    [
        None, [], "pod", 3,
        {"containers": None},
        {"containers": "nginx"},
        {"containers": [None, "x", {"resources": None}, {"resources": {"limits": []}}]},
        {"nodeSelector": ["a"], "affinity": "x", "tolerations": {"key": "x"}},
        {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": "x"}}}},
        {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": None, "operator": "In", "values": "x"}, None]}]}}}},
        {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": "heavy", "preference": None}, None]}}},
        {"initContainers": [{"resources": {"limits": {"nvidia.com/gpu": []}}}]},
    ],
)
def test_garbage_pod_specs_never_raise(spec):
    guess = accelerator_from_pod(spec, node_labels=["not", "a", "map"])
    assert isinstance(guess, AcceleratorGuess)
    assert guess.type is None


def test_node_labels_with_non_string_values():
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}),
                                 node_labels={"nvidia.com/gpu.product": None, "karpenter.k8s.aws/instance-gpu-name": 5})
    assert guess.type is None
    assert guess.per_replica == 1


def test_type_without_request_says_so():
    guess = accelerator_from_pod({"containers": [{}], "nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-l4"}})
    assert (guess.type, guess.per_replica) == ("L4", None)
    assert any("requests no accelerator" in s for s in guess.signals)


def test_gke_mig_partition_counts_slices():
    spec = pod(limits={"nvidia.com/gpu": 1}, nodeSelector={
        "cloud.google.com/gke-accelerator": "nvidia-a100-80gb", "cloud.google.com/gke-gpu-partition-size": "1g.10gb"})
    guess = accelerator_from_pod(spec)
    assert (guess.type, guess.per_replica) == ("A100-80GB", round(1 / 7, 4))


@pytest.mark.parametrize(
    "labels",
    [
        {"cloud.google.com/gke-gpu-sharing-strategy": "time-sharing", "cloud.google.com/gke-max-shared-clients-per-gpu": "3"},
        {"nvidia.com/gpu.replicas": "4"},
        {"nvidia.com/gpu.sharing-strategy": "mps"},
        {"nvidia.com/gpu.product": "NVIDIA-L4-SHARED"},
    ],
)
def test_node_level_gpu_sharing_is_labelled(labels):
    node = {"nvidia.com/gpu.product": "NVIDIA-L4", **labels}
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}), node_labels=node)
    assert (guess.type, guess.per_replica) == ("L4", 1)
    assert guess.source == "node:nvidia.com/gpu.product (time-sliced)"


@pytest.mark.parametrize("labels", [{"nvidia.com/gpu.replicas": "1"}, {"nvidia.com/gpu.sharing-strategy": "none"}])
def test_unshared_gpu_labels_are_not_sharing(labels):
    node = {"nvidia.com/gpu.product": "NVIDIA-L4", **labels}
    guess = accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}), node_labels=node)
    assert guess.source == "node:nvidia.com/gpu.product"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"eks.amazonaws.com/instance-gpu-name": "l40s"}, "L40S"),
        ({"eks.amazonaws.com/instance-gpu-name": "a100", "eks.amazonaws.com/instance-gpu-memory": "81920"}, "A100-80GB"),
        ({"eks.amazonaws.com/instance-family": "g6"}, "L4"),
        ({"node.kubernetes.io/instance-type": "BM.GPU.H100.8"}, "H100-80GB"),
    ],
)
def test_more_provisioners(labels, expected):
    assert accelerator_from_pod(pod(limits={"nvidia.com/gpu": 1}), node_labels=labels).type == expected


def test_eks_auto_mode_family_list_in_affinity_is_ambiguous():
    spec = pod(limits={"nvidia.com/gpu": 1},
               affinity=required(expr("eks.amazonaws.com/instance-family", "g5", "g6", "g6e")))
    guess = accelerator_from_pod(spec)
    assert guess.type is None
    assert any("A10G, L4, L40S" in s for s in guess.signals)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("VM.GPU3.1", ("V100-16GB", 1)), ("BM.GPU3.8", ("V100-16GB", 8)), ("BM.GPU4.8", ("A100-40GB", 8)),
        ("BM.GPU.A100-v2.8", ("A100-80GB", 8)), ("VM.GPU.A10.2", ("A10", 2)), ("BM.GPU.A10.4", ("A10", 4)),
        ("BM.GPU.L40S.4", ("L40S", 4)), ("BM.GPU.H100.8", ("H100-80GB", 8)), ("BM.GPU.H200.8", ("H200-141GB", 8)),
        ("BM.GPU.MI300X.8", ("MI300X", 8)), ("BM.GPU2.2", None), ("VM.Standard.E4.Flex", None),
    ],
)
def test_oci_shapes(shape, expected):
    assert accelerator_for_instance_type(shape) == expected


def test_lower_trust_may_only_narrow_what_higher_trust_allows():
    affinity = required(expr("cloud.google.com/gke-accelerator", "nvidia-l4", "nvidia-tesla-t4"))
    # a toleration naming a GPU outside the required set is ignored, one inside it settles the choice
    outside = pod(limits={"nvidia.com/gpu": 1}, affinity=affinity, tolerations=[{"key": "gpu-type", "value": "h100"}])
    guess = accelerator_from_pod(outside)
    assert guess.type is None
    assert any("contradicts" in s for s in guess.signals)
    inside = pod(limits={"nvidia.com/gpu": 1}, affinity=affinity, tolerations=[{"key": "gpu-type", "value": "l4"}])
    guess = accelerator_from_pod(inside)
    assert guess.type == "L4"
    assert guess.source == "affinity:cloud.google.com/gke-accelerator+toleration:gpu-type"


def test_mig_profile_of_a_non_canonical_gpu():
    guess = accelerator_from_pod(pod(limits={"nvidia.com/mig-2g.12gb": 1}))  # A30
    assert (guess.type, guess.per_replica) == (None, 0.5)
    assert any("not a canonical type" in s for s in guess.signals)
