"""NVIDIA NIM Operator NIMService / NIMPipeline recognition."""



from platform_fixtures import PLATFORMS, scanner, spec_of

from collectors.detect.workloads import DetectContext, detect

FIXTURES = PLATFORMS / "nim"


scan = scanner("nim")


def test_operator_sample_nimservice():
    detection = scan("nimservice.yaml")
    spec = spec_of(detection, "meta-llama3-8b-instruct")
    assert spec.runtime.platform == "nim"
    assert (spec.model.name, spec.model.version) == ("meta/llama-3.1-8b-instruct", "1.8")
    assert spec.runtime.image == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8"
    assert (spec.replicas.desired, spec.replicas.ready, spec.replicas.autoscaled) == (1, 1, False)
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (1, 1)
    # the NIMCache restricts the cached profiles to TensorRT-LLM
    assert spec.runtime.engine == "tensorrt-llm"
    # NIMCache is not a deployment
    assert {s.workload.kind for s in detection.specs} == {"NIMService"}


def test_hpa_scaling_and_profile_engine():
    spec = spec_of(scan("nimservice.yaml"), "llama-70b")
    assert spec.runtime.engine == "vllm"
    assert spec.runtime.settings["maxModelLen"] == 32768
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (2, 2, 6, True)
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == ("H100-80GB", 4, 8)
    assert spec.owner.team == "platform"


def test_multi_node_nim_counts_every_pod():
    spec = spec_of(scan("nimservice.yaml"), "deepseek-r1")
    assert (spec.model.name, spec.model.version) == ("deepseek-ai/deepseek-r1", "1.7.3")
    assert spec.runtime.engine == "sglang"
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (16, 16)


def test_multi_llm_nim_on_kserve_takes_the_model_from_the_cache():
    spec = spec_of(scan("nimservice.yaml"), "nemotron-nano")
    assert (spec.model.name, spec.model.uri) == ("nvidia/Llama-3.1-Nemotron-Nano-8B-v1",
                                                  "hf://nvidia/Llama-3.1-Nemotron-Nano-8B-v1")
    assert spec.runtime.engine == "tensorrt-llm"
    assert (spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 10, True)


def test_engine_unknown_without_a_profile():
    service = {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "plain"},
               "spec": {"image": {"repository": "nvcr.io/nim/mistralai/mistral-7b-instruct-v03", "tag": "latest"},
                        "replicas": "2", "resources": {"limits": {"nvidia.com/gpu": "1"}}}}
    spec = detect([service], DetectContext()).specs[0]
    assert spec.runtime.engine == "unknown"
    assert (spec.model.name, spec.model.version) == ("mistralai/mistral-7b-instruct-v03", None)
    assert (spec.replicas.desired, spec.accelerator.total) == (2, 2)


def test_pipeline_reports_enabled_services_only():
    detection = scan("nimpipeline.yaml")
    units = sorted(s.workload.unit for s in detection.specs if s.workload.name == "pipeline-all")
    assert units == ["meta-llama3-8b-instruct", "nv-embedqa-e5-v5"]
    embed = spec_of(detection, "pipeline-all", "nv-embedqa-e5-v5")
    assert (embed.model.name, embed.model.version) == ("nvidia/nv-embedqa-e5-v5", "1.0.4")
    assert (embed.replicas.desired, embed.accelerator.total) == (2, 2)


def test_malformed_nim_objects():
    detection = scan("nimpipeline.yaml")
    broken = spec_of(detection, "broken")  # image given as a plain string
    assert broken.model.name == "meta/llama3-8b-instruct"
    assert broken.replicas.desired == 1
    skipped = {v.name for v in detection.verdicts if not v.reported}
    assert skipped == {"nothing", "all-disabled"}
