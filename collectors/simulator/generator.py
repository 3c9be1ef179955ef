"""Large synthetic fleets as in-memory scenarios (no YAML on disk), seeded and reproducible.

    scenario = generate_fleet(clusters=50, workloads_per_cluster=2000, seed=1)

Each cluster draws its cloud, region, environment and 2-4 GPU pools from the tables below, then
its workloads: serving (engine, platform kind, model, team, replicas, autoscaler, placement) or
noise (web apps, databases, notebooks, training Jobs, benchmark Jobs). Pools are sized from the GPUs
the workloads ask for, plus headroom and one spare node, so scheduling succeeds and some nodes idle.
Workloads are compact records: their manifests are rendered only when a client lists them.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, timedelta

from collectors.simulator.catalog import GPUS, INSTANCE_TYPES
from collectors.simulator.scenario import Cluster, NodePool, Scenario, Workload, default_token, validate

# cloud → (weight, provider, regions, GPU pool menu: (pool name, instance type or accelerator, GPUs per node))
CLOUDS: dict[str, tuple[float, str, tuple[str, ...], tuple[tuple[str, str, int], ...]]] = {
    "aws": (0.4, "eks", ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"), (
        ("a10g", "g5.2xlarge", 1), ("a10g-4x", "g5.12xlarge", 4), ("l4", "g6.xlarge", 1), ("l40s", "g6e.xlarge", 1),
        ("a100", "p4d.24xlarge", 8), ("h100", "p5.48xlarge", 8), ("inf2", "inf2.24xlarge", 6))),
    "gcp": (0.25, "gke", ("us-central1", "europe-west4", "asia-northeast1"), (
        ("l4", "g2-standard-8", 1), ("l4-2x", "g2-standard-24", 2), ("t4", "T4", 1), ("a100", "a2-highgpu-1g", 1),
        ("a100-80", "a2-ultragpu-1g", 1), ("h100", "a3-highgpu-8g", 8))),
    "azure": (0.2, "aks", ("eastus", "westeurope", "southcentralus"), (
        ("t4", "Standard_NC4as_T4_v3", 1), ("a100", "Standard_NC24ads_A100_v4", 1),
        ("a100x4", "Standard_NC96ads_A100_v4", 4), ("h100", "Standard_ND96isr_H100_v5", 8),
        ("a10", "Standard_NV36ads_A10_v5", 1))),
    "coreweave": (0.05, "kubeconfig", ("ORD1", "LAS1"), (("h100", "H100-80GB", 8), ("a100", "A100-80GB", 8))),
    "nebius": (0.05, "kubeconfig", ("eu-north1",), (("h100", "H100-80GB", 8), ("h200", "H200-141GB", 8),
                                                     ("l40s", "L40S", 1))),
    "lambda": (0.05, "kubeconfig", ("us-east-1", "us-west-1"), (("h100", "H100-80GB", 8), ("a10", "A10", 1))),
}
ENVIRONMENTS = (("prod", 0.5), ("staging", 0.3), ("dev", 0.2))
TEAMS = ("search", "ads", "platform", "research", "risk", "docs", "support", "growth", "vision", "speech")
# platform kind → (weight, engines with weights)
SERVING_KINDS: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "Deployment": (0.52, (("vllm", 0.45), ("tgi", 0.12), ("sglang", 0.08), ("triton", 0.08), ("tei", 0.1),
                          ("ollama", 0.04), ("tensorrt-llm", 0.04), ("lmdeploy", 0.02), ("llama-cpp", 0.02),
                          ("torchserve", 0.02), ("tf-serving", 0.02), ("mlserver", 0.01))),
    "StatefulSet": (0.05, (("vllm", 0.6), ("sglang", 0.4))),
    "InferenceService": (0.12, (("vllm", 0.6), ("triton", 0.2), ("tgi", 0.1), ("mlserver", 0.1))),
    "RayService": (0.06, (("vllm", 1.0),)),
    "NIMService": (0.06, (("nim", 1.0),)),
    "LeaderWorkerSet": (0.03, (("vllm", 0.7), ("sglang", 0.3))),
    "SeldonDeployment": (0.03, (("triton", 0.5), ("mlserver", 0.3), ("vllm", 0.2))),
    "Model": (0.02, (("mlserver", 0.7), ("triton", 0.3))),
    "Workspace": (0.03, (("vllm", 1.0),)),
}
# (model, GPUs per replica)
LLMS = (("meta-llama/Llama-3.1-8B-Instruct", 1), ("meta-llama/Llama-3.2-3B-Instruct", 1),
        ("mistralai/Mistral-7B-Instruct-v0.3", 1), ("Qwen/Qwen2.5-7B-Instruct", 1), ("google/gemma-2-9b-it", 1),
        ("microsoft/Phi-3-mini-4k-instruct", 1), ("Qwen/Qwen2.5-14B-Instruct", 2), ("Qwen/Qwen2.5-32B-Instruct", 2),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 4), ("meta-llama/Llama-3.1-70B-Instruct", 4),
        ("Qwen/Qwen2.5-72B-Instruct", 4), ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 1), ("openai/gpt-oss-20b", 1),
        ("openai/gpt-oss-120b", 2))
MODELS: dict[str, tuple[tuple[str, int], ...]] = {
    "tei": (("BAAI/bge-large-en-v1.5", 1), ("sentence-transformers/all-MiniLM-L6-v2", 1),
            ("intfloat/multilingual-e5-large", 1)),
    "ollama": (("llama3.1:8b", 1), ("qwen2.5:7b", 1), ("mistral:7b", 1)),
    "triton": (("s3://models/triton/ranker", 1), ("gs://models/triton/ctr", 1), ("s3://models/triton/asr", 1)),
    "torchserve": (("resnet-50.mar", 1), ("bert-ner.mar", 1)),
    "tf-serving": (("gs://models/tf/recsys", 1), ("s3://models/tf/churn", 0)),
    "mlserver": (("s3://models/sklearn/fraud-v3", 0), ("gs://models/sklearn/pricing", 0)),
    "nim": (("meta/llama-3.1-8b-instruct", 1), ("meta/llama-3.1-70b-instruct", 4), ("mistralai/mistral-7b-instruct-v0.3", 1),
            ("nvidia/nv-embedqa-e5-v5", 1)),
    "kaito": (("phi-3-mini-4k-instruct", 1), ("falcon-7b-instruct", 1), ("mistral-7b-instruct", 1),
              ("llama-3.1-8b-instruct", 1)),
}
NOISE = (("web", 0.3), ("api", 0.25), ("worker", 0.15), ("postgres", 0.08), ("redis", 0.08), ("notebook", 0.05),
         ("training", 0.04), ("benchmark", 0.03), ("download", 0.02))
PLACEMENTS = (("accelerator", 0.6), ("pool", 0.15), ("instance-type", 0.1), ("node", 0.15))
REPLICAS = ((1, 0.5), (2, 0.3), (3, 0.1), (4, 0.06), (6, 0.04))
SHORT_REGION = str.maketrans({"-": ""})


class _Picker:
    """Weighted choices with precomputed cumulative weights (random.choices is the hot path)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._cum: dict[int, tuple[list, list[float]]] = {}

    def __call__(self, table):
        found = self._cum.get(id(table))
        if found is None:
            values = [row[0] for row in table]
            found = self._cum[id(table)] = (values, list(itertools.accumulate(row[1] for row in table)))
        values, cum = found
        return self.rng.choices(values, cum_weights=cum)[0]


def generate_fleet(*, clusters: int = 50, workloads_per_cluster: int = 2000, seed: int = 0,
                   serving_share: float = 0.6, name: str | None = None,
                   epoch: str = "2026-06-01T00:00:00Z") -> Scenario:
    start = datetime.fromisoformat(epoch.replace("Z", "+00:00"))
    days = [(start - timedelta(days=d, hours=d % 13)).strftime("%Y-%m-%dT%H:%M:%SZ") for d in range(1, 366)]
    fleet = [_cluster(index, workloads_per_cluster, seed, serving_share, days) for index in range(clusters)]
    scenario = Scenario(name=name or f"generated-{clusters}x{workloads_per_cluster}", clusters=fleet, seed=seed,
                        epoch=epoch)
    validate(scenario)
    return scenario


def _cluster(index: int, count: int, seed: int, serving_share: float, days: list[str]) -> Cluster:
    rng = random.Random(f"{seed}/{index}")
    pick = _Picker(rng)
    cloud = pick(tuple((c, row[0]) for c, row in CLOUDS.items()))
    _, provider, regions, menu = CLOUDS[cloud]
    region = rng.choice(regions)
    env = pick(ENVIRONMENTS)
    name = f"{provider if provider != 'kubeconfig' else cloud}-{env}-{region.lower().translate(SHORT_REGION)}-{index:03d}"
    gpu_pools = rng.sample(menu, k=min(len(menu), rng.randint(2, 4)))
    pools = {p[0]: _pool(p) for p in gpu_pools}
    capacity = {p[0]: p[2] for p in gpu_pools}
    system = NodePool(name="system", instance_type={"aws": "m6i.4xlarge", "gcp": "n2-standard-16",
                                                    "azure": "Standard_D16s_v5"}.get(cloud),
                      accelerator=None, count=2)
    workloads: list[Workload] = []
    demand = dict.fromkeys(pools, 0)
    counters = itertools.count()
    for _ in range(count):
        if rng.random() < serving_share:
            w = _serving(rng, pick, cloud, env, capacity, days, next(counters))
        else:
            w = _noise(rng, pick, env, capacity, days, next(counters))
        workloads.append(w)
        if w.pool in demand:
            demand[w.pool] += w.replicas * max(w.gpus_per_replica, 0)
    for pool_name, pool in pools.items():
        pool.count = math.ceil(demand[pool_name] * 1.15 / max(capacity[pool_name], 1)) + 1
    noise_pods = sum(w.replicas for w in workloads if w.pool == "system")
    system.count = max(2, noise_pods // 40)
    cluster = Cluster(name=name, cloud=cloud, region=region, provider=provider, token=default_token(seed, name),
                      node_pools=[system, *pools.values()], workloads=workloads,
                      operators=("kserve", "ray", "keda") if rng.random() < 0.5 else ())
    if cloud == "aws":
        cluster.account = f"{100000000000 + rng.randrange(10**11):012d}"
    elif cloud == "gcp":
        cluster.project = f"acme-ml-{env}"
    elif cloud == "azure":
        cluster.subscription = f"{rng.getrandbits(128):032x}"
        cluster.subscription = "-".join((cluster.subscription[:8], cluster.subscription[8:12],
                                         cluster.subscription[12:16], cluster.subscription[16:20],
                                         cluster.subscription[20:]))
        cluster.resource_group = f"rg-ml-{env}"
    return cluster


def _pool(row: tuple[str, str, int]) -> NodePool:
    pool_name, hardware, per_node = row
    if hardware in GPUS:
        return NodePool(name=pool_name, accelerator=hardware, gpus_per_node=per_node,
                        instance_type="n1-standard-8" if hardware == "T4" else None, count=1)
    karpenter = hardware.split(".")[0] in ("g5", "g6", "g6e") and not hardware.startswith("g5.12")
    return NodePool(name=pool_name, instance_type=hardware, count=1, karpenter=karpenter,
                    gpus_per_node=per_node if INSTANCE_TYPES[hardware][1] != per_node else None)


def _fit(rng: random.Random, capacity: dict[str, int], gpus: int) -> tuple[str, int]:
    fitting = [p for p, per_node in capacity.items() if per_node >= gpus]
    if fitting:
        return rng.choice(fitting), gpus
    largest = max(capacity, key=capacity.__getitem__)
    return largest, capacity[largest]


def _serving(rng: random.Random, pick: _Picker, cloud: str, env: str, capacity: dict[str, int],
             days: list[str], serial: int) -> Workload:
    kinds = tuple((k, row[0]) for k, row in SERVING_KINDS.items() if k != "Workspace" or cloud == "azure")
    kind = pick(kinds)
    engine = pick(SERVING_KINDS[kind][1])
    table = MODELS["kaito"] if kind == "Workspace" else MODELS.get(engine, LLMS)
    model, gpus = rng.choice(table)
    if kind == "Model" or (engine == "mlserver" and kind != "InferenceService"):
        gpus = 0
    size = 2 if kind == "LeaderWorkerSet" else 1
    pool, per_pod = _fit(rng, capacity, max(gpus // size, 1) if gpus else 1)
    gpus = per_pod * size if gpus else 0
    replicas = pick(REPLICAS)
    team = rng.choice(TEAMS)
    slug = model.rsplit("/", 1)[-1].lower().replace(".", "-").replace("_", "-").replace(":", "-")[:28].strip("-")
    w = Workload(name=f"{slug}-{engine}-{serial:05d}", namespace=f"{team}-{env}", kind=kind, engine=engine,
                 model=model, replicas=replicas, gpus=gpus, pool=pool, placement=pick(PLACEMENTS), team=team,
                 created_at=rng.choice(days), size=size)
    roll = rng.random()
    if roll < 0.05:
        w.ready = replicas - 1
    if kind in ("Deployment", "InferenceService", "NIMService") and roll > 0.8:
        w.hpa = (replicas, replicas * rng.choice((2, 3, 4)))
    elif kind == "Deployment" and roll > 0.75:
        w.keda = (max(replicas - 1, 0), replicas * 2)
    if rng.random() < 0.1:
        w.revision = f"{rng.getrandbits(160):040x}" if engine != "nim" else rng.choice(("1.2.3", "1.3.3", "1.8.0"))
    if rng.random() < 0.05:
        w.labels = {"track": "canary"}
        w.name += "-canary"
    return w


def _noise(rng: random.Random, pick: _Picker, env: str, capacity: dict[str, int], days: list[str],
           serial: int) -> Workload:
    preset = pick(NOISE)
    team = rng.choice(TEAMS)
    gpu_preset = preset in ("notebook", "training")
    pool, gpus = _fit(rng, capacity, rng.choice((1, 2, 4, 8)) if preset == "training" else 1) if gpu_preset \
        else ("system", 0)
    replicas = 1 if preset in ("postgres", "redis", "notebook", "training", "benchmark", "download") \
        else pick(REPLICAS)
    return Workload(name=f"{preset}-{team}-{serial:05d}", namespace=f"{team}-{env}", preset=preset,
                    replicas=replicas, gpus=gpus, pool=pool, team=team, created_at=rng.choice(days),
                    placement="pool" if gpu_preset else "node")

