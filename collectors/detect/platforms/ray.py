"""Ray Serve on KubeRay: RayService (ray.io/v1, v1alpha1).

`spec.serveConfigV2` is a YAML string holding Serve applications; each application is deployed on
its own and gives one ModelSpec (`workload.unit` = application name). Ray Serve LLM applications
(`ray.serve.llm:build_openai_app`, `build_llm_deployment`, `build_pd_openai_app`) run vLLM and may
serve several models: each `llm_configs` entry is then its own unit, "<application>/<model_id>".
The legacy v1alpha1 `spec.serveConfig` (camelCase, one application) is read the same way.

What is read, in order of trust:
- model: LLM `model_loading_config.model_source` (the weights; `model_id` is the served name), else
  application or deployment `args`/`user_config` keys (model_id, model, model_name, model_path,
  hf_model_id...), else model env vars in `runtime_env.env_vars` (MODEL_ID...).
- engine: vllm for Ray Serve LLM; for custom applications vllm/sglang only when `runtime_env.pip`
  installs it or the import path names it; otherwise custom.
- accelerators per replica: LLM tensor x pipeline parallel size (one GPU per engine worker) or the
  placement-group bundles; custom deployments' `ray_actor_options.num_gpus` (the deployment asking
  for the most GPUs is the model's). The type comes from `accelerator_type`, else from the worker
  group templates when they agree. When an application states no GPUs and is the only application,
  the cluster's GPUs (worker groups at their `replicas`) are its total; several such applications
  leave the count unknown.
- replicas: `num_replicas`, or `autoscaling_config` (min_replicas default 1, initial_replicas as the
  desired count when given), or `num_replicas: auto` (Ray's defaults: 1..100); Ray's default is 1.
A serveConfigV2 that is not valid YAML is skipped with the parser's reason, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from collectors.detect import accelerators
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import GENERIC_MODEL_ENV, interpret_model
from collectors.detect.objects import as_float, as_int, dig, mapping, seq, text
from collectors.detect.platforms.common import with_annotations
from collectors.spec import Accelerator, ModelRef

LLM_IMPORT = re.compile(r"ray\.serve\.llm|ray\.llm\b|rayllm|build_openai_app|build_llm_deployment|build_pd_openai_app")
# Application/deployment argument keys that name the model, most specific first.
MODEL_ARG_KEYS = ("hf_model_id", "model_id", "model_source", "model_name", "model_path", "model",
                  "pretrained_model_name_or_path", "model_name_or_path")
# vLLM engine kwargs (and the same names as custom application args) → ModelSpec settings.
ENGINE_SETTINGS = {
    "tensor_parallel_size": "tensorParallelSize", "pipeline_parallel_size": "pipelineParallelSize",
    "max_model_len": "maxModelLen", "dtype": "dtype", "quantization": "quantization",
    "gpu_memory_utilization": "gpuMemoryUtilization", "kv_cache_dtype": "kvCacheDtype",
    "max_num_seqs": "maxNumSeqs", "served_model_name": "servedModelName",
}
INT_SETTINGS = {"tensorParallelSize", "pipelineParallelSize", "maxModelLen", "maxNumSeqs"}
ENV_SETTINGS = {"TENSOR_PARALLELISM": "tensorParallelSize", "TENSOR_PARALLEL_SIZE": "tensorParallelSize",
                "PIPELINE_PARALLELISM": "pipelineParallelSize", "PIPELINE_PARALLEL_SIZE": "pipelineParallelSize",
                "MAX_MODEL_LEN": "maxModelLen"}
PIP_ENGINES = (("vllm", "vllm"), ("sglang", "sglang"))
AUTO_REPLICAS = (1, 100)  # Ray Serve's num_replicas="auto" bounds


@with_annotations
def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    cluster = _Cluster(mapping(spec.get("rayClusterConfig")))
    raw = spec.get("serveConfigV2")
    if raw is None and isinstance(spec.get("serveConfig"), Mapping):
        config = {"applications": [{"name": "default", **_snake(spec["serveConfig"])}]}
    elif isinstance(raw, Mapping):
        config = raw
    elif isinstance(raw, str):
        try:
            config = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" (line {where.line + 1})" if where is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            return Skip(f"RayService serveConfigV2 is not valid YAML{line}: {problem}", gpu=cluster.total > 0)
    else:
        return Skip("RayService without serveConfigV2", gpu=cluster.total > 0)
    applications = [a for a in seq(mapping(config).get("applications")) if isinstance(a, Mapping)]
    if not applications:
        return Skip("RayService serveConfigV2 has no applications", gpu=cluster.total > 0)

    out: list[Candidate] = []
    for position, app in enumerate(applications):
        app_name = text(app.get("name")) or ("default" if len(applications) == 1 else f"app-{position}")
        import_path = text(app.get("import_path")) or ""
        if LLM_IMPORT.search(import_path):
            out.extend(_llm_application(app, app_name, import_path, cluster))
        else:
            out.append(_custom_application(app, app_name, import_path, cluster))
    if len(out) == 1 and out[0].accelerator is not None and out[0].accelerator.per_replica is None and cluster.total:
        found = out[0].accelerator
        out[0].accelerator = Accelerator(found.type, None, cluster.total, found.source or "rayClusterConfig")
        out[0].signals.append(f"the only application: the cluster's {cluster.total:g} GPUs are its total")
    for candidate in out:
        candidate.image = candidate.image or cluster.image
        candidate.metadatas.append(cluster.head_metadata)
    return out


class _Cluster:
    """GPU type and count of a RayService's cluster (head + worker groups at their replicas)."""

    def __init__(self, config: Mapping[str, Any]):
        head = mapping(dig(config, "headGroupSpec", "template"))
        self.head_metadata = mapping(head.get("metadata"))
        head_spec = mapping(head.get("spec"))
        self.image = next((text(c.get("image")) for c in seq(head_spec.get("containers"))
                           if isinstance(c, Mapping) and text(c.get("image"))), None)
        self.total = 0.0
        self.types: set[str] = set()
        self.signals: list[str] = []
        groups = [("head", head_spec, 1)]
        for group in seq(config.get("workerGroupSpecs")):
            if not isinstance(group, Mapping):
                continue
            replicas = as_int(group.get("replicas"))
            replicas = as_int(group.get("minReplicas")) if replicas is None else replicas
            if group.get("suspend") is True:
                replicas = 0
            hosts = as_int(group.get("numOfHosts")) or 1
            groups.append((text(group.get("groupName")) or "workers", mapping(dig(group, "template", "spec")),
                           (replicas or 0) * hosts))
        for name, pod, pods in groups:
            guess = accelerators.accelerator_from_pod(pod)
            if guess.per_replica:
                self.total += guess.per_replica * pods
                if guess.type:
                    self.types.add(guess.type)
                self.signals.append(f"group {name}: {pods} pod(s) x {guess.per_replica:g} GPU"
                                    + (f" ({guess.type})" if guess.type else ""))

    @property
    def gpu_type(self) -> str | None:
        return next(iter(self.types)) if len(self.types) == 1 else None


# Legacy keys whose values are user data (env names, user config): converted at their own level only.
_OPAQUE = {"env_vars", "user_config", "args", "init_args", "init_kwargs"}


def _snake(value: Any) -> Any:
    """camelCase keys (legacy serveConfig) → snake_case, recursively, leaving user data alone."""
    if isinstance(value, Mapping):
        out = {}
        for key, inner in value.items():
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", str(key)).lower()
            out[name] = inner if name in _OPAQUE else _snake(inner)
        return out
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def _settings(source: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping(source).items():
        setting = ENGINE_SETTINGS.get(str(key).replace("-", "_"))
        if setting is None or value is None:
            continue
        if setting in INT_SETTINGS:
            number = as_int(value)
            if number is not None:
                out[setting] = number
        elif setting == "gpuMemoryUtilization":
            number = as_float(value)
            if number is not None:
                out[setting] = number
        elif text(value):
            out[setting] = text(value) if not isinstance(value, list) else text(value[0])
    return out


def _replicas(candidate: Candidate, config: Mapping[str, Any], where: str) -> None:
    """num_replicas / autoscaling_config of a deployment (or an LLM deployment_config)."""
    autoscaling = mapping(config.get("autoscaling_config"))
    number = config.get("num_replicas")
    if text(number) == "auto" and not autoscaling:
        candidate.min, candidate.max = AUTO_REPLICAS
        candidate.desired, candidate.autoscaled = AUTO_REPLICAS[0], True
        candidate.signals.append(f"{where}: num_replicas auto (Ray defaults {AUTO_REPLICAS[0]}..{AUTO_REPLICAS[1]})")
    elif autoscaling:
        minimum = as_int(autoscaling.get("min_replicas"))
        candidate.min = 1 if minimum is None else minimum
        candidate.max = as_int(autoscaling.get("max_replicas"))
        if candidate.max is None and text(number) == "auto":
            candidate.max = AUTO_REPLICAS[1]
        initial = as_int(autoscaling.get("initial_replicas"))
        candidate.desired = candidate.min if initial is None else initial
        candidate.autoscaled = True
        candidate.signals.append(f"{where}: autoscaling {candidate.min}..{candidate.max}")
    else:
        replicas = as_int(number)
        candidate.desired = 1 if replicas is None else replicas


def _accelerator_type(value: Any, cluster: _Cluster) -> tuple[str | None, str | None]:
    if text(value):
        canonical = accelerators.canonical_accelerator(text(value))
        if canonical:
            return canonical, "accelerator_type"
    if cluster.gpu_type:
        return cluster.gpu_type, "rayClusterConfig"
    return None, None


# --- Ray Serve LLM -------------------------------------------------------------------------------------


def _llm_application(app: Mapping[str, Any], app_name: str, import_path: str, cluster: _Cluster) -> list[Candidate]:
    args = mapping(app.get("args"))
    configs: list[tuple[str | None, Any]] = [(None, c) for c in seq(args.get("llm_configs"))]
    for key in ("llm_config", "prefill_config", "decode_config"):
        if args.get(key) is not None:
            configs.append((key.removesuffix("_config") if key != "llm_config" else None, args[key]))
    if not configs:
        candidate = Candidate(engine="vllm", platform="ray-serve",
                              signals=[f"Ray Serve LLM application {app_name} ({import_path}); no llm_configs in args"])
        candidate.unit = app_name
        candidate.desired = 1
        candidate.accelerator = Accelerator(cluster.gpu_type, None, None, "rayClusterConfig" if cluster.gpu_type else None)
        return [candidate]
    out = []
    for role, config in configs:
        candidate = _llm_config(config, cluster)
        candidate.signals.insert(0, f"Ray Serve LLM application {app_name} ({import_path})")
        served = candidate.settings.get("servedModelName") or candidate.model.name
        if role:
            candidate.unit = f"{app_name}/{role}"
        elif len(configs) > 1:
            candidate.unit = f"{app_name}/{served}"
        else:
            candidate.unit = app_name
        out.append(candidate)
    return out


def _llm_config(config: Any, cluster: _Cluster) -> Candidate:
    candidate = Candidate(engine="vllm", platform="ray-serve")
    if not isinstance(config, Mapping):
        candidate.signals.append(f"llm config given as {text(config) or 'an unreadable value'}: model not readable")
        candidate.desired = 1
        candidate.accelerator = Accelerator(cluster.gpu_type, None, None, "rayClusterConfig" if cluster.gpu_type else None)
        return candidate
    loading = mapping(config.get("model_loading_config"))
    model_id = text(loading.get("model_id"))
    source = loading.get("model_source")
    source_text = text(source) or text(dig(source, "bucket_uri"))
    found = interpret_model(source_text or model_id)
    candidate.model = ModelRef(found.name or model_id, found.version, found.uri)
    candidate.signals.append(f"model from model_loading_config ({'model_source' if source_text else 'model_id'})")
    engine_kwargs = mapping(config.get("engine_kwargs"))
    candidate.settings = _settings(engine_kwargs)
    if model_id:
        candidate.settings["servedModelName"] = model_id
    engine = (text(config.get("llm_engine")) or "vllm").lower()
    candidate.engine = "sglang" if "sglang" in engine else "vllm"

    bundles = seq(dig(config, "placement_group_config", "bundles"))
    bundle_gpus = sum(as_float(dig(b, "GPU")) or 0 for b in bundles)
    if bundle_gpus:
        per_replica = bundle_gpus
        where = "placement_group_config bundles"
    else:
        per_replica = float((candidate.settings.get("tensorParallelSize") or 1)
                            * (candidate.settings.get("pipelineParallelSize") or 1))
        where = "tensor x pipeline parallel size (one GPU per engine worker)"
    gpu_type, source = _accelerator_type(config.get("accelerator_type"), cluster)
    candidate.accelerator = Accelerator(gpu_type, per_replica, None, source or "serveConfigV2")
    candidate.signals.append(f"{per_replica:g} GPU(s) per replica from {where}")
    _replicas(candidate, mapping(config.get("deployment_config")), "deployment_config")
    return candidate


# --- custom Serve applications ----------------------------------------------------------------------------


def _find_model(*sources: Any) -> tuple[str | None, str | None]:
    for source in sources:
        data = mapping(source)
        for key in MODEL_ARG_KEYS:
            if isinstance(data.get(key), str) and data[key].strip():
                return data[key].strip(), key
        for key, value in data.items():  # one level down: args: {model_config: {model_id: ...}}
            if isinstance(value, Mapping):
                for inner in MODEL_ARG_KEYS:
                    if isinstance(value.get(inner), str) and value[inner].strip():
                        return value[inner].strip(), f"{key}.{inner}"
    return None, None


def _custom_application(app: Mapping[str, Any], app_name: str, import_path: str, cluster: _Cluster) -> Candidate:
    runtime_env = mapping(app.get("runtime_env"))
    env = {str(k): text(v) or "" for k, v in mapping(runtime_env.get("env_vars")).items()}
    deployments = [d for d in seq(app.get("deployments")) if isinstance(d, Mapping)]
    signals = [f"Serve application {app_name} ({import_path or 'no import_path'})"]

    engine, version = "custom", None
    pip = runtime_env.get("pip")
    packages = [text(p) or "" for p in (seq(pip) or seq(dig(pip, "packages")))]
    for token, name in PIP_ENGINES:
        match = next((p for p in packages if re.match(rf"^{token}(\W|$)", p.lower())), None)
        if match:
            engine = name
            pinned = re.search(r"==\s*v?([\w.]+)", match)
            version = pinned.group(1) if pinned else None
            signals.append(f"runtime_env pip installs {match}")
            break
    else:
        if re.search(r"(^|[._:/-])vllm([._:/-]|$)", import_path.lower()):
            engine = "vllm"
            signals.append(f"import path {import_path} names vLLM")

    value, key = _find_model(app.get("args"), *(d.get("user_config") for d in deployments))
    if value is None:
        name = next((n for n in GENERIC_MODEL_ENV if env.get(n)), None)
        value, key = (env[name], f"runtime_env env {name}") if name else (None, None)
    candidate = Candidate(engine=engine, platform="ray-serve", engine_version=version, signals=signals)
    if value:
        candidate.model = interpret_model(value)
        candidate.signals.append(f"model from {key}")
    candidate.settings = _settings(app.get("args"))
    for name, setting in ENV_SETTINGS.items():
        if env.get(name) and as_int(env[name]) is not None and setting in INT_SETTINGS:
            candidate.settings.setdefault(setting, as_int(env[name]))

    gpu_deployments = [(as_float(dig(d, "ray_actor_options", "num_gpus")) or 0.0, d) for d in deployments]
    bundles = [(sum(as_float(dig(b, "GPU")) or 0 for b in seq(d.get("placement_group_bundles"))), d)
               for d in deployments]
    best = max([*gpu_deployments, *bundles], key=lambda pair: pair[0], default=(0.0, None))
    model_deployment = best[1] if best[0] > 0 else _scaled_deployment(deployments)
    per_replica = best[0] if best[0] > 0 else None
    accel_type = dig(model_deployment, "ray_actor_options", "accelerator_type")
    gpu_type, source = _accelerator_type(accel_type, cluster)
    if per_replica:
        candidate.signals.append(f"deployment {text(dig(model_deployment, 'name'))} asks for {per_replica:g} GPU(s)")
    candidate.accelerator = Accelerator(gpu_type, per_replica, None, source or ("ray_actor_options" if per_replica else None))
    where = f"deployment {text(dig(model_deployment, 'name')) or '?'}"
    _replicas(candidate, mapping(model_deployment), where)
    candidate.unit = app_name
    return candidate


def _scaled_deployment(deployments: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for deployment in deployments:
        if deployment.get("num_replicas") is not None or deployment.get("autoscaling_config") is not None:
            return deployment
    return deployments[0] if len(deployments) == 1 else None


KINDS = {("ray.io", "RayService"): recognise}
