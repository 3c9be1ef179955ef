"""Synthetic fleets: sizes, mix, reproducibility, speed, and that they serve like written scenarios."""

from __future__ import annotations

import time
from collections import Counter

from kubernetes import client, config

from collectors.simulator import FleetSimulator, generate_fleet


def test_sizes_and_reproducibility():
    fleet = generate_fleet(clusters=4, workloads_per_cluster=300, seed=5)
    assert len(fleet.clusters) == 4 and fleet.workload_count == 1200
    again = generate_fleet(clusters=4, workloads_per_cluster=300, seed=5)
    assert [w.name for c in fleet.clusters for w in c.workloads] == [w.name for c in again.clusters for w in c.workloads]
    other = generate_fleet(clusters=4, workloads_per_cluster=300, seed=6)
    assert [c.name for c in other.clusters] != [c.name for c in fleet.clusters]
    assert len({c.name for c in fleet.clusters}) == 4


def test_the_mix_has_engines_platforms_noise_and_clouds():
    fleet = generate_fleet(clusters=20, workloads_per_cluster=500, seed=2)
    workloads = [w for c in fleet.clusters for w in c.workloads]
    kinds = Counter(w.kind or w.preset for w in workloads)
    engines = Counter(w.engine for w in workloads if w.engine)
    assert {"Deployment", "InferenceService", "RayService", "NIMService", "LeaderWorkerSet", "web", "training"} <= set(kinds)
    assert {"vllm", "tgi", "sglang", "triton", "tei", "nim"} <= set(engines)
    assert 0.5 < sum(1 for w in workloads if w.engine) / len(workloads) < 0.7
    assert len({c.cloud for c in fleet.clusters}) >= 3
    assert all(any(p.accelerator or p.instance_type != "m6i.4xlarge" for p in c.node_pools) for c in fleet.clusters)


def test_a_hundred_thousand_workloads_in_seconds():
    started = time.perf_counter()
    fleet = generate_fleet(clusters=50, workloads_per_cluster=2000, seed=1)
    elapsed = time.perf_counter() - started
    assert fleet.workload_count == 100_000
    assert elapsed < 20, f"generating 100,000 workloads took {elapsed:.1f}s"


def test_a_generated_cluster_lists_in_pages_with_most_pods_running(tmp_path):
    fleet = generate_fleet(clusters=2, workloads_per_cluster=400, seed=3)
    with FleetSimulator(fleet) as sim:
        path = sim.kubeconfig(tmp_path / "kubeconfig")
        name = fleet.clusters[0].name
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(path), context=name))
        pods, token = [], None
        while True:
            page = core.list_pod_for_all_namespaces(limit=250, **({"_continue": token} if token else {}))
            pods += page.items
            token = page.metadata._continue
            if not token:
                break
        store = sim.store(name)
        assert len(pods) == len(store.buckets[("", "pods")].items) > 400
        running = sum(1 for p in pods if p.status.phase == "Running")
        assert running / len(pods) > 0.9
        gpu_nodes = [n for n in core.list_node().items if "nvidia.com/gpu" in (n.status.allocatable or {})]
        assert gpu_nodes
