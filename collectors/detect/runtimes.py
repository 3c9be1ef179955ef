"""Which serving engine a container runs: one table of signatures, one row per engine.

A row matches on the image (repository and tag), on the command line, or on both. Rows are tried in
order and the strongest match wins, so the more specific engines (TensorRT-LLM on a Triton image,
TEI before TGI) come first. Adding an engine is adding a row here and a test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.detect.objects import command_line, env_map, text


@dataclass(frozen=True)
class EngineSignature:
    engine: str
    images: tuple[str, ...] = ()          # regexes searched in the image reference (lower-cased)
    commands: tuple[str, ...] = ()        # regexes searched in the command line joined by spaces
    env: tuple[str, ...] = ()             # env names only this engine reads (a supporting signal)
    version_pattern: str = r"v?(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)"  # engine version from the image tag
    platform: str = "kubernetes"


ENGINE_SIGNATURES: tuple[EngineSignature, ...] = (
    EngineSignature(
        engine="tensorrt-llm",
        images=(r"tensorrt[-_]?llm", r"tritonserver:[^@]*trtllm", r"/trtllm", r"tensorrtllm"),
        commands=(r"(^|[\s/])trtllm-serve(\s|$)", r"tensorrt_llm\.(serve|commands)",
                  r"launch_triton_server\.py", r"tensorrtllm_backend", r"(^|\s)trtllm-build\b"),
        env=("TRTLLM_ORCHESTRATOR",),
        version_pattern=r"(\d+\.\d+(?:\.\d+)?(?:rc\d+)?)",
    ),
    EngineSignature(
        engine="tei",
        images=(r"text-embeddings-inference", r"/tei(-[a-z0-9]+)?:"),
        commands=(r"(^|[\s/])text-embeddings-router(\s|$)",),
    ),
    EngineSignature(
        engine="tgi",
        images=(r"text-generation-inference", r"/tgi(-gaudi)?:", r"tgi-gaudi", r"huggingface-pytorch-tgi-inference",
                r"/tgi-[a-z]+:"),
        commands=(r"(^|[\s/])text-generation-launcher(\s|$)", r"text_generation_server"),
        env=("MAX_TOTAL_TOKENS", "MAX_INPUT_LENGTH", "MAX_INPUT_TOKENS", "NUM_SHARD", "SHARDED"),
    ),
    EngineSignature(
        engine="sglang",
        images=(r"(^|/)sglang(:|$)", r"lmsysorg/sglang", r"/sglang[-:]"),
        commands=(r"sglang\.launch_server", r"(^|[\s/])sglang\s+serve\b", r"sglang_router\.launch_server"),
        env=("SGLANG_",),
    ),
    EngineSignature(
        engine="vllm",
        images=(r"vllm[-/]openai", r"(^|/)vllm(:|$|-)", r"/vllm[-:]", r"rocm/vllm", r"llm-d(-[a-z]+)?:",
                r"vllm-tpu", r"vllm-cpu"),
        commands=(r"vllm\.entrypoints\.", r"(^|[\s/])vllm\s+serve(\s|$)", r"(^|[\s/])vllm(\s|$)--",
                  r"(^|[\s/])vllm\s+--"),
        env=("VLLM_",),
    ),
    EngineSignature(
        engine="lmdeploy",
        images=(r"openmmlab/lmdeploy", r"(^|/)lmdeploy(:|$)"),
        commands=(r"(^|[\s/])lmdeploy\s+serve\b", r"lmdeploy\.serve"),
    ),
    EngineSignature(
        engine="llama-cpp",
        images=(r"llama\.cpp", r"llama-cpp", r"ggml-org/llama", r"ggerganov/llama", r"llamacpp"),
        commands=(r"(^|[\s/])llama-server(\s|$)", r"(^|[\s/])llama\.cpp/server\b", r"llama_cpp\.server",
                  r"(^|/)server\s+(-m|--model)\s+\S+\.gguf"),
    ),
    EngineSignature(
        engine="ollama",
        images=(r"(^|/)ollama(:|$)", r"ollama/ollama"),
        commands=(r"(^|[\s/])ollama\s+(serve|run|pull)\b",),
        env=("OLLAMA_HOST", "OLLAMA_MODELS", "OLLAMA_KEEP_ALIVE"),
        version_pattern=r"(\d+\.\d+\.\d+)",
    ),
    EngineSignature(
        engine="triton",
        images=(r"tritonserver", r"triton-inference-server", r"/triton(-server)?:"),
        commands=(r"(^|[\s/])tritonserver(\s|$)",),
        version_pattern=r"(\d{2}\.\d{2})",
    ),
    EngineSignature(
        engine="torchserve",
        images=(r"pytorch/torchserve", r"(^|/)torchserve(-[a-z0-9]+)?(:|$)", r"kserve/torchserve"),
        commands=(r"(^|[\s/])torchserve(\s|$)", r"ts\.model_server"),
    ),
    EngineSignature(
        engine="tf-serving",
        images=(r"tensorflow/serving", r"tf-serving", r"tfserving"),
        commands=(r"(^|[\s/])tensorflow_model_server(\s|$)",),
    ),
    EngineSignature(
        engine="mlserver",
        images=(r"seldonio/mlserver", r"(^|/)mlserver(:|$|-)"),
        commands=(r"(^|[\s/])mlserver\s+start\b",),
        env=("MLSERVER_MODEL_NAME", "MLSERVER_MODEL_URI", "MLSERVER_MODEL_IMPLEMENTATION"),
    ),
    EngineSignature(
        engine="onnxruntime",
        images=(r"onnxruntime[/-]server", r"onnxruntime-server", r"mcr\.microsoft\.com/onnxruntime/server"),
        commands=(r"(^|[\s/])onnxruntime_server(\s|$)",),
    ),
)

_COMPILED = tuple(
    (
        sig,
        tuple(re.compile(p) for p in sig.images),
        tuple(re.compile(p) for p in sig.commands),
    )
    for sig in ENGINE_SIGNATURES
)
_BY_ENGINE = {sig.engine: sig for sig in ENGINE_SIGNATURES}


@dataclass(frozen=True)
class EngineMatch:
    engine: str
    signals: tuple[str, ...]
    container: Mapping[str, Any]
    score: int

    @property
    def image(self) -> str | None:
        return text(self.container.get("image"))


def image_parts(image: str | None) -> tuple[str, str | None]:
    """'ghcr.io/x/y:1.2@sha256:..' → ('ghcr.io/x/y', '1.2'). A registry port is not a tag."""
    if not image:
        return "", None
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag or None
    return ref, None


def match_container(container: Mapping[str, Any]) -> EngineMatch | None:
    """The engine this container runs, with the signals that said so; None for anything else."""
    image = (text(container.get("image")) or "").lower()
    cmd = " ".join(command_line(container))
    env_names = set(env_map(container))
    best: EngineMatch | None = None
    for sig, images, commands in _COMPILED:
        signals: list[str] = []
        score = 0
        if image and any(p.search(image) for p in images):
            signals.append(f"image {image} ~ {sig.engine}")
            score += 2
        hit = next((p for p in commands if p.search(cmd)), None)
        if hit is not None:
            signals.append(f"command matches {hit.pattern!r}")
            score += 2
        if score and sig.env:
            names = sorted(n for n in env_names if any(n.startswith(e) for e in sig.env))
            if names:
                signals.append(f"env {', '.join(names[:3])}")
                score += 1
        if score and (best is None or score > best.score):
            best = EngineMatch(sig.engine, tuple(signals), container, score)
    return best


def best_engine(containers: list[Mapping[str, Any]]) -> EngineMatch | None:
    """The serving container of a pod: the strongest engine match (first container wins ties)."""
    best: EngineMatch | None = None
    for container in containers:
        found = match_container(container)
        if found and (best is None or found.score > best.score):
            best = found
    return best


def engine_version(engine: str, image: str | None) -> str | None:
    """Engine version from the image tag (v0.6.3 → 0.6.3; 24.08-py3 → 24.08); None for latest/sha tags."""
    _, tag = image_parts(image)
    sig = _BY_ENGINE.get(engine)
    if not tag or sig is None:
        return None
    # Only the engine's own image says its version (python:3.11 running vLLM says nothing).
    if not any(re.search(p, image.lower()) for p in sig.images):
        return None
    match = re.match(sig.version_pattern, tag) or re.search(r"(?:^|[-_])" + sig.version_pattern, tag)
    return match.group(1) if match else None
