"""KAITO Workspace / InferenceSet recognition (accelerators from the instance type)."""



from platform_fixtures import PLATFORMS, scanner, spec_of

from collectors.detect.workloads import DetectContext, detect

FIXTURES = PLATFORMS / "kaito"


scan = scanner("kaito")


def test_preset_across_two_instances_with_a_configmap():
    spec = spec_of(scan("workspaces.yaml"), "workspace-llama-3-3-70b-instruct")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kaito")
    assert spec.model.name == "meta-llama/Llama-3.3-70B-Instruct"
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == ("A100-80GB", 4, 4)
    assert spec.accelerator.source == "instanceType:Standard_NC48ads_A100_v4"
    assert (spec.replicas.desired, spec.replicas.ready) == (1, 1)
    assert spec.runtime.settings["maxModelLen"] == 16384
    assert spec.runtime.settings["tensorParallelSize"] == 4
    assert spec.runtime.settings["gpuMemoryUtilization"] == 0.95


def test_transformers_runtime_annotation_is_custom():
    spec = spec_of(scan("workspaces.yaml"), "workspace-phi-3-mini-adapter")
    assert spec.runtime.engine == "custom"
    assert spec.model.name == "phi-3-mini-128k-instruct"
    assert (spec.accelerator.type, spec.accelerator.per_replica) == ("V100-16GB", 1)


def test_custom_template_engine_comes_from_its_containers():
    spec = spec_of(scan("workspaces.yaml"), "workspace-custom-llm")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kaito")
    assert spec.model.name == "microsoft/Phi-4-mini-instruct"
    assert (spec.accelerator.type, spec.accelerator.per_replica) == ("A10G", 4)


def test_accelerator_partitions_without_instance_type():
    spec = spec_of(scan("workspaces.yaml"), "workspace-accelerator-llama-3-1-8b-instruct")
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == (None, 2, 2)


def test_inference_set_replicas():
    spec = spec_of(scan("workspaces.yaml"), "llama-3-1-8b")
    assert spec.workload.kind == "InferenceSet"
    assert (spec.replicas.desired, spec.replicas.ready) == (2, 1)
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == ("A100-80GB", 1, 2)


def test_inference_set_scaled_by_keda():
    inference_set = {"apiVersion": "kaito.sh/v1beta1", "kind": "InferenceSet",
                     "metadata": {"name": "phi4", "namespace": "ai"},
                     "spec": {"replicas": 1, "template": {"resource": {"instanceType": "Standard_NC24ads_A100_v4"},
                                                          "inference": {"preset": {"name": "phi-4"}}}}}
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "phi4", "namespace": "ai"},
              "spec": {"scaleTargetRef": {"apiVersion": "kaito.sh/v1beta1", "kind": "InferenceSet", "name": "phi4"},
                       "minReplicaCount": 1, "maxReplicaCount": 5}}
    spec = detect([inference_set, scaled], DetectContext()).specs[0]
    assert (spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 5, True)


def test_tuning_and_malformed_workspaces():
    detection = scan("negatives.yaml")
    tuning = next(v for v in detection.verdicts if v.name == "workspace-tuning-phi-3")
    assert not tuning.reported and tuning.gpu
    for name in ("empty-workspace", "no-template"):
        assert not next(v for v in detection.verdicts if v.name == name).reported
    unknown = spec_of(detection, "unknown-sku")
    assert unknown.accelerator.type is None and unknown.accelerator.per_replica is None
    assert unknown.model.name == "mistral-7b-instruct"
