"""Which model a serving container loads, at which version, with which serving settings.

Reading a container takes three steps:

1. `shell.parse_argv` splits its argv into the simple commands a shell would run, launchers and interpreters
   dropped and `NAME=value` / `export` assignments folded into the environment;
2. the command that starts the engine is picked (runtimes' command signatures);
3. the engine's row in ENGINE_ARGS says which flags, positional words and environment variables carry the
   model, its revision, the served name and each ModelSpec setting.

Values come only from what the manifest says; anything unresolved (an unset $(VAR), a valueFrom secret, a
generic mount path) stays None rather than guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.detect import runtimes
from collectors.detect.objects import dig, mapping, seq, text
from collectors.detect.shell import (
    Command,
    Script,
    argv_words,
    basename,
    container_argv,
    container_env,
    expand,
    parse_argv,
)
from collectors.spec import ModelRef

# Environment variables any engine's wrapper scripts commonly read the model id from, most specific first.
GENERIC_MODEL_ENV = ("HF_MODEL_ID", "MODEL_ID", "HF_MODEL", "MODEL_NAME", "MODEL", "MODEL_PATH", "MODEL_REPO",
                     "HUGGING_FACE_HUB_MODEL_ID", "MODEL_NAME_OR_PATH", "LLM_MODEL", "SERVED_MODEL")
GENERIC_REVISION_ENV = ("MODEL_REVISION", "HF_MODEL_REVISION", "REVISION", "HF_REVISION", "MODEL_VERSION")

INT_SETTINGS = {"tensorParallelSize", "pipelineParallelSize", "maxModelLen", "maxNumSeqs"}
FLOAT_SETTINGS = {"gpuMemoryUtilization"}


@dataclass(frozen=True)
class EngineArgs:
    """How one engine's command line and environment name the model and its settings.

    Flags are written with dashes; `--tensor_parallel_size` and `--tensor-parallel-size` are the same flag.
    An entry starting with `$` names an environment variable instead of a flag (flags win over env).
    """

    model_flags: tuple[str, ...] = ()
    positional: tuple[tuple[str, ...], ...] = ()    # program + sub-command words followed by the model
    model_env: tuple[str, ...] = ()                 # engine-specific env, read before GENERIC_MODEL_ENV
    revision_flags: tuple[str, ...] = ()
    served_name_flags: tuple[str, ...] = ()
    uri_flags: tuple[str, ...] = ()                 # flags naming where weights live (a path or bucket)
    uri_positional: tuple[tuple[str, ...], ...] = ()
    multi_model: bool = False                       # the location is a repository of models, not a model
    pulls: tuple[tuple[str, ...], ...] = ()         # commands anywhere in the pod that fetch a served model
    key_values: tuple[str, ...] = ()                # `key:value` words naming the model (TRT-LLM fill_template)
    settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # setting → raw value → ModelSpec value
    entrypoint: tuple[str, ...] = ()                # what the engine's image runs when a manifest sets only args
    model_value: Callable[[str], str | None] | None = None   # turns a model flag's value into a model reference
    gguf: bool = False                              # quantization can be read from a GGUF file name / tag


def _torchserve_model(value: str) -> str | None:
    """--models name=file.mar[,other=...] → name (or the archive's URL); 'all' means every model in the
    store: unknown."""
    first_model = value.split(",")[0].strip()
    if first_model.lower() == "all" or not first_model:
        return None
    name, _, archive = first_model.rpartition("=") if "=" in first_model else ("", "", first_model)
    if "://" in archive:
        return archive
    return name or archive.rsplit("/", 1)[-1].removesuffix(".mar") or None


def _llama_hf_repo(value: str) -> str | None:
    """-hf org/repo[:quant] → hf://org/repo (the quant tag becomes the quantization setting)."""
    repo = value.split(":", 1)[0].strip()
    return f"hf://{repo}" if repo else None


ENGINE_ARGS: dict[str, EngineArgs] = {
    "vllm": EngineArgs(
        model_flags=("--model",),
        positional=(("vllm", "serve"), ("vllm.entrypoints.cli.main", "serve")),
        revision_flags=("--revision",),
        served_name_flags=("--served-model-name",),
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
        entrypoint=("vllm", "serve"),
    ),
    "tgi": EngineArgs(
        model_flags=("--model-id",),
        model_env=("MODEL_ID", "HF_MODEL_ID"),        # HF_MODEL_ID: the SageMaker/HF DLC entrypoint's name for it
        revision_flags=("--revision", "$REVISION", "$HF_MODEL_REVISION"),
        served_name_flags=("--served-model-name",),
        settings={
            "tensorParallelSize": ("--num-shard", "$NUM_SHARD", "$SM_NUM_GPUS"),
            "maxModelLen": ("--max-total-tokens", "$MAX_TOTAL_TOKENS"),
            "dtype": ("--dtype", "$DTYPE"),
            "quantization": ("--quantize", "$QUANTIZE", "$HF_MODEL_QUANTIZE"),
            "gpuMemoryUtilization": ("--cuda-memory-fraction", "$CUDA_MEMORY_FRACTION"),
            "kvCacheDtype": ("--kv-cache-dtype", "$KV_CACHE_DTYPE"),
            # the batch bound first; the router's in-flight limit when that is all a manifest sets
            "maxNumSeqs": ("--max-batch-size", "--max-concurrent-requests", "$MAX_BATCH_SIZE",
                           "$MAX_CONCURRENT_REQUESTS"),
        },
        entrypoint=("text-generation-launcher",),
    ),
    "tei": EngineArgs(
        model_flags=("--model-id",),
        model_env=("MODEL_ID", "HF_MODEL_ID"),
        revision_flags=("--revision", "$REVISION", "$HF_MODEL_REVISION"),
        served_name_flags=("--served-model-name", "$SERVED_MODEL_NAME"),
        settings={
            "dtype": ("--dtype", "$DTYPE"),
            "maxNumSeqs": ("--max-batch-requests", "--max-concurrent-requests", "$MAX_BATCH_REQUESTS",
                           "$MAX_CONCURRENT_REQUESTS"),
        },
        entrypoint=("text-embeddings-router",),
    ),
    "sglang": EngineArgs(
        model_flags=("--model-path", "--model"),
        positional=(("sglang", "serve"),),
        revision_flags=("--revision",),
        served_name_flags=("--served-model-name",),
        settings={
            "tensorParallelSize": ("--tp-size", "--tp", "--tensor-parallel-size"),
            "pipelineParallelSize": ("--pp-size", "--pp", "--pipeline-parallel-size"),
            "maxModelLen": ("--context-length",),
            "dtype": ("--dtype",),
            "quantization": ("--quantization",),
            "gpuMemoryUtilization": ("--mem-fraction-static",),
            "kvCacheDtype": ("--kv-cache-dtype",),
            "maxNumSeqs": ("--max-running-requests",),
        },
    ),
    "tensorrt-llm": EngineArgs(
        model_flags=("--model", "--model-path", "--hf-model-dir", "--tokenizer-dir"),
        positional=(("trtllm-serve", "serve"), ("trtllm-serve",), ("tensorrt_llm.commands.serve",)),
        served_name_flags=("--served-model-name",),
        uri_flags=("--engine-dir", "--model-repo", "--model-repository", "--triton-model-repo-dir"),
        multi_model=True,
        key_values=("tokenizer_dir",),
        settings={
            "tensorParallelSize": ("--tp-size", "--tp", "--world-size"),
            "pipelineParallelSize": ("--pp-size", "--pp"),
            "maxModelLen": ("--max-seq-len",),
            "gpuMemoryUtilization": ("--kv-cache-free-gpu-memory-fraction", "--free-gpu-memory-fraction"),
            "maxNumSeqs": ("--max-batch-size",),
        },
    ),
    "lmdeploy": EngineArgs(
        model_flags=("--model-path",),
        positional=(("lmdeploy", "serve", "api_server"), ("lmdeploy", "serve", "gradio"),
                    ("lmdeploy.serve.openai.api_server",)),
        revision_flags=("--revision",),
        served_name_flags=("--model-name",),
        settings={
            "tensorParallelSize": ("--tp",),
            "maxModelLen": ("--session-len",),
            "dtype": ("--dtype",),
            "quantization": ("--model-format",),
            "gpuMemoryUtilization": ("--cache-max-entry-count",),
            "kvCacheDtype": ("--quant-policy",),
            "maxNumSeqs": ("--max-batch-size",),
        },
        values={"quantization": {"hf": None}, "kvCacheDtype": {"0": None, "4": "int4", "8": "int8"}},
    ),
    "llama-cpp": EngineArgs(
        model_flags=("--hf-repo", "-hf", "-hfr", "--model", "-m", "--model-url", "-mu",
                     "$LLAMA_ARG_HF_REPO", "$LLAMA_ARG_MODEL", "$LLAMA_ARG_MODEL_URL"),
        served_name_flags=("--alias", "-a", "$LLAMA_ARG_ALIAS", "--model-alias"),
        settings={
            "maxModelLen": ("--ctx-size", "-c", "$LLAMA_ARG_CTX_SIZE", "--n-ctx"),
            "maxNumSeqs": ("--parallel", "-np", "$LLAMA_ARG_N_PARALLEL"),
            "kvCacheDtype": ("--cache-type-k", "-ctk", "$LLAMA_ARG_CACHE_TYPE_K"),
        },
        entrypoint=("llama-server",),
        gguf=True,
    ),
    "ollama": EngineArgs(
        positional=(("ollama", "run"), ("ollama", "pull")),
        model_env=("OLLAMA_MODEL",),
        pulls=(("ollama", "pull"), ("ollama", "run"), ("ollama", "create")),
        settings={
            "maxModelLen": ("$OLLAMA_CONTEXT_LENGTH",),
            "kvCacheDtype": ("$OLLAMA_KV_CACHE_TYPE",),
            "maxNumSeqs": ("$OLLAMA_NUM_PARALLEL",),
        },
        entrypoint=("ollama",),
    ),
    "triton": EngineArgs(
        model_flags=("--load-model",),
        uri_flags=("--model-repository", "--model-store", "--model-repo"),
        multi_model=True,
    ),
    "torchserve": EngineArgs(
        model_flags=("--models",),
        uri_flags=("--model-store",),
        multi_model=True,
        model_value=_torchserve_model,
    ),
    "tf-serving": EngineArgs(
        model_flags=("--model-name",),
        served_name_flags=("--model-name",),
        uri_flags=("--model-base-path",),
        # tensorflow/serving's entrypoint script; MODEL_NAME unset leaves the name unknown (the image's "model").
        entrypoint=("tensorflow_model_server", "--port=8500", "--rest_api_port=8501",
                    "--model_name=${MODEL_NAME}", "--model_base_path=${MODEL_BASE_PATH:-/models}/${MODEL_NAME}"),
    ),
    "mlserver": EngineArgs(
        model_env=("MLSERVER_MODEL_HUGGINGFACE_PRETRAINED_MODEL", "MLSERVER_MODEL_NAME"),
        revision_flags=("$MLSERVER_MODEL_VERSION",),
        served_name_flags=("$MLSERVER_MODEL_NAME",),
        uri_flags=("$MLSERVER_MODEL_URI",),
        uri_positional=(("mlserver", "start"),),
    ),
    "onnxruntime": EngineArgs(
        model_flags=("--model-path", "--model", "$MODEL_ABSOLUTE_PATH"),
        uri_flags=("--model-dir", "$ONNX_SERVER_MODEL_DIR"),
        multi_model=True,
        entrypoint=("onnxruntime_server",),
    ),
}

_NO_ARGS = EngineArgs()   # an engine without a row: generic env only
_GENERIC_REVISION_FLAGS = tuple(f"${name}" for name in GENERIC_REVISION_ENV)

# Path segments that name a place, not a model (the KServe storage initializer mounts at /mnt/models).
GENERIC_SEGMENTS = {"", ".", "mnt", "models", "model", "data", "weights", "checkpoints", "checkpoint",
                    "cache", ".cache", "hf", "huggingface", "hub", "home", "root", "workspace", "app", "opt",
                    "storage", "shared", "volume", "volumes", "artifacts", "tmp", "llm", "llms", "pvc",
                    "snapshots", "model-store", "model_store", "model_repository", "model-repository",
                    "repository", "triton", "model-server", "srv", "var", "local", "files", "blobs"}
_VERSION_SEGMENT = re.compile(r"^(v\d+[\w.\-]*|\d+(\.\d+)*|\d{4}-?\d{2}-?\d{2}[\w\-]*|rev[-_]?\w+)$", re.I)
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
_HEX_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_MODEL_SUFFIXES = (".gguf", ".mar", ".onnx", ".plan", ".engine", ".safetensors", ".bin", ".pt", ".pth",
                   ".tar.gz", ".tgz", ".zip", ".pb", ".joblib", ".pkl", ".ggml")
_GGUF_QUANT = re.compile(r"(?:^|[._-])((?:I?Q\d(?:_[A-Z0-9]+)*)|F16|BF16|F32)$", re.I)

# --- flags ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _norm_flag(token: str) -> str:
    return token.replace("_", "-") if token.startswith("-") else token


# Flags that take no value, so a positional model may follow them (`vllm serve --trust-remote-code m`).
SWITCHES = frozenset({
    "--trust-remote-code", "--enforce-eager", "--enable-prefix-caching", "--no-enable-prefix-caching",
    "--enable-chunked-prefill", "--no-enable-chunked-prefill", "--disable-log-requests", "--disable-log-stats",
    "--enable-lora", "--enable-auto-tool-choice", "--disable-custom-all-reduce", "--enable-reasoning",
    "--disable-frontend-multiprocessing", "--enable-expert-parallel", "--enable-sleep-mode", "--headless",
    "--no-enable-log-requests", "--enable-log-requests", "--use-v2-block-manager", "--disable-sliding-window",
    "--skip-tokenizer-init", "--enable-metrics", "--enable-ep-moe", "--disable-cuda-graph", "--enable-dp-attention",
    "--verbose", "--insecure", "--log-requests", "--disable-radix-cache", "--enable-torch-compile", "--ssl",
    "--eager-mode", "--enable-microbatch", "--enable-eplb", "--disable-fastapi-docs", "--jinja", "--embedding",
    "--embeddings", "--reranking", "--no-webui", "--flash-attn", "-fa", "--cont-batching", "--metrics", "--offline",
})


_NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?")


class ArgView:
    """Flag lookups over one command's arguments ("--x v", "--x=v", "--x_y v", short flags) and env.

    `value(flags)` returns (where, expanded value) of the last occurrence of any flag (the last one wins, as
    with argparse); entries starting with `$` name environment variables, read when no flag is given.
    """

    def __init__(self, tokens: Sequence[str], env: Mapping[str, str]):
        self.tokens = [t for t in tokens if isinstance(t, str)]
        self.env = env
        self._norm = [_norm_flag(t.split("=", 1)[0]) if t.startswith("-") else t for t in self.tokens]
        self._where: dict[str, list[int]] = {}
        for i, norm in enumerate(self._norm):
            if norm.startswith("-"):
                self._where.setdefault(norm, []).append(i)

    def _raw(self, i: int) -> str:
        token = self.tokens[i]
        if "=" in token and token.startswith("-"):
            return token.split("=", 1)[1]
        if i + 1 < len(self.tokens) and not self.tokens[i + 1].startswith("-"):
            return self.tokens[i + 1]
        if i + 1 < len(self.tokens) and _NEGATIVE_NUMBER.fullmatch(self.tokens[i + 1]):
            return self.tokens[i + 1]
        return "true"  # a switch

    def values(self, flags: Sequence[str]) -> list[tuple[str, str]]:
        """Every (flag, expanded value) given for any of `flags`, in order; unresolvable values skipped."""
        positions: list[int] = []
        for flag in flags:
            if not flag.startswith("$"):
                positions.extend(self._where.get(_norm_flag(flag), ()))
        if not positions:
            return []
        found = []
        for i in sorted(set(positions)):
            value = expand(self._raw(i), self.env)
            if value:
                found.append((self._norm[i], value))
        return found

    def value(self, flags: Sequence[str]) -> tuple[str, str] | None:
        found = self.values(flags)
        if found:
            return found[-1]
        for flag in flags:
            if flag.startswith("$") and self.env.get(flag[1:]):
                value = expand(self.env[flag[1:]], self.env)
                if value:
                    return (f"env {flag[1:]}", value)
        return None

    def first(self, flags: Sequence[str]) -> tuple[str, str] | None:
        """`value` of the first of `flags`, in the order given, that is set: an order of preference between
        different flags (aliases of one flag are better given together to `value`)."""
        for flag in flags:
            # Most flags of a table are absent: skip them without building a lookup.
            if flag.startswith("$"):
                if not self.env.get(flag[1:]):
                    continue
            elif _norm_flag(flag) not in self._where:
                continue
            found = self.value((flag,))
            if found:
                return found
        return None

    def given(self, flags: Sequence[str]) -> str | None:
        """The first of `flags` present on the command line, whatever its value."""
        given = [(self._where[n][0], n) for n in {_norm_flag(f) for f in flags if not f.startswith("$")}
                 if n in self._where]
        return min(given)[1] if given else None

    def positional(self, words: Sequence[str] = ()) -> str | None:
        """The first argument that is not a flag or a flag's value, after the sub-command `words`."""
        raw = self.positional_raw(words)
        return expand(raw, self.env) if raw is not None else None

    def positional_raw(self, words: Sequence[str] = ()) -> str | None:
        """`positional` before $VAR expansion."""
        if list(self.tokens[:len(words)]) != list(words):
            return None
        i = len(words)
        while i < len(self.tokens):
            token = self.tokens[i]
            if token == "--":
                i += 1
                continue
            if token.startswith("-"):
                takes_value = "=" not in token and _norm_flag(token) not in SWITCHES
                i += 2 if takes_value else 1
                continue
            return token
        return None


# --- model references -------------------------------------------------------------------------------

def interpret_model(value: str | None) -> ModelRef:
    """A model argument (HF id, storage URI, local path, plain name) → ModelRef(name, version, uri)."""
    if not value or not isinstance(value, str):
        return ModelRef()
    value = value.strip().strip("'\"").strip()
    if (not value or value.startswith("-") or "$" in value or not re.search(r"[A-Za-z0-9]", value)
            or value.lower() in {"true", "false", "none", "null"}):
        return ModelRef()
    scheme = value.split("://", 1)[0].lower() if "://" in value else None
    if scheme is None and re.match(r"^(models|runs):/", value):   # MLflow models:/name/3, runs:/id/model
        scheme = value.split(":", 1)[0]
    if scheme == "hf":
        ident = value.split("://", 1)[1].strip("/")
        version = None
        for sep in ("@", ":"):
            if sep in ident:
                ident, version = ident.split(sep, 1)
                break
        return ModelRef(name=ident or None, version=version or None, uri=value)
    if re.match(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/", value, re.I):
        return _huggingface_url(value)   # also Ollama's `hf.co/org/repo:Q4_K_M`
    if scheme == "runs":
        return ModelRef(uri=value)
    if scheme == "models":
        parts = [p for p in value.split(":", 1)[1].split("/") if p]
        if parts and "@" in parts[0]:
            return ModelRef(name=parts[0].split("@", 1)[0] or None, uri=value)
        return ModelRef(name=parts[0] if parts else None, version=parts[1] if len(parts) > 1 else None, uri=value)
    if scheme in ("oci", "ollama"):
        ref = value.split("://", 1)[1]
        repo, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
        name = repo.rsplit("/", 1)[-1] if scheme == "oci" else repo
        return ModelRef(name=name or None, version=(tag or None) if scheme == "oci" else None, uri=value)
    if scheme is not None or value.startswith(("/", "./", "~/", "../")):
        return ModelRef(*_name_from_path(value, has_scheme=scheme is not None), uri=value)
    if _HF_ID.match(value):
        return ModelRef(name=value)
    if "/" in value:  # a relative path with several segments
        return ModelRef(*_name_from_path(value, has_scheme=False), uri=value)
    return ModelRef(name=value)


def _huggingface_url(value: str) -> ModelRef:
    path = re.sub(r"^(?:https?://)?[^/]+/", "", value).split("?", 1)[0]
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] in ("models", "api"):
        parts = parts[1:]
    if len(parts) == 2:
        parts[1] = parts[1].split(":", 1)[0]    # a quantization tag is not part of the repository
    name = "/".join(parts[:2]) if len(parts) >= 2 else (parts[0] if parts else None)
    version = None
    if len(parts) > 3 and parts[2] in ("resolve", "tree", "blob") and parts[3] != "main":
        version = parts[3]
    return ModelRef(name=name, version=version, uri=value)


def _name_from_path(value: str, *, has_scheme: bool) -> tuple[str | None, str | None]:
    path = value.split("://", 1)[1] if "://" in value else value.split(":", 1)[1] if has_scheme else value
    if "://" in value:
        path = path.split("/", 1)[1] if "/" in path else ""  # drop the bucket / claim / host
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/") if s]
    version = None
    # HF cache layout: …/models--org--name/snapshots/<commit>
    for index, segment in enumerate(segments):
        if segment.startswith("models--"):
            name = segment[len("models--"):].replace("--", "/", 1)
            rest = segments[index + 1:]
            if len(rest) >= 2 and rest[0] == "snapshots" and _HEX_SHA.match(rest[1]):
                version = rest[1]
            return name or None, version
    if segments and len(segments) > 1 and _VERSION_SEGMENT.match(segments[-1]):
        version = segments.pop()
    while segments and segments[-1].lower() in GENERIC_SEGMENTS:
        segments.pop()
    if not segments:
        return None, version
    name = segments[-1]
    lowered = name.lower()
    for suffix in _MODEL_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            if name.lower() in ("model", "weights") and len(segments) > 1:
                name = segments[-2]   # /models/resnet/model.onnx → resnet
            break
    return (name or None), version


# --- one container ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelFinding:
    model: ModelRef
    settings: dict[str, Any]
    signals: tuple[str, ...]


def model_from_container(
    engine: str, container: Mapping[str, Any], *, pod_spec: Mapping[str, Any] | None = None
) -> ModelFinding:
    """Model, revision and serving settings that one engine container declares.

    `pod_spec`, when given, lets a local model path be traced to the PersistentVolumeClaim it is mounted
    from and to what an init container downloaded there.
    """
    table = ENGINE_ARGS.get(engine, _NO_ARGS)
    env = container_env(container)
    script = parse_argv(container_argv(container, table.entrypoint, engine), env)
    env = {**env, **script.assignments}
    main = _engine_command(engine, script.commands)
    if main.name == "tritonserver" and engine != "triton":
        table = ENGINE_ARGS["triton"]   # vLLM or TensorRT-LLM as a Triton backend: Triton's flags say where
    args = ArgView(main.args, env)
    signals: list[str] = []

    raw, where = _model_argument(table, main, args, env)
    unresolved = bool(where and where.startswith(UNRESOLVED))
    if unresolved:
        signals.append(f"model {where[len(UNRESOLVED) + 1:]} is not known from the manifest")
    extra_models: list[str] = []
    if table.pulls:
        pulled = _pulled_models(table, container, pod_spec, env)
        if raw is None and not unresolved and pulled:
            raw, where = pulled[0], "a pull in the pod"
        extra_models = [m for m in pulled if m != raw]
    if raw is None and not unresolved and table.key_values:
        raw, where = _key_value(table.key_values, script.commands, env)
    if raw is None and not unresolved:
        raw, where = _generic_env(env)
    settings: dict[str, Any] = {}
    if raw is not None and table.model_value is not None:
        raw = table.model_value(raw)
    if raw is not None and table.gguf:
        from_hub = bool(where and where.endswith(("-hf", "--hf-repo", "-hfr", "LLAMA_ARG_HF_REPO")))
        hub_file = args.first(("--hf-file", "-hff", "$LLAMA_ARG_HF_FILE")) if from_hub else None
        quant = _gguf_quantization(hub_file[1] if hub_file else raw)
        if quant:
            settings["quantization"] = quant
        if from_hub:
            raw = _llama_hf_repo(raw)
    model = interpret_model(raw)
    if raw is not None and (model.name or model.uri):
        signals.append(f"model from {where}")
    if extra_models:
        signals.append(f"also serves {', '.join(extra_models[:5])}")

    model = _traced(model, script, container, pod_spec, env, signals)

    uri = model.uri
    if uri is None:
        found = args.first(table.uri_flags)
        if found is None and table.uri_positional:
            place = next((args.positional(words[1:]) for words in table.uri_positional if main.name == words[0]),
                         None)
            found = (f"`{' '.join(table.uri_positional[0])} <dir>`", place) if place and place != "." else None
        if found:
            uri = found[1]
            signals.append(f"model location from {found[0]}")
            # A Triton repository or TorchServe store holds many models: the place is not a name.
            if model.name is None and not table.multi_model:
                located = interpret_model(uri)
                model = ModelRef(name=located.name, version=located.version)
    model = ModelRef(model.name, model.version, _pvc_uri(uri, container, pod_spec) if uri else None)

    version = model.version
    revision = args.first((*table.revision_flags, *_GENERIC_REVISION_FLAGS))
    if revision:
        version = revision[1]
        signals.append(f"version from {revision[0]}")

    for key, flags in table.settings.items():
        found = args.first(flags)
        if found:
            converted = _convert(key, found[1], table.values.get(key))
            if converted is not None:
                settings[key] = converted
    served = args.first(table.served_name_flags)
    if served:
        name = served[1].split(",")[0].strip()
        if name:
            settings["servedModelName"] = name
            if model.name is None:
                model = ModelRef(name=name, version=model.version, uri=model.uri)
                signals.append(f"model name from {served[0]}")
    return ModelFinding(ModelRef(model.name, version, model.uri), settings, tuple(signals))


def _engine_command(engine: str, commands: Sequence[Command]) -> Command:
    """The command that starts the engine; all words together when none says so (custom launchers)."""
    for command in commands:
        if runtimes.command_runs(engine, command.line):
            return command
    if len(commands) == 1:
        return commands[0]
    return Command("", tuple(word for command in commands for word in (command.program, *command.args)))


UNRESOLVED = "unresolved"
# Sub-commands that can stand where a positional model would (`trtllm-serve disaggregated -c cfg.yaml`).
_NOT_MODELS = {"disaggregated", "disaggregated_mpi_worker", "mm_embedding_serve"}


def _model_argument(table: EngineArgs, main: Command, args: ArgView,
                    env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(value, where) of the model the engine's own arguments name. A model argument that is given but cannot
    be resolved (`--model $(FROM_SECRET)`) makes the model unknown: ("", "unresolved …")."""
    found = args.first(table.model_flags)
    if found:
        return found[1], found[0]
    flag = args.given(table.model_flags)
    if flag:
        return None, f"{UNRESOLVED} {flag}"
    for words in table.positional:
        if main.name == words[0] or main.program == words[0]:
            raw = args.positional_raw(words[1:])
            if raw is None or raw in _NOT_MODELS:
                continue
            value = expand(raw, env)
            if not value:
                return None, f"{UNRESOLVED} `{' '.join(words)} {raw}`"
            return value, f"`{' '.join(words)} <model>`"
    for name in table.model_env:
        if env.get(name):
            value = expand(env[name], env)
            if value:
                return value, f"env {name}"
    return None, None


def _generic_env(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    for name in GENERIC_MODEL_ENV:
        if env.get(name):
            value = expand(env[name], env)
            if value:
                return value, f"env {name}"
    return None, None


def _pulled_models(table: EngineArgs, container: Mapping[str, Any], pod_spec: Mapping[str, Any] | None,
                   env: Mapping[str, str]) -> list[str]:
    """Models fetched by the pod: `ollama pull m` in the command, a postStart hook or an init container,
    including the Helm chart's `echo "a b" | xargs -n1 ollama pull`."""
    scripts = [parse_argv(container_argv(container), env)]
    hook = dig(container, "lifecycle", "postStart", "exec", "command")
    if hook:
        scripts.append(parse_argv(argv_words(hook), env))
    for init in seq(mapping(pod_spec).get("initContainers")):
        if isinstance(init, Mapping):
            scripts.append(parse_argv(container_argv(init), container_env(init)))
    models: list[str] = []
    for script in scripts:
        script_env = {**env, **script.assignments}
        previous: Command | None = None
        for command in script.commands:
            words = (command.name, *command.args)
            for pull in table.pulls:
                if words[:len(pull)] == pull:
                    value = ArgView(command.args, script_env).positional(pull[1:])
                    if value:
                        models.append(value)
                elif command.name == "xargs" and previous is not None and previous.name in ("echo", "printf"):
                    for k, word in enumerate(command.args):
                        if basename(word) == pull[0] and command.args[k + 1:k + 2] == pull[1:2]:
                            listed = " ".join(a for a in previous.args if not a.startswith("-"))
                            models.extend(expand(m, script_env) or "" for m in listed.split())
            previous = command
    unique: list[str] = []
    for model in models:
        if model and "$" not in model and model not in unique:
            unique.append(model)
    return unique


def _key_value(keys: Sequence[str], commands: Sequence[Command], env: Mapping[str, str]) -> tuple[str | None, str | None]:
    for command in commands:
        for word in command.args:
            for part in word.split(","):
                key, sep, value = part.partition(":")
                if sep and key in keys and value:
                    expanded = expand(value, env)
                    if expanded:
                        return expanded, f"{key}: in `{command.name}`"
    return None, None


# Commands that put a model into a local directory the engine then loads: program, sub-command words.
_DOWNLOADS = (("huggingface-cli", "download"), ("hf", "download"))
_COPIES = (("aws", "s3", "cp"), ("aws", "s3", "sync"), ("gsutil", "cp"), ("gsutil", "rsync"),
           ("gcloud", "storage", "cp"), ("gcloud", "storage", "rsync"), ("azcopy", "copy"), ("azcopy", "cp"),
           ("s5cmd", "cp"), ("s5cmd", "sync"), ("rclone", "copy"), ("rclone", "sync"))


def _traced(model: ModelRef, script: Script, container: Mapping[str, Any], pod_spec: Mapping[str, Any] | None,
            env: Mapping[str, str], signals: list[str]) -> ModelRef:
    """A local model path filled by a download or copy in the pod names where the model came from."""
    path = model.uri
    if not path or not path.startswith("/"):
        return model
    commands = [(command, env) for command in script.commands]
    for init in seq(mapping(pod_spec).get("initContainers")):
        if isinstance(init, Mapping):
            init_env = container_env(init)
            init_script = parse_argv(container_argv(init), init_env)
            init_env = {**init_env, **init_script.assignments}
            commands.extend((command, init_env) for command in init_script.commands)
    for command, command_env in commands:
        for download in _DOWNLOADS:
            rest = _after_subcommand(command, download)
            if rest is None:
                continue
            view = ArgView(rest, command_env)
            repo, target = view.positional(), view.value(("--local-dir",))
            if repo and target and _under(path, target[1]):
                revision = view.value(("--revision",))
                signals.append(f"model downloaded by `{' '.join(download)} {repo}`")
                return ModelRef(name=repo, version=revision[1] if revision else model.version, uri=f"hf://{repo}")
        for copy in _COPIES:
            rest = _after_subcommand(command, copy)
            if rest is None:
                continue
            places = [p for p in (expand(a, command_env) for a in rest if not a.startswith("-")) if p]
            source = next((p for p in places if "://" in p), None)
            if source and len(places) >= 2 and "://" not in places[-1] and _under(path, places[-1]):
                tail = path[len(places[-1].rstrip("/")):].strip("/")
                signals.append(f"model copied from {source}")
                return ModelRef(model.name, model.version, source.rstrip("/") + (f"/{tail}" if tail else ""))
    return model


def _after_subcommand(command: Command, words: Sequence[str]) -> tuple[str, ...] | None:
    """The arguments after `program sub command` (global options may come first), None if it is another command."""
    if command.name != words[0]:
        return None
    size = len(words) - 1
    for k in range(len(command.args) - size + 1):
        if tuple(command.args[k:k + size]) == tuple(words[1:]):
            return command.args[k + size:]
    return None


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/")
    return bool(directory) and (path.rstrip("/") == directory or path.startswith(directory + "/"))


def _pvc_uri(uri: str, container: Mapping[str, Any], pod_spec: Mapping[str, Any] | None) -> str:
    """/models/llama on a volume mounted from claim `weights` → pvc://weights/llama (with its subPath)."""
    if not pod_spec or not uri.startswith("/"):
        return uri
    volumes = {text(v.get("name")): v for v in seq(mapping(pod_spec).get("volumes")) if isinstance(v, Mapping)}
    best: tuple[str, Mapping[str, Any]] | None = None
    for mount in seq(container.get("volumeMounts")):
        if not isinstance(mount, Mapping):
            continue
        path = (text(mount.get("mountPath")) or "").rstrip("/")
        if path and _under(uri, path) and (best is None or len(path) > len(best[0])):
            best = (path, mount)
    if best is None:
        return uri
    path, mount = best
    claim = text(dig(volumes.get(text(mount.get("name"))), "persistentVolumeClaim", "claimName"))
    if not claim:
        return uri
    parts = [text(mount.get("subPath")) or "", uri[len(path):].strip("/")]
    rest = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return f"pvc://{claim}/{rest}" if rest else f"pvc://{claim}"


def _gguf_quantization(value: str) -> str | None:
    """Q4_K_M from `model.Q4_K_M.gguf` or `-hf org/repo:Q4_K_M`."""
    if ":" in value and "://" not in value:
        tag = value.rsplit(":", 1)[1]
        return tag if _GGUF_QUANT.search(tag) else None
    stem = value.rsplit("/", 1)[-1]
    if not stem.lower().endswith(".gguf"):
        return None
    found = _GGUF_QUANT.search(stem[:-5])
    return found.group(1) if found else None


def _convert(key: str, value: str, mapping_: Mapping[str, Any] | None = None) -> Any:
    if mapping_ and value in mapping_:
        return mapping_[value]
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
    return None if value == "true" else value


def commands_of(container: Mapping[str, Any], engine: str | None = None) -> list[Command]:
    """The commands a container runs (for explanations and tests)."""
    table = ENGINE_ARGS.get(engine or "", _NO_ARGS)
    env = container_env(container)
    return parse_argv(container_argv(container, table.entrypoint, engine), env).commands


__all__ = [
    "ENGINE_ARGS", "GENERIC_MODEL_ENV", "GENERIC_SEGMENTS", "ArgView", "EngineArgs", "ModelFinding", "commands_of",
    "interpret_model", "model_from_container",
]
