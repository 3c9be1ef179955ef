"""The `demo` fleet: big and varied enough for a demo, healthy except for the situations planted in it.

The fleet is served by the simulator and crawled by the real crawler, once for this module. The
planted situations (collectors/simulator/scenarios/DEMO.md) are checked where a rule would see them,
in the crawled ModelSpecs, GPU nodes and pending GPU pods. Each check below is a plain stand-in for a
findings rule; it must find exactly the planted case and nothing else, so the findings issue can
assert "every planted situation found, and nothing else".
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from collectors.kubernetes import KubernetesCrawler, targets_from_kubeconfig
from collectors.simulator import FleetSimulator, load_scenario
from collectors.spec import CrawlResult, ModelSpec

CLOUDS = {"aws", "gcp", "azure", "coreweave", "nebius", "lambda"}
TEAMS = {"ads", "commerce", "devex", "docs", "growth", "legal", "platform", "research", "risk", "search",
         "support", "voice"}
NON_PROD = {"staging", "dev", "test"}


@dataclasses.dataclass
class Crawl:
    scenario: object
    result: CrawlResult
    seconds: float

    @property
    def specs(self) -> list[ModelSpec]:
        return self.result.specs

    def spec(self, cluster: str, namespace: str, name: str) -> ModelSpec:
        found = [s for s in self.specs if (s.workload.cluster, s.workload.namespace, s.workload.name)
                 == (cluster, namespace, name)]
        assert len(found) == 1, f"{cluster}/{namespace}/{name}: {len(found)} specs"
        return found[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Crawl:
    scenario = load_scenario("demo")
    clusters = {c.name: c for c in scenario.clusters}
    with FleetSimulator(scenario) as sim:
        path = sim.kubeconfig(tmp_path_factory.mktemp("demo") / "kubeconfig")
        # GPU clouds are kubeconfig sources that carry their provider and region (their nodes' providerIDs
        # do not say); EKS, GKE and AKS clusters are told apart by the crawler itself.
        targets = [dataclasses.replace(t, cloud=clusters[t.name].cloud, region=clusters[t.name].region)
                   if clusters[t.name].provider == "kubeconfig" else t
                   for t in targets_from_kubeconfig(str(path))]
        started = time.perf_counter()
        result = KubernetesCrawler().crawl(targets, source="demo")
        seconds = time.perf_counter() - started
    return Crawl(scenario, result, seconds)


def key(spec: ModelSpec) -> tuple[str | None, str | None, str]:
    return spec.workload.cluster, spec.workload.namespace, spec.workload.name


def epoch(demo: Crawl) -> datetime:
    return datetime.fromisoformat(demo.scenario.epoch.replace("Z", "+00:00"))


# --- the fleet ------------------------------------------------------------------------------------


def test_the_crawl_covers_every_cluster_without_errors_and_quickly(demo):
    assert demo.result.errors == []
    assert sorted(map(str, demo.result.scopes)) == sorted(c.name for c in demo.scenario.clusters)
    assert demo.seconds < 30, f"crawl took {demo.seconds:.1f}s"


def test_fleet_size_and_spread(demo):
    scenario = demo.scenario
    assert len(scenario.clusters) >= 8
    assert {c.cloud for c in scenario.clusters} == CLOUDS
    assert {(c.cloud, c.provider) for c in scenario.clusters if c.cloud in ("aws", "gcp", "azure")} == {
        ("aws", "eks"), ("gcp", "gke"), ("azure", "aks")}
    assert len({(c.cloud, c.region) for c in scenario.clusters}) >= 8
    specs = demo.specs
    assert len(specs) >= 60
    assert {s.workload.cloud for s in specs} == CLOUDS   # AWS/GCP/Azure told by the crawler from the nodes
    assert {s.workload.cluster for s in specs} == {c.name for c in scenario.clusters}
    assert len({s.model.name for s in specs}) >= 15
    assert None not in {s.model.name for s in specs}
    assert {s.owner.team for s in specs} - {None} == TEAMS
    assert {s.runtime.engine for s in specs} >= {"vllm", "tgi", "triton", "tensorrt-llm", "sglang", "tei", "ollama",
                                                  "mlserver"}
    assert {s.runtime.platform for s in specs} >= {"kubernetes", "kserve", "ray-serve", "nim", "lws", "kaito",
                                                    "seldon"}
    assert {s.environment for s in specs} == {"prod", "staging", "dev"}


def test_workloads_look_like_a_real_fleet(demo):
    year = datetime(2026, 1, 1, tzinfo=UTC)
    for spec in demo.specs:
        assert year <= spec.workload.created_at <= epoch(demo), key(spec)
        if spec.owner.team:   # namespaces are <team>-<environment>
            assert spec.workload.namespace == f"{spec.owner.team}-{spec.environment}", key(spec)
    autoscaled = [s for s in demo.specs if s.replicas.autoscaled]
    assert len(autoscaled) >= 10 and {s.environment for s in autoscaled} == {"prod", "staging"}
    assert [key(s) for s in autoscaled if s.environment == "staging"] == [
        ("eks-use1-nonprod", "growth-staging", "growth-copilot")]  # the planted one


def test_noise_is_present_and_not_reported(demo):
    noise = [(c.name, w.namespace, w.name, w.preset) for c in demo.scenario.clusters for w in c.workloads
             if w.preset]
    assert {preset for *_, preset in noise} == {"web", "api", "worker", "postgres", "redis", "notebook",
                                                "training", "benchmark", "download"}
    reported = {key(s) for s in demo.specs}
    assert not [n for n in noise if n[:3] in reported]
    assert {s.workload.name for s in demo.specs}.isdisjoint({"coredns", "nvidia-device-plugin-daemonset"})
    # notebooks and training jobs hold GPUs without being serving workloads
    busy_not_serving = [n for n in demo.result.gpu_nodes if n.requested and not n.serving_requested]
    assert len(busy_not_serving) == 4


def test_sagemaker_endpoints_are_in_the_scenario(demo):
    endpoints = demo.scenario.sagemaker
    assert len(endpoints) >= 3
    assert {e.region for e in endpoints} == {"us-east-1", "eu-west-1"}
    assert all(e.tags.get("team") in TEAMS and e.tags.get("environment") == "prod" for e in endpoints)
    assert all(e.created_at and e.created_at.startswith("2026-") for e in endpoints)
    # each names its model (Hugging Face id or MODEL_NAME), so no rule groups model-less endpoints together
    assert all(v.model or v.env.get("MODEL_NAME") for e in endpoints for v in e.variants)


# --- stand-ins for the findings rules: each finds exactly its planted case -------------------------


def fleet_groups(specs, *extra):
    """Non-variant specs by (model, environment, *extra attributes of the workload)."""
    groups = defaultdict(list)
    for spec in specs:
        if spec.variant is None:
            groups[(spec.model.name, spec.environment, *(getattr(spec.workload, a) for a in extra))].append(spec)
    return groups


def served_like(spec: ModelSpec) -> tuple:
    settings = tuple(sorted(spec.runtime.settings.items()))
    return (spec.model.version, spec.runtime.engine, spec.runtime.platform, spec.runtime.engine_version,
            spec.accelerator.type, spec.accelerator.per_replica, settings)


def test_drift_only_between_the_two_prod_regions_of_query_rewriter(demo):
    drifting = {}
    for group, specs in fleet_groups(demo.specs).items():
        if len({served_like(s) for s in specs}) > 1 and len({s.workload.cluster for s in specs}) > 1:
            drifting[group] = specs
    assert list(drifting) == [("Qwen/Qwen2.5-7B-Instruct", "prod")]
    sides = drifting[("Qwen/Qwen2.5-7B-Instruct", "prod")]
    assert {(s.workload.region, s.model.version) for s in sides} == {
        ("us-central1", "a09a35458c702b33eeacc393d103063234e8bc28"),
        ("europe-west4", "bb46c15ee4bb56c5b63245ef50fd7637234d6f75")}
    # nothing else differs between them
    assert len({served_like(s)[1:] for s in sides}) == 1


def test_the_backup_region_runs_on_another_gpu_type(demo):
    backups = [s for s in demo.specs if s.variant == "backup"]
    assert [key(s) for s in backups] == [("lambda-us-south-1", "ads-prod", "ads-copywriter-dr")]
    backup = backups[0]
    prod = fleet_groups(demo.specs)[(backup.model.name, "prod")]
    assert {s.workload.region for s in prod} == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert {s.accelerator.type for s in prod} == {"L4"} and backup.accelerator.type == "A10"
    differing = {i for s in prod for i, (a, b) in enumerate(zip(served_like(s), served_like(backup), strict=True))
                 if a != b}
    assert differing == {4}   # the accelerator type, nothing else


def test_one_forgotten_canary(demo):
    variants = [s for s in demo.specs if s.variant in ("canary", "shadow")]
    assert [key(s) for s in variants] == [("gke-usc1-prod", "docs-prod", "docs-summarizer-canary")]
    canary = variants[0]
    assert canary.workload.created_at < epoch(demo) - timedelta(days=150)
    assert canary.replicas.desired >= 1 and canary.replicas.ready >= 1
    stable = demo.spec("gke-usc1-prod", "docs-prod", "docs-summarizer")
    assert served_like(stable) == served_like(canary)   # promoted long ago: it serves what prod serves


def test_one_endpoint_without_owner(demo):
    unowned = [s for s in demo.specs if s.owner.team is None]
    assert [key(s) for s in unowned] == [("eks-use1-prod", "genai-poc", "phi3-mini-poc")]
    spec = unowned[0]
    assert spec.owner.contact is None and "team" not in spec.labels
    assert spec.environment == "prod"   # from the cluster's name
    assert not spec.workload.namespace.startswith(tuple(f"{t}-" for t in TEAMS))
    # every other spec names a team Footprint knows
    assert {s.owner.team for s in demo.specs if s is not spec} <= TEAMS


def test_one_non_prod_deployment_scaled_like_prod(demo):
    big = [s for s in demo.specs if s.environment in NON_PROD
           and ((s.replicas.desired or 0) > 1 or (s.replicas.max or 0) > 1)]
    assert [key(s) for s in big] == [("eks-use1-nonprod", "growth-staging", "growth-copilot")]
    staging = big[0]
    prod = fleet_groups(demo.specs)[(staging.model.name, "prod")]
    assert {(s.replicas.desired, s.replicas.max) for s in prod} == {(staging.replicas.desired, staging.replicas.max)}


# Weights in GB (BF16 unless the checkpoint is quantised) and USD per GPU-hour by cloud, from the shared
# gpu-catalog.md (§2, §3a). A model is on the wrong GPU when a cheaper type of that cloud holds it at
# the same GPU count: weights x 1.1 + 2 GB per GPU within 90 % of the GPUs' memory.
WEIGHTS_GB = {
    "meta-llama/Llama-3.1-8B-Instruct": 16.1, "meta-llama/Llama-3.2-1B-Instruct": 2.5,
    "meta-llama/Llama-3.2-3B-Instruct": 6.4, "mistralai/Mistral-7B-Instruct-v0.3": 14.5,
    "Qwen/Qwen2.5-7B-Instruct": 15.2, "Qwen/Qwen2.5-14B-Instruct": 29.5,
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B": 15.2, "microsoft/Phi-3-mini-4k-instruct": 7.6,
    "mistralai/Mixtral-8x7B-Instruct-v0.1": 93.4, "meta-llama/Llama-3.1-70B-Instruct": 141.0,
    "meta-llama/Llama-3.1-405B-Instruct": 812.0, "deepseek-ai/DeepSeek-V3": 671.0, "openai/gpt-oss-120b": 65.0,
    "BAAI/bge-large-en-v1.5": 0.7, "BAAI/bge-reranker-v2-m3": 1.1, "intfloat/multilingual-e5-large": 1.1,
    "sentence-transformers/all-MiniLM-L6-v2": 0.1, "whisper-large-v3": 3.1,
    "nvidia/llama-3.1-nemotron-70b-instruct": 141.0, "phi-3-medium-128k-instruct": 28.0,
    "qwen2.5-coder-7b-instruct": 15.2, "gemma2:27b": 16.0,   # Ollama's default 4-bit quantisation
}
GPU_GB = {"T4": 16, "L4": 24, "A10G": 24, "A10": 24, "L40S": 48, "A100-40GB": 40, "A100-80GB": 80,
          "H100-80GB": 80, "H100-94GB": 94, "H200-141GB": 141, "B200": 180}
PRICE = {
    "aws": {"T4": 0.526, "L4": 0.805, "A10G": 1.006, "L40S": 1.861, "A100-40GB": 2.745, "A100-80GB": 3.431,
            "H100-80GB": 6.88, "H200-141GB": 7.912},
    "gcp": {"T4": 0.73, "L4": 0.854, "A100-80GB": 2.946, "A100-40GB": 3.673, "H100-80GB": 5.383},
    "azure": {"T4": 0.526, "A10": 3.20, "A100-80GB": 3.673, "H100-94GB": 6.98, "H100-80GB": 12.29},
    "coreweave": {"L40S": 2.25, "A100-80GB": 2.70, "H100-80GB": 6.16, "H200-141GB": 6.31, "B200": 8.60},
    "nebius": {"L40S": 1.55, "H100-80GB": 2.95, "H200-141GB": 3.50, "B200": 5.50},
    "lambda": {"A10": 0.75, "A100-40GB": 1.29, "A100-80GB": 1.79, "H100-80GB": 2.99},
}


def cheaper_fit(spec: ModelSpec) -> str | None:
    weights, gpu, count = WEIGHTS_GB.get(spec.model.name), spec.accelerator.type, spec.accelerator.per_replica
    if weights is None or gpu is None or not count:
        return None
    prices = PRICE[spec.workload.cloud]
    need = weights * 1.1 + 2 * count
    fits = [g for g, p in prices.items() if p < prices[gpu] and GPU_GB[g] * count * 0.9 >= need]
    return min(fits, key=prices.__getitem__) if fits else None


def test_one_model_on_a_gpu_bigger_than_it_needs(demo):
    sized = [s for s in demo.specs if s.model.name in WEIGHTS_GB]
    assert len(sized) >= 50
    wrong = {key(s): cheaper_fit(s) for s in sized if cheaper_fit(s)}
    assert wrong == {("eks-use1-prod", "support-prod", "support-assistant"): "L4"}
    spec = demo.spec("eks-use1-prod", "support-prod", "support-assistant")
    assert (spec.model.name, spec.accelerator.type, spec.accelerator.per_replica, spec.replicas.desired) == (
        "meta-llama/Llama-3.1-8B-Instruct", "H100-80GB", 1, 2)
    # staging and dev of the same service run on L4s
    assert {s.accelerator.type for s in demo.specs if s.workload.name == "support-assistant"
            and s.environment != "prod"} == {"L4"}


def test_one_pool_of_idle_gpu_nodes(demo):
    idle = [n for n in demo.result.gpu_nodes if n.pods == 0]
    assert sorted(n.name for n in idle) == ["cw-ord1-h100-reserved-000", "cw-ord1-h100-reserved-001"]
    assert {(n.cloud, n.accelerator, n.allocatable, n.requested) for n in idle} == {("coreweave", "H100-80GB", 8, 0)}
    # every other GPU node is fully requested
    assert [n.name for n in demo.result.gpu_nodes if n.pods and n.requested < n.allocatable] == []


def test_one_model_served_by_two_teams_in_one_region_and_environment(demo):
    duplicated = {g: specs for g, specs in fleet_groups(demo.specs, "cloud", "region").items()
                  if len({s.model.version for s in specs}) == 1 and len(specs) > 1}
    assert list(duplicated) == [("BAAI/bge-large-en-v1.5", "prod", "gcp", "us-central1")]
    pair = duplicated[("BAAI/bge-large-en-v1.5", "prod", "gcp", "us-central1")]
    assert sorted((s.owner.team, s.workload.name) for s in pair) == [("search", "search-embeddings"),
                                                                      ("support", "kb-embeddings")]
    assert len({served_like(s) for s in pair}) == 1
    # fleet-wide, every other model has one owning team
    teams = defaultdict(set)
    for spec in demo.specs:
        if spec.owner.team:
            teams[spec.model.name].add(spec.owner.team)
    assert {m for m, t in teams.items() if len(t) > 1} == {"BAAI/bge-large-en-v1.5"}


def test_one_old_version_left_running_next_to_the_new_one(demo):
    mixed = {g: specs for g, specs in fleet_groups(demo.specs, "cluster").items()
             if len({s.model.version for s in specs}) > 1}
    assert list(mixed) == [("BAAI/bge-reranker-v2-m3", "prod", "gke-usc1-prod")]
    old, new = sorted(mixed[("BAAI/bge-reranker-v2-m3", "prod", "gke-usc1-prod")], key=lambda s: s.workload.created_at)
    assert (old.workload.name, new.workload.name) == ("search-reranker", "search-reranker-v2")
    assert old.replicas.ready >= 1
    # no other region or cluster serves this model in prod: not a cross-region drift
    assert len(fleet_groups(demo.specs)[("BAAI/bge-reranker-v2-m3", "prod")]) == 2


def test_one_gpu_pod_pending(demo):
    pending = demo.result.pending_gpu_pods
    assert [(p.cluster, p.namespace, p.requested) for p in pending] == [("nebius-eu-north1", "platform-prod", 8)]
    assert pending[0].name.startswith("deepseek-v3-") and "Insufficient nvidia.com/gpu" in pending[0].reason
    short = [key(s) for s in demo.specs if s.replicas.ready is not None and s.replicas.ready < (s.replicas.desired or 0)]
    assert sorted(short) == [("aks-weu-shared", "legal-prod", "clause-summarizer"),
                             ("nebius-eu-north1", "platform-prod", "deepseek-v3")]
    spec = demo.spec("nebius-eu-north1", "platform-prod", "deepseek-v3")
    assert (spec.replicas.desired, spec.replicas.ready) == (2, 1)


def test_one_endpoint_with_no_ready_replica_holding_gpus(demo):
    dead = [s for s in demo.specs if s.replicas.ready == 0]
    assert [key(s) for s in dead] == [("aks-weu-shared", "legal-prod", "clause-summarizer")]
    spec = dead[0]
    assert (spec.runtime.platform, spec.accelerator.type, spec.accelerator.per_replica) == ("kaito", "A100-80GB", 1)
    node = [n for n in demo.result.gpu_nodes if n.cluster == "aks-weu-shared" and n.instance_type ==
            "Standard_NC24ads_A100_v4"]
    assert [(n.requested, n.serving_requested) for n in node] == [(1, 1)]


def test_planted_situations_sit_on_distinct_workloads(demo):
    planted = [("gke-euw4-prod", "search-prod", "query-rewriter"), ("lambda-us-south-1", "ads-prod", "ads-copywriter-dr"),
               ("gke-usc1-prod", "docs-prod", "docs-summarizer-canary"), ("eks-use1-prod", "genai-poc", "phi3-mini-poc"),
               ("eks-use1-nonprod", "growth-staging", "growth-copilot"),
               ("eks-use1-prod", "support-prod", "support-assistant"), ("gke-usc1-prod", "support-prod", "kb-embeddings"),
               ("gke-usc1-prod", "search-prod", "search-reranker"), ("nebius-eu-north1", "platform-prod", "deepseek-v3"),
               ("aks-weu-shared", "legal-prod", "clause-summarizer")]
    assert len(set(planted)) == len(planted)
    for where in planted:
        demo.spec(*where)
