"""LeaderWorkerSet (leaderworkerset.x-k8s.io) and DisaggregatedSet (disaggregatedset.x-k8s.io).

One LeaderWorkerSet replica is a group of `size` pods: the leader plus size - 1 workers (the leader
template defaults to the worker template). The engine is read from the leader and worker containers
together (vLLM's multi-node-serving.sh leader/worker, SGLang `--nnodes`, TensorRT-LLM), so the
accelerators of one replica sum every pod of the group.

A DisaggregatedSet runs prefill/decode roles, each an LWS spec: one ModelSpec per role
(`workload.unit` = role name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import accelerators, platforms
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.objects import as_int, containers, dig, mapping, seq, text


def _group(obj: Mapping[str, Any], spec: Mapping[str, Any], what: str) -> Candidate | Skip:
    lwt = mapping(spec.get("leaderWorkerTemplate"))
    size = max(as_int(lwt.get("size")) or 1, 1)
    worker = mapping(lwt.get("workerTemplate"))
    leader = mapping(lwt.get("leaderTemplate")) or worker
    leader_spec, worker_spec = mapping(leader.get("spec")), mapping(worker.get("spec"))
    ctrs = containers(leader_spec) + (containers(worker_spec) if size > 1 or not leader_spec else [])
    uses_gpu = bool(accelerators.accelerator_from_pod(worker_spec).per_replica
                    or accelerators.accelerator_from_pod(leader_spec).per_replica)
    if not ctrs:
        return Skip(f"{what} without containers", gpu=uses_gpu, quiet=not uses_gpu)
    found = platforms.from_containers(ctrs, obj, pod_spec=leader_spec or worker_spec)
    if found is None:
        return Skip(f"{what} without a recognised serving engine", gpu=uses_gpu)
    if isinstance(found, Skip):
        found.gpu = uses_gpu
        return found
    found.platform = "lws" if found.platform == "kubernetes" else found.platform
    # leader pod + (size - 1) worker pods form one replica
    found.pod_specs = [(leader_spec, 1.0)] + ([(worker_spec, float(size - 1))] if size > 1 else [])
    replicas = as_int(spec.get("replicas"))
    found.desired = 1 if replicas is None else replicas
    found.metadatas.append(mapping(leader.get("metadata")))
    found.signals.append(f"{what}: group of {size} pods per replica")
    return found


def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    if not spec:
        return Skip("LeaderWorkerSet without spec")
    found = _group(obj, spec, "LeaderWorkerSet")
    if isinstance(found, Skip):
        return found
    found.ready = as_int(dig(obj, "status", "readyReplicas"))
    return [found]


def recognise_disaggregated(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    roles = [r for r in seq(dig(obj, "spec", "roles")) if isinstance(r, Mapping)]
    out: list[Candidate] = []
    reasons: list[str] = []
    for position, role in enumerate(roles):
        name = text(role.get("name")) or f"role-{position}"
        found = _group(obj, mapping(role.get("spec")), f"DisaggregatedSet role {name}")
        if isinstance(found, Skip):
            reasons.append(found.reason)
            continue
        found.unit = name
        out.append(found)
    if not out:
        return Skip("; ".join(reasons) or "DisaggregatedSet without roles")
    return out


KINDS = {
    ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"): recognise,
    ("disaggregatedset.x-k8s.io", "DisaggregatedSet"): recognise_disaggregated,
}
