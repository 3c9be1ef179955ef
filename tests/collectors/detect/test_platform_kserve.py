"""KServe InferenceService / LLMInferenceService recognition, on manifests shaped like KServe's docs."""


import pytest
from platform_fixtures import PLATFORMS, scanner, spec_of

from collectors.detect.workloads import DetectContext, detect

FIXTURES = PLATFORMS / "kserve"


scan = scanner("kserve")


def verdict_of(detection, name):
    return next(v for v in detection.verdicts if v.name == name)


def test_sklearn_iris_uses_the_builtin_runtime_and_reads_the_storage_uri():
    spec = spec_of(scan("sklearn-iris.yaml"), "sklearn-iris")
    assert (spec.runtime.engine, spec.runtime.platform) == ("custom", "kserve")
    assert spec.model.name == "sklearn"
    assert spec.model.version == "1.0"
    assert spec.model.uri == "gs://kfserving-examples/models/sklearn/1.0/model"
    assert spec.workload.kind == "InferenceService"
    assert spec.workload.namespace == "kserve-test"
    # KServe: minReplicas defaults to 1, Serverless autoscales without an upper bound
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 1, None, True)


def test_huggingface_default_backend_is_vllm():
    spec = spec_of(scan("huggingface-llama3.yaml"), "huggingface-llama3")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kserve")
    assert spec.model.name == "meta-llama/meta-llama-3-8b-instruct"
    assert spec.runtime.settings["maxModelLen"] == 8192
    assert spec.runtime.settings["servedModelName"] == "llama3"
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (1, 1)
    assert spec.owner.team == "search"


def test_huggingface_vllm_backend_with_tensor_parallelism_and_an_hpa_range():
    spec = spec_of(scan("huggingface-llama3.yaml"), "mistral-7b")
    assert spec.runtime.engine == "vllm"
    assert spec.model.name == "mistralai/Mistral-7B-Instruct-v0.3"
    assert spec.model.version == "e0bc86c23ce5aae1db576c8cca6f06f1f73af2db"
    assert spec.runtime.settings["tensorParallelSize"] == 2
    assert spec.runtime.settings["dtype"] == "bfloat16"
    assert spec.runtime.settings["gpuMemoryUtilization"] == 0.85
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (2, 2, 4, True)
    assert spec.accelerator.type == "A100-80GB"
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (2, 4)


@pytest.mark.parametrize("name", ["bert-sentiment", "t5-small"])
def test_huggingface_transformers_backend_is_custom(name):
    spec = spec_of(scan("huggingface-llama3.yaml"), name)
    assert (spec.runtime.engine, spec.runtime.platform) == ("custom", "kserve")


def test_huggingface_model_from_hf_storage_uri():
    spec = spec_of(scan("huggingface-llama3.yaml"), "t5-small")
    assert (spec.model.name, spec.model.uri) == ("google-t5/t5-small", "hf://google-t5/t5-small")


@pytest.mark.parametrize("name, engine, model, version", [
    ("flower-sample", "tf-serving", "flowers", None),
    ("torchserve-mnist", "torchserve", "image_classifier", "v1"),
    ("triton-densenet", "triton", "torchscript", None),
    ("xgboost-iris", "custom", "iris", "2"),
])
def test_legacy_framework_keys(name, engine, model, version):
    spec = spec_of(scan("legacy-frameworks.yaml"), name)
    assert (spec.runtime.engine, spec.runtime.platform) == (engine, "kserve")
    assert (spec.model.name, spec.model.version) == (model, version)


def test_gpu_of_a_legacy_predictor_is_counted():
    spec = spec_of(scan("legacy-frameworks.yaml"), "torchserve-mnist")
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (1, 1)


def test_canary_traffic_marks_the_service_canary_and_the_transformer_is_not_a_model():
    detection = scan("legacy-frameworks.yaml")
    spec = spec_of(detection, "xgboost-iris")
    assert spec.variant == "canary"
    assert (spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 5, True)
    assert [s.workload.name for s in detection.specs].count("xgboost-iris") == 1
    assert any("transformer" in s for s in verdict_of(detection, "xgboost-iris").signals)


def test_namespace_serving_runtime_resolves_engine_image_and_scale_to_zero():
    detection = scan("custom-runtime.yaml")
    spec = spec_of(detection, "granite-8b")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kserve")
    assert spec.runtime.image == "quay.io/modh/vllm:rhoai-2.16-cuda"
    assert (spec.model.name, spec.model.uri) == ("granite-3.1-8b-instruct", "pvc://granite-pvc/granite-3.1-8b-instruct")
    assert spec.runtime.settings["maxModelLen"] == 4096
    assert spec.runtime.settings["servedModelName"] == "granite-8b"
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (0, 0, 2, True)
    assert spec.accelerator.per_replica == 1
    assert spec.accelerator.total == 0  # scaled to zero at rest
    # the runtime template itself is not a deployment
    assert not any(v.name == "vllm-runtime" for v in detection.verdicts)


def test_runtime_auto_selection_prefers_the_higher_priority():
    spec = spec_of(scan("custom-runtime.yaml"), "style-sample")
    assert spec.runtime.image == "openvino/model_server:2024.4"
    assert spec.runtime.engine == "custom"


def test_custom_containers_and_knative_annotations():
    detection = scan("custom-containers.yaml")
    spec = spec_of(detection, "qwen-chat")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kserve")
    assert spec.runtime.engine_version == "0.6.3"
    assert spec.model.name == "Qwen/Qwen2.5-7B-Instruct"
    assert (spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 6, True)
    assert (spec.accelerator.type, spec.accelerator.per_replica) == ("L4", 1)
    assert len(detection.specs) == 1  # the explainer is not a model


def test_multinode_worker_spec_sums_head_and_workers():
    spec = spec_of(scan("multinode.yaml"), "huggingface-llama3-405b")
    assert spec.runtime.engine == "vllm"
    assert spec.model.uri == "pvc://llama-3-1-405b-pvc/hf/8b_instruction_tuned"
    assert spec.runtime.settings["tensorParallelSize"] == 8
    assert spec.runtime.settings["pipelineParallelSize"] == 2
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (16, 16)
    assert (spec.replicas.desired, spec.replicas.autoscaled) == (1, False)
    assert spec.replicas.min is None and spec.replicas.max is None


def test_llm_inference_service_single_pool():
    spec = spec_of(scan("llm-inference-service.yaml"), "qwen2-7b-instruct-single")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "kserve")
    assert (spec.model.name, spec.model.uri) == ("Qwen/Qwen2.5-7B-Instruct", "hf://Qwen/Qwen2.5-7B-Instruct")
    assert (spec.replicas.desired, spec.replicas.autoscaled) == (3, False)
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (1, 3)


def test_llm_inference_service_prefill_decode_pools_are_units():
    detection = scan("llm-inference-service.yaml")
    decode = spec_of(detection, "qwen2-7b-instruct-pd", "decode")
    prefill = spec_of(detection, "qwen2-7b-instruct-pd", "prefill")
    assert decode.replicas.desired == 1 and prefill.replicas.desired == 2
    assert decode.accelerator.total == 1 and prefill.accelerator.total == 4
    assert decode.runtime.settings["maxModelLen"] == 8192  # from VLLM_ADDITIONAL_ARGS
    assert decode.model == prefill.model


def test_llm_inference_service_data_parallel_multinode():
    spec = spec_of(scan("llm-inference-service.yaml"), "qwen3-coder-30b-a3b-instruct")
    assert spec.accelerator.type == "H100-80GB"
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (16, 16)  # 16/8 = 2 pods of 8 GPUs
    assert spec.runtime.settings["gpuMemoryUtilization"] == 0.85


def test_llm_inference_service_sglang_runtime_and_scaling():
    spec = spec_of(scan("llm-inference-service.yaml"), "sglang-opt-125m-single")
    assert spec.runtime.engine == "sglang"
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 1, 3, True)


def test_runtimes_alone_and_malformed_services():
    detection = scan("negatives.yaml")
    reported = {s.workload.name for s in detection.specs}
    assert "kserve-huggingfaceserver" not in reported
    assert not any(v.name == "kserve-huggingfaceserver" for v in detection.verdicts)  # quiet
    for name in ("no-spec", "null-predictor", "empty-predictor", "model1"):
        verdict = verdict_of(detection, name)
        assert not verdict.reported and verdict.reason
    odd = spec_of(detection, "odd-values")
    assert odd.runtime.engine == "custom"  # modelFormat given as a bare string still names sklearn
    assert odd.model.name is None  # storageUri: 42 is not a location
    assert odd.replicas.desired == 1


def test_modelmesh_models_have_no_replicas_of_their_own():
    spec = spec_of(scan("negatives.yaml"), "modelmesh-mnist")
    assert spec.model.name == "mnist"
    assert spec.replicas.desired is None
    assert spec.accelerator.per_replica is None and spec.accelerator.total is None


def test_kfserving_v1alpha2_default_and_canary_endpoints():
    detection = scan("negatives.yaml")
    default = spec_of(detection, "flowers-sample", "default")
    canary = spec_of(detection, "flowers-sample", "canary")
    assert default.variant is None and canary.variant == "canary"
    assert (default.model.name, canary.model.name) == ("flowers", "flowers-2")
    assert default.runtime.engine == canary.runtime.engine == "tf-serving"


def test_autoscaler_class_none_pins_replicas():
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "pinned", "annotations": {"serving.kserve.io/autoscalerClass": "none"}},
        "spec": {"predictor": {"minReplicas": 3, "maxReplicas": 6,
                               "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/churn"}}},
    }
    spec = detect([isvc], DetectContext()).specs[0]
    assert (spec.replicas.desired, spec.replicas.autoscaled, spec.replicas.min) == (3, False, None)


def test_raw_deployment_without_max_is_not_autoscaled():
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "raw", "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}},
        "spec": {"predictor": {"minReplicas": 2, "model": {"modelFormat": {"name": "tensorflow"},
                                                           "storageUri": "gs://b/models/resnet/3"}}},
    }
    spec = detect([isvc], DetectContext()).specs[0]
    assert (spec.replicas.desired, spec.replicas.autoscaled) == (2, False)
    assert (spec.model.name, spec.model.version) == ("resnet", "3")


def test_serving_runtime_named_but_not_scanned_leaves_engine_unknown():
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "mystery"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "custom-format"}, "runtime": "in-house-runtime",
                                         "storageUri": "s3://bucket/fraud/v7"}}},
    }
    spec = detect([isvc], DetectContext()).specs[0]
    assert spec.runtime.engine == "unknown"
    assert (spec.model.name, spec.model.version) == ("fraud", "v7")


def test_nim_container_in_an_inference_service_keeps_platform_nim():
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "llama3-nim"},
        "spec": {"predictor": {"minReplicas": 1, "containers": [{
            "name": "kserve-container", "image": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3",
            "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}},
    }
    spec = detect([isvc], DetectContext()).specs[0]
    assert spec.runtime.platform == "nim"
    assert (spec.model.name, spec.model.version) == ("meta/llama-3.1-8b-instruct", "1.3.3")
    assert spec.workload.kind == "InferenceService"


def test_footprint_annotations_on_a_serving_cr():
    base = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://b/x"}}}}
    named = {**base, "metadata": {"name": "annotated", "annotations": {
        "footprint.io/model": "acme/churn-classifier", "footprint.io/model-version": "2024-06"}}}
    hidden = {**base, "metadata": {"name": "hidden", "annotations": {"footprint.io/serving": "false"}}}
    detection = detect([named, hidden], DetectContext())
    spec = spec_of(detection, "annotated")
    assert (spec.model.name, spec.model.version, spec.model.uri) == ("acme/churn-classifier", "2024-06", "s3://b/x")
    assert not verdict_of(detection, "hidden").reported
