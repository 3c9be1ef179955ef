"""BentoML on Yatai: BentoDeployment (serving.yatai.ai v1alpha1..v2alpha1).

v2alpha1 names a Bento CR (`spec.bento`, resources.yatai.ai/v1alpha1 Bento, or the BentoRequest that
builds it) holding the bento tag, image and the models packed in it; v1alpha* name the bento by tag
(`spec.bento_tag`). Older API versions spell fields in snake_case (`min_replicas`,
`extra_pod_spec`); both spellings are read.

Decisions:
- The model is the first model packed in the Bento (`models[].tag`, name:version); without a Bento
  object the bento tag itself is what is known. Other packed models are listed in the signals.
- Engine custom (a BentoML service) unless a runner's `runnableType` names vLLM.
- The API server and each runner are separate Deployments. The component holding accelerators
  decides the replica counts (the one runner asking for GPUs, else the API server); `desired` is the
  autoscaling minimum (HPA always on in Yatai). Without autoscaling the count is Yatai's default and
  left unknown. Several GPU runners: their GPUs at their minimum replicas are summed into the total.
Bento and BentoRequest are artefacts, not deployments (quiet skips).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import accelerators
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.objects import as_int, dig, mapping, seq, text
from collectors.detect.platforms.common import parse_tag, pod_spec, scale_bounds, with_annotations
from collectors.spec import Accelerator, ModelRef

GROUPS = ("serving.yatai.ai", "yatai.bentoml.org")
RESOURCE_GROUP = "resources.yatai.ai"


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    return next((data[k] for k in keys if data.get(k) is not None), None)


def _resources(block: Any) -> dict[str, Any]:
    """Yatai resources ({requests: {cpu, memory, gpu, custom: {...}}}) → Kubernetes resources."""
    out: dict[str, Any] = {}
    for section in ("requests", "limits"):
        items: dict[str, Any] = {}
        for key, value in mapping(mapping(block).get(section)).items():
            if key == "gpu":
                items["nvidia.com/gpu"] = value
            elif key == "custom":
                items.update({str(k): v for k, v in mapping(value).items()})
            else:
                items[str(key)] = value
        if items:
            out[section] = items
    return out


def _component_pod(component: Mapping[str, Any], image: str | None) -> dict[str, Any]:
    extra = mapping(_first(component, "extraPodSpec", "extra_pod_spec"))
    return pod_spec(containers=[{"name": "main", "image": image, "resources": _resources(component.get("resources"))}],
                    source=extra)


@with_annotations
def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    namespace = text(dig(obj, "metadata", "namespace"))
    bento_name = text(spec.get("bento"))
    bento_tag = text(_first(spec, "bento_tag", "bentoTag"))
    if not bento_name and not bento_tag:
        return Skip("BentoDeployment names no bento")
    signals: list[str] = []
    bento_spec: Mapping[str, Any] = {}
    if bento_name:
        bento = index.get("Bento", namespace, bento_name)
        request = None if bento else index.get("BentoRequest", namespace, bento_name)
        bento_spec = mapping(dig(bento or request, "spec"))
        bento_tag = text(_first(bento_spec, "tag", "bentoTag")) or bento_tag
        signals.append(f"bento {bento_name}" + (f" → {'Bento' if bento else 'BentoRequest'} tag {bento_tag}"
                                                 if bento_spec else " (Bento not among the scanned objects)"))
    else:
        signals.append(f"bento tag {bento_tag}")
    image = text(bento_spec.get("image"))

    packed = [parse_tag(dig(m, "tag")) for m in seq(bento_spec.get("models"))]
    packed = [m for m in packed if m.name]
    if packed:
        model = packed[0]
        signals.append("model packed in the Bento: " + ", ".join(f"{m.name}:{m.version}" for m in packed))
    else:
        model = parse_tag(bento_tag) if bento_tag else ModelRef()  # an unscanned Bento's name is not a model
    runners_declared = [r for r in seq(bento_spec.get("runners")) if isinstance(r, Mapping)]
    engine = "custom"
    if any("vllm" in (text(r.get("runnableType")) or "").lower() for r in runners_declared):
        engine = "vllm"
        signals.append("runner runnableType names vLLM")
    candidate = Candidate(engine=engine, platform="bentoml", model=model, image=image, signals=signals)

    api_pod = _component_pod(spec, image)
    runners = [r for r in seq(spec.get("runners")) if isinstance(r, Mapping)]
    gpu_runners = []
    for runner in runners:
        pod = _component_pod(runner, image)
        guess = accelerators.accelerator_from_pod(pod)
        if guess.per_replica:
            gpu_runners.append((runner, pod, guess))
    if len(gpu_runners) == 1:
        runner, pod, _ = gpu_runners[0]
        candidate.pod_specs = [(pod, 1.0)]
        _scaling(candidate, runner, f"runner {text(runner.get('name'))}")
    elif gpu_runners:
        total, gpu_type = 0.0, None
        for runner, _pod, guess in gpu_runners:
            minimum, _ = scale_bounds(runner.get("autoscaling"))
            total += guess.per_replica * (minimum or 0)
            gpu_type = gpu_type or guess.type
        candidate.accelerator = Accelerator(gpu_type, None, total, "runners")
        _scaling(candidate, spec, "api server")
        candidate.signals.append(f"{len(gpu_runners)} GPU runners: {total:g} GPUs at their minimum replicas")
    else:
        candidate.pod_specs = [(api_pod, 1.0)]
        _scaling(candidate, spec, "api server")
    candidate.ready = as_int(_first(mapping(obj.get("status")), "readyReplicas", "availableReplicas"))
    candidate.metadatas.append(mapping(_first(spec, "extraPodMetadata", "extra_pod_metadata")))
    return [candidate]


def _scaling(candidate: Candidate, component: Mapping[str, Any], where: str) -> None:
    block = mapping(component.get("autoscaling"))
    if not block:
        candidate.signals.append(f"{where}: no autoscaling block (Yatai's default replica count, unknown)")
        return
    candidate.min, candidate.max = scale_bounds(block)
    candidate.desired = candidate.min
    candidate.autoscaled = candidate.max is None or candidate.min is None or candidate.max > candidate.min
    candidate.signals.append(f"{where}: autoscaling {candidate.min}..{candidate.max}")
    if not candidate.autoscaled:
        candidate.min = candidate.max = None


def _artefact(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
    return Skip(f"{text(obj.get('kind'))} is a packaged bento, not a deployment", quiet=True)


KINDS: dict[tuple[str, str], Any] = {(group, "BentoDeployment"): recognise for group in GROUPS}
KINDS[(RESOURCE_GROUP, "Bento")] = _artefact
KINDS[(RESOURCE_GROUP, "BentoRequest")] = _artefact
