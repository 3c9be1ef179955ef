"""Model extraction, unit by unit: references, flags, one row per engine (shell parsing: test_shell.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from collectors.detect import runtimes
from collectors.detect.models import ENGINE_ARGS, ArgView, commands_of, interpret_model, model_from_container
from collectors.spec import ENGINES, SETTINGS_KEYS, ModelRef

# --- interpret_model ---------------------------------------------------------------------------------------

REFERENCES = [
    ("meta-llama/Llama-3.1-8B-Instruct", ModelRef("meta-llama/Llama-3.1-8B-Instruct")),
    ("gpt2", ModelRef("gpt2")),
    ("llama3.2:3b", ModelRef("llama3.2:3b")),                     # Ollama names keep their tag
    ("  'Qwen/Qwen2.5-7B-Instruct'  ", ModelRef("Qwen/Qwen2.5-7B-Instruct")),
    ("hf://meta-llama/Llama-3.1-8B", ModelRef("meta-llama/Llama-3.1-8B", None, "hf://meta-llama/Llama-3.1-8B")),
    ("hf://org/model@abc123", ModelRef("org/model", "abc123", "hf://org/model@abc123")),
    ("s3://bucket/llms/llama-3-8b/v3/", ModelRef("llama-3-8b", "v3", "s3://bucket/llms/llama-3-8b/v3/")),
    ("gs://acme-models/resnet/2024-06-01", ModelRef("resnet", "2024-06-01", "gs://acme-models/resnet/2024-06-01")),
    ("gs://bucket-only", ModelRef(None, None, "gs://bucket-only")),
    ("pvc://weights/mistral-7b", ModelRef("mistral-7b", None, "pvc://weights/mistral-7b")),
    ("pvc://weights", ModelRef(None, None, "pvc://weights")),
    ("/mnt/models", ModelRef(None, None, "/mnt/models")),
    ("/models/resnet/1", ModelRef("resnet", "1", "/models/resnet/1")),
    ("/models/resnet50/model.onnx", ModelRef("resnet50", None, "/models/resnet50/model.onnx")),
    ("/models/mistral-7b-instruct-v0.2.Q4_K_M.gguf",
     ModelRef("mistral-7b-instruct-v0.2.Q4_K_M", None, "/models/mistral-7b-instruct-v0.2.Q4_K_M.gguf")),
    ("/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B/snapshots/0e9e39f249a16976918f6564b8830bc894c89659",
     ModelRef("meta-llama/Llama-3.1-8B", "0e9e39f249a16976918f6564b8830bc894c89659",
              "/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B/snapshots/"
              "0e9e39f249a16976918f6564b8830bc894c89659")),
    ("./weights/phi-3", ModelRef("phi-3", None, "./weights/phi-3")),
    ("https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/main/llama-2-7b.Q4_K_M.gguf",
     ModelRef("TheBloke/Llama-2-7B-GGUF", None,
              "https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/main/llama-2-7b.Q4_K_M.gguf")),
    ("https://torchserve.pytorch.org/mar_files/densenet161.mar",
     ModelRef("densenet161", None, "https://torchserve.pytorch.org/mar_files/densenet161.mar")),
    ("hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M",
     ModelRef("bartowski/Llama-3.2-3B-Instruct-GGUF", None, "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M")),
    ("models:/fraud-detector/3", ModelRef("fraud-detector", "3", "models:/fraud-detector/3")),
    ("models:/fraud-detector@champion", ModelRef("fraud-detector", None, "models:/fraud-detector@champion")),
    ("runs:/0a1b2c/model", ModelRef(None, None, "runs:/0a1b2c/model")),
    ("oci://registry.acme.io/models/granite-3b:1.1", ModelRef("granite-3b", "1.1", "oci://registry.acme.io/models/granite-3b:1.1")),
    ("", ModelRef()),
    (None, ModelRef()),
    ("$(MODEL_ID)", ModelRef()),        # unresolved: unknown, not a name
    ("--port", ModelRef()),
    ("true", ModelRef()),
]


@pytest.mark.parametrize("value, expected", REFERENCES, ids=[str(r[0])[:60] for r in REFERENCES])
def test_interpret_model(value: str | None, expected: ModelRef) -> None:
    assert interpret_model(value) == expected


# --- the flag parser ---------------------------------------------------------------------------------------

def test_argview_value_forms() -> None:
    view = ArgView(["--tensor_parallel_size", "2", "--max-model-len=4096", "-tp", "4", "--enforce-eager",
                    "--dtype", "$(DTYPE)", "--offset", "-1"], {"DTYPE": "half"})
    assert view.value(["--tensor-parallel-size", "-tp"]) == ("-tp", "4")        # last occurrence wins
    assert view.value(["--max-model-len"]) == ("--max-model-len", "4096")
    assert view.value(["--enforce-eager"]) == ("--enforce-eager", "true")        # a switch
    assert view.value(["--dtype"]) == ("--dtype", "half")
    assert view.value(["--offset"]) == ("--offset", "-1")
    assert view.value(["--absent", "$DTYPE"]) == ("env DTYPE", "half")
    assert view.value(["--absent"]) is None


def test_argview_first_is_an_order_of_preference() -> None:
    view = ArgView(["--max-concurrent-requests", "128", "--max-batch-size", "32"], {"MAX_BATCH_SIZE": "8"})
    assert view.first(["--max-batch-size", "--max-concurrent-requests"]) == ("--max-batch-size", "32")
    assert view.first(["--absent", "$MAX_BATCH_SIZE", "--max-concurrent-requests"]) == ("env MAX_BATCH_SIZE", "8")
    tgi = model_from_container("tgi", {"args": ["--model-id", "m", "--max-concurrent-requests", "256"]})
    assert tgi.settings == {"maxNumSeqs": 256}


def test_argview_unresolved_values_are_skipped() -> None:
    view = ArgView(["--model", "$(SECRET_MODEL)"], {"SECRET_MODEL": ""})
    assert view.value(["--model"]) is None


def test_argview_positional_skips_flags_and_their_values() -> None:
    assert ArgView(["serve", "--trust-remote-code", "org/m", "--tp", "2"], {}).positional(["serve"]) == "org/m"
    assert ArgView(["serve", "--port", "8000", "org/m"], {}).positional(["serve"]) == "org/m"
    assert ArgView(["serve", "--port=8000", "org/m"], {}).positional(["serve"]) == "org/m"
    assert ArgView(["serve"], {}).positional(["serve"]) is None
    assert ArgView(["bench", "serve", "m"], {}).positional(["serve"]) is None


# --- one row of ENGINE_ARGS at a time ------------------------------------------------------------------------

ROWS: list[tuple[str, dict[str, Any], ModelRef, dict[str, Any]]] = [
    ("vllm", {"command": ["vllm", "serve", "org/m", "--revision", "r1", "-tp", "2", "-pp", "2", "--max-model-len", "4096",
                          "--dtype", "half", "-q", "fp8", "--gpu-memory-utilization", "0.8", "--kv-cache-dtype", "fp8",
                          "--max-num-seqs", "64", "--served-model-name", "a", "b"]},
     ModelRef("org/m", "r1"), {"tensorParallelSize": 2, "pipelineParallelSize": 2, "maxModelLen": 4096, "dtype": "half",
                               "quantization": "fp8", "gpuMemoryUtilization": 0.8, "kvCacheDtype": "fp8",
                               "maxNumSeqs": 64, "servedModelName": "a"}),
    ("tgi", {"env": [{"name": "MODEL_ID", "value": "org/m"}, {"name": "REVISION", "value": "r2"},
                     {"name": "NUM_SHARD", "value": "4"}, {"name": "QUANTIZE", "value": "gptq"},
                     {"name": "MAX_BATCH_SIZE", "value": "16"}]},
     ModelRef("org/m", "r2"), {"tensorParallelSize": 4, "quantization": "gptq", "maxNumSeqs": 16}),
    ("tei", {"args": ["--model-id", "BAAI/bge-m3", "--dtype", "float16", "--served-model-name", "bge"]},
     ModelRef("BAAI/bge-m3"), {"dtype": "float16", "servedModelName": "bge"}),
    ("sglang", {"command": ["python3", "-m", "sglang.launch_server", "--model-path", "org/m", "--tp-size", "8",
                            "--context-length", "32768", "--mem-fraction-static", "0.88", "--max-running-requests", "256",
                            "--quantization", "fp8", "--kv-cache-dtype", "fp8_e5m2", "--pp-size", "2"]},
     ModelRef("org/m"), {"tensorParallelSize": 8, "maxModelLen": 32768, "gpuMemoryUtilization": 0.88,
                         "maxNumSeqs": 256, "quantization": "fp8", "kvCacheDtype": "fp8_e5m2", "pipelineParallelSize": 2}),
    ("tensorrt-llm", {"command": ["trtllm-serve", "serve", "org/m", "--tp_size", "4", "--pp_size", "2",
                                  "--max_seq_len", "4096", "--max_batch_size", "8"]},
     ModelRef("org/m"), {"tensorParallelSize": 4, "pipelineParallelSize": 2, "maxModelLen": 4096, "maxNumSeqs": 8}),
    ("lmdeploy", {"command": ["lmdeploy", "serve", "api_server", "org/m", "--tp", "2", "--session-len", "8192",
                              "--model-format", "hf", "--quant-policy", "4", "--model-name", "m"]},
     ModelRef("org/m"), {"tensorParallelSize": 2, "maxModelLen": 8192, "kvCacheDtype": "int4", "servedModelName": "m"}),
    ("llama-cpp", {"args": ["-hf", "org/m-GGUF:Q8_0", "-c", "4096", "-np", "2", "-a", "m"]},
     ModelRef("org/m-GGUF", None, "hf://org/m-GGUF"),
     {"maxModelLen": 4096, "maxNumSeqs": 2, "quantization": "Q8_0", "servedModelName": "m"}),
    ("ollama", {"command": ["sh", "-c", "ollama serve & sleep 3; ollama pull phi3:mini; wait"],
                "env": [{"name": "OLLAMA_NUM_PARALLEL", "value": "2"}]},
     ModelRef("phi3:mini"), {"maxNumSeqs": 2}),
    ("triton", {"args": ["tritonserver", "--model-repository=s3://b/repo", "--load-model", "bert"]},
     ModelRef("bert", None, "s3://b/repo"), {}),
    ("torchserve", {"args": ["torchserve", "--start", "--models", "all", "--model-store", "/mnt/models/model-store"]},
     ModelRef(None, None, "/mnt/models/model-store"), {}),
    ("tf-serving", {"env": [{"name": "MODEL_NAME", "value": "bert"}, {"name": "MODEL_BASE_PATH", "value": "s3://b/tf"}]},
     ModelRef("bert", None, "s3://b/tf/bert"), {"servedModelName": "bert"}),
    ("mlserver", {"env": [{"name": "MLSERVER_MODEL_NAME", "value": "wine"},
                          {"name": "MLSERVER_MODEL_URI", "value": "s3://b/wine/model.pkl"}]},
     ModelRef("wine", None, "s3://b/wine/model.pkl"), {"servedModelName": "wine"}),
    ("onnxruntime", {"args": ["--model_path", "/models/bert/model.onnx"]},
     ModelRef("bert", None, "/models/bert/model.onnx"), {}),
]


@pytest.mark.parametrize("engine, container, model, settings", ROWS, ids=[r[0] for r in ROWS])
def test_engine_args_row(engine: str, container: dict[str, Any], model: ModelRef, settings: dict[str, Any]) -> None:
    found = model_from_container(engine, {"name": "c", **container})
    assert found.model == model
    assert found.settings == settings


def test_every_engine_has_a_row_and_rows_use_known_settings() -> None:
    served = {e for e in ENGINES if e not in ("sagemaker", "custom", "unknown")}
    assert set(ENGINE_ARGS) == served
    assert {sig.engine for sig in runtimes.ENGINE_SIGNATURES} == served
    for engine, row in ENGINE_ARGS.items():
        assert set(row.settings) <= set(SETTINGS_KEYS), engine
        for words in (*row.positional, *row.uri_positional, *row.pulls):
            assert words and all(w and " " not in w for w in words), (engine, words)
        for flag in (*row.model_flags, *row.revision_flags, *row.served_name_flags, *row.uri_flags,
                     *(f for flags in row.settings.values() for f in flags)):
            assert flag.startswith("-") or re.fullmatch(r"\$[A-Z][A-Z0-9_]*", flag), (engine, flag)


# --- precedence and provenance ---------------------------------------------------------------------------------

def test_flag_wins_over_env_and_served_name_only_as_last_resort() -> None:
    both = model_from_container("tgi", {"args": ["--model-id", "org/flag"], "env": [{"name": "MODEL_ID", "value": "org/env"}]})
    assert both.model.name == "org/flag"
    served_only = model_from_container("vllm", {"command": ["vllm", "serve", "$(SECRET)", "--served-model-name", "chat"],
                                                "env": [{"name": "SECRET", "valueFrom": {"secretKeyRef": {}}}]})
    assert served_only.model.name == "chat"
    assert "model name from --served-model-name" in served_only.signals


def test_generic_model_env_for_custom_launchers() -> None:
    found = model_from_container("vllm", {"command": ["/app/start.sh"], "env": [
        {"name": "HF_MODEL_ID", "value": "org/from-env"}, {"name": "MODEL_REVISION", "value": "v2"}]})
    assert found.model == ModelRef("org/from-env", "v2")


def test_the_engine_command_is_picked_from_a_chain() -> None:
    found = model_from_container("vllm", {"command": ["sh", "-c",
        "python3 /scripts/warmup.py --model wrong/one && exec vllm serve right/one --max-model-len 1024"]})
    assert (found.model.name, found.settings) == ("right/one", {"maxModelLen": 1024})


def test_download_then_serve_names_the_repository() -> None:
    found = model_from_container("vllm", {"command": ["bash", "-c",
        "huggingface-cli download Qwen/Qwen2.5-7B-Instruct --revision a1b2c3 --local-dir /models/qwen && "
        "vllm serve /models/qwen --port 8000"]})
    assert found.model == ModelRef("Qwen/Qwen2.5-7B-Instruct", "a1b2c3", "hf://Qwen/Qwen2.5-7B-Instruct")


def test_copy_from_a_bucket_gives_the_uri() -> None:
    found = model_from_container("sglang", {"command": ["sh", "-c",
        "aws s3 cp --recursive s3://llm-weights/llama-3-8b/ /models/llama-3-8b && "
        "python3 -m sglang.launch_server --model-path /models/llama-3-8b"]})
    assert found.model == ModelRef("llama-3-8b", None, "s3://llm-weights/llama-3-8b")


POD = {
    "volumes": [{"name": "weights", "persistentVolumeClaim": {"claimName": "llm-weights"}},
                {"name": "scratch", "emptyDir": {}}],
    "initContainers": [{"name": "fetch", "image": "python:3.11",
                        "command": ["hf", "download", "mistralai/Mistral-7B-Instruct-v0.3", "--local-dir", "/cache/m"]}],
}


def test_pod_spec_traces_a_path_to_its_claim() -> None:
    container = {"command": ["vllm", "serve", "/models/llama-3-8b"],
                 "volumeMounts": [{"name": "weights", "mountPath": "/models", "subPath": "prod"}]}
    found = model_from_container("vllm", container, pod_spec=POD)
    assert found.model == ModelRef("llama-3-8b", None, "pvc://llm-weights/prod/llama-3-8b")
    assert model_from_container("vllm", container).model.uri == "/models/llama-3-8b"   # without the pod: the path


def test_pod_spec_traces_an_init_container_download() -> None:
    container = {"command": ["vllm", "serve", "/cache/m"], "volumeMounts": [{"name": "scratch", "mountPath": "/cache"}]}
    found = model_from_container("vllm", container, pod_spec=POD)
    assert found.model == ModelRef("mistralai/Mistral-7B-Instruct-v0.3", None, "hf://mistralai/Mistral-7B-Instruct-v0.3")


def test_ollama_models_from_a_helm_post_start_hook_and_init_containers() -> None:
    container = {"image": "ollama/ollama", "lifecycle": {"postStart": {"exec": {"command": [
        "/bin/sh", "-c", 'while ! /bin/ollama ps > /dev/null 2>&1; do\n  sleep 5\ndone\n'
        'echo "llama3.1:8b mistral" | xargs -n1 /bin/ollama pull --insecure\n']}}}}
    found = model_from_container("ollama", container)
    assert found.model.name == "llama3.1:8b"
    assert "also serves mistral" in found.signals
    pod = {"initContainers": [{"name": "pull", "command": ["ollama", "pull", "phi3"]}]}
    assert model_from_container("ollama", {"image": "ollama/ollama"}, pod_spec=pod).model.name == "phi3"


def test_ollama_pull_with_a_default_from_env_in_the_script() -> None:
    container = {"image": "ollama/ollama:0.6.2", "command": ["/bin/sh", "-c", (
        '/bin/ollama serve & OLLAMA_PID=$!\n'
        'MODEL="${OLLAMA_MODEL:-qwen2.5:7b-instruct}"\n'
        'OLLAMA_HOST=127.0.0.1:11434 /bin/ollama pull "$MODEL"\n'
        'wait "$OLLAMA_PID"')]}
    assert model_from_container("ollama", container).model.name == "qwen2.5:7b-instruct"
    container["env"] = [{"name": "OLLAMA_MODEL", "value": "llama3.1:70b"}]
    assert model_from_container("ollama", container).model.name == "llama3.1:70b"


def test_triton_hosted_engines_read_triton_flags() -> None:
    found = model_from_container("tensorrt-llm", {"args": [
        "tritonserver", "--model-repository=/tensorrtllm_backend/all_models/inflight_batcher_llm"]})
    assert found.model == ModelRef(None, None, "/tensorrtllm_backend/all_models/inflight_batcher_llm")


def test_commands_of_explains_what_runs() -> None:
    assert [c.line for c in commands_of({"args": ["--model", "m"]}, "vllm")] == ["vllm serve --model m"]
    assert [c.line for c in commands_of({"command": ["sh", "-c", "a; b"]})] == ["a", "b"]


@pytest.mark.parametrize("container", [
    {}, {"command": None, "args": None, "env": None}, {"command": {"oops": 1}}, {"args": [None, 3, 2.5, True]},
    {"env": [{"name": "MODEL_ID", "value": None}]}, {"command": ["sh", "-c", "\\"]}, {"args": "'"},
])
def test_odd_containers_do_not_raise(container: dict[str, Any]) -> None:
    for engine in (*ENGINE_ARGS, "unknown"):
        found = model_from_container(engine, container)
        assert found.model.name is None or isinstance(found.model.name, str)
