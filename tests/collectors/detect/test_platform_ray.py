"""Ray Serve (KubeRay RayService) recognition: one ModelSpec per Serve application."""



from platform_fixtures import PLATFORMS, scanner, spec_of

from collectors.detect.workloads import DetectContext, detect

FIXTURES = PLATFORMS / "ray"


scan = scanner("ray")


def test_ray_serve_llm_sample():
    spec = spec_of(scan("ray-serve-llm.yaml"), "ray-serve-llm", "llms")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "ray-serve")
    assert spec.model.name == "Qwen/Qwen2.5-7B-Instruct"
    assert spec.runtime.settings["servedModelName"] == "qwen2.5-7b-instruct"
    assert spec.runtime.settings["maxModelLen"] == 1024
    assert spec.runtime.settings["dtype"] == "bfloat16"
    assert spec.runtime.settings["gpuMemoryUtilization"] == 0.75
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 1, 4, True)
    assert spec.accelerator.per_replica == 1
    assert spec.runtime.image == "rayproject/ray-llm:2.50.1-py311-cu124"


def test_several_llm_configs_are_separate_units():
    detection = scan("ray-serve-llm.yaml")
    llama = spec_of(detection, "multi-llm", "llm-app/llama-3.1-8b")
    mistral = spec_of(detection, "multi-llm", "llm-app/mistral")
    assert llama.model.name == "meta-llama/Llama-3.1-8B-Instruct"
    assert (llama.accelerator.type, llama.accelerator.per_replica, llama.accelerator.total) == ("L4", 2, 4)
    assert (llama.replicas.desired, llama.replicas.autoscaled) == (2, False)
    assert llama.runtime.settings["tensorParallelSize"] == 2
    assert (mistral.model.name, mistral.model.uri) == ("mistral-7b-instruct-v0.3",
                                                        "s3://llm-weights/mistral-7b-instruct-v0.3")
    # num_replicas: auto uses Ray's default bounds
    assert (mistral.replicas.min, mistral.replicas.max, mistral.replicas.autoscaled) == (1, 100, True)


def test_custom_vllm_app_from_the_kuberay_sample():
    spec = spec_of(scan("ray-serve-custom.yaml"), "llama-3-8b", "llm")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "ray-serve")
    assert spec.runtime.engine_version == "0.5.4"  # pinned in runtime_env.pip
    assert spec.model.name == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert spec.runtime.settings["tensorParallelSize"] == 2
    assert spec.replicas.desired == 1
    # num_gpus is set in code: the only application gets the cluster's GPUs as its total
    assert spec.accelerator.per_replica is None
    assert spec.accelerator.total == 2


def test_multi_application_service_reports_each_application():
    detection = scan("ray-serve-custom.yaml")
    units = sorted(s.workload.unit for s in detection.specs if s.workload.name == "rayservice-sample")
    assert units == ["fruit_app", "image_classifier"]
    fruit = spec_of(detection, "rayservice-sample", "fruit_app")
    assert (fruit.runtime.engine, fruit.model.name) == ("custom", None)
    assert fruit.accelerator.total is None  # several applications: the cluster's GPUs are not split
    classifier = spec_of(detection, "rayservice-sample", "image_classifier")
    assert classifier.model.name == "google/mobilenet_v2_1.0_224"
    assert (classifier.accelerator.type, classifier.accelerator.per_replica) == ("T4", 0.5)
    assert (classifier.replicas.desired, classifier.replicas.min, classifier.replicas.max) == (2, 1, 5)
    assert classifier.accelerator.total == 1


def test_malformed_serve_config_is_skipped_with_the_reason():
    detection = scan("negatives.yaml")
    broken = next(v for v in detection.verdicts if v.name == "broken-yaml")
    assert not broken.reported
    assert "not valid YAML" in broken.reason
    assert broken.gpu
    for name in ("no-serve-config", "scalar-serve-config", "null-spec"):
        verdict = next(v for v in detection.verdicts if v.name == name)
        assert not verdict.reported
    assert not any(s.workload.kind == "RayCluster" for s in detection.specs)


def test_legacy_serve_config():
    spec = spec_of(scan("negatives.yaml"), "legacy-serve", "default")
    assert spec.model.name == "distilbert-base-uncased-finetuned-sst-2-english"
    assert (spec.replicas.desired, spec.accelerator.per_replica, spec.accelerator.total) == (3, 1, 3)


def test_serve_config_as_a_mapping_and_build_llm_deployment():
    service = {
        "apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "single"},
        "spec": {"serveConfigV2": {"applications": [{
            "name": "llm", "import_path": "ray.serve.llm:build_llm_deployment",
            "args": {"llm_config": {"model_loading_config": {"model_id": "Qwen/Qwen2.5-0.5B-Instruct"},
                                    "placement_group_config": {"bundles": [{"GPU": 1}, {"GPU": 1}]}}},
        }]}},
    }
    spec = detect([service], DetectContext()).specs[0]
    assert (spec.workload.unit, spec.model.name) == ("llm", "Qwen/Qwen2.5-0.5B-Instruct")
    assert (spec.accelerator.per_replica, spec.replicas.desired) == (2, 1)


def test_llm_configs_given_as_files_keep_the_model_unknown():
    service = {
        "apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "from-files"},
        "spec": {"serveConfigV2": "applications:\n- name: llms\n  import_path: ray.serve.llm:build_openai_app\n"
                                  "  args:\n    llm_configs:\n    - models/qwen.yaml\n"},
    }
    detection = detect([service], DetectContext())
    spec = detection.specs[0]
    assert (spec.runtime.engine, spec.model.name, spec.workload.unit) == ("vllm", None, "llms")
    assert any("models/qwen.yaml" in s for s in detection.verdicts[0].signals)
