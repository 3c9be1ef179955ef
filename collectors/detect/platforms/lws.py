"""LeaderWorkerSet (leaderworkerset.x-k8s.io): one replica is a group of `size` pods, leader + workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import accelerators, platforms
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.objects import as_int, containers, dig, mapping


def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    lwt = mapping(dig(obj, "spec", "leaderWorkerTemplate"))
    size = as_int(lwt.get("size")) or 1
    worker = mapping(lwt.get("workerTemplate"))
    leader = mapping(lwt.get("leaderTemplate")) or worker
    leader_spec, worker_spec = mapping(leader.get("spec")), mapping(worker.get("spec"))
    ctrs = containers(leader_spec) + containers(worker_spec)
    uses_gpu = bool(accelerators.accelerator_from_pod(worker_spec).per_replica)
    found = platforms.from_containers(ctrs, obj)
    if found is None:
        return Skip("LeaderWorkerSet without a recognised serving engine", gpu=uses_gpu)
    if isinstance(found, Skip):
        return found
    found.platform = "lws" if found.platform == "kubernetes" else found.platform
    # leader pod + (size - 1) worker pods form one replica
    found.pod_specs = [(leader_spec, 1.0)] + ([(worker_spec, float(size - 1))] if size > 1 else [])
    replicas = as_int(dig(obj, "spec", "replicas"))
    found.desired = 1 if replicas is None else replicas
    found.ready = as_int(dig(obj, "status", "readyReplicas"))
    found.metadatas.append(mapping(leader.get("metadata")))
    found.signals.append(f"LeaderWorkerSet group of {size} pods per replica")
    return [found]


KINDS = {("leaderworkerset.x-k8s.io", "LeaderWorkerSet"): recognise}
