"""Small helpers the serving-CRD recognisers share: storage URIs, synthetic pod specs, replica counts.

Serving CRDs describe pods in their own words (a `resources` block here, a `nodeSelector` there, GPUs
as `gpu: "1"`); these helpers turn those words into the pod-spec shapes `accelerators.accelerator_from_pod`
reads, so every platform counts accelerators the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from collectors.detect import platforms, runtimes
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import GENERIC_SEGMENTS, interpret_model
from collectors.detect.objects import annotations_of, as_int, dig, mapping, seq, text
from collectors.spec import ENGINES, ModelRef

# Pod-spec fields a CRD may inline next to its own fields (KServe predictors, NIMService, Seldon Servers).
POD_FIELDS = ("nodeSelector", "tolerations", "affinity", "runtimeClassName", "schedulerName",
              "initContainers", "priorityClassName")

_VERSION_LIKE = re.compile(r"^(v?\d+(\.\d+)*)$", re.I)


def storage_model(uri: Any) -> ModelRef:
    """A storage URI (storageUri, modelUri, model.uri) → ModelRef with the URI kept as given.

    Trailing generic segments are dropped before reading the name, so the KServe examples'
    ``gs://…/models/sklearn/1.0/model`` is model ``sklearn`` version ``1.0``; an OCI modelcar's tag
    (``oci://registry/org/granite:3.1``) is its version; MLflow ``models:/churn/3`` is churn version 3.
    """
    value = text(uri)
    if value is None:
        return ModelRef()
    value = value.strip("'\"")
    if value.startswith("models:/"):  # MLflow registry: models:/<name>/<version|stage> or models:/<name>@<alias>
        name, sep, rest = value[len("models:/"):].strip("/").partition("@")
        if not sep:
            name, _, rest = name.partition("/")
        return ModelRef(name=name or None, version=rest or None, uri=value)
    if value.startswith("runs:/"):  # MLflow run artifact: the run, not a model name
        return ModelRef(uri=value)
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme == "oci":
        repo, tag = runtimes.image_parts(value.split("://", 1)[1])
        name = repo.rstrip("/").rsplit("/", 1)[-1] or None
        return ModelRef(name=name, version=tag if tag and tag != "latest" else None, uri=value)
    if scheme == "hf" or "://" not in value and not value.startswith("/"):
        return interpret_model(value)
    head, _, path = value.partition("://") if "://" in value else ("", "", value)
    segments = path.rstrip("/").split("/")
    # keep the bucket/claim (first segment of a URI) even if it is called "models"
    keep = 1 if head else 0
    while len(segments) > keep + 1 and segments[-1].lower() in GENERIC_SEGMENTS:
        segments.pop()
    trimmed = (head + "://" if head else "") + "/".join(segments)
    found = interpret_model(trimmed)
    return ModelRef(found.name, found.version, value)


def parse_tag(tag: Any) -> ModelRef:
    """'iris_clf:3oevmq' (BentoML/Yatai tag) → ModelRef(name, version)."""
    value = text(tag)
    if value is None:
        return ModelRef()
    name, _, version = value.partition(":")
    return ModelRef(name=name or None, version=version if version and version != "latest" else None)


def pod_spec(*, containers: Iterable[Mapping[str, Any]] = (), source: Mapping[str, Any] | None = None,
             extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A pod spec from containers plus the pod-level fields found in `source` (and `extra`)."""
    spec: dict[str, Any] = {}
    for place in (mapping(source), mapping(extra)):
        for key in POD_FIELDS:
            if place.get(key) is not None:
                spec[key] = place[key]
    spec["containers"] = [dict(c) for c in containers if isinstance(c, Mapping)]
    return spec


def with_gpus(container: Mapping[str, Any], count: float | int, resource: str = "nvidia.com/gpu") -> dict[str, Any]:
    """A copy of `container` whose accelerator limit is `count` (a controller that sets it, e.g. KServe TP)."""
    out = dict(container)
    resources = dict(mapping(out.get("resources")))
    limits = dict(mapping(resources.get("limits")))
    limits[resource] = count
    resources["limits"] = limits
    requests = dict(mapping(resources.get("requests")))
    if resource in requests:
        requests[resource] = count
        resources["requests"] = requests
    out["resources"] = resources
    return out


def gpu_resource_name(container: Mapping[str, Any]) -> str:
    """The accelerator resource a container already asks for (AMD, Intel...), nvidia.com/gpu by default."""
    for section in ("limits", "requests"):
        for key in mapping(dig(container, "resources", section)):
            if isinstance(key, str) and (key.endswith("/gpu") or "neuron" in key or key.startswith("habana")):
                return key
    return "nvidia.com/gpu"


def merge_env(base: Any, override: Any) -> list[Any]:
    """Kubernetes env lists merged by name, `override` winning (how KServe and NIM layer env)."""
    order: list[str] = []
    by_name: dict[str, Any] = {}
    unnamed: list[Any] = []
    for item in (*seq(base), *seq(override)):
        name = text(dig(item, "name"))
        if name is None:
            unnamed.append(item)
            continue
        if name not in by_name:
            order.append(name)
        by_name[name] = item
    return [by_name[n] for n in order] + unnamed


def scale_bounds(block: Any, *, min_keys: tuple[str, ...] = ("minReplicas", "min_replicas"),
                 max_keys: tuple[str, ...] = ("maxReplicas", "max_replicas"),
                 default_min: int | None = 1) -> tuple[int | None, int | None]:
    """(min, max) of an autoscaling block, whatever its spelling; min falls back to `default_min`."""
    data = mapping(block)
    minimum = next((as_int(data[k]) for k in min_keys if as_int(data.get(k)) is not None), None)
    maximum = next((as_int(data[k]) for k in max_keys if as_int(data.get(k)) is not None), None)
    return (default_min if minimum is None else minimum), maximum


def truthy(value: Any) -> bool:
    return (text(value) or "").lower() in {"1", "true", "yes", "on"}


def version_like(value: str | None) -> bool:
    return bool(value and _VERSION_LIKE.match(value))


def with_annotations(recognise: Callable[..., list[Candidate] | Skip]) -> Callable[..., list[Candidate] | Skip]:
    """Honour the footprint.io annotations on a serving CR as on any pod template.

    `footprint.io/serving: "false"` leaves the object out; `footprint.io/model`, `-model-version` and
    `-engine` state what the CR does not say, and win over what was read from it.
    """

    @functools.wraps(recognise)
    def wrapper(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
        notes = annotations_of(obj)
        opt = (notes.get(platforms.ANNOTATION_SERVING) or "").lower()
        if opt in {"false", "no", "0"}:
            return Skip(f"opted out with {platforms.ANNOTATION_SERVING}: {opt}")
        result = recognise(obj, index, ctx)
        if isinstance(result, list):
            for candidate in result:
                _annotate(candidate, notes)
        return result

    return wrapper


def _annotate(candidate: Candidate, notes: Mapping[str, str]) -> None:
    model, version = notes.get(platforms.ANNOTATION_MODEL), notes.get(platforms.ANNOTATION_MODEL_VERSION)
    if model:
        found = interpret_model(model)
        candidate.model = ModelRef(found.name, version or found.version, found.uri or candidate.model.uri)
        _note(candidate, f"model from annotation {platforms.ANNOTATION_MODEL}")
    elif version:
        candidate.model = ModelRef(candidate.model.name, version, candidate.model.uri)
    engine = (notes.get(platforms.ANNOTATION_ENGINE) or "").lower()
    if engine in ENGINES:
        candidate.engine = engine
        _note(candidate, f"engine from annotation {platforms.ANNOTATION_ENGINE}")


def _note(candidate: Candidate, signal: str) -> None:
    if signal not in candidate.signals:  # from_containers may have applied the annotation already
        candidate.signals.append(signal)
