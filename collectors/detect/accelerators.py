"""Accelerators: every spelling of a GPU → one canonical name, and what a pod asks for.

Names come from many conventions (gpu-catalog.md §2e): GFD's sanitised nvidia-smi names
(``NVIDIA-A100-SXM4-80GB``), GKE (``nvidia-tesla-t4``), Karpenter (``a100`` + ``instance-gpu-memory``),
CoreWeave classes (``H100_NVLINK_80GB``), SkyPilot (``A100`` = 40 GB), instance types (``g5.12xlarge``).
Values are matched on tokens, never on substrings, so ``gh200`` is not ``h200`` and ``l40`` is not
``l40s``. A name that cannot be pinned to one canonical type gives ``None``: unknown is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from collectors.detect.data import instance_types as tables
from collectors.detect.data.mig_profiles import FOUR_SLICE_PROFILES, MIG_PROFILES
from collectors.detect.objects import containers, dig, mapping, quantity, seq, str_map, text

CANONICAL = (
    "T4", "L4", "A10", "A10G", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H100-94GB", "H200-141GB",
    "B200", "MI300X", "inferentia2", "trainium1", "V100-16GB", "V100-32GB",
)

# --- names -------------------------------------------------------------------------------------

# Whole values whose meaning one project fixed (checked before the token rules).
EXACT_ALIASES: dict[str, str] = {
    # GKE cloud.google.com/gke-accelerator: the bare A100/V100 names are the 40 GB / 16 GB parts.
    "nvidia-tesla-a100": "A100-40GB",
    "nvidia-tesla-v100": "V100-16GB",
    "nvidia-h100-mega-80gb": "H100-80GB",
    # CoreWeave gpu.nvidia.com/class (node-types.md): A100_NVLINK is the 40 GB HGX part and the
    # V100 NVLINK nodes carry 16 GB V100s.
    "a100_nvlink": "A100-40GB",
    "tesla_v100_nvlink": "V100-16GB",
}

# Family token → the canonical variants it can mean, with per-device memory in MiB as seen by
# Karpenter (instance-gpu-memory) and GFD (nvidia.com/gpu.memory).
FAMILIES: dict[str, dict[str, int | None]] = {
    "t4": {"T4": 16384},
    "t4g": {"T4": 16384},  # AWS g5g: the T4 silicon on Graviton
    "l4": {"L4": 23034},
    "a10": {"A10": 24576},
    "a10g": {"A10G": 23028},
    "l40s": {"L40S": 46068},
    "a100": {"A100-40GB": 40960, "A100-80GB": 81920},
    "h100": {"H100-80GB": 81920, "H100-94GB": 95830},
    "h200": {"H200-141GB": 144384},
    "b200": {"B200": 183359},
    "mi300x": {"MI300X": 196608},
    "v100": {"V100-16GB": 16384, "V100-32GB": 32768},
    "inferentia2": {"inferentia2": None},
    "inf2": {"inferentia2": None},
    "trainium": {"trainium1": None},  # AWS calls trn1's chip "Trainium" (trn2's is "Trainium2")
    "trainium1": {"trainium1": None},
    "trn1": {"trainium1": None},
}
# Where a family name alone is enough because one variant is the rule (H100 PCIe and SXM are 80 GB;
# only the NVL part is 94 GB and always says so).
FAMILY_DEFAULTS: dict[str, str] = {"h100": "H100-80GB"}
# Conventions of a label key for bare names (SkyPilot: "A100" is the 40 GB part).
KEY_DEFAULTS: dict[str, dict[str, str]] = {
    "skypilot.co/accelerator": {"a100": "A100-40GB", "v100": "V100-16GB"},
}
_FAMILY_TOKEN = re.compile(r"^(" + "|".join(sorted(FAMILIES, key=len, reverse=True)) + r")(sxm\d?|pcie|nvl)?$")
_MEMORY_TOKEN = re.compile(r"^(\d{2,3})(?:gb|gib|g)$")
_MIG_SUFFIX = re.compile(r"[-_ ]mig[-_ ].*$")
_MEMORY_TOLERANCE = 0.1  # usable memory differs from marketed memory by a few percent

# --- label keys ----------------------------------------------------------------------------------

# Keys that name the accelerator, most specific first, with the key holding MiB per device.
NAME_KEYS: tuple[tuple[str, str | None], ...] = (
    ("nvidia.com/gpu.product", "nvidia.com/gpu.memory"),
    ("karpenter.k8s.aws/instance-gpu-name", "karpenter.k8s.aws/instance-gpu-memory"),
    ("eks.amazonaws.com/instance-gpu-name", "eks.amazonaws.com/instance-gpu-memory"),  # EKS Auto Mode
    ("cloud.google.com/gke-accelerator", None),
    ("gpu.nvidia.com/class", "gpu.nvidia.com/vram"),
    ("gpu.nvidia.com/model", "gpu.nvidia.com/vram"),
    ("amd.com/gpu.product-name", None),
    ("beta.amd.com/gpu.product-name", None),
    ("karpenter.k8s.aws/instance-accelerator-name", None),
    ("eks.amazonaws.com/instance-accelerator-name", None),
    ("skypilot.co/accelerator", None),
    ("kubernetes.azure.com/accelerator", None),  # "nvidia" on AKS: names no model, gives nothing
)
# Memory keys counting GiB rather than MiB (CoreWeave: gpu.nvidia.com/vram=16).
MEMORY_KEYS_IN_GB = frozenset({"gpu.nvidia.com/vram"})
INSTANCE_TYPE_KEYS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
INSTANCE_FAMILY_KEYS = ("karpenter.k8s.aws/instance-family", "eks.amazonaws.com/instance-family")
# amd.com/gpu.device-id (AMD GPU labeller): PCI device ids.
AMD_DEVICE_IDS: dict[str, str] = {"74a1": "MI300X", "74b5": "MI300X"}  # 74b5 = MI300X virtual function
# Home-grown keys: the last path segment of any key ("accelerator", "example.com/gpu-type").
CUSTOM_KEY_NAMES = frozenset({
    "accelerator", "accelerator-type", "gpu", "gpu-type", "gpu_type", "gputype", "gpu-model", "gpu-name",
    "gpu-product", "gpu-class", "gpu.product", "gpu.model",
})

# Labels announcing that GPUs on the node are shared (key → values meaning "not shared").
SHARING_KEYS: dict[str, frozenset[str]] = {
    "cloud.google.com/gke-gpu-sharing-strategy": frozenset({"", "none"}),
    "nvidia.com/gpu.sharing-strategy": frozenset({"", "none"}),
    "nvidia.com/gpu.replicas": frozenset({"", "0", "1"}),
}

# --- resources -----------------------------------------------------------------------------------

# Extended resource → accelerators per unit. Neuron cores: two per Inferentia2/Trainium1 device.
DEVICE_RESOURCES: dict[str, float] = {
    "nvidia.com/gpu": 1.0,
    "amd.com/gpu": 1.0,
    "aws.amazon.com/neuron": 1.0,
    "aws.amazon.com/neurondevice": 1.0,
    "aws.amazon.com/neuroncore": 0.5,
    "google.com/tpu": 1.0,
    "gpu.intel.com/i915": 1.0,
    "gpu.intel.com/xe": 1.0,
    "habana.ai/gaudi": 1.0,
}
_SHARED_SUFFIX = ".shared"  # GPU Operator time-slicing with renameByDefault
_MIG_RESOURCE = re.compile(r"^nvidia\.com/mig-(?:(\d+)c\.)?(\d+)g\.(\d+)gb(?:[.+]me(?:\.all)?|\+gfx)?$")
_MIG_PROFILE = re.compile(r"(?:^|[-_ ])mig[-_ ](?:(\d+)c\.)?(\d+)g\.(\d+)gb", re.IGNORECASE)

# --- public API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceleratorGuess:
    type: str | None
    per_replica: float | None
    source: str | None
    signals: tuple[str, ...] = ()


def canonical_accelerator(value: str | None, *, memory_mib: int | None = None) -> str | None:
    """Any alias of an accelerator → its canonical name, or None when unknown or ambiguous."""
    bounds = _bounds_around(memory_mib) if isinstance(memory_mib, int) and memory_mib > 0 else None
    return _only(_candidates(value, bounds=bounds))


def accelerator_for_instance_type(instance_type: str | None) -> tuple[str, int] | None:
    """(canonical type, accelerators per instance) for a cloud instance type; None if none or unknown."""
    found = _instance_lookup(instance_type)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def accelerator_resource_count(resources: Mapping) -> float | None:
    """Accelerators asked for by one resources block (limits, falling back to requests)."""
    request = _Request()
    request.add_container(mapping(resources))
    return request.total()


def accelerator_from_pod(pod_spec: Mapping, *, node_labels: Mapping[str, str] | None = None) -> AcceleratorGuess:
    """Accelerator type and count per replica of a pod spec (or pod template spec)."""
    spec = mapping(pod_spec)
    request = _pod_request(spec)
    readings = [
        _read_labels(str_map(node_labels), origin="node"),
        _read_labels(str_map(spec.get("nodeSelector")), origin="nodeSelector"),
        _read_required_affinity(spec),
        _read_preferred_affinity(spec),
        _read_tolerations(spec),
        _read_mig(request.mig_profiles),
    ]
    gpu_type, source, signals = _decide(readings)
    per_replica = request.total()
    placement = readings[:2]  # node labels, then nodeSelector: the only places naming node features
    slice_fraction = next((r.slice_fraction for r in placement if r.slice_fraction is not None), None)
    if per_replica is not None and slice_fraction is not None and request.plain_nvidia:
        # MIG "single" strategy / GKE partitions: nvidia.com/gpu is a slice of the GPU the labels name.
        per_replica = _round(per_replica - request.plain_nvidia + request.plain_nvidia * slice_fraction)
        signals.append(f"MIG partition: each nvidia.com/gpu is {slice_fraction:.3g} of a GPU")
    sharing = next((r.sharing for r in placement if r.sharing), None)
    if request.shared or (sharing and request.plain_nvidia):
        what = "nvidia.com/gpu.shared" if request.shared else sharing
        signals.append(f"time-sliced GPU ({what}): counted as whole GPUs, really shared")
        source = f"{source} (time-sliced)" if source else "resources:nvidia.com/gpu.shared (time-sliced)"
    signals.extend(request.notes)
    if gpu_type is not None and per_replica is None:
        signals.append("pod is placed on accelerator nodes but requests no accelerator")
    return AcceleratorGuess(type=gpu_type, per_replica=per_replica, source=source, signals=tuple(signals))


# --- names -------------------------------------------------------------------------------------

Bounds = tuple[float, float]


def _bounds_around(mib: float) -> Bounds:
    return mib * (1 - _MEMORY_TOLERANCE), mib * (1 + _MEMORY_TOLERANCE)


def _only(candidates: Iterable[str]) -> str | None:
    found = set(candidates)
    if len(found) == 1:
        (single,) = found
        return single if single in CANONICAL else None
    return None


def _candidates(value: Any, *, bounds: Bounds | None = None, defaults: Mapping[str, str] | None = None) -> frozenset[str]:
    """Every canonical type a name could mean: one element = known, several = ambiguous, none = unknown."""
    name = text(value)
    if name is None:
        return frozenset()
    name = _MIG_SUFFIX.sub("", name.lower())
    if name in EXACT_ALIASES:
        return frozenset({EXACT_ALIASES[name]})
    tokens = [t for t in re.split(r"[^a-z0-9]+", name) if t]
    families: list[tuple[str, str | None]] = []
    memory_bounds = bounds
    for token in tokens:
        family = _FAMILY_TOKEN.match(token)
        if family:
            families.append((family.group(1), family.group(2)))
            continue
        memory = _MEMORY_TOKEN.match(token)
        if memory:
            memory_bounds = _bounds_around(int(memory.group(1)) * 1024)  # the name beats a label
    nvl = "nvl" in tokens or any(form == "nvl" for _, form in families)
    out: set[str] = set()
    for family, _form in families:
        out |= _variants(family, memory_bounds, nvl=nvl, defaults=defaults or {})
    return frozenset(out)


def _variants(family: str, bounds: Bounds | None, *, nvl: bool, defaults: Mapping[str, str]) -> set[str]:
    variants = FAMILIES[family]
    if len(variants) == 1:
        return set(variants)
    if family == "h100" and nvl:
        return {"H100-94GB"}
    if bounds is not None:
        fitting = {v for v, mib in variants.items() if mib is not None and bounds[0] <= mib <= bounds[1]}
        if len(fitting) == 1:
            return fitting
    if family in defaults:
        return {defaults[family]}
    if family in FAMILY_DEFAULTS:
        return {FAMILY_DEFAULTS[family]}
    return set(variants)


def _instance_lookup(instance_type: Any) -> tuple[str, int | None] | None:
    name = text(instance_type)
    if name is None:
        return None
    name = name.lower()
    return _aws(name) or _gcp(name) or _azure(name) or tables.OCI_SHAPES.get(name) or _lambda(name) or _nebius(name)


def _aws(name: str) -> tuple[str, int | None] | None:
    name = name.removeprefix("ml.")  # SageMaker
    family, dot, size = name.rpartition(".")
    if not dot or family not in tables.AWS_FAMILIES:
        return None
    gpu, counts = tables.AWS_FAMILIES[family]
    if size in counts:
        return gpu, counts[size]
    if "*" in counts and re.fullmatch(r"(?:\d*x?large|medium|metal)", size):
        return gpu, counts["*"]
    return None


def _gcp(name: str) -> tuple[str, int | None] | None:
    match = re.fullmatch(r"([a-z]\d-[a-z]+gpu)-(\d+)g", name)
    if match and match.group(1) in tables.GCP_ACCELERATOR_SERIES:
        return tables.GCP_ACCELERATOR_SERIES[match.group(1)], int(match.group(2))
    match = re.fullmatch(r"g2-standard-(\d+)", name)
    if match and int(match.group(1)) in tables.GCP_G2_L4_BY_VCPU:
        return "L4", tables.GCP_G2_L4_BY_VCPU[int(match.group(1))]
    return None


def _azure(name: str) -> tuple[str, int | None] | None:
    return tables.AZURE_SIZES.get(name.removeprefix("standard_"))


def _lambda(name: str) -> tuple[str, int | None] | None:
    match = re.fullmatch(r"gpu_(\d+)x_([a-z0-9_]+)", name)
    if not match:
        return None
    gpu = _only(_candidates(match.group(2), defaults=tables.LAMBDA_DEFAULTS))
    return (gpu, int(match.group(1))) if gpu else None


def _nebius(name: str) -> tuple[str, int | None] | None:
    platform, _, preset = name.partition("_")
    if platform not in tables.NEBIUS_PLATFORMS:
        return None
    count = re.match(r"(\d+)gpu-", preset)
    return tables.NEBIUS_PLATFORMS[platform], int(count.group(1)) if count else None


# --- where the pod may run -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """What one place (node labels, nodeSelector, ...) says about the accelerator type."""

    candidates: frozenset[str] = frozenset()
    source: str | None = None
    signals: tuple[str, ...] = ()
    slice_fraction: float | None = None  # each nvidia.com/gpu is this share of a GPU (MIG single / GKE)
    sharing: str | None = None  # time-sharing / MPS announced by the node labels


@dataclass
class _Term:
    """Node constraints: allowed values per key, and MiB bounds per memory key."""

    values: dict[str, list[str]]
    bounds: dict[str, Bounds]


def _read_labels(labels: Mapping[str, str], *, origin: str) -> _Reading:
    # Every pod on a node repeats the node's labels: read each distinct label set once.
    return _read_label_items(tuple(sorted(labels.items())), origin)


@lru_cache(maxsize=4096)
def _read_label_items(items: tuple[tuple[str, str], ...], origin: str) -> _Reading:
    labels = dict(items)
    term = _Term(values={k: [v] for k, v in labels.items()}, bounds={})
    for _, memory_key in NAME_KEYS:
        if memory_key and memory_key in labels:
            mib = _memory_mib(memory_key, labels[memory_key])
            if mib:
                term.bounds[memory_key] = _bounds_around(mib)
    reading = _read_term(term, origin=origin)
    return replace(reading, slice_fraction=_slice_of(labels), sharing=_sharing_of(labels))


def _slice_of(labels: Mapping[str, str]) -> float | None:
    """GFD's product suffix (MIG "single" strategy) or GKE's partition size: nvidia.com/gpu is a slice."""
    partition = labels.get("cloud.google.com/gke-gpu-partition-size")
    for name in (labels.get("nvidia.com/gpu.product"), f"mig-{partition}" if partition else None):
        match = _MIG_PROFILE.search(name or "")
        if match:
            return _mig_fraction(match.group(1), match.group(2), match.group(3))
    return None


def _sharing_of(labels: Mapping[str, str]) -> str | None:
    product = labels.get("nvidia.com/gpu.product", "")
    if product.lower().endswith("-shared"):  # GFD marks time-sliced/MPS products so
        return f"nvidia.com/gpu.product={product}"
    for key, idle in SHARING_KEYS.items():
        value = labels.get(key)
        if value is None or value.lower() in idle:
            continue
        if key.endswith("replicas") and not (quantity(value) or 0) > 1:
            continue
        return f"{key}={value}"
    return None


def _memory_mib(key: str, value: Any) -> float | None:
    amount = quantity(value)
    if amount is None or amount <= 0:
        return None
    return amount * 1024 if key in MEMORY_KEYS_IN_GB else amount


def _read_term(term: _Term, *, origin: str) -> _Reading:
    """The most specific key that says something about the accelerator wins."""
    found: list[tuple[str, frozenset[str]]] = []
    for key, values in term.values.items():
        key_lower = key.lower()
        candidates = _key_candidates(key_lower, values, term)
        if candidates:
            found.append((f"{origin}:{_source_key(key_lower, values)}", candidates))
    if not found:
        return _Reading()
    found.sort(key=lambda item: _key_rank(item[0].split(":", 1)[1]))
    source, candidates = found[0]
    signals = [f"{source} → {_describe(candidates)}"]
    for other_source, other in found[1:]:
        if _only(other) and _only(candidates) and other != candidates:
            signals.append(f"{other_source} disagrees ({_describe(other)}); kept {source}")
    if len(candidates) > 1:
        # a lower-ranked key may settle what the best one leaves open (a100 + instance type p4de)
        for other_source, other in found[1:]:
            narrowed = candidates & other
            if narrowed and narrowed != candidates:
                candidates, source = narrowed, f"{source}+{other_source.split(':', 1)[1]}"
                signals.append(f"narrowed by {other_source} → {_describe(candidates)}")
                break
    return _Reading(candidates, source, tuple(signals))


def _key_candidates(key: str, values: list[str], term: _Term) -> frozenset[str]:
    out: set[str] = set()
    for value in values:
        out |= _value_candidates(key, value, term)
    return frozenset(out)


def _value_candidates(key: str, value: str, term: _Term) -> frozenset[str]:
    for name_key, memory_key in NAME_KEYS:
        if key == name_key:
            bounds = term.bounds.get(memory_key) if memory_key else None
            return _candidates(value, bounds=bounds, defaults=KEY_DEFAULTS.get(key))
    if key in INSTANCE_TYPE_KEYS:
        found = _instance_lookup(value)
        return frozenset({found[0]}) if found else frozenset()
    if key in INSTANCE_FAMILY_KEYS:
        family = tables.AWS_FAMILIES.get(value.lower())
        return frozenset({family[0]}) if family else frozenset()
    if key == "amd.com/gpu.device-id":
        gpu = AMD_DEVICE_IDS.get(value.lower())
        return frozenset({gpu}) if gpu else frozenset()
    if key.rsplit("/", 1)[-1] in CUSTOM_KEY_NAMES:
        return _candidates(value)
    return frozenset()


def _key_rank(key: str) -> int:
    """Name keys in table order, then AMD device ids, instance types, instance families, custom keys."""
    names = [k for k, _ in NAME_KEYS]
    if key in names:
        return names.index(key)
    if key == "amd.com/gpu.device-id":
        return len(names)
    if key.startswith("instanceType"):
        return len(names) + 1
    if key in INSTANCE_FAMILY_KEYS:
        return len(names) + 2
    return len(names) + 3


def _source_key(key: str, values: list[str]) -> str:
    if key in INSTANCE_TYPE_KEYS and len(values) == 1:
        return f"instanceType:{values[0]}"
    return key


def _describe(candidates: Iterable[str]) -> str:
    found = sorted(candidates)
    return found[0] if len(found) == 1 else "one of " + ", ".join(found)


def _term_from_expressions(expressions: Any) -> _Term:
    term = _Term(values={}, bounds={})
    memory_keys = {m for _, m in NAME_KEYS if m}
    for expression in seq(expressions):
        expression = mapping(expression)
        key, operator = text(expression.get("key")), text(expression.get("operator"))
        values = [v for v in (text(x) for x in seq(expression.get("values"))) if v]
        if not key or not values:
            continue
        if operator == "In":
            term.values.setdefault(key, []).extend(values)
            if key in memory_keys and len(values) == 1 and _memory_mib(key, values[0]):
                term.bounds[key] = _bounds_around(_memory_mib(key, values[0]) or 0)
        elif operator in ("Gt", "Lt") and key in memory_keys and _memory_mib(key, values[0]) is not None:
            limit = _memory_mib(key, values[0]) or 0
            step = 1024 if key in MEMORY_KEYS_IN_GB else 1
            term.bounds[key] = (limit + step, float("inf")) if operator == "Gt" else (0, limit - step)
    return term


def _read_required_affinity(spec: Mapping[str, Any]) -> _Reading:
    terms = seq(dig(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                    "nodeSelectorTerms"))
    readings = [_read_term(_term_from_expressions(dig(t, "matchExpressions")), origin="affinity") for t in terms]
    return _merge_alternatives([r for r in readings if r.candidates], what="required node affinity terms")


def _read_preferred_affinity(spec: Mapping[str, Any]) -> _Reading:
    preferences = seq(dig(spec, "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"))
    weighted: dict[float, list[_Reading]] = {}
    for preference in preferences:
        term = _term_from_expressions(dig(preference, "preference", "matchExpressions"))
        reading = _read_term(term, origin="preferredAffinity")
        if reading.candidates:
            weight = quantity(dig(preference, "weight")) or 0
            weighted.setdefault(weight, []).append(reading)
    if not weighted:
        return _Reading()
    return _merge_alternatives(weighted[max(weighted)], what="preferred node affinity terms of equal weight")


def _merge_alternatives(readings: list[_Reading], *, what: str) -> _Reading:
    """Alternatives (ORed terms): the pod may land on any of them."""
    if not readings:
        return _Reading()
    if len(readings) == 1:
        reading = readings[0]
        if len(reading.candidates) > 1:
            note = f"{reading.source} allows several accelerators: {', '.join(sorted(reading.candidates))}"
            return _Reading(reading.candidates, reading.source, (*reading.signals, note))
        return reading
    union = frozenset().union(*(r.candidates for r in readings))
    sources = sorted({r.source or "" for r in readings})
    signals = tuple(s for r in readings for s in r.signals)
    if len(union) > 1:
        signals += (f"{what} allow several accelerators: {', '.join(sorted(union))}",)
    return _Reading(union, "|".join(sources), signals)


def _read_tolerations(spec: Mapping[str, Any]) -> _Reading:
    readings = []
    for toleration in seq(spec.get("tolerations")):
        key, value = text(dig(toleration, "key")), text(dig(toleration, "value"))
        if not key:
            continue
        term = _Term(values={key: [value]} if value else {}, bounds={})
        reading = _read_term(term, origin="toleration")
        if not reading.candidates:
            for name in (value, key):
                candidates = _candidates(name)
                if candidates:
                    reading = _Reading(candidates, f"toleration:{key}", (f"toleration {key}={value} names a GPU",))
                    break
        if reading.candidates:
            readings.append(reading)
    return _merge_alternatives(readings, what="tolerations")


def _read_mig(profiles: list[str]) -> _Reading:
    if not profiles:
        return _Reading()
    candidates = frozenset.intersection(*(MIG_PROFILES.get(p, frozenset()) for p in profiles))
    source = "mig:" + ",".join(f"nvidia.com/mig-{p}" for p in profiles)
    return _Reading(candidates, source, (f"MIG profile {', '.join(profiles)} → {_describe(candidates)}",))


def _decide(readings: list[_Reading]) -> tuple[str | None, str | None, list[str]]:
    """Walk the readings from most to least trusted; each may only narrow what the ones before allow."""
    signals = [s for r in readings for s in r.signals]
    allowed: frozenset[str] | None = None
    sources: list[str] = []
    gpu: str | None = None
    for reading in readings:
        if not reading.candidates:
            continue
        if gpu is not None:
            other = _only(reading.candidates)
            if other and other != gpu:
                signals.append(f"{reading.source} says {other}; {'+'.join(sources)} is trusted more")
            continue
        candidates = reading.candidates if allowed is None else reading.candidates & allowed
        if not candidates:
            signals.append(f"{reading.source} ({_describe(reading.candidates)}) contradicts "
                           f"{'+'.join(sources)} ({_describe(allowed or ())}); ignored")
            continue
        if candidates != allowed:
            sources.append(reading.source or "")
        allowed = candidates
        gpu = _only(candidates)
    if gpu is None and allowed:
        what = "ambiguous" if len(allowed) > 1 else "not a canonical type"
        signals.append(f"accelerator {what}: {_describe(allowed)}")
    return gpu, ("+".join(sources) if gpu else None), signals


def _mig_fraction(compute: str | None, gpu_slices: str, memory_gb: str) -> float:
    total = 4 if f"{gpu_slices}g.{memory_gb}gb" in FOUR_SLICE_PROFILES else 7
    return int(compute or gpu_slices) / total


# --- what the pod asks for ---------------------------------------------------------------------------


class _Request:
    """Accelerators asked for by containers, summed (app containers) or maxed (init containers)."""

    def __init__(self) -> None:
        self.amount = 0.0
        self.plain_nvidia = 0.0
        self.shared = False
        self.mig_profiles: list[str] = []
        self.notes: list[str] = []
        self.seen = False

    def add_container(self, resources: Mapping[str, Any]) -> None:
        limits, requests = mapping(resources.get("limits")), mapping(resources.get("requests"))
        for resource in {str(k) for k in (*limits, *requests)}:
            raw = limits.get(resource) if resource in limits else requests.get(resource)
            self._add(resource, raw)

    def _add(self, resource: str, raw: Any) -> None:
        name = resource.lower()
        shared = name.endswith(_SHARED_SUFFIX)
        name = name.removesuffix(_SHARED_SUFFIX)
        mig = _MIG_RESOURCE.match(name)
        if name not in DEVICE_RESOURCES and not mig:
            return
        amount = quantity(raw)
        if amount is None or amount < 0:
            self.notes.append(f"unreadable quantity {resource}={raw!r}")
            return
        if amount == 0:
            return
        self.seen = True
        self.shared = self.shared or shared
        if mig:
            profile = f"{mig.group(2)}g.{mig.group(3)}gb"
            if profile not in self.mig_profiles:
                self.mig_profiles.append(profile)
            self.amount += amount * _mig_fraction(mig.group(1), mig.group(2), mig.group(3))
            return
        self.amount += amount * DEVICE_RESOURCES[name]
        if name == "nvidia.com/gpu" and not shared:
            self.plain_nvidia += amount

    def total(self) -> float | None:
        return _round(self.amount) if self.seen and self.amount > 0 else None


def _pod_request(spec: Mapping[str, Any]) -> _Request:
    """Kubernetes effective request, loosely: max(sum of app containers + sidecars, largest init)."""
    running = _Request()
    for container in containers(spec):
        running.add_container(mapping(container.get("resources")))
    for init in seq(spec.get("initContainers")):
        if not isinstance(init, Mapping) or text(init.get("restartPolicy")) == "Always":
            continue
        candidate = _Request()
        candidate.add_container(mapping(init.get("resources")))
        if candidate.amount > running.amount:
            candidate.notes = running.notes + candidate.notes + ["an init container asks for more than the app"]
            running = candidate
    return running


def _round(value: float) -> float:
    return round(value, 4)
