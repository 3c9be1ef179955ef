"""Which serving engine a container runs: one table of signatures, one row per engine.

A row matches on the image (repository, tag), on the command line, or on both, with env names as a
supporting signal. The command counts more than the image (a vLLM image told to run SGLang runs SGLang);
a row that refines another (TensorRT-LLM or vLLM inside NVIDIA's Triton container) `overrides` it.
Each row also lists the images that are the engine's own releases, the only ones whose tag is read as
the engine version. Adding an engine is adding a row here, a row in `models.ENGINE_ARGS`, and a test.

Image patterns are searched in the lower-cased reference without its digest (`registry/path/name:tag`),
so mirrors that keep the project path (`harbor.corp/dockerhub/vllm/vllm-openai:v0.6.3`, ECR, Quay, GAR)
match like the original. They are anchored on path segments so that a word merely containing an engine
name (`myvllmproxy`, `vllm-project/guidellm`) is not that engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from collectors.detect.objects import command_line, env_map, text

# A release version inside a tag: 0.6.3, v0.6.3, 0.4.6.post1, 1.0.0rc4, 24.08 (named group `v`).
_VER = r"v?(?P<v>\d+\.\d+(?:\.\d+)*(?:\.?post\d+|rc\d+)?)(?=$|[^0-9a-z])"


@dataclass(frozen=True)
class EngineSignature:
    engine: str
    images: tuple[str, ...] = ()        # regexes searched in the image reference
    not_images: tuple[str, ...] = ()    # images that look like the engine's but are not its server
    commands: tuple[str, ...] = ()      # regexes searched in the command line joined by spaces
    env: tuple[str, ...] = ()           # env name prefixes only this engine reads (a supporting signal)
    env_alone: tuple[str, ...] = ()     # env names specific enough to name the engine on their own
    versions: tuple[str, ...] = ()      # the engine's own images: regexes whose group `v` is its version
    overrides: tuple[str, ...] = ()     # engines this row refines when both match one container


ENGINE_SIGNATURES: tuple[EngineSignature, ...] = (
    EngineSignature(
        engine="tensorrt-llm",
        images=(r"tensorrt[-_]?llm", r"(?:^|/)tritonserver:[^@]*trtllm", r"(?:^|/)trtllm[-_a-z0-9]*(?::|$)"),
        commands=(r"(?:^|[\s/])trtllm-serve(?:\s|$)", r"tensorrt_llm\.(?:serve|commands\.serve)\b",
                  r"launch_triton_server\.py", r"tensorrtllm_backend", r"inflight_batcher_llm"),
        env=("TRTLLM_", "TLLM_"),
        versions=(r"tensorrt-llm/release:" + _VER, r"(?:^|/)tritonserver:(?P<v>\d{2}\.\d{2})-trtllm"),
        overrides=("triton",),
    ),
    EngineSignature(
        engine="tei",
        images=(r"text-embeddings-inference", r"(?:^|/)tei(?:-[a-z0-9]+)?(?::|$)", r"huggingface-tei(?:-cpu)?(?::|$)"),
        commands=(r"(?:^|[\s/])text-embeddings-router(?:\s|$)",),
        versions=(
            r"(?:^|/)text-embeddings-inference:(?:[a-z0-9]+-)*?" + _VER,       # cpu-1.5, 89-1.5, hopper-1.5
            r"huggingface-tei(?:-cpu)?:[^@]*?-tei" + _VER,                     # SageMaker 2.0.1-tei1.2.3-gpu-…
            r"huggingface-text-embeddings-inference-(?:cu\d+|cpu)\.(?P<v>\d+-\d+(?:-\d+)?)(?=\.|$|:)",  # GCP DLC
        ),
    ),
    EngineSignature(
        engine="tgi",
        images=(r"text-generation-inference", r"(?:^|/)tgi(?:-[a-z0-9]+)?(?::|$)",
                r"huggingface-pytorch-tgi-inference", r"tgi-serve(?::|$)"),
        commands=(r"(?:^|[\s/])text-generation-launcher(?:\s|$)", r"text_generation_server\b"),
        env=("MAX_TOTAL_TOKENS", "MAX_INPUT_LENGTH", "MAX_INPUT_TOKENS", "NUM_SHARD", "SHARDED", "SM_NUM_GPUS"),
        versions=(
            r"(?:^|/)text-generation-inference:" + _VER,                       # 2.4.0, 3.0.1-rocm, 3.3.4-gaudi
            r"(?:^|/)tgi-gaudi:" + _VER,
            r"huggingface-pytorch-tgi-inference:[^@]*?-tgi" + _VER,            # 2.1.1-tgi2.0.0-gpu-…
            r"huggingface-text-generation-inference-cu\d+\.(?P<v>\d+-\d+(?:-\d+)?)(?=\.|$|:)",  # GCP DLC
        ),
    ),
    EngineSignature(
        engine="sglang",
        images=(r"(?:^|/)sglang(?:-[a-z0-9]+)*(?::|$)", r"(?:^|/)sgl-dev(?::|$)"),
        commands=(r"sglang\.launch_server\b", r"(?:^|[\s/])sglang\s+serve\b", r"sglang_router\.launch_server\b"),
        env=("SGLANG_", "SGL_"),
        versions=(r"(?:^|/)sglang(?:-rocm)?:" + _VER,),                        # v0.4.6.post1-cu124
    ),
    EngineSignature(
        engine="vllm",
        images=(
            # vllm, vllm-openai, vllm-tpu, vllm-cpu-release-repo, rhaiis/vllm-cuda-rhel9, a team's vllm-server
            r"(?:^|/)vllm(?:-[a-z0-9]+)*(?::|$)",
            r"(?:^|/)[a-z0-9-]*-vllm-(?:cuda|rocm|neuronx?|gaudi|hpu|xpu|serve)",  # pytorch-vllm-serve (Vertex)
            r"(?:^|/)llm-d(?:-(?:cuda|rocm|xpu|cpu|dev))?(?::|$)",            # llm-d ships vLLM builds
            r"(?:^|/)tritonserver:[^@]*-vllm-",                              # Triton's vLLM backend container
        ),
        not_images=(r"semantic-router/", r"guidellm"),
        commands=(r"vllm\.entrypoints\.(?:openai\.)?api_server\b", r"vllm\.entrypoints\.cli\.main\s+serve\b",
                  r"(?:^|[\s/])vllm\s+serve(?:\s|$)"),
        env=("VLLM_",),
        versions=(
            r"(?:^|(?<!lmcache)/)vllm-openai(?:-rocm)?:" + _VER,               # vllm/vllm-openai:v0.6.3 (not LMCache's)
            r"(?:^|/)vllm(?:-(?:cpu|tpu|xpu|cuda|rocm|neuronx?))?:" + _VER,    # mirrors named vllm, AWS DLC vllm:0.8.5-gpu
            r"(?:^|/)vllm-(?:[a-z0-9]+-)*release-repo:" + _VER,
            r"(?:^|/)rocm/vllm(?:-dev)?:[^@]*?vllm[_-]?" + _VER,               # rocm6.2_mi300_…_vllm_0.6.4
            r"(?:^|/)tritonserver:(?P<v>\d{2}\.\d{2})-vllm",
        ),
        overrides=("triton",),
    ),
    EngineSignature(
        engine="lmdeploy",
        images=(r"openmmlab/lmdeploy", r"(?:^|/)lmdeploy(?:-[a-z0-9]+)*(?::|$)"),
        commands=(r"(?:^|[\s/])lmdeploy\s+serve\s+(?:api_server|gradio)\b", r"lmdeploy\.serve\.openai\.api_server\b"),
        env=("LMDEPLOY_",),
        versions=(r"(?:^|/)lmdeploy:" + _VER,),                                # v0.6.2-cu12
    ),
    EngineSignature(
        engine="llama-cpp",
        images=(r"(?:^|/)llama\.cpp(?::|$)", r"(?:^|/)llama-cpp(?:-[a-z0-9]+)*(?::|$)", r"llamacpp",
                r"(?:^|/)llama-server(?::|$)"),
        # The `light` and `full` images run the CLI, not the server.
        not_images=(r"llama\.cpp:(?:light|full)",),
        commands=(r"(?:^|[\s/])llama-server(?:\s|$)", r"llama_cpp\.server\b",
                  r"(?:^|[\s/])llama\.cpp/(?:build/bin/)?(?:llama-)?server(?:\s|$)",
                  r"(?:^|/)server\s+(?:-m|--model)\s+\S+\.gguf"),
        env=("LLAMA_ARG_",),
        env_alone=("LLAMA_ARG_MODEL", "LLAMA_ARG_HF_REPO", "LLAMA_ARG_MODEL_URL"),
        versions=(r"(?:^|/)llama\.cpp:(?:[a-z0-9]+-)*?(?P<v>b\d{3,6})(?=$|-)",),   # server-cuda-b4719
    ),
    EngineSignature(
        engine="ollama",
        images=(r"(?:^|/)ollama(?:-[a-z0-9]+)*(?::|$)",),
        commands=(r"(?:^|[\s/])ollama\s+serve\b",),   # `ollama pull/run` are clients of a server
        env=("OLLAMA_",),
        versions=(r"(?:^|/)ollama:" + _VER,),                                  # 0.5.7, 0.3.12-rocm
    ),
    EngineSignature(
        engine="triton",
        images=(r"(?:^|/)tritonserver(?::|$)", r"(?:^|/)triton-inference-server(?::|$)", r"(?:^|/)triton(?:-server)?(?::|$)"),
        # -py3-sdk is the client SDK (perf_analyzer, genai-perf); -py3-min is a build base.
        not_images=(r"tritonserver:[^@]*-sdk", r"tritonserver:[^@]*-min\b"),
        commands=(r"(?:^|[\s/])tritonserver(?:\s|$)",),
        versions=(r"(?:^|/)(?:tritonserver|triton-inference-server|triton(?:-server)?):(?P<v>\d{2}\.\d{2})(?=$|-)",),
    ),
    EngineSignature(
        engine="torchserve",
        images=(r"pytorch/torchserve", r"(?:^|/)torchserve(?:-[a-z0-9]+)*(?::|$)"),
        commands=(r"(?:^|[\s/])torchserve(?:\s|$)", r"\bts\.model_server\b"),
        env=("TS_",),
        versions=(r"(?:^|/)torchserve(?:-kfs|-nightly)?:" + _VER,),            # 0.12.0-gpu
    ),
    EngineSignature(
        engine="tf-serving",
        images=(r"tensorflow/serving", r"(?:^|/)tf-?serving(?:-[a-z0-9]+)*(?::|$)",
                r"(?:^|/)tensorflow-serving(?:-[a-z0-9]+)*(?::|$)", r"(?:^|/)tf-model-server"),
        commands=(r"(?:^|[\s/])tensorflow_model_server(?:\s|$)",),
        versions=(r"tensorflow/serving:" + _VER,),                             # 2.14.1-gpu
    ),
    EngineSignature(
        engine="mlserver",
        images=(r"seldonio/mlserver", r"(?:^|/)mlserver(?:-[a-z0-9]+)*(?::|$)"),
        commands=(r"(?:^|[\s/])mlserver\s+start\b",),
        env=("MLSERVER_",),
        env_alone=("MLSERVER_MODEL_IMPLEMENTATION",),
        versions=(r"(?:^|/)mlserver:" + _VER,),                                # 1.6.0, 1.3.5-sklearn
    ),
    EngineSignature(
        engine="onnxruntime",
        images=(r"onnxruntime/server", r"onnxruntime[-_]server"),
        commands=(r"(?:^|[\s/])onnxruntime_server(?:\s|$)",),
        env=("ONNX_SERVER_",),
        env_alone=("ONNX_SERVER_MODEL_DIR",),
        versions=(r"onnxruntime-server:" + _VER, r"onnxruntime/server:" + _VER),
    ),
)

# Words in an image's own name (its last path segment) that make it a tool around an engine, not the
# engine: `lmstack-router`, `vllm-exporter`, `mock-vllm`, `ollama-webui`, `sglang-router`.
NOT_A_SERVER_WORDS = frozenset({
    "router", "proxy", "exporter", "benchmark", "benchmarks", "bench", "client", "gateway", "operator",
    "controller", "webui", "ui", "mock", "metrics", "sdk", "dashboard", "monitor", "loadgen",
})

# Programs that make a container something other than a server even on an engine's image: training,
# notebooks, test runs, and the engines' own request routers. Load generators, downloads and `sleep` are
# left to the platform's not-serving check, which explains them.
FOREIGN_COMMANDS = re.compile(
    r"(?:^|[\s/])(?:torchrun|deepspeed|jupyter(?:-lab|-notebook)?|pytest|vllm-router)(?:\s|$)|accelerate\s+launch\b|"
    r"torch\.distributed\.(?:run|launch)\b|(?:^|[\s/])(?:train|finetune|fine_tune|pretrain|sft)[\w-]*\.py\b|"
    r"sglang_router\.launch_router\b|(?:^|[\s/])lmdeploy\s+serve\s+proxy\b"
)


@dataclass(frozen=True)
class _Compiled:
    sig: EngineSignature
    images: tuple[re.Pattern[str], ...]
    not_images: tuple[re.Pattern[str], ...]
    commands: tuple[re.Pattern[str], ...]
    versions: tuple[re.Pattern[str], ...]


_COMPILED = tuple(
    _Compiled(sig, tuple(map(re.compile, sig.images)), tuple(map(re.compile, sig.not_images)),
              tuple(map(re.compile, sig.commands)), tuple(map(re.compile, sig.versions)))
    for sig in ENGINE_SIGNATURES
)
_BY_ENGINE = {row.sig.engine: row for row in _COMPILED}
# One pass over every row's patterns first: most containers (proxies, apps, databases) match none.
_ANY_IMAGE = re.compile("|".join(f"(?:{p})" for sig in ENGINE_SIGNATURES for p in sig.images))
_ANY_COMMAND = re.compile("|".join(f"(?:{p})" for sig in ENGINE_SIGNATURES for p in sig.commands))
_ENV_ALONE = frozenset(name for sig in ENGINE_SIGNATURES for name in sig.env_alone)

IMAGE_SCORE = 2
COMMAND_SCORE = 3
ENV_SCORE = 1


@dataclass(frozen=True)
class EngineMatch:
    engine: str
    signals: tuple[str, ...]
    container: Mapping[str, Any]
    score: int
    by_command: bool = False   # the command line runs the engine's server (not only its image)

    @property
    def image(self) -> str | None:
        return text(self.container.get("image"))


def image_parts(image: str | None) -> tuple[str, str | None]:
    """'ghcr.io/x/y:1.2@sha256:..' → ('ghcr.io/x/y', '1.2'). A registry port is not a tag."""
    if not image:
        return "", None
    ref = image.strip().split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag or None
    return ref, None


def _reference(image: str | None) -> str:
    """The lower-cased `repo:tag` (or `repo`) patterns are matched against."""
    repo, tag = image_parts(image)
    repo = repo.lower()
    return f"{repo}:{tag.lower()}" if tag else repo


def image_matches(engine: str, image: str | None) -> bool:
    """Whether `image` is one of `engine`'s server images (by its row in ENGINE_SIGNATURES)."""
    row = _BY_ENGINE.get(engine)
    return row is not None and _image_hit(row, _reference(image)) is not None


def _image_hit(row: _Compiled, ref: str) -> re.Pattern[str] | None:
    if not ref:
        return None
    hit = next((p for p in row.images if p.search(ref)), None)
    if hit is None or any(p.search(ref) for p in row.not_images):
        return None
    name = image_parts(ref)[0].rsplit("/", 1)[-1]
    if NOT_A_SERVER_WORDS.intersection(re.split(r"[-_.]", name)):
        return None
    return hit


def command_runs(engine: str, command: str) -> bool:
    """Whether a command line (words joined by spaces) starts `engine`'s server."""
    row = _BY_ENGINE.get(engine)
    return row is not None and any(p.search(command) for p in row.commands)


def match_container(container: Mapping[str, Any]) -> EngineMatch | None:
    """The engine this container runs, with the signals that said so; None for anything else."""
    ref = _reference(text(container.get("image")))
    cmd = " ".join(command_line(container))
    env_names = frozenset(env_map(container))
    found = _match(ref, cmd, env_names)
    if found is None:
        return None
    engine, signals, score, by_command = found
    return EngineMatch(engine, signals, container, score, by_command)


@lru_cache(maxsize=4096)
def _match(ref: str, cmd: str, env_names: frozenset[str]) -> tuple[str, tuple[str, ...], int, bool] | None:
    """match_container's verdict from what it reads of a container. Cached: a fleet repeats its images
    and command lines (a Deployment and its pods, replicas of one model), and the signature table is
    the scan's costliest step."""
    images = bool(ref) and _ANY_IMAGE.search(ref) is not None
    commands = bool(cmd) and _ANY_COMMAND.search(cmd) is not None
    if not (images or commands or env_names & _ENV_ALONE):
        return None
    foreign = bool(cmd) and FOREIGN_COMMANDS.search(cmd) is not None
    found: list[tuple[str, tuple[str, ...], int, bool]] = []
    for row in _COMPILED:
        sig = row.sig
        signals: list[str] = []
        score = 0
        command_hit = next((p for p in row.commands if p.search(cmd)), None) if commands else None
        if command_hit is not None:
            signals.append(f"command matches {command_hit.pattern!r}")
            score += COMMAND_SCORE
        if images and (not foreign or command_hit is not None) and _image_hit(row, ref) is not None:
            signals.append(f"image {ref} ~ {sig.engine}")
            score += IMAGE_SCORE
        if score:
            names = sorted(n for n in env_names if n.startswith(sig.env)) if sig.env else []
            if names:
                signals.append(f"env {', '.join(names[:3])}")
                score += ENV_SCORE
        elif not foreign and env_names.intersection(sig.env_alone):
            alone = sorted(env_names.intersection(sig.env_alone))
            signals.append(f"env {', '.join(alone[:3])} (only {sig.engine} reads it)")
            score += ENV_SCORE
        if score:
            found.append((sig.engine, tuple(signals), score, command_hit is not None))
    overridden = {name for engine, *_ in found for name in _BY_ENGINE[engine].sig.overrides}
    best = None
    for candidate in found:
        if candidate[0] in overridden:
            continue
        if best is None or candidate[2] > best[2]:
            best = candidate
    return best


def best_engine(containers: list[Mapping[str, Any]]) -> EngineMatch | None:
    """The serving container of a pod: the strongest engine match (first container wins ties)."""
    best: EngineMatch | None = None
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        found = match_container(container)
        if found and (best is None or found.score > best.score):
            best = found
    return best


def engine_version(engine: str, image: str | None) -> str | None:
    """The engine version an image tag states: vllm/vllm-openai:v0.6.3 → 0.6.3, tritonserver:24.08-py3 →
    24.08. Only the engine's own images count (python:3.11 running vLLM, lmcache/vllm-openai:v0.3.1 or a
    NIM say nothing about the engine's version); `latest`, `sha-…` and digests give None."""
    row = _BY_ENGINE.get(engine)
    ref = _reference(image)
    if row is None or not ref:
        return None
    for pattern in row.versions:
        found = pattern.search(ref)
        if found:
            return found.group("v").replace("-", ".")
    return None


__all__ = [
    "ENGINE_SIGNATURES", "EngineMatch", "EngineSignature", "best_engine", "command_runs", "engine_version",
    "image_matches", "image_parts", "match_container",
]
