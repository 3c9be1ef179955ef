"""NVIDIA NIM Operator (apps.nvidia.com): NIMService and NIMPipeline.

A NIMService runs one NIM container: the model and its version come from the image exactly as for
NIM images in plain Deployments (`platforms.nim_model`: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8 →
meta/llama-3.1-8b-instruct, version 1.8). The multi-LLM NIM (`nvidia/llm-nim`) serves whatever model
it is pointed at: `NIM_MODEL_NAME`, else the referenced NIMCache's Hugging Face source.

Decisions:
- Engine only where the NIM says so: `NIM_MODEL_PROFILE` or the NIMCache profile naming a backend
  (tensorrt_llm, vllm, sglang), the NIMCache `engine`, or `NIM_USE_SGLANG`; else unknown.
- Replicas: `spec.replicas` (default 1); with `scale.enabled` the HPA bounds apply (min default 1) and
  desired is the minimum; on KServe (`inferencePlatform: kserve`) the Knative min/max-scale annotations.
- Multi-node (`multiNode`): one replica is `size` pods (older API) or, with `parallelism`,
  tp x pp / GPUs-per-pod pods; GPUs per pod are `gpusPerPod` when given, else the resources.
- A NIMPipeline deploys its `enabled: true` services, one ModelSpec each (`workload.unit` = service name).
NIMCache and NIMBuild prepare models, they do not serve (quiet skips).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import platforms
from collectors.detect.accelerators import accelerator_resource_count
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import interpret_model
from collectors.detect.objects import annotations_of, as_int, dig, env_map, mapping, seq, str_map, text
from collectors.detect.platforms.common import pod_spec, scale_bounds, truthy, with_annotations, with_gpus
from collectors.spec import ModelRef

GROUP = "apps.nvidia.com"
# Profile / engine tokens → engine (NIM profiles name their backend: "tensorrt_llm-h100-fp8-tp2-...").
ENGINE_TOKENS = (("tensorrt_llm", "tensorrt-llm"), ("trtllm", "tensorrt-llm"), ("tensorrt-llm", "tensorrt-llm"),
                 ("vllm", "vllm"), ("sglang", "sglang"))
# NIM environment variables → ModelSpec settings.
ENV_SETTINGS = {"NIM_MAX_MODEL_LEN": "maxModelLen", "NIM_TENSOR_PARALLEL_SIZE": "tensorParallelSize",
                "NIM_PIPELINE_PARALLEL_SIZE": "pipelineParallelSize", "NIM_SERVED_MODEL_NAME": "servedModelName",
                "NIM_MAX_NUM_SEQS": "maxNumSeqs"}
INT_SETTINGS = {"maxModelLen", "tensorParallelSize", "pipelineParallelSize", "maxNumSeqs"}
MULTI_LLM_IMAGES = ("/llm-nim",)
MIN_SCALE_KEYS = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")
MAX_SCALE_KEYS = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")


@with_annotations
def recognise_service(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    if not spec:
        return Skip("NIMService without spec")
    found = _service(obj, spec, index, text(dig(obj, "metadata", "namespace")))
    if isinstance(found, Skip):
        return found
    found.ready = as_int(dig(obj, "status", "availableReplicas"))
    return [found]


@with_annotations
def recognise_pipeline(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    services = [s for s in seq(dig(obj, "spec", "services")) if isinstance(s, Mapping)]
    namespace = text(dig(obj, "metadata", "namespace"))
    out: list[Candidate] = []
    for position, service in enumerate(services):
        if service.get("enabled") is not True and not truthy(service.get("enabled")):
            continue
        found = _service(obj, mapping(service.get("spec")), index, namespace)
        if isinstance(found, Skip):
            continue
        found.unit = text(service.get("name")) or f"service-{position}"
        found.signals.insert(0, f"NIMPipeline service {found.unit}")
        out.append(found)
    if not out:
        return Skip("NIMPipeline without enabled services" if services else "NIMPipeline without services")
    return out


def _image(spec: Mapping[str, Any]) -> str | None:
    if isinstance(spec.get("image"), str):  # not the CRD's shape, but unambiguous
        return text(spec["image"])
    repository, tag = text(dig(spec, "image", "repository")), text(dig(spec, "image", "tag"))
    if not repository:
        return None
    return f"{repository}:{tag}" if tag else repository


def _service(obj: Mapping[str, Any], spec: Mapping[str, Any], index: Any, namespace: str | None) -> Candidate | Skip:
    image = _image(spec)
    if image is None:
        return Skip("NIMService without spec.image.repository")
    container = {"name": "nim", "image": image, "env": seq(spec.get("env")), "command": spec.get("command"),
                 "args": spec.get("args"), "resources": mapping(spec.get("resources"))}
    env = env_map(container)
    signals: list[str] = []
    cache_ref = mapping(dig(spec, "storage", "nimCache")) or mapping(spec.get("nimCache"))
    cache = index.get("NIMCache", namespace, text(cache_ref.get("name"))) if text(cache_ref.get("name")) else None

    found = platforms.nim_model(image)
    if found is not None:
        model, signal = found
        signals.append(signal)
    else:
        model = ModelRef()
        signals.append(f"image {image} is not a NIM image path (…/nim/<org>/<model>): model unknown")
    if image.split(":", 1)[0].endswith(MULTI_LLM_IMAGES) or found is None:
        model = _multi_llm_model(env, cache, signals) or model
    elif env.get("NIM_MODEL_NAME"):
        model = ModelRef(model.name, model.version, env["NIM_MODEL_NAME"])

    engine = _engine(env, cache_ref, cache, signals)
    candidate = Candidate(engine=engine, platform="nim", model=model, image=image, signals=signals)
    for name, setting in ENV_SETTINGS.items():
        if env.get(name):
            value = as_int(env[name]) if setting in INT_SETTINGS else env[name]
            if value is not None:
                candidate.settings[setting] = value

    pod = pod_spec(containers=[container], source=spec)
    if isinstance(spec.get("podAffinity"), Mapping):
        pod["affinity"] = {"podAffinity": spec["podAffinity"]}
    candidate.pod_specs = [(pod, 1.0)]
    _multi_node(candidate, spec, container, pod)
    if seq(spec.get("draResources")):
        candidate.signals.append("GPUs claimed through DRA resource claims are not counted")
    candidate.metadatas.append({"labels": spec.get("labels"), "annotations": spec.get("annotations")})
    _replicas(candidate, obj, spec)
    return candidate


def _multi_llm_model(env: Mapping[str, str], cache: Mapping[str, Any] | None, signals: list[str]) -> ModelRef | None:
    if env.get("NIM_MODEL_NAME"):
        signals.append("model from env NIM_MODEL_NAME")
        return interpret_model(env["NIM_MODEL_NAME"])
    hf = mapping(dig(cache, "spec", "source", "hf"))
    if hf.get("modelName"):
        repo = "/".join(p for p in (text(hf.get("namespace")), text(hf.get("modelName"))) if p)
        signals.append("model from NIMCache source.hf")
        return ModelRef(name=repo, uri=f"hf://{repo}")
    return None


def _engine(env: Mapping[str, str], cache_ref: Mapping[str, Any], cache: Mapping[str, Any] | None,
            signals: list[str]) -> str:
    engine = platforms.nim_engine(env)
    if engine != "unknown":
        signals.append(f"engine from NIM_MODEL_PROFILE {env.get('NIM_MODEL_PROFILE')}")
        return engine
    model_spec = mapping(dig(cache, "spec", "source", "ngc", "model"))
    for where, value in (("nimCache.profile", text(cache_ref.get("profile"))),
                         ("NIMCache engine", text(model_spec.get("engine")))):
        for token, name in ENGINE_TOKENS:
            if value and token in value.lower():
                signals.append(f"engine from {where} {value}")
                return name
    profiles = [text(p) or "" for p in seq(model_spec.get("profiles"))]
    per_profile = [{name for token, name in ENGINE_TOKENS if token in p.lower()} for p in profiles]
    engines = set().union(*per_profile) if per_profile else set()
    if len(engines) == 1 and all(per_profile):  # every cached profile names the same backend
        signals.append("engine from NIMCache profiles")
        return engines.pop()
    if truthy(env.get("NIM_USE_SGLANG")):
        signals.append("NIM_USE_SGLANG selects the SGLang backend")
        return "sglang"
    return "unknown"


def _multi_node(candidate: Candidate, spec: Mapping[str, Any], container: Mapping[str, Any],
                pod: Mapping[str, Any]) -> None:
    multi = mapping(spec.get("multiNode"))
    if not multi:
        return
    per_pod = as_int(multi.get("gpusPerPod"))
    size = as_int(multi.get("size"))
    parallelism = mapping(multi.get("parallelism"))
    if size is None and parallelism:
        tensor = as_int(parallelism.get("tp")) or as_int(parallelism.get("tensor"))
        pipeline = as_int(parallelism.get("pp")) or as_int(parallelism.get("pipeline")) or 1
        gpus = per_pod or accelerator_resource_count(mapping(container.get("resources")))
        if tensor and gpus:
            size = max(int(tensor * pipeline // gpus), 1)
        else:
            size = pipeline
        if tensor:
            candidate.settings["tensorParallelSize"] = tensor
        candidate.settings["pipelineParallelSize"] = pipeline
    size = size or 1
    if per_pod:
        pod = {**pod, "containers": [with_gpus(container, per_pod)]}
    candidate.pod_specs = [(pod, float(size))]
    candidate.signals.append(f"multi-node NIM: {size} pods per replica (LeaderWorkerSet)")


def _replicas(candidate: Candidate, obj: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    replicas = as_int(spec.get("replicas"))
    scale = mapping(spec.get("scale"))
    notes = {**annotations_of(obj), **str_map(spec.get("annotations"))}
    if scale.get("enabled") is True or truthy(scale.get("enabled")):
        candidate.min, candidate.max = scale_bounds(scale.get("hpa"))
        candidate.autoscaled = True
        candidate.desired = candidate.min
        candidate.signals.append(f"HPA min {candidate.min} max {candidate.max}")
        return
    if (text(spec.get("inferencePlatform")) or "").lower() == "kserve":
        minimum = next((as_int(notes[k]) for k in MIN_SCALE_KEYS if as_int(notes.get(k)) is not None), None)
        maximum = next((as_int(notes[k]) for k in MAX_SCALE_KEYS if as_int(notes.get(k)) is not None), None)
        if minimum is not None or maximum is not None:
            candidate.min = 1 if minimum is None else minimum
            candidate.max, candidate.autoscaled = maximum, True
            candidate.desired = candidate.min
            candidate.signals.append(f"KServe/Knative scaling min {candidate.min} max {maximum}")
            return
    candidate.desired = 1 if replicas is None else replicas


def _not_serving(reason: str):
    def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
        return Skip(reason, quiet=True)
    return recognise


KINDS: dict[tuple[str, str], Any] = {
    (GROUP, "NIMService"): recognise_service,
    (GROUP, "NIMPipeline"): recognise_pipeline,
    (GROUP, "NIMCache"): _not_serving("NIMCache downloads model weights, it does not serve"),
    (GROUP, "NIMBuild"): _not_serving("NIMBuild builds engines, it does not serve"),
}
