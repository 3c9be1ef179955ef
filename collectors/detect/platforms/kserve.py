"""KServe (serving.kserve.io): InferenceService and LLMInferenceService.

An InferenceService's predictor names its model one of three ways: `predictor.model` (modelFormat +
optional runtime), a legacy framework key (`predictor.sklearn`, `.huggingface`, ...) or custom
`predictor.containers`. The runtime is resolved like the KServe controller does: the named
ServingRuntime in the namespace, then the ClusterServingRuntime; without a name, the auto-selectable
runtime supporting the model format (namespace before cluster, highest priority); and when the scan
holds no runtime objects at all, KServe's built-in runtime for the format. The model container is
the runtime's container with the predictor's args appended and env/resources layered on top.

Decisions where KServe leaves room:
- Hugging Face runtime backend: `--backend=vllm` is engine vllm, `--backend=huggingface` is engine
  custom (plain transformers). Without `--backend` (KServe's "auto"), KServe serves generative tasks
  with vLLM and falls back to transformers only for models vLLM cannot load, so the engine is vllm
  unless `--task` names a predictive task (fill_mask, token/sequence/text classification) → custom.
- Replicas follow KServe semantics: `minReplicas` defaults to 1, 0 means scale-to-zero. `desired` is
  the floor the autoscaler keeps (min), so a scale-to-zero service counts 0 replicas at rest. A
  service is autoscaled unless min == max (RawDeployment without maxReplicas pins max to min),
  `serving.kserve.io/autoscalerClass` is none/external, or it is multi-node (KServe does not
  autoscale multi-node predictors). Knative min/max-scale annotations count when the fields are unset.
- `canaryTrafficPercent` below 100 marks the InferenceService as variant canary: the manifest
  describes the revision that takes that share of traffic; the previous revision is not in it.
- Transformer and explainer components are pre/post-processing, not models: noted, not reported.
- Multi-node (`workerSpec`): one replica is 1 head + (pipelineParallelSize - 1) workers, each pod
  holding tensorParallelSize GPUs (KServe overrides the GPU limit with it).
- ModelMesh (`deploymentMode: ModelMesh`) loads models into shared runtime pods: no replicas or
  accelerators of its own are reported.
- LLMInferenceService runs vLLM (llm-d) unless its runtime or containers say otherwise; with a
  `prefill` pool it is reported as two units, "decode" and "prefill", each with its own replicas.
ServingRuntime, ClusterServingRuntime, LLMInferenceServiceConfig and InferenceGraph are templates or
routers, not deployments (quiet skips).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import platforms
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import ArgView, model_from_container
from collectors.detect.objects import (
    annotations_of,
    as_int,
    command_line,
    containers,
    dig,
    env_map,
    mapping,
    seq,
    split_shell,
    str_map,
    text,
)
from collectors.detect.platforms.common import (
    gpu_resource_name,
    merge_env,
    pod_spec,
    storage_model,
    with_annotations,
    with_gpus,
)
from collectors.spec import Accelerator, ModelRef

GROUPS = ("serving.kserve.io", "serving.kubeflow.org")

# Legacy predictor keys (v1beta1 PredictorSpec) and the model format each one means.
FRAMEWORK_KEYS = ("sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "huggingface",
                  "pmml", "paddle")

HF = "huggingface"  # marker: the engine depends on the Hugging Face runtime's backend
# KServe's built-in (Cluster)ServingRuntimes and the engine each runs.
BUILTIN_RUNTIMES: dict[str, str] = {
    "kserve-sklearnserver": "custom", "kserve-xgbserver": "custom", "kserve-lgbserver": "custom",
    "kserve-pmmlserver": "custom", "kserve-paddleserver": "custom", "kserve-predictiveserver": "custom",
    "kserve-pytorchserver": "custom", "kserve-autogluonserver": "custom", "kserve-catboostserver": "custom",
    "kserve-openvino": "custom", "kserve-ovms": "custom", "kserve-djlserving": "custom",
    "kserve-tensorflow-serving": "tf-serving", "kserve-torchserve": "torchserve",
    "kserve-tritonserver": "triton", "kserve-mlserver": "mlserver",
    "kserve-huggingfaceserver": HF, "kserve-huggingfaceserver-multinode": HF,
    "kserve-huggingface-tritonserver": "triton",
    "kserve-vllmserver": "vllm", "kserve-vllmserver-multinode": "vllm", "kserve-lmcache-vllm": "vllm",
    "kserve-llm-sglang": "sglang",
}
# Model format → the built-in runtime KServe auto-selects for it.
FORMAT_RUNTIMES: dict[str, str] = {
    "sklearn": "kserve-sklearnserver", "xgboost": "kserve-xgbserver", "lightgbm": "kserve-lgbserver",
    "tensorflow": "kserve-tensorflow-serving", "pytorch": "kserve-torchserve", "onnx": "kserve-tritonserver",
    "triton": "kserve-tritonserver", "tensorrt": "kserve-tritonserver", "huggingface": "kserve-huggingfaceserver",
    "pmml": "kserve-pmmlserver", "paddle": "kserve-paddleserver", "mlflow": "kserve-mlserver",
}
# Hugging Face runtime tasks served by the transformers backend only.
# Model formats that name the engine themselves (OpenShift AI's `modelFormat: vLLM`), used when the
# runtime object is not among the scanned objects.
FORMAT_ENGINES: dict[str, str] = {"vllm": "vllm", "sglang": "sglang", "tgi": "tgi", "tgis": "tgi",
                                  "triton": "triton", "tensorrt": "triton", "mlflow": "mlserver"}
HF_PREDICTIVE_TASKS = {"fill_mask", "token_classification", "sequence_classification", "text_classification"}
HF_BACKENDS = {"vllm": "vllm", "huggingface": "custom", "hf": "custom", "transformers": "custom"}

MIN_SCALE_KEYS = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")
MAX_SCALE_KEYS = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")


# --- InferenceService --------------------------------------------------------------------------------


@with_annotations
def recognise_inference_service(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    name = text(dig(obj, "metadata", "name")) or ""
    if isinstance(spec.get("default"), Mapping):  # KFServing v1alpha2: default + canary endpoints
        return _v1alpha2(obj, spec, index, name)
    predictor = mapping(spec.get("predictor"))
    if not predictor:
        return Skip("InferenceService without spec.predictor")
    found = _predictor(obj, predictor, index, name)
    if isinstance(found, Skip):
        return found
    for component in ("transformer", "explainer"):
        if isinstance(spec.get(component), Mapping):
            found.signals.append(f"{component} component is pre/post-processing, not a separate model")
    return [found]


def _v1alpha2(obj: Mapping[str, Any], spec: Mapping[str, Any], index: Any, name: str) -> list[Candidate] | Skip:
    out: list[Candidate] = []
    canary_share = as_int(spec.get("canaryTrafficPercent"))
    for endpoint in ("default", "canary"):
        predictor = mapping(dig(spec, endpoint, "predictor"))
        if not predictor:
            continue
        found = _predictor(obj, predictor, index, name)
        if isinstance(found, Skip):
            continue
        if isinstance(spec.get("canary"), Mapping):
            found.unit = endpoint
            if endpoint == "canary":
                found.variant = "canary"
                found.signals.append(f"KFServing canary endpoint ({canary_share}% of traffic)")
        out.append(found)
    return out or Skip("InferenceService (v1alpha2) without a recognisable default predictor")


def _predictor(obj: Mapping[str, Any], predictor: Mapping[str, Any], index: Any, name: str) -> Candidate | Skip:
    namespace = text(dig(obj, "metadata", "namespace"))
    notes = {**annotations_of(obj), **str_map(predictor.get("annotations"))}
    model_section = mapping(predictor.get("model"))
    legacy = next((k for k in FRAMEWORK_KEYS if isinstance(predictor.get(k), Mapping)), None)
    custom = [c for c in seq(predictor.get("containers")) if isinstance(c, Mapping)]
    signals: list[str] = []

    runtime_obj: Mapping[str, Any] | None = None
    runtime_name: str | None = None
    if model_section or legacy:
        section = model_section or mapping(predictor.get(legacy))
        declared = section.get("modelFormat")
        declared = text(declared) if isinstance(declared, str) else text(dig(declared, "name"))
        fmt = (declared or legacy or "").lower()
        fmt_version = text(dig(section, "modelFormat", "version"))
        signals.append(f"predictor.{'model' if model_section else legacy}: format {fmt or '?'}")
        runtime_name, runtime_obj = _resolve_runtime(index, namespace, fmt, fmt_version,
                                                     text(section.get("runtime")), signals)
        runtime_ctrs = containers(dig(runtime_obj, "spec")) if runtime_obj else []
        main = _merge_container(runtime_ctrs[0] if runtime_ctrs else {}, section, name)
        pod = pod_spec(containers=[main, *runtime_ctrs[1:], *custom], source=dig(runtime_obj, "spec"),
                       extra=predictor)
        storage_uri = text(section.get("storageUri")) or text(dig(section, "storage", "path"))
    elif custom:
        main = next((c for c in custom if text(c.get("name")) == "kserve-container"), custom[0])
        pod = pod_spec(containers=custom, source=predictor)
        storage_uri = env_map(main).get("STORAGE_URI") or text(predictor.get("storageUri"))
        signals.append("predictor.containers (custom predictor)")
        fmt = ""
    else:
        return Skip("InferenceService predictor names no model, framework or container")

    candidate = _engine_and_model(obj, main, runtime_name, runtime_obj is not None, storage_uri, fmt, signals)
    if isinstance(candidate, Skip):
        return candidate
    if fmt:  # KServe serves a model (predictor.model / framework key) under the InferenceService's name
        candidate.settings.setdefault("servedModelName", name)
    candidate.pod_specs = [(pod, 1.0)]
    candidate.metadatas.append({"labels": predictor.get("labels"), "annotations": predictor.get("annotations")})

    multinode = isinstance(predictor.get("workerSpec"), Mapping)
    if multinode:
        _apply_worker_spec(candidate, predictor, runtime_obj, pod, main)
    _apply_replicas(candidate, predictor, notes, multinode=multinode)

    share = as_int(predictor.get("canaryTrafficPercent"))
    if share is not None and share < 100:
        candidate.variant = "canary"
        candidate.signals.append(f"canary rollout: the latest revision takes {share}% of traffic")
    return candidate


def _resolve_runtime(index: Any, namespace: str | None, fmt: str, fmt_version: str | None, named: str | None,
                     signals: list[str]) -> tuple[str | None, Mapping[str, Any] | None]:
    """(runtime name, runtime object if the scan holds it), the way the KServe controller picks it."""
    if named:
        runtime = index.get("ServingRuntime", namespace, named) or index.get("ClusterServingRuntime", None, named)
        signals.append(f"runtime {named}" + ("" if runtime else " (not among the scanned objects)"))
        return named, runtime
    best: tuple[tuple[int, int], str, Mapping[str, Any]] | None = None
    for kind, scope in (("ServingRuntime", 1), ("ClusterServingRuntime", 0)):
        for (runtime_ns, runtime_name), runtime in index.by_kind.get(kind, {}).items():
            if kind == "ServingRuntime" and runtime_ns not in {namespace or "", ""}:
                continue
            if dig(runtime, "spec", "disabled") is True:
                continue
            for supported in seq(dig(runtime, "spec", "supportedModelFormats")):
                if (text(dig(supported, "name")) or "").lower() != fmt or dig(supported, "autoSelect") is not True:
                    continue
                if fmt_version and text(dig(supported, "version")) not in {None, fmt_version}:
                    continue
                rank = (scope, as_int(dig(supported, "priority")) or 0)
                if best is None or rank > best[0]:
                    best = (rank, runtime_name, runtime)
    if best is not None:
        signals.append(f"runtime {best[1]} auto-selected for format {fmt}")
        return best[1], best[2]
    builtin = FORMAT_RUNTIMES.get(fmt)
    if builtin:
        signals.append(f"runtime {builtin} (KServe's built-in runtime for format {fmt})")
    return builtin, None


def _merge_container(runtime_ctr: Mapping[str, Any], section: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The runtime's container with the predictor's args appended, env and resources layered on top."""
    merged = dict(runtime_ctr)
    merged["name"] = text(runtime_ctr.get("name")) or "kserve-container"
    if text(section.get("image")):
        merged["image"] = text(section.get("image"))
    elif text(section.get("runtimeVersion")) and text(runtime_ctr.get("image")):
        repo = text(runtime_ctr.get("image")).split("@", 1)[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        merged["image"] = f"{repo}:{text(section.get('runtimeVersion'))}"
    if section.get("command"):
        merged["command"] = section.get("command")
    args = [*_as_list(runtime_ctr.get("args")), *_as_list(section.get("args"))]
    merged["args"] = [a.replace("{{.Name}}", name) if isinstance(a, str) else a for a in args]
    merged["env"] = merge_env(runtime_ctr.get("env"), section.get("env"))
    if mapping(section.get("resources")):
        merged["resources"] = section.get("resources")
    return merged


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else seq(value)


def _engine_and_model(obj: Mapping[str, Any], main: Mapping[str, Any], runtime_name: str | None,
                      runtime_found: bool, storage_uri: str | None, fmt: str, signals: list[str]) -> Candidate | Skip:
    image = text(main.get("image"))
    builtin = BUILTIN_RUNTIMES.get((runtime_name or "").removesuffix("-gpu"))
    if builtin is None and not runtime_found and fmt in FORMAT_ENGINES:
        builtin = FORMAT_ENGINES[fmt]
        signals.append(f"engine {builtin} named by modelFormat {fmt}")
    is_hf = builtin == HF or "huggingfaceserver" in (image or "").lower()
    storage = storage_model(storage_uri)

    if is_hf:
        return _huggingface(main, storage, signals)

    found = platforms.from_containers([main], obj) if (image or command_line(main)) else None
    if isinstance(found, Skip):
        return found
    if found is not None and (found.platform == "nim" or (
            found.engine != "unknown" and (found.engine != "custom" or not builtin))):
        candidate = found
        if candidate.platform != "nim":  # a NIM container keeps platform nim, as everywhere
            candidate.platform = "kserve"
    else:
        engine = builtin or ("custom" if image else "unknown")
        candidate = Candidate(engine=engine, platform="kserve", image=image)
        if found is not None:
            candidate.settings.update(found.settings)
        signals.append(f"engine {engine} from runtime {runtime_name or fmt}" if builtin else
                       "custom predictor image" if image else "runtime unknown: engine not known")
    container_model = candidate.model
    if storage.uri:
        name = storage.name or container_model.name
        candidate.model = ModelRef(name, storage.version or container_model.version, storage.uri)
        signals.append("model from storageUri")
    candidate.signals = [*signals, *candidate.signals]
    return candidate


def _huggingface(main: Mapping[str, Any], storage: ModelRef, signals: list[str]) -> Candidate:
    env = env_map(main)
    args = ArgView(command_line(main), env)
    backend = (args.value(("--backend",)) or (None, ""))[1].lower()
    task = (args.value(("--task",)) or (None, ""))[1].lower().replace("-", "_")
    if backend in HF_BACKENDS:
        engine = HF_BACKENDS[backend]
        signals.append(f"Hugging Face runtime --backend={backend}")
    elif task in HF_PREDICTIVE_TASKS:
        engine = "custom"
        signals.append(f"Hugging Face runtime, predictive task {task}: transformers backend")
    else:
        engine = "vllm"
        signals.append("Hugging Face runtime, default backend: vLLM for generative tasks")
    found = model_from_container("vllm", main)
    model_id = args.value(("--model_id", "--model-id"))
    revision = args.value(("--model_revision", "--model-revision", "--revision"))
    name = model_id[1] if model_id else storage.name
    version = revision[1] if revision else storage.version
    candidate = Candidate(engine=engine, platform="kserve", image=text(main.get("image")),
                          model=ModelRef(name, version, storage.uri), settings=dict(found.settings))
    served = args.value(("--model_name", "--model-name"))
    if served and "{{" not in served[1]:
        candidate.settings["servedModelName"] = served[1]
    if model_id:
        signals.append("model from --model_id")
    elif storage.uri:
        signals.append("model from storageUri")
    candidate.signals = signals
    return candidate


def _apply_worker_spec(candidate: Candidate, predictor: Mapping[str, Any], runtime: Mapping[str, Any] | None,
                       head_pod: Mapping[str, Any], head: Mapping[str, Any]) -> None:
    worker_spec = mapping(predictor.get("workerSpec"))
    runtime_workers = mapping(dig(runtime, "spec", "workerSpec"))
    pipeline = as_int(worker_spec.get("pipelineParallelSize")) or as_int(runtime_workers.get("pipelineParallelSize")) or 1
    tensor = as_int(worker_spec.get("tensorParallelSize")) or as_int(runtime_workers.get("tensorParallelSize"))
    runtime_worker = (containers(runtime_workers) or [{}])[0]
    own_worker = (containers(worker_spec) or [{}])[0]
    worker = {**runtime_worker, **own_worker} or dict(head)
    if tensor:
        resource = gpu_resource_name(head)
        head = with_gpus(head, tensor, resource)
        worker = with_gpus(worker, tensor, resource)
        candidate.settings["tensorParallelSize"] = tensor
    candidate.settings["pipelineParallelSize"] = pipeline
    pods = [(pod_spec(containers=[head], source=head_pod), 1.0)]
    if pipeline > 1:
        pods.append((pod_spec(containers=[worker], source=worker_spec or runtime_workers, extra=head_pod),
                     float(pipeline - 1)))
    candidate.pod_specs = pods
    candidate.signals.append(f"multi-node predictor: 1 head + {pipeline - 1} worker pods per replica"
                             + (f", {tensor} GPUs each" if tensor else ""))


def _apply_replicas(candidate: Candidate, predictor: Mapping[str, Any], notes: Mapping[str, str], *,
                    multinode: bool) -> None:
    mode = (notes.get("serving.kserve.io/deploymentMode") or "").lower()
    scaler_class = (notes.get("serving.kserve.io/autoscalerClass") or "").lower()
    if mode == "modelmesh":
        candidate.accelerator = Accelerator()
        candidate.signals.append("ModelMesh: the model is loaded into shared runtime pods (no replicas of its own)")
        return
    minimum = as_int(predictor.get("minReplicas"))
    if minimum is None:
        minimum = next((as_int(notes[k]) for k in MIN_SCALE_KEYS if as_int(notes.get(k)) is not None), None)
    maximum = as_int(predictor.get("maxReplicas"))
    if maximum is None:
        maximum = next((as_int(notes[k]) for k in MAX_SCALE_KEYS if as_int(notes.get(k)) is not None), None)
    minimum = 1 if minimum is None else max(minimum, 0)
    if maximum == 0:
        maximum = None  # Knative: 0 means no upper bound
    if maximum is None and mode in {"rawdeployment", "standard"}:
        maximum = max(minimum, 1)  # KServe's HPA max defaults to min in raw deployments
    candidate.desired = minimum
    fixed = multinode or scaler_class in {"none", "external"} or (maximum is not None and maximum <= minimum)
    if fixed:
        candidate.signals.append(f"{minimum} replica(s), not autoscaled"
                                 + (" (multi-node)" if multinode else f" (autoscalerClass {scaler_class})"
                                    if scaler_class in {"none", "external"} else ""))
        return
    candidate.min, candidate.max, candidate.autoscaled = minimum, maximum, True
    candidate.signals.append(f"KServe autoscaling min {minimum} max {maximum if maximum is not None else 'unbounded'}"
                             + (" (scale-to-zero)" if minimum == 0 else ""))


# --- LLMInferenceService -----------------------------------------------------------------------------


@with_annotations
def recognise_llm_inference_service(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    namespace = text(dig(obj, "metadata", "namespace"))
    name = text(dig(obj, "metadata", "name")) or ""
    model_spec = mapping(spec.get("model"))
    if not model_spec and not spec.get("template"):
        return Skip("LLMInferenceService without spec.model")
    runtime_name = text(spec.get("runtime"))
    runtime = (index.get("ServingRuntime", namespace, runtime_name)
               or index.get("ClusterServingRuntime", None, runtime_name)) if runtime_name else None
    storage = storage_model(model_spec.get("uri"))
    served = text(model_spec.get("name")) or name
    model = ModelRef(storage.name or served, storage.version, storage.uri)

    prefill = mapping(spec.get("prefill"))
    pools = [("decode" if prefill else None, spec)] + ([("prefill", prefill)] if prefill else [])
    out: list[Candidate] = []
    for unit, workload in pools:
        candidate = _llm_pool(obj, workload, spec, runtime, runtime_name, model, served)
        candidate.unit = unit
        if unit:
            candidate.signals.append(f"prefill/decode disaggregation: {unit} pool")
        out.append(candidate)
    for adapter in seq(dig(model_spec, "lora", "adapters")):
        out[0].signals.append(f"LoRA adapter {text(dig(adapter, 'name')) or text(dig(adapter, 'uri'))}")
    return out


def _llm_pool(obj: Mapping[str, Any], workload: Mapping[str, Any], spec: Mapping[str, Any],
              runtime: Mapping[str, Any] | None, runtime_name: str | None, model: ModelRef,
              served: str) -> Candidate:
    template = mapping(workload.get("template")) or mapping(spec.get("template"))
    runtime_ctrs = containers(dig(runtime, "spec")) if runtime else []
    own = containers(template)
    main = dict(next((c for c in own if text(c.get("name")) == "main"), own[0] if own else {}))
    base = runtime_ctrs[0] if runtime_ctrs else {}
    for key, value in base.items():
        main.setdefault(key, value)
    extra = env_map(main).get("VLLM_ADDITIONAL_ARGS")
    if extra:
        main["args"] = [*_as_list(main.get("args")), *split_shell([extra])]
    signals: list[str] = []
    found = platforms.from_containers([main, *own[1:]], obj) if (text(main.get("image")) or command_line(main)) else None
    builtin = BUILTIN_RUNTIMES.get(runtime_name or "")
    if isinstance(found, Candidate) and found.engine not in {"unknown", "custom"}:
        engine = found.engine
        signals.extend(found.signals)
    elif builtin and builtin != HF:
        engine = builtin
        signals.append(f"runtime {runtime_name}")
    elif runtime_name and "sglang" in runtime_name.lower():
        engine = "sglang"
        signals.append(f"runtime {runtime_name}")
    else:
        engine = "vllm"
        signals.append("LLMInferenceService default template runs vLLM (llm-d)")
    settings = dict(model_from_container(engine, main).settings)
    parallelism = mapping(workload.get("parallelism")) or mapping(spec.get("parallelism"))
    tensor, pipeline = as_int(parallelism.get("tensor")), as_int(parallelism.get("pipeline"))
    if tensor:
        settings["tensorParallelSize"] = tensor
    if pipeline:
        settings["pipelineParallelSize"] = pipeline
    settings.setdefault("servedModelName", served)

    candidate = Candidate(engine=engine, platform="kserve", model=model, image=text(main.get("image")),
                          settings=settings, signals=[f"LLMInferenceService model {model.uri or model.name}", *signals])
    head = pod_spec(containers=[main, *own[1:]], source=template)
    worker_tpl = mapping(workload.get("worker")) or (mapping(spec.get("worker")) if workload is spec else {})
    size = _lws_size(parallelism) if worker_tpl else None
    candidate.pod_specs = [(head, 1.0)]
    if worker_tpl:
        if size and size > 1:
            candidate.pod_specs.append((pod_spec(containers=containers(worker_tpl), source=worker_tpl), float(size - 1)))
            candidate.signals.append(f"multi-node: {size} pods per replica (leader + {size - 1} workers)")
        else:
            candidate.signals.append("worker template without a parallelism size: worker pods not counted")

    scaling = mapping(workload.get("scaling"))
    replicas = as_int(workload.get("replicas"))
    if scaling:
        minimum = as_int(scaling.get("minReplicas"))
        minimum = 1 if minimum is None else minimum
        candidate.min, candidate.max, candidate.autoscaled = minimum, as_int(scaling.get("maxReplicas")), True
        candidate.desired = minimum if replicas is None else replicas
        candidate.signals.append(f"scaling min {minimum} max {candidate.max}")
    else:
        candidate.desired = 1 if replicas is None else replicas
    return candidate


def _lws_size(parallelism: Mapping[str, Any]) -> int | None:
    """Pods per replica as KServe computes it: data/dataLocal for data parallelism, else pipeline."""
    data, local = as_int(parallelism.get("data")), as_int(parallelism.get("dataLocal"))
    if data or local:
        return max(max(data or 1, 1) // max(local or 1, 1), 1)
    return as_int(parallelism.get("pipeline"))


# --- objects that are not deployments -------------------------------------------------------------------


def _template(reason: str):
    def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
        return Skip(reason, quiet=True)
    return recognise


def recognise_trained_model(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
    target = text(dig(obj, "spec", "inferenceService"))
    return Skip(f"TrainedModel is loaded into InferenceService {target} (multi-model serving), "
                "which holds the pods and accelerators")


KINDS: dict[tuple[str, str], Any] = {}
for _group in GROUPS:
    KINDS[(_group, "InferenceService")] = recognise_inference_service
    KINDS[(_group, "TrainedModel")] = recognise_trained_model
KINDS[("serving.kserve.io", "LLMInferenceService")] = recognise_llm_inference_service
KINDS[("serving.kserve.io", "ServingRuntime")] = _template("ServingRuntime is a runtime template, not a deployment")
KINDS[("serving.kserve.io", "ClusterServingRuntime")] = _template(
    "ClusterServingRuntime is a runtime template, not a deployment")
KINDS[("serving.kserve.io", "LLMInferenceServiceConfig")] = _template(
    "LLMInferenceServiceConfig is a configuration template, not a deployment")
KINDS[("serving.kserve.io", "InferenceGraph")] = _template("InferenceGraph routes between InferenceServices")
