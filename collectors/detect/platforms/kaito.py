"""KAITO (kaito.sh): Workspace (v1alpha1, v1beta1) and InferenceSet.

A Workspace keeps `resource` and `inference` at the top level (not under `spec`): the model is
`inference.preset.name` (a KAITO preset or a Hugging Face id) or whatever `inference.template`'s
containers run; `inference.config` names a ConfigMap whose `inference_config.yaml` holds vLLM
parameters (read for settings); adapters are noted.

Decisions:
- Engine: vLLM for presets (KAITO's default since v0.4.0) unless the `kaito.sh/runtime` annotation
  says `transformers` → custom. Custom templates: the engine their containers show, else the
  annotation, else custom.
- A Workspace is one replica spread over `resource.count` GPU nodes (KAITO provisions whole
  instances; a model that needs several nodes runs one instance across them), so accelerators per
  replica are count x GPUs of `resource.instanceType`, type from the instance type. With BYO nodes
  and `partition.count` (accelerator partitions) the count is that many accelerators, type unknown.
  An instance type missing from our tables leaves type and count unknown.
- InferenceSet: `spec.replicas` Workspaces (default 1) rendered from `spec.template`.
- Tuning Workspaces run to completion (not serving); RAGEngine is not a model deployment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from collectors.detect import accelerators, platforms
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import interpret_model
from collectors.detect.objects import (
    annotations_of,
    as_float,
    as_int,
    command_line,
    containers,
    dig,
    mapping,
    seq,
    text,
)
from collectors.detect.platforms.common import with_annotations
from collectors.spec import Accelerator

GROUP = "kaito.sh"
RUNTIME_ANNOTATION = "kaito.sh/runtime"
RUNTIME_ENGINES = {"vllm": "vllm", "transformers": "custom"}
# KAITO's own inference servers inside its preset images.
KAITO_COMMANDS = ((re.compile(r"/workspace/vllm/|vllm[-_]?inference"), "vllm"),
                  (re.compile(r"/workspace/tfs/|inference_api\.py"), "custom"))
CONFIG_KEY = "inference_config.yaml"
VLLM_SETTINGS = {"tensor-parallel-size": "tensorParallelSize", "pipeline-parallel-size": "pipelineParallelSize",
                 "max-model-len": "maxModelLen", "dtype": "dtype", "quantization": "quantization",
                 "gpu-memory-utilization": "gpuMemoryUtilization", "kv-cache-dtype": "kvCacheDtype",
                 "max-num-seqs": "maxNumSeqs", "served-model-name": "servedModelName"}
INT_SETTINGS = {"tensorParallelSize", "pipelineParallelSize", "maxModelLen", "maxNumSeqs"}


@with_annotations
def recognise_workspace(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    body = obj if ("inference" in obj or "resource" in obj or "tuning" in obj) else mapping(obj.get("spec"))
    if not mapping(body.get("inference")):
        if mapping(body.get("tuning")):
            return Skip("KAITO tuning Workspace runs a fine-tuning job, not a serving endpoint", gpu=True)
        return Skip("KAITO Workspace without inference")
    candidate = _candidate(obj, mapping(body.get("resource")), mapping(body.get("inference")), index)
    candidate.desired = 1
    conditions = seq(dig(obj, "status", "conditions"))
    for condition in conditions:
        if text(dig(condition, "type")) in {"InferenceReady", "WorkspaceSucceeded"}:
            candidate.ready = 1 if text(dig(condition, "status")) == "True" else 0
            if text(dig(condition, "type")) == "InferenceReady":
                break
    return [candidate]


@with_annotations
def recognise_inference_set(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    template = mapping(spec.get("template"))
    if not mapping(template.get("inference")):
        return Skip("KAITO InferenceSet without template.inference")
    candidate = _candidate(obj, mapping(template.get("resource")), mapping(template.get("inference")), index)
    replicas = as_int(spec.get("replicas"))
    candidate.desired = 1 if replicas is None else replicas
    candidate.ready = as_int(dig(obj, "status", "readyReplicas"))
    candidate.signals.append(f"InferenceSet: {candidate.desired} Workspace replica(s)")
    return [candidate]


def _candidate(obj: Mapping[str, Any], resource: Mapping[str, Any], inference: Mapping[str, Any],
               index: Any) -> Candidate:
    runtime = (annotations_of(obj).get(RUNTIME_ANNOTATION) or "").lower()
    preset = text(dig(inference, "preset", "name"))
    template = mapping(inference.get("template"))
    signals: list[str] = []
    if preset:
        engine = RUNTIME_ENGINES.get(runtime, "vllm")
        signals.append(f"preset {preset}; runtime {runtime or 'vllm (KAITO default)'}")
        candidate = Candidate(engine=engine, platform="kaito", model=interpret_model(preset), signals=signals)
    else:
        candidate = _template_candidate(obj, template, runtime)
    if text(dig(inference, "preset", "presetOptions", "image")):
        candidate.image = text(dig(inference, "preset", "presetOptions", "image"))
    for adapter in seq(inference.get("adapters")):
        name = text(dig(adapter, "source", "name")) or text(dig(adapter, "source", "image"))
        candidate.signals.append(f"LoRA adapter {name}")
    _config_settings(candidate, obj, inference, index)
    candidate.accelerator = _accelerator(resource, candidate)
    if candidate.accelerator is None and mapping(template.get("spec")):
        candidate.pod_specs = [(mapping(template.get("spec")), 1.0)]  # BYO nodes: what the pods ask for
    candidate.metadatas.append(mapping(template.get("metadata")))
    return candidate


def _template_candidate(obj: Mapping[str, Any], template: Mapping[str, Any], runtime: str) -> Candidate:
    ctrs = containers(dig(template, "spec"))
    found = platforms.from_containers(ctrs, obj) if ctrs else None
    if isinstance(found, Candidate) and found.engine not in {"unknown", "custom"}:
        found.platform = "nim" if found.platform == "nim" else "kaito"
        found.signals.insert(0, "custom inference.template")
        return found
    cmd = " ".join(" ".join(command_line(c)) for c in ctrs)
    engine = next((name for pattern, name in KAITO_COMMANDS if pattern.search(cmd)), None)
    signal = "KAITO inference server command" if engine else None
    if engine is None:
        engine = RUNTIME_ENGINES.get(runtime, "custom")
        signal = f"runtime annotation {runtime}" if runtime else "custom inference.template"
    candidate = Candidate(engine=engine, platform="kaito", image=text(ctrs[0].get("image")) if ctrs else None,
                          signals=[signal])
    if isinstance(found, Candidate):
        candidate.model, candidate.settings = found.model, dict(found.settings)
    return candidate


def _config_settings(candidate: Candidate, obj: Mapping[str, Any], inference: Mapping[str, Any], index: Any) -> None:
    name = text(inference.get("config"))
    if not name:
        return
    config_map = index.get("ConfigMap", text(dig(obj, "metadata", "namespace")), name)
    raw = dig(config_map, "data", CONFIG_KEY)
    if not isinstance(raw, str):
        candidate.signals.append(f"inference config ConfigMap {name}" + ("" if config_map else " (not scanned)"))
        return
    try:
        config = yaml.safe_load(raw)
    except yaml.YAMLError:
        candidate.signals.append(f"ConfigMap {name}: {CONFIG_KEY} is not valid YAML")
        return
    for key, value in mapping(mapping(config).get("vllm")).items():
        setting = VLLM_SETTINGS.get(str(key).replace("_", "-"))
        if setting is None:
            continue
        converted = as_int(value) if setting in INT_SETTINGS else (
            as_float(value) if setting == "gpuMemoryUtilization" else text(value))
        if converted is not None:
            candidate.settings[setting] = converted
    candidate.signals.append(f"vLLM parameters from ConfigMap {name}")


def _accelerator(resource: Mapping[str, Any], candidate: Candidate) -> Accelerator | None:
    count = as_int(resource.get("count"))
    count = 1 if count is None else count
    instance_type = text(resource.get("instanceType"))
    partition = mapping(resource.get("partition"))
    if instance_type:
        found = accelerators.accelerator_for_instance_type(instance_type)
        if found is None:
            candidate.signals.append(f"instance type {instance_type} not in the GPU tables: accelerator unknown")
            return None
        gpu_type, per_instance = found
        candidate.signals.append(f"{count} x {instance_type} ({per_instance} x {gpu_type} each)")
        return Accelerator(gpu_type, float(count * per_instance), None, f"instanceType:{instance_type}")
    if partition and as_int(partition.get("count")):
        candidate.signals.append(f"accelerator partition of {as_int(partition.get('count'))}")
        return Accelerator(None, float(as_int(partition.get("count"))), None, "partition")
    nodes = [text(n) for n in seq(resource.get("preferredNodes")) if text(n)]
    candidate.signals.append("no instanceType" + (f" (preferred nodes {', '.join(nodes)})" if nodes else ""))
    return None


def _not_serving(reason: str):
    def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
        return Skip(reason, quiet=True)
    return recognise


KINDS: dict[tuple[str, str], Any] = {
    (GROUP, "Workspace"): recognise_workspace,
    (GROUP, "InferenceSet"): recognise_inference_set,
    (GROUP, "RAGEngine"): _not_serving("KAITO RAGEngine is a retrieval service, not a model deployment"),
}
