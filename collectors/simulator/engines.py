"""Serving engines and non-serving presets: how each one's container looks in its public examples.

Command/args/env templates are formatted with the workload's values and split on spaces, so one
template item may give a flag and its value. An item naming a value the workload does not have
(`{revision}` without a revision, `{tp}` on one GPU) is left out, as a manifest writer would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectors.simulator.catalog import Gpu


@dataclass(frozen=True, slots=True)
class Engine:
    name: str
    image: str
    container: str
    port: int
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    gpus: int = 1                  # GPUs per replica when the workload does not say
    probe: str | None = "/health"
    shm: bool = False              # tensor-parallel engines want a larger /dev/shm


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("vllm", "vllm/vllm-openai:v0.6.3", "vllm", 8000,
           args=("--model={model}", "--revision={revision}", "--tensor-parallel-size={tp}", "--max-model-len=8192",
                 "--gpu-memory-utilization=0.9", "--port=8000"), shm=True),
    Engine("tgi", "ghcr.io/huggingface/text-generation-inference:2.4.0", "tgi", 8080,
           env=(("MODEL_ID", "{model}"), ("REVISION", "{revision}"), ("NUM_SHARD", "{tp}"),
                ("MAX_INPUT_LENGTH", "4096"), ("MAX_TOTAL_TOKENS", "8192"), ("PORT", "8080")), shm=True),
    Engine("sglang", "lmsysorg/sglang:v0.4.1-cu124", "sglang", 30000,
           command=("python3 -m sglang.launch_server", "--model-path {model}", "--revision {revision}", "--tp {tp}",
                    "--host 0.0.0.0 --port 30000"), shm=True),
    Engine("triton", "nvcr.io/nvidia/tritonserver:24.08-py3", "triton", 8000, command=("tritonserver",),
           args=("--model-repository={model}", "--model-control-mode=poll"), probe="/v2/health/ready"),
    Engine("tensorrt-llm", "nvcr.io/nvidia/tensorrt-llm/release:0.17.0", "trtllm", 8000,
           command=("trtllm-serve {model}", "--tp_size {tp}", "--host 0.0.0.0 --port 8000"), shm=True),
    Engine("tei", "ghcr.io/huggingface/text-embeddings-inference:1.5", "tei", 8080,
           args=("--model-id {model}", "--revision {revision}", "--port 8080")),
    Engine("ollama", "ollama/ollama:0.5.7", "ollama", 11434,
           env=(("OLLAMA_HOST", "0.0.0.0"), ("OLLAMA_KEEP_ALIVE", "24h")), probe=None),
    Engine("lmdeploy", "openmmlab/lmdeploy:v0.6.4-cu12", "lmdeploy", 23333,
           command=("lmdeploy serve api_server {model}", "--tp {tp}", "--server-port 23333")),
    Engine("llama-cpp", "ghcr.io/ggml-org/llama.cpp:server-cuda", "llama-server", 8080,
           args=("--hf-repo {model}", "--host 0.0.0.0 --port 8080 --n-gpu-layers 999")),
    Engine("torchserve", "pytorch/torchserve:0.12.0-gpu", "torchserve", 8080,
           command=("torchserve --start --foreground --model-store /home/model-server/model-store",
                    "--models {name}={model}"), probe="/ping"),
    Engine("tf-serving", "tensorflow/serving:2.17.0-gpu", "tf-serving", 8501,
           args=("--model_name={name}", "--model_base_path={model}", "--rest_api_port=8501"), probe=None),
    Engine("mlserver", "seldonio/mlserver:1.6.1", "mlserver", 8080, gpus=0,
           env=(("MLSERVER_MODEL_NAME", "{name}"), ("MLSERVER_MODEL_URI", "{model}"),
                ("MLSERVER_MODEL_IMPLEMENTATION", "mlserver_sklearn.SKLearnModel")), probe="/v2/health/ready"),
    Engine("nim", "nvcr.io/nim/{model}:{version}", "nim", 8000,
           env=(("NIM_CACHE_PATH", "/opt/nim/.cache"),), probe="/v1/health/ready", shm=True),
    Engine("custom", "", "server", 8080, gpus=0, probe=None),
)}

NIM_DEFAULT_VERSION = "1.3.3"
# TEI publishes one image per GPU generation; the tag prefix names it.
TEI_TAG_PREFIX = {"T4": "turing-", "L4": "89-", "L40S": "89-", "A10": "86-", "A10G": "86-",
                  "H100-80GB": "hopper-", "H100-94GB": "hopper-", "H200-141GB": "hopper-"}


@dataclass(frozen=True, slots=True)
class Preset:
    """Ordinary workloads that are not model serving (some use GPUs, some use a serving engine's image)."""

    kind: str
    image: str
    container: str
    port: int | None = None
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    gpus: int = 0


PRESETS: dict[str, Preset] = {
    "web": Preset("Deployment", "nginx:1.27-alpine", "nginx", 80),
    "api": Preset("Deployment", "registry.internal.example.com/{team}/{name}:2026.06.1", "app", 8080,
                  env=(("LOG_LEVEL", "info"),)),
    "worker": Preset("Deployment", "registry.internal.example.com/{team}/{name}:2026.06.1", "worker",
                     command=("celery -A app worker --loglevel=info",)),
    "postgres": Preset("StatefulSet", "postgres:16.4", "postgres", 5432, env=(("POSTGRES_DB", "app"),)),
    "redis": Preset("StatefulSet", "redis:7.2-alpine", "redis", 6379),
    "notebook": Preset("StatefulSet", "quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07", "notebook", 8888,
                       command=("start-notebook.py --IdentityProvider.token=''",), gpus=1),
    "training": Preset("Job", "nvcr.io/nvidia/pytorch:24.08-py3", "trainer",
                       command=("torchrun --nproc_per_node={gpus} train.py --model {model} --epochs 3",), gpus=8),
    "benchmark": Preset("Job", "vllm/vllm-openai:v0.6.3", "bench",
                        command=("vllm bench serve --model {model} --base-url http://{name}:8000",
                                 "--num-prompts 1000")),
    "download": Preset("Job", "python:3.11-slim", "download",
                       command=("huggingface-cli download {model} --local-dir /models",)),
}


def fill(templates: tuple[str, ...], values: dict[str, Any]) -> list[str]:
    """Format each template and split it into argv words; drop templates naming a missing value."""
    words: list[str] = []
    for template in templates:
        try:
            formatted = template.format_map(_Strict(values))
        except KeyError:
            continue
        words.extend(formatted.split(" "))
    return words


def fill_env(pairs: tuple[tuple[str, str], ...], values: dict[str, Any]) -> list[dict[str, str]]:
    env = []
    for name, template in pairs:
        try:
            env.append({"name": name, "value": template.format_map(_Strict(values))})
        except KeyError:
            continue
    return env


def tei_image(image: str, gpu: Gpu | None) -> str:
    repo, _, tag = image.rpartition(":")
    prefix = "cpu-" if gpu is None else TEI_TAG_PREFIX.get(gpu.name, "")
    return f"{repo}:{prefix}{tag}"


class _Strict(dict):
    """format_map mapping where a None value counts as missing."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if value is None:
            raise KeyError(key)
        return value
