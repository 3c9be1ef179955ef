"""Engine recognition end to end: real-world-shaped manifests → `workloads.detect` → ModelSpecs.

Each fixture under tests/fixtures/manifests/engines/<engine>/ is shaped like a public example of that engine
(docs, Helm charts, tutorials); each row of CASES says what a user relies on for one workload in it.
The signature table (runtimes.ENGINE_SIGNATURES) is also tested row by row on image references alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.detect import runtimes
from collectors.detect.workloads import DetectContext, Detection, detect
from collectors.spec import ENGINES, SETTINGS_KEYS, ModelRef

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "engines"


def detect_file(relative: str) -> Detection:
    with open(FIXTURES / relative, encoding="utf-8") as handle:
        documents = [doc for doc in yaml.safe_load_all(handle) if isinstance(doc, Mapping)]
    return detect(documents, DetectContext(source="tests"))


@dataclass(frozen=True)
class Case:
    file: str
    workload: str
    engine: str
    model: str | None
    version: str | None = None
    uri: str | None = None
    engine_version: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    desired: int | None = 1
    platform: str = "kubernetes"

    @property
    def id(self) -> str:
        return f"{self.file}:{self.workload}"


CASES = [
    # --- vLLM -----------------------------------------------------------------------------------------
    Case("vllm/docs-mistral-deployment.yaml", "mistral-7b", "vllm", "mistralai/Mistral-7B-Instruct-v0.3"),
    Case("vllm/production-stack-rendered.yaml", "vllm-llama3-deployment-vllm", "vllm",
         "meta-llama/Llama-3.1-8B-Instruct", desired=2,
         settings={"tensorParallelSize": 2, "maxModelLen": 16384, "dtype": "bfloat16", "maxNumSeqs": 32,
                   "gpuMemoryUtilization": 0.85}),
    Case("vllm/ecr-mirror-bash-exec.yaml", "llama2-13b-awq", "vllm", "TheBloke/Llama-2-13B-chat-AWQ",
         version="gptq-4bit-32g-actorder_True", engine_version="0.6.3", desired=3,
         settings={"tensorParallelSize": 2, "maxModelLen": 4096, "quantization": "awq", "kvCacheDtype": "fp8",
                   "maxNumSeqs": 128, "servedModelName": "llama2-13b-chat"}),
    Case("vllm/gke-vertex-model-garden.yaml", "vllm-gemma-deployment", "vllm", "google/gemma-2-9b-it",
         settings={"tensorParallelSize": 2, "maxModelLen": 32768, "dtype": "bfloat16",
                   "gpuMemoryUtilization": 0.95, "maxNumSeqs": 256}),
    Case("vllm/quay-args-only.yaml", "qwen-chat", "vllm", "Qwen/Qwen2.5-7B-Instruct", engine_version="0.6.3",
         desired=4, settings={"tensorParallelSize": 1, "maxModelLen": 8192, "gpuMemoryUtilization": 0.9,
                              "servedModelName": "qwen"}),
    Case("vllm/triton-vllm-backend.yaml", "triton-vllm", "vllm", None, uri="/models/vllm_model_repository",
         engine_version="24.08"),
    Case("vllm/helm-chart-rendered.yaml", "vllm-deployment-vllm", "vllm", "opt-125m", uri="pvc://vllm-storage-claim",
         settings={"dtype": "bfloat16", "servedModelName": "opt-125m"}),
    # --- TGI ------------------------------------------------------------------------------------------
    Case("tgi/gke-dlc-env.yaml", "tgi-gemma-deployment", "tgi", "google/gemma-2-2b-it", engine_version="2.3",
         settings={"tensorParallelSize": 1, "maxModelLen": 2048, "gpuMemoryUtilization": 0.93}),
    Case("tgi/ghcr-args.yaml", "mistral-tgi", "tgi", "mistralai/Mistral-7B-Instruct-v0.3", engine_version="2.4.0",
         desired=3, settings={"tensorParallelSize": 2, "maxModelLen": 8192, "quantization": "bitsandbytes-nf4",
                              "maxNumSeqs": 32}),
    Case("tgi/sagemaker-dlc-env.yaml", "llama3-70b-tgi", "tgi", "casperhansen/llama-3-70b-instruct-awq",
         version="e578178", engine_version="2.0.0", desired=2,
         settings={"tensorParallelSize": 4, "maxModelLen": 4096, "quantization": "awq"}),
    Case("tgi/gaudi-rocm-sha.yaml", "tgi-gaudi", "tgi", "meta-llama/Meta-Llama-3.1-8B-Instruct",
         engine_version="2.0.6", settings={"tensorParallelSize": 8, "maxModelLen": 8192, "dtype": "bfloat16"}),
    Case("tgi/gaudi-rocm-sha.yaml", "tgi-rocm", "tgi", "Qwen/Qwen2.5-72B-Instruct", engine_version="2.4.0",
         desired=2, settings={"tensorParallelSize": 8, "kvCacheDtype": "fp8_e4m3fn"}),
    Case("tgi/gaudi-rocm-sha.yaml", "tgi-nightly", "tgi", "phi-3-mini-4k-instruct",
         uri="/data/phi-3-mini-4k-instruct"),
    # --- TEI ------------------------------------------------------------------------------------------
    Case("tei/cpu-revision.yaml", "bge-reranker", "tei", "BAAI/bge-reranker-large", version="refs/pr/4",
         engine_version="1.5", desired=2),
    Case("tei/ada-env.yaml", "e5-embeddings", "tei", "intfloat/multilingual-e5-large-instruct",
         engine_version="1.5", settings={"dtype": "float16", "maxNumSeqs": 64}),
    Case("tei/hopper-hf-cache.yaml", "gte-embeddings", "tei", "thenlper/gte-large",
         version="4bef63f39fcc5e2d6b0aae83089f307af4970164",
         uri="/data/models--thenlper--gte-large/snapshots/4bef63f39fcc5e2d6b0aae83089f307af4970164",
         engine_version="1.5", settings={"maxNumSeqs": 128}),
    Case("tei/hopper-hf-cache.yaml", "tei-dlc", "tei", "Snowflake/snowflake-arctic-embed-m", engine_version="1.4"),
    # --- Triton ---------------------------------------------------------------------------------------
    Case("triton/model-repository-s3.yaml", "triton-server", "triton", None,
         uri="s3://triton-models-prod/model_repository", engine_version="24.08", desired=2),
    Case("triton/explicit-load-model.yaml", "densenet", "triton", "densenet_onnx",
         uri="gs://acme-triton/model_repository", engine_version="23.10"),
    Case("triton/onprem-helm-pvc.yaml", "example-triton-inference-server", "triton", None, uri="pvc://triton-model-repository",
         engine_version="24.01"),
    # --- TensorRT-LLM ---------------------------------------------------------------------------------
    Case("tensorrt-llm/trtllm-serve-release.yaml", "llama-trtllm", "tensorrt-llm", "meta-llama/Llama-3.1-8B-Instruct",
         engine_version="0.21.0", desired=2,
         settings={"tensorParallelSize": 2, "maxModelLen": 8192, "gpuMemoryUtilization": 0.85, "maxNumSeqs": 64}),
    Case("tensorrt-llm/triton-trtllm-backend.yaml", "llama3-triton-trtllm", "tensorrt-llm", "Meta-Llama-3-8B-Instruct",
         uri="/models/Meta-Llama-3-8B-Instruct", engine_version="24.08", settings={"tensorParallelSize": 2}),
    Case("tensorrt-llm/lws-custom-image.yaml", "tensorrt", "tensorrt-llm", None,
         uri="/data/tensorrtllm_backend/all_models/inflight_batcher_llm/", platform="lws",
         settings={"tensorParallelSize": 8, "pipelineParallelSize": 2}),
    # --- SGLang ---------------------------------------------------------------------------------------
    Case("sglang/official-deployment.yaml", "meta-llama-31-8b-instruct-sglang", "sglang",
         "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    Case("sglang/lws.yaml", "sglang", "sglang", "meta-llama/Meta-Llama-3.1-8B-Instruct", engine_version="0.3.5.post2",
         desired=2, platform="lws",
         settings={"tensorParallelSize": 2, "maxModelLen": 8192, "gpuMemoryUtilization": 0.85,
                   "servedModelName": "llama-3.1-8b"}),
    Case("sglang/distributed-statefulset.yaml", "distributed-sglang", "sglang", "DeepSeek-R1",
         uri="/llm-folder/DeepSeek-R1", engine_version="0.4.6.post1", desired=None,
         settings={"tensorParallelSize": 16}),
    # --- Ollama ---------------------------------------------------------------------------------------
    Case("ollama/otwld-chart-rendered.yaml", "ollama", "ollama", "llama3.2", engine_version="0.5.7",
         settings={"maxModelLen": 8192, "kvCacheDtype": "q8_0", "maxNumSeqs": 4}),
    Case("ollama/serve-then-pull.yaml", "qwen-ollama", "ollama", "qwen2.5:7b", engine_version="0.3.12"),
    Case("ollama/statefulset-poststart-run.yaml", "ollama", "ollama", "gemma2:2b"),
    # --- llama.cpp ------------------------------------------------------------------------------------
    Case("llama-cpp/server-cuda-hf.yaml", "gemma3-llamacpp", "llama-cpp", "ggml-org/gemma-3-1b-it-GGUF",
         uri="hf://ggml-org/gemma-3-1b-it-GGUF", settings={"maxModelLen": 8192, "maxNumSeqs": 4}),
    Case("llama-cpp/build-tag-gguf.yaml", "llama31-gguf", "llama-cpp", "Meta-Llama-3.1-8B-Instruct-Q4_K_M",
         uri="/models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", engine_version="b4719", desired=2,
         settings={"maxModelLen": 16384, "quantization": "Q4_K_M", "kvCacheDtype": "q8_0",
                   "servedModelName": "llama3.1-8b"}),
    Case("llama-cpp/env-configured.yaml", "llama32-3b", "llama-cpp", "bartowski/Llama-3.2-3B-Instruct-GGUF",
         uri="hf://bartowski/Llama-3.2-3B-Instruct-GGUF",
         settings={"maxModelLen": 32768, "quantization": "Q4_K_M", "maxNumSeqs": 2, "servedModelName": "llama-3.2-3b"}),
    # --- LMDeploy -------------------------------------------------------------------------------------
    Case("lmdeploy/api-server.yaml", "internlm2-5", "lmdeploy", "internlm/internlm2_5-7b-chat", engine_version="0.6.2",
         settings={"tensorParallelSize": 1, "maxModelLen": 8192, "gpuMemoryUtilization": 0.8}),
    Case("lmdeploy/awq-shell.yaml", "qwen-14b-awq", "lmdeploy", "Qwen/Qwen2.5-14B-Instruct-AWQ", desired=2,
         settings={"tensorParallelSize": 2, "quantization": "awq", "kvCacheDtype": "int8",
                   "servedModelName": "qwen-14b"}),
    Case("lmdeploy/python-module-mirror.yaml", "internlm2-20b", "lmdeploy", "internlm2-chat-20b",
         uri="/models/internlm2-chat-20b", engine_version="0.5.3", settings={"dtype": "float16", "maxNumSeqs": 64}),
    # --- TorchServe -----------------------------------------------------------------------------------
    Case("torchserve/mnist-model-store.yaml", "torchserve", "torchserve", "mnist",
         uri="pvc://model-store-claim/model-store", engine_version="0.12.0"),
    Case("torchserve/aks-pod-store-only.yaml", "torchserve", "torchserve", None, uri="pvc://model-store-claim/model-store"),
    Case("torchserve/kfs-remote-archive.yaml", "densenet-ts", "torchserve", "densenet161",
         uri="https://torchserve.pytorch.org/mar_files/densenet161.mar", engine_version="0.9.0", desired=3),
    # --- TF Serving -----------------------------------------------------------------------------------
    Case("tf-serving/env-model-name.yaml", "half-plus-two", "tf-serving", "half_plus_two",
         uri="pvc://half-plus-two", engine_version="2.14.1", desired=2,
         settings={"servedModelName": "half_plus_two"}),
    Case("tf-serving/args-gcs.yaml", "resnet-serving", "tf-serving", "resnet", uri="gs://acme-models/resnet",
         settings={"servedModelName": "resnet"}),
    Case("tf-serving/kubeflow-legacy.yaml", "mnist", "tf-serving", "mnist", uri="s3://kubeflow-models/mnist/",
         settings={"servedModelName": "mnist"}),
    # --- MLServer -------------------------------------------------------------------------------------
    Case("mlserver/sklearn-env.yaml", "iris-mlserver", "mlserver", "iris", version="v0.1.0",
         uri="/mnt/models/iris/model.joblib", engine_version="1.6.0", desired=2, settings={"servedModelName": "iris"}),
    Case("mlserver/huggingface-start.yaml", "sentiment", "mlserver", "distilbert-base-uncased-finetuned-sst-2-english",
         uri="/mnt/models", engine_version="1.3.5", settings={"servedModelName": "sentiment"}),
    Case("mlserver/mlflow-built-image.yaml", "fraud-detector", "mlserver", "fraud-detector", uri="/opt/ml/model",
         desired=3, settings={"servedModelName": "fraud-detector"}),
    # --- ONNX Runtime ---------------------------------------------------------------------------------
    Case("onnxruntime/ms-server-args.yaml", "resnet50-onnx", "onnxruntime", "resnet50",
         uri="pvc://onnx-models/resnet50/model.onnx", desired=2),
    Case("onnxruntime/ms-server-env.yaml", "ssd-onnx", "onnxruntime", "ssd", uri="/models/ssd.onnx"),
    Case("onnxruntime/kibae-model-dir.yaml", "onnx-server", "onnxruntime", None, uri="/app/models",
         engine_version="1.20.1"),
]


def _spec(case: Case):
    detection = detect_file(case.file)
    found = [s for s in detection.specs if s.workload.name == case.workload]
    assert len(found) == 1, f"{case.id}: {[s.workload.name for s in detection.specs]}"
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_manifest(case: Case) -> None:
    spec = _spec(case)
    data = spec.to_dict()
    assert data["runtime"]["engine"] == case.engine
    assert data["runtime"]["platform"] == case.platform
    assert data["model"] == {"name": case.model, "version": case.version, "uri": case.uri}
    assert data["runtime"]["engineVersion"] == case.engine_version
    expected_settings = {key: case.settings.get(key) for key in SETTINGS_KEYS}
    assert data["runtime"]["settings"] == expected_settings
    for key, value in case.settings.items():
        assert type(data["runtime"]["settings"][key]) is type(value), key   # typed: 2, 0.9, "awq"
    if case.desired is not None:
        assert data["replicas"]["desired"] == case.desired


def test_every_engine_has_three_realistic_manifests() -> None:
    per_engine: dict[str, set[str]] = {}
    for case in CASES:
        per_engine.setdefault(case.engine, set()).add(case.id)
    served = [e for e in ENGINES if e not in ("sagemaker", "custom", "unknown")]
    assert {e: len(per_engine.get(e, ())) for e in served if len(per_engine.get(e, ())) < 3} == {}


def test_round_trip_of_detected_specs() -> None:
    """What detection produces is valid ModelSpec v1 (vocabularies, types)."""
    from collectors.spec import ModelSpec

    for case in CASES:
        spec = _spec(case)
        assert ModelSpec.from_dict(spec.to_dict()).to_dict() == spec.to_dict()


def test_multinode_statefulset_is_one_replica_of_two_pods() -> None:
    spec = _spec(Case("sglang/distributed-statefulset.yaml", "distributed-sglang", "sglang", None))
    assert spec.replicas.desired == 1


@pytest.mark.parametrize("file, workload, model", [
    ("vllm/download-then-serve.yaml", "qwen-coder",
     ModelRef("Qwen/Qwen2.5-Coder-7B-Instruct", None, "hf://Qwen/Qwen2.5-Coder-7B-Instruct")),
    ("ollama/serve-pull-tail.yaml", "ollama-llama32", ModelRef("llama3.2")),
])
def test_a_shell_that_also_downloads_or_idles_still_serves(file: str, workload: str, model: ModelRef) -> None:
    assert _spec(Case(file, workload, "", None)).model == model


def test_local_model_path_is_traced_to_its_claim() -> None:
    spec = _spec(Case("vllm/helm-chart-rendered.yaml", "vllm-deployment-vllm", "vllm", None))
    assert spec.model.uri == "pvc://vllm-storage-claim"


# --- negatives: engine images or look-alikes that do not serve a model -----------------------------------

NEGATIVE_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in (FIXTURES / "negatives").glob("*.yaml"))


@pytest.mark.parametrize("relative", NEGATIVE_FILES)
def test_negatives_are_not_reported(relative: str) -> None:
    detection = detect_file(relative)
    assert [(s.workload.kind, s.workload.name, s.runtime.engine) for s in detection.specs] == []


@pytest.mark.parametrize("workload, reason", [
    ("vllm-benchmark", "not its server"),
    ("vllm-bench-cli", "not its server"),
    ("vllm-debug", "not its server"),
    ("sglang-toolbox", "not its server"),
    ("model-fetcher", "not its server"),
    ("rlhf-rollout", "no serving engine"),
    ("llama-finetune", "no serving engine"),
    ("sft", "runs to completion"),
])
def test_negatives_say_why(workload: str, reason: str) -> None:
    verdicts = [v for f in NEGATIVE_FILES for v in detect_file(f).verdicts if v.name == workload]
    assert verdicts and not verdicts[0].reported
    assert reason in (verdicts[0].reason or "")


# --- odd input ---------------------------------------------------------------------------------------------

def test_nulls_single_string_args_numbers_and_unicode() -> None:
    detection = detect_file("odd/nulls-and-scalars.yaml")
    by_name = {s.workload.name: s for s in detection.specs}
    odd = by_name["odd-vllm"]
    assert (odd.runtime.engine, odd.model.name, odd.replicas.desired) == ("vllm", "facebook/opt-125m", 2)
    assert dict(odd.runtime.settings) == {"maxModelLen": 2048, "servedModelName": "opt-ü"}
    tgi = by_name["odd-tgi"]
    assert dict(tgi.runtime.settings) == {"tensorParallelSize": 2, "maxModelLen": 2048, "gpuMemoryUtilization": 0.5}


def test_model_from_an_unknown_source_is_none_not_a_guess() -> None:
    spec = {s.workload.name: s for s in detect_file("odd/nulls-and-scalars.yaml").specs}["odd-secret-model"]
    assert (spec.runtime.engine, spec.model.name, spec.model.uri) == ("vllm", None, None)
    assert dict(spec.runtime.settings) == {}   # $(TP) is not defined: no tensorParallelSize


def test_unterminated_quote_is_read_leniently() -> None:
    spec = {s.workload.name: s for s in detect_file("odd/nulls-and-scalars.yaml").specs}["odd-unterminated-quote"]
    assert (spec.runtime.engine, spec.model.name) == ("sglang", "Qwen/Qwen2.5-0.5B-Instruct")


def test_huge_argument_list() -> None:
    args = ["--model", "meta-llama/Llama-3.1-70B-Instruct"]
    for i in range(20_000):
        args += [f"--extra-flag-{i}", str(i)]
    args += ["--tensor-parallel-size", "8"]
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "huge"},
                  "spec": {"template": {"spec": {"containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.6.3",
                                                                  "args": args}]}}}}
    spec = detect([deployment]).specs[0]
    assert (spec.model.name, spec.runtime.settings["tensorParallelSize"]) == ("meta-llama/Llama-3.1-70B-Instruct", 8)


def test_a_document_that_is_not_a_mapping_is_skipped() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ok"},
                  "spec": {"template": {"spec": {"containers": [{"name": "o", "image": "ollama/ollama:0.5.7"}]}}}}
    assert [s.workload.name for s in detect([["not", "a", "mapping"], deployment]).specs] == ["ok"]


# --- the signature table, row by row ---------------------------------------------------------------------

IMAGES = [
    # (image, engine it is, engine version its tag states)
    ("vllm/vllm-openai:v0.6.3", "vllm", "0.6.3"),
    ("docker.io/vllm/vllm-openai:0.6.3", "vllm", "0.6.3"),
    ("vllm/vllm-openai:v0.10.1.1", "vllm", "0.10.1.1"),
    ("vllm/vllm-openai:latest", "vllm", None),
    ("vllm/vllm-openai@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "vllm", None),
    ("harbor.corp.example/dockerhub-proxy/vllm/vllm-openai:v0.7.2", "vllm", "0.7.2"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/vllm-openai:v0.8.5", "vllm", "0.8.5"),
    ("index.docker.io/vllm/vllm-openai:v0.6.3.post1", "vllm", "0.6.3.post1"),
    ("localhost:5000/vllm/vllm-openai:v0.5.4", "vllm", "0.5.4"),
    ("artifactory.corp.example/docker-remote/vllm/vllm-openai:v0.6.3@sha256:"
     "4f4c1c2f1a3e0bd0a61b6a9b3d5d5f03b1d1d6d8f0a7e2c6b3e9f1c2d3e4f5a6", "vllm", "0.6.3"),
    ("europe-docker.pkg.dev/acme/mirror/vllm/vllm-openai:v0.9.0", "vllm", "0.9.0"),
    ("acmeregistry.azurecr.io/hf/text-generation-inference:2.3.1", "tgi", "2.3.1"),
    ("gcr.io/acme-prod/mirror/ollama/ollama:0.4.0", "ollama", "0.4.0"),
    ("registry.acme.io/ml/vllm-openai-test:v1", "vllm", None),   # a team's own build: no vLLM version in it
    ("vllm/vllm-openai", "vllm", None),
    ("public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo:v0.8.5", "vllm", "0.8.5"),
    ("rocm/vllm:rocm6.2_mi300_ubuntu20.04_py3.9_vllm_0.6.4", "vllm", "0.6.4"),
    ("lmcache/vllm-openai:v0.3.1", "vllm", None),          # LMCache's release number, not vLLM's
    ("ghcr.io/llm-d/llm-d:v0.2.0", "vllm", None),
    ("registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.0.0", "vllm", None),
    ("nvcr.io/nvidia/tritonserver:24.08-vllm-python-py3", "vllm", "24.08"),
    ("ghcr.io/huggingface/text-generation-inference:2.4.0", "tgi", "2.4.0"),
    ("ghcr.io/huggingface/text-generation-inference:2.4.0-rocm", "tgi", "2.4.0"),
    ("ghcr.io/huggingface/text-generation-inference:sha-7e2a743", "tgi", None),
    ("ghcr.io/huggingface/tgi-gaudi:2.0.6", "tgi", "2.0.6"),
    ("763104351884.dkr.ecr.us-west-2.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04",
     "tgi", "2.4.0"),
    ("763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1.2-optimum0.0.25-neuronx-py310-ubuntu22.04",
     "tgi", None),
    ("ghcr.io/huggingface/text-embeddings-inference:cpu-1.5", "tei", "1.5"),
    ("ghcr.io/huggingface/text-embeddings-inference:86-1.5", "tei", "1.5"),
    ("ghcr.io/huggingface/text-embeddings-inference:hopper-1.7.2", "tei", "1.7.2"),
    ("ghcr.io/huggingface/text-embeddings-inference:turing-latest", "tei", None),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/huggingface-tei:2.0.1-tei1.2.3-gpu-py310-cu122-ubuntu22.04",
     "tei", "1.2.3"),
    ("nvcr.io/nvidia/tritonserver:24.08-py3", "triton", "24.08"),
    ("nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3", "tensorrt-llm", "24.08"),
    ("nvcr.io/nvidia/tensorrt-llm/release:1.0.0rc4", "tensorrt-llm", "1.0.0rc4"),
    ("lmsysorg/sglang:v0.4.6.post1-cu124", "sglang", "0.4.6.post1"),
    ("lmsysorg/sglang:v0.4.0-rocm620", "sglang", "0.4.0"),
    ("lmsysorg/sglang:dev", "sglang", None),
    ("ollama/ollama:0.5.7", "ollama", "0.5.7"),
    ("ollama/ollama:0.3.12-rocm", "ollama", "0.3.12"),
    ("ghcr.io/ggml-org/llama.cpp:server-cuda", "llama-cpp", None),
    ("ghcr.io/ggml-org/llama.cpp:server-cuda-b4719", "llama-cpp", "b4719"),
    ("ghcr.io/ggerganov/llama.cpp:server", "llama-cpp", None),
    ("openmmlab/lmdeploy:v0.6.2-cu12", "lmdeploy", "0.6.2"),
    ("openmmlab/lmdeploy:latest-cu12", "lmdeploy", None),
    ("pytorch/torchserve:0.12.0-gpu", "torchserve", "0.12.0"),
    ("pytorch/torchserve-kfs:0.9.0", "torchserve", "0.9.0"),
    ("tensorflow/serving:2.14.1-gpu", "tf-serving", "2.14.1"),
    ("tensorflow/serving:latest", "tf-serving", None),
    ("seldonio/mlserver:1.6.0-sklearn", "mlserver", "1.6.0"),
    ("mcr.microsoft.com/onnxruntime/server:latest", "onnxruntime", None),
    ("kibaes/onnxruntime-server:1.20.1-linux-cuda12", "onnxruntime", "1.20.1"),
]


@pytest.mark.parametrize("image, engine, version", IMAGES, ids=[i[0] for i in IMAGES])
def test_image_signature(image: str, engine: str, version: str | None) -> None:
    match = runtimes.match_container({"name": "c", "image": image})
    assert match is not None and match.engine == engine
    assert runtimes.engine_version(engine, image) == version


NOT_ENGINE_IMAGES = [
    "python:3.11", "nginx:1.27", "postgres:16", "redis:7", "quay.io/jupyter/pytorch-notebook:latest",
    "registry.acme.io/platform/myvllmproxy:1.4.0", "ghcr.io/vllm-project/guidellm:latest",
    "ghcr.io/vllm-project/semantic-router/extproc:latest", "ghcr.io/vllm-project/semantic-router/vllm-sr:latest",
    "ghcr.io/vllm-project/semantic-router/mock-vllm:latest", "lmcache/lmstack-router:latest",
    "nvcr.io/nvidia/tritonserver:24.08-py3-sdk", "registry.acme.io/tools/triton-client:2.1",
    "acme/vllm-exporter:0.1", "ghcr.io/open-webui/open-webui:ollama", "ghcr.io/ggml-org/llama.cpp:light",
    "ghcr.io/ggml-org/llama.cpp:full-cuda", "nvcr.io/nvidia/pytorch:24.08-py3", "lmsysorg/sglang-router:latest",
]


@pytest.mark.parametrize("image", NOT_ENGINE_IMAGES)
def test_image_that_is_not_an_engine(image: str) -> None:
    assert runtimes.match_container({"name": "c", "image": image}) is None


def test_version_only_from_the_engines_own_image() -> None:
    assert runtimes.engine_version("vllm", "python:3.11") is None
    assert runtimes.engine_version("vllm", "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3") is None
    assert runtimes.engine_version("tgi", "vllm/vllm-openai:v0.6.3") is None
    assert runtimes.engine_version("no-such-engine", "vllm/vllm-openai:v0.6.3") is None
    assert runtimes.engine_version("vllm", None) is None


def test_command_beats_image_and_refinements_override() -> None:
    sglang_on_vllm = {"image": "vllm/vllm-openai:v0.6.3", "command": ["python3", "-m", "sglang.launch_server"]}
    assert runtimes.match_container(sglang_on_vllm).engine == "sglang"
    trtllm_repo = {"image": "nvcr.io/nvidia/tritonserver:24.08-py3",
                   "args": ["tritonserver", "--model-repository=/tensorrtllm_backend/all_models/inflight_batcher_llm"]}
    assert runtimes.match_container(trtllm_repo).engine == "tensorrt-llm"


def test_serving_container_is_found_among_sidecars() -> None:
    containers = [
        {"name": "envoy", "image": "envoyproxy/envoy:v1.31"},
        {"name": "model", "image": "python:3.11", "command": ["vllm", "serve", "m"]},
        {"name": "exporter", "image": "acme/vllm-exporter:0.1"},
    ]
    best = runtimes.best_engine(containers)
    assert best is not None and best.container["name"] == "model" and best.by_command


def test_env_alone_names_an_engine_only_when_specific() -> None:
    assert runtimes.match_container({"image": "acme/fraud:1", "env": [
        {"name": "MLSERVER_MODEL_IMPLEMENTATION", "value": "mlserver_sklearn.SKLearnModel"}]}).engine == "mlserver"
    assert runtimes.match_container({"image": "acme/app:1", "env": [{"name": "OLLAMA_HOST", "value": "x"},
                                                                     {"name": "VLLM_API_KEY", "value": "y"}]}) is None


def test_every_signature_row_is_an_engine_of_the_vocabulary() -> None:
    for sig in runtimes.ENGINE_SIGNATURES:
        assert sig.engine in ENGINES
        assert sig.images and sig.commands and sig.versions, sig.engine
