"""Scan throughput on a synthetic `kubectl get -A -o json` dump.

    python benchmarks/bench_scan.py [--deployments 20000] [--others 5000]

Prints objects/s, the ratio of the full scan (read + parse + detect) to a bare `json.loads` of the
same file measured in the same run, and the peak memory of the scanning process (a child process, so
the figure is the scan's own). Targets (issue 2): ratio within 3x, peak memory under 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENGINES = [
    ("vllm/vllm-openai:v0.6.3", ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--max-model-len", "8192"], []),
    ("ghcr.io/huggingface/text-generation-inference:2.4.0", [], [{"name": "MODEL_ID", "value": "mistralai/Mistral-7B-Instruct-v0.3"}]),
    ("nvcr.io/nvidia/tritonserver:24.08-py3", ["tritonserver", "--model-repository=s3://m/repo"], []),
    ("lmsysorg/sglang:v0.4.1", ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-7B-Instruct"], []),
    ("ghcr.io/huggingface/text-embeddings-inference:1.5", ["--model-id", "BAAI/bge-large-en-v1.5"], []),
]
NOISE = ["nginx:1.27", "redis:7", "postgres:16", "ghcr.io/acme/api:1.2.3", "python:3.11-slim"]
GPU_LABELS = [
    {"cloud.google.com/gke-accelerator": "nvidia-l4"},
    {"karpenter.k8s.aws/instance-gpu-name": "a10g"},
    {"node.kubernetes.io/instance-type": "Standard_NC24ads_A100_v4"},
    {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
]


def deployment(i: int, rng: random.Random) -> dict:
    serving = i % 3 == 0
    ns = f"team-{i % 40}-{rng.choice(['prod', 'staging', 'dev'])}"
    labels = {"app.kubernetes.io/name": f"svc-{i}", "team": f"team-{i % 40}",
              "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "service-1.4.2"}
    container = {"name": "main", "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                 "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                 "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10},
                 "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "OTEL_SERVICE_NAME", "value": f"svc-{i}"}]}
    spec: dict = {"containers": [container], "serviceAccountName": "default", "terminationGracePeriodSeconds": 30}
    if serving:
        image, args, env = ENGINES[i % len(ENGINES)]
        container.update(image=image, args=args)
        container["env"] = container["env"] + env
        container["resources"]["limits"]["nvidia.com/gpu"] = str(rng.choice([1, 1, 2, 4]))
        spec["nodeSelector"] = GPU_LABELS[i % len(GPU_LABELS)]
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    else:
        container["image"] = rng.choice(NOISE)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"svc-{i}", "namespace": ns, "labels": labels, "uid": f"uid-{i:08d}",
                     "resourceVersion": str(100000 + i), "generation": 3,
                     "creationTimestamp": "2026-08-01T09:00:00Z",
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": rng.choice([1, 2, 3]), "selector": {"matchLabels": {"app.kubernetes.io/name": f"svc-{i}"}},
                 "strategy": {"type": "RollingUpdate"},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": f"svc-{i}"}}, "spec": spec}},
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 3,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]},
    }


def other(i: int) -> dict:
    kind = ["Service", "ConfigMap", "ServiceAccount", "Secret", "HorizontalPodAutoscaler"][i % 5]
    obj = {"apiVersion": "v1", "kind": kind,
           "metadata": {"name": f"obj-{i}", "namespace": f"team-{i % 40}-prod", "uid": f"o-{i}"}}
    if kind == "Service":
        obj["spec"] = {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": f"svc-{i}"}}
    elif kind == "ConfigMap":
        obj["data"] = {"config.yaml": "a: 1\nb: 2\n" * 10}
    elif kind == "HorizontalPodAutoscaler":
        obj["apiVersion"] = "autoscaling/v2"
        obj["spec"] = {"scaleTargetRef": {"kind": "Deployment", "name": f"svc-{i * 3}"}, "minReplicas": 1, "maxReplicas": 5}
    return obj


def write_dump(path: Path, deployments: int, others: int) -> None:
    rng = random.Random(42)
    items = [deployment(i, rng) for i in range(deployments)] + [other(i) for i in range(others)]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}},
                               indent=4))


def child(mode: str, path: str) -> None:
    """Run one measured step in a fresh process; print seconds, objects, specs and peak RSS."""
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "json":
        data = json.loads(Path(path).read_text())
        count, specs = len(data["items"]), 0
    else:
        from collectors.manifests import scan_paths

        result = scan_paths([path])
        count, specs = result.objects, len(result.specs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "objects": count, "specs": specs, "peak_mib": peak_mib}))


def measure(mode: str, path: Path) -> dict:
    # Bytecode is cached, as for an installed package: a shell with PYTHONDONTWRITEBYTECODE=1 (this
    # machine's) would otherwise make every scan compile the collectors' source first (~0.3 s).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=20000)
    parser.add_argument("--others", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kubectl-get-all.json"
        write_dump(path, args.deployments, args.others)
        size_mib = path.stat().st_size / 2**20
        measure("scan", path)  # warm-up, not counted: writes the bytecode cache
        # Pairs run back to back, so a noisy neighbour slows both sides of a pair alike.
        pairs = [(measure("json", path), measure("scan", path)) for _ in range(args.rounds)]
    ratios = sorted(scan["seconds"] / bare["seconds"] for bare, scan in pairs)
    median = ratios[len(ratios) // 2]
    bare = min((b for b, _ in pairs), key=lambda r: r["seconds"])
    scan = min((s for _, s in pairs), key=lambda r: r["seconds"])
    print(f"dump: {args.deployments} Deployments + {args.others} other objects, {size_mib:.1f} MiB, {args.rounds} rounds")
    print(f"bare json.loads : {bare['seconds']:.2f} s best  ({bare['objects'] / bare['seconds']:,.0f} objects/s)")
    print(f"scan            : {scan['seconds']:.2f} s best  ({scan['objects'] / scan['seconds']:,.0f} objects/s), "
          f"{scan['specs']} model-serving workloads")
    print(f"ratio scan / bare parse: median {median:.2f}x (range {ratios[0]:.2f}-{ratios[-1]:.2f})   (target <= 3x)")
    # CPU time of each process: what a busy neighbour's share of the cores does not inflate (both are one thread).
    cpu = sorted(scan["cpu"] / bare["cpu"] for bare, scan in pairs)
    print(f"ratio in CPU time      : median {cpu[len(cpu) // 2]:.2f}x (range {cpu[0]:.2f}-{cpu[-1]:.2f})")
    peak = max(s["peak_mib"] for _, s in pairs)
    print(f"peak memory of the scan process: {peak:.0f} MiB   (target < 1024 MiB)")


if __name__ == "__main__":
    main()
