"""Which model a serving container loads, at which version, with which serving settings.

One table row per engine says which flags, positional words and environment variables carry the
model id, its revision and the settings ModelSpec records. Values come only from what the manifest
says; anything unresolved (an unset $(VAR), a generic mount path) stays None rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.detect.objects import command_line, env_map
from collectors.spec import ModelRef

# Environment variables any engine's wrapper scripts commonly read the model id from, most specific first.
GENERIC_MODEL_ENV = ("HF_MODEL_ID", "MODEL_ID", "HF_MODEL", "MODEL_NAME", "MODEL", "MODEL_PATH",
                     "MODEL_REPO", "HUGGING_FACE_HUB_MODEL_ID", "LLM_MODEL", "SERVED_MODEL")
GENERIC_REVISION_ENV = ("MODEL_REVISION", "HF_MODEL_REVISION", "REVISION", "MODEL_VERSION")

INT_SETTINGS = {"tensorParallelSize", "pipelineParallelSize", "maxModelLen", "maxNumSeqs"}
FLOAT_SETTINGS = {"gpuMemoryUtilization"}


@dataclass(frozen=True)
class EngineArgs:
    """How one engine's command line and environment name the model and its settings."""

    model_flags: tuple[str, ...] = ()
    positional_after: tuple[tuple[str, ...], ...] = ()   # word sequences followed by the model
    model_env: tuple[str, ...] = ()
    revision_flags: tuple[str, ...] = ("--revision",)
    revision_env: tuple[str, ...] = ()
    served_name_flags: tuple[str, ...] = ("--served-model-name",)
    # ModelSpec settings key -> flags ("--x") and env names ("$X") that carry it
    settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # settings that are switches (present → value)
    switches: Mapping[str, tuple[str, Any]] = field(default_factory=dict)


ENGINE_ARGS: dict[str, EngineArgs] = {
    "vllm": EngineArgs(
        model_flags=("--model",),
        positional_after=(("vllm", "serve"),),
        settings={
            "tensorParallelSize": ("--tensor-parallel-size", "-tp"),
            "pipelineParallelSize": ("--pipeline-parallel-size", "-pp"),
            "maxModelLen": ("--max-model-len",),
            "dtype": ("--dtype",),
            "quantization": ("--quantization", "-q"),
            "gpuMemoryUtilization": ("--gpu-memory-utilization",),
            "kvCacheDtype": ("--kv-cache-dtype",),
            "maxNumSeqs": ("--max-num-seqs",),
        },
    ),
    "tgi": EngineArgs(
        model_flags=("--model-id",),
        model_env=("MODEL_ID",),
        revision_env=("REVISION",),
        served_name_flags=("--served-model-name",),
        settings={
            "tensorParallelSize": ("--num-shard", "$NUM_SHARD"),
            "maxModelLen": ("--max-total-tokens", "$MAX_TOTAL_TOKENS"),
            "dtype": ("--dtype", "$DTYPE"),
            "quantization": ("--quantize", "$QUANTIZE"),
            "maxNumSeqs": ("--max-concurrent-requests", "$MAX_CONCURRENT_REQUESTS"),
        },
    ),
    "tei": EngineArgs(
        model_flags=("--model-id",),
        model_env=("MODEL_ID",),
        revision_env=("REVISION",),
        settings={"dtype": ("--dtype", "$DTYPE"), "maxNumSeqs": ("--max-concurrent-requests",)},
    ),
    "sglang": EngineArgs(
        model_flags=("--model-path", "--model"),
        positional_after=(("sglang", "serve"),),
        settings={
            "tensorParallelSize": ("--tp-size", "--tp", "--tensor-parallel-size"),
            "pipelineParallelSize": ("--pp-size", "--pipeline-parallel-size"),
            "maxModelLen": ("--context-length",),
            "dtype": ("--dtype",),
            "quantization": ("--quantization",),
            "gpuMemoryUtilization": ("--mem-fraction-static",),
            "kvCacheDtype": ("--kv-cache-dtype",),
            "maxNumSeqs": ("--max-running-requests",),
        },
    ),
    "tensorrt-llm": EngineArgs(
        model_flags=("--model", "--model-path", "--model_path", "--hf-model-dir", "--tokenizer-dir"),
        positional_after=(("trtllm-serve", "serve"), ("trtllm-serve",)),
        settings={
            "tensorParallelSize": ("--tp-size", "--tp_size", "--world-size", "--world_size"),
            "pipelineParallelSize": ("--pp-size", "--pp_size"),
            "maxModelLen": ("--max-seq-len", "--max_seq_len"),
            "maxNumSeqs": ("--max-batch-size", "--max_batch_size"),
        },
    ),
    "lmdeploy": EngineArgs(
        positional_after=(("lmdeploy", "serve", "api_server"), ("lmdeploy", "serve", "gradio")),
        model_flags=("--model-path",),
        served_name_flags=("--model-name",),
        settings={
            "tensorParallelSize": ("--tp",),
            "maxModelLen": ("--session-len",),
            "dtype": ("--dtype",),
            "quantization": ("--model-format",),
            "gpuMemoryUtilization": ("--cache-max-entry-count",),
            "maxNumSeqs": ("--max-batch-size",),
        },
    ),
    "llama-cpp": EngineArgs(
        model_flags=("--hf-repo", "-hf", "-hfr", "--model", "-m", "--model-url", "-mu"),
        served_name_flags=("--alias", "-a"),
        revision_flags=(),
        settings={"maxModelLen": ("--ctx-size", "-c"), "maxNumSeqs": ("--parallel", "-np")},
    ),
    "ollama": EngineArgs(
        positional_after=(("ollama", "run"), ("ollama", "pull")),
        model_env=("OLLAMA_MODEL", "MODEL"),
        revision_flags=(),
        served_name_flags=(),
    ),
    "triton": EngineArgs(
        model_flags=("--load-model",),
        revision_flags=(),
        served_name_flags=(),
    ),
    "torchserve": EngineArgs(
        model_flags=("--models",),
        revision_flags=(),
        served_name_flags=(),
    ),
    "tf-serving": EngineArgs(
        model_flags=("--model-name",),
        model_env=("MODEL_NAME",),
        revision_flags=(),
        served_name_flags=(),
    ),
    "mlserver": EngineArgs(
        model_env=("MLSERVER_MODEL_NAME",),
        revision_env=("MLSERVER_MODEL_VERSION",),
        revision_flags=(),
        served_name_flags=(),
    ),
    "onnxruntime": EngineArgs(
        model_flags=("--model-path", "--model"),
        revision_flags=(),
        served_name_flags=(),
    ),
}

# Where an engine's weights live when the flag names a place rather than a model id.
URI_FLAGS: dict[str, tuple[str, ...]] = {
    "triton": ("--model-repository", "--model-store"),
    "torchserve": ("--model-store",),
    "tf-serving": ("--model-base-path", "$MODEL_BASE_PATH"),
    "mlserver": ("$MLSERVER_MODEL_URI",),
    "ollama": (),
}

URI_SCHEMES = ("hf", "s3", "gs", "gcs", "az", "abfs", "abfss", "wasbs", "https", "http", "pvc", "oci",
               "file", "ollama", "nim", "azureml", "model-registry", "runai")
# Path segments that name a place, not a model (the KServe storage initializer mounts at /mnt/models).
GENERIC_SEGMENTS = {"", "mnt", "models", "model", "data", "weights", "checkpoints", "checkpoint",
                    "cache", "hf", "huggingface", "hub", "home", "root", "workspace", "app", "opt",
                    "storage", "shared", "volume", "volumes", "artifacts", "tmp", "llm", "llms", "pvc",
                    "snapshots", "model-store", "model_repository", "model-repository", "repository"}
_VERSION_SEGMENT = re.compile(r"^(v\d+[\w.\-]*|\d+(\.\d+)*|\d{4}-?\d{2}-?\d{2}[\w\-]*|rev[-_]?\w+)$", re.I)
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand(value: str, env: Mapping[str, str]) -> str | None:
    """Expand $(VAR) (Kubernetes), ${VAR}, ${VAR:-default} and $VAR (shell) from the container env.

    Returns None when a variable cannot be resolved: an unknown value is not a model name.
    """
    unresolved = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(2) or match.group(4)
        default = match.group(3)
        found = env.get(name)
        if found:
            return found
        if default is not None:
            return default
        unresolved = True
        return ""

    out = _VAR.sub(sub, value)
    return None if unresolved else out


def _norm_flag(token: str) -> str:
    return token.replace("_", "-") if token.startswith("-") else token


class ArgView:
    """Flag lookups over a tokenised command line ("--x v", "--x=v", short flags)."""

    def __init__(self, tokens: Sequence[str], env: Mapping[str, str]):
        self.tokens = list(tokens)
        self.env = env
        self._norm = [_norm_flag(t.split("=", 1)[0]) for t in self.tokens]

    def value(self, flags: Sequence[str]) -> tuple[str, str] | None:
        """(flag, expanded value) of the last occurrence of any flag; env names start with '$'."""
        wanted = {_norm_flag(f) for f in flags if not f.startswith("$")}
        found: tuple[str, str] | None = None
        for i, token in enumerate(self.tokens):
            if self._norm[i] not in wanted:
                continue
            if "=" in token and token.startswith("-"):
                raw = token.split("=", 1)[1]
            elif i + 1 < len(self.tokens) and not self.tokens[i + 1].startswith("-"):
                raw = self.tokens[i + 1]
            else:
                raw = "true"  # a switch
            value = expand(raw, self.env)
            if value:
                found = (self._norm[i], value)
        if found:
            return found
        for flag in flags:
            if flag.startswith("$") and self.env.get(flag[1:]):
                return (f"env {flag[1:]}", self.env[flag[1:]])
        return None

    def positional(self, words: Sequence[str]) -> str | None:
        """The first non-flag token after a word sequence, e.g. `vllm serve <model>`."""
        size = len(words)
        for i in range(len(self.tokens) - size + 1):
            window = [t.rsplit("/", 1)[-1] for t in self.tokens[i:i + size]]
            if window != list(words):
                continue
            for token in self.tokens[i + size:]:
                if token.startswith("-"):
                    return None
                return expand(token, self.env)
        return None


def interpret_model(value: str | None) -> ModelRef:
    """A model argument (HF id, storage URI, local path, plain name) → ModelRef(name, version, uri)."""
    if not value:
        return ModelRef()
    value = value.strip().strip("'\"")
    if not value:
        return ModelRef()
    scheme = value.split("://", 1)[0].lower() if "://" in value else None
    if scheme == "hf":
        ident = value.split("://", 1)[1].strip("/")
        version = None
        if ":" in ident:
            ident, version = ident.split(":", 1)
        return ModelRef(name=ident or None, version=version or None, uri=value)
    if scheme in URI_SCHEMES or value.startswith("/") or value.startswith("./"):
        return ModelRef(*_name_from_path(value), uri=value)
    if _HF_ID.match(value):
        return ModelRef(name=value)
    if "/" in value:  # a relative path with several segments
        return ModelRef(*_name_from_path(value), uri=value)
    return ModelRef(name=value)


def _name_from_path(value: str) -> tuple[str | None, str | None]:
    path = value.split("://", 1)[1] if "://" in value else value
    if "://" in value:
        path = path.split("/", 1)[1] if "/" in path else ""  # drop the bucket / claim name
    path = path.split("?", 1)[0]
    segments = [s for s in path.split("/") if s]
    version = None
    if segments and _VERSION_SEGMENT.match(segments[-1]) and len(segments) > 1:
        version = segments.pop()
    while segments and segments[-1].lower() in GENERIC_SEGMENTS:
        segments.pop()
    if not segments:
        return None, version
    name = segments[-1]
    if name.startswith("models--"):  # HF cache layout: models--org--name
        name = name[len("models--"):].replace("--", "/", 1)
    for suffix in (".gguf", ".mar", ".onnx", ".plan", ".engine", ".safetensors", ".bin", ".tar.gz", ".zip"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return (name or None), version


@dataclass(frozen=True)
class ModelFinding:
    model: ModelRef
    settings: dict[str, Any]
    signals: tuple[str, ...]


def model_from_container(engine: str, container: Mapping[str, Any]) -> ModelFinding:
    """Model, revision and serving settings that one engine container declares."""
    env = env_map(container)
    args = ArgView(command_line(container), env)
    table = ENGINE_ARGS.get(engine, EngineArgs())
    signals: list[str] = []

    raw: str | None = None
    hit = args.value(table.model_flags) if table.model_flags else None
    if hit:
        raw = hit[1]
        signals.append(f"model from {hit[0]}")
    if raw is None:
        for words in table.positional_after:
            raw = args.positional(words)
            if raw:
                signals.append(f"model from `{' '.join(words)} <model>`")
                break
    if raw is None:
        for name in (*table.model_env, *GENERIC_MODEL_ENV):
            if env.get(name):
                raw = expand(env[name], env)
                if raw:
                    signals.append(f"model from env {name}")
                    break
    if engine == "torchserve" and raw:
        raw = _torchserve_model(raw)
    model = interpret_model(raw)

    uri = model.uri
    if uri is None:
        uri_hit = args.value(URI_FLAGS.get(engine, ()))
        if uri_hit:
            uri = uri_hit[1]
            signals.append(f"model location from {uri_hit[0]}")
            # A Triton repository or TorchServe store holds many models: the place is not a name.
            if model.name is None and engine not in {"triton", "torchserve"}:
                model = ModelRef(name=interpret_model(uri).name, version=interpret_model(uri).version)

    version = model.version
    revision_hit = args.value((*table.revision_flags, *(f"${e}" for e in table.revision_env),
                               *(f"${e}" for e in GENERIC_REVISION_ENV)))
    if revision_hit:
        version = revision_hit[1]
        signals.append(f"version from {revision_hit[0]}")

    settings: dict[str, Any] = {}
    for key, flags in table.settings.items():
        found = args.value(flags)
        if found:
            converted = _convert(key, found[1])
            if converted is not None:
                settings[key] = converted
    served = args.value(table.served_name_flags) if table.served_name_flags else None
    if served:
        settings["servedModelName"] = served[1].split(",")[0].strip() or None
        if model.name is None:
            model = ModelRef(name=settings["servedModelName"], version=model.version, uri=model.uri)
            signals.append(f"model name from {served[0]}")
    return ModelFinding(ModelRef(model.name, version, uri), settings, tuple(signals))


def _torchserve_model(value: str) -> str | None:
    """--models name=file.mar[,other=...] → name; 'all' means every model in the store: unknown."""
    first_model = value.split(",")[0].strip()
    if first_model.lower() == "all":
        return None
    return first_model.split("=", 1)[0] if "=" in first_model else first_model


def _convert(key: str, value: str) -> Any:
    if key in INT_SETTINGS:
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    if key in FLOAT_SETTINGS:
        try:
            return float(value)
        except ValueError:
            return None
    return value if value != "true" else None
