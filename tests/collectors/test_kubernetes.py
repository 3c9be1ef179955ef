"""The Kubernetes crawler through the real `kubernetes` client against the fleet simulator."""

from __future__ import annotations

import pytest

from collectors.errors import RetryPolicy
from collectors.kubernetes import KubernetesCrawler, targets_from_kubeconfig
from collectors.simulator.scenario import load_scenario
from collectors.simulator.server import FleetSimulator
from collectors.spec import ErrorKind, Scope


@pytest.fixture()
def fleet(tmp_path):
    with FleetSimulator(load_scenario("smoke")) as sim:
        path = tmp_path / "kubeconfig"
        sim.kubeconfig(path)
        yield sim, str(path)


def crawl(path, *, sleeps=None, contexts=None, **options):
    waits = sleeps if sleeps is not None else []
    crawler = KubernetesCrawler(page_size=2, timeout=(2, 2), sleep=waits.append,
                                retry=RetryPolicy(base_delay=0.01), **options)
    return crawler.crawl(targets_from_kubeconfig(path, contexts=contexts), source="smoke")


def by_name(result):
    return {(s.workload.cluster, s.workload.name): s for s in result.specs}


def test_a_healthy_fleet_is_listed_completely_page_by_page(fleet):
    sim, path = fleet
    result = crawl(path)
    assert result.errors == []
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "gke-euw4", "prod-use1"]
    assert result.pages > 20  # limit=2: every list took several pages
    specs = by_name(result)
    chat = specs[("prod-use1", "chat-vllm")]
    assert chat.model.name == "meta-llama/Llama-3.1-8B-Instruct"
    assert (chat.runtime.engine, chat.runtime.platform) == ("vllm", "kubernetes")
    assert chat.accelerator.type == "A10G"
    assert (chat.replicas.desired, chat.replicas.ready, chat.replicas.min, chat.replicas.max) == (2, 2, 2, 4)
    # cloud and region come from the nodes when the kubeconfig does not say
    assert (chat.workload.cloud, chat.workload.region) == ("aws", "us-east-1")
    assert chat.workload.source == "smoke"
    assert chat.workload.uid
    isvc = specs[("prod-use1", "ads-copywriter")]
    assert (isvc.runtime.engine, isvc.runtime.platform) == ("vllm", "kserve")
    assert specs[("gke-euw4", "llama-serve")].runtime.platform == "ray-serve"
    assert ("prod-use1", "storefront") not in specs


def test_the_gpu_type_comes_from_the_node_a_pod_runs_on_when_the_pod_does_not_say(fleet):
    _, path = fleet
    qwen = by_name(crawl(path))[("prod-use1", "qwen-72b")]  # placed on the H100 pool without a selector
    assert qwen.accelerator.type == "H100-80GB"
    assert qwen.accelerator.source.startswith("node:")
    assert qwen.accelerator.per_replica == 4


def test_gpu_capacity_records_idle_nodes_and_pending_gpu_pods(fleet):
    _, path = fleet
    result = crawl(path)
    nodes = [n for n in result.gpu_nodes if n.cluster == "gke-euw4"]
    assert all(n.accelerator in ("L4", "A100-80GB") for n in nodes)
    assert any(n.requested == 0 for n in nodes), "the smoke scenario has an idle GPU node per cluster"
    ray_node = next(n for n in nodes if n.pool == "l4" and n.serving_requested == 2)
    assert ray_node.requested == 2  # Ray Serve workers are attributed to their RayService
    assert [p.name.startswith("summarizer-tgi") for p in result.pending_gpu_pods] == [True]
    assert result.pending_gpu_pods[0].requested == 2


def test_only_crds_that_discovery_advertises_are_listed(fleet):
    sim, path = fleet
    crawl(path, contexts=["gke-euw4"])
    paths = [r.path.removeprefix("/clusters/gke-euw4") for r in sim.requests("gke-euw4")]
    assert any(p.startswith("/apis/ray.io/v1/rayservices") for p in paths)
    assert not any("seldon" in p or "kserve" in p or "nvidia.com/v1alpha1" in p for p in paths)


def test_a_wrong_token_fails_that_cluster_only(fleet):
    sim, path = fleet
    sim.set_faults("aks-eastus", unauthorized=True)
    result = crawl(path)
    [error] = result.errors
    assert (error.scope, error.kind) == (Scope("aks-eastus"), ErrorKind.AUTH)
    assert sorted(map(str, result.scopes)) == ["gke-euw4", "prod-use1"]
    assert not any(s.workload.cluster == "aks-eastus" for s in result.specs)
    assert any(s.workload.cluster == "gke-euw4" for s in result.specs)


def test_a_forbidden_namespace_costs_only_that_namespace(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", forbidden_namespaces=["ads-prod"])
    result = crawl(path, contexts=["prod-use1"])
    assert {e.scope for e in result.errors} == {Scope("prod-use1", "ads-prod")}
    assert {e.kind for e in result.errors} == {ErrorKind.FORBIDDEN}
    assert result.scopes == [Scope("prod-use1")]  # the rest of the cluster was listed completely
    names = {s.workload.name for s in result.specs}
    assert "chat-vllm" in names and "ads-copywriter" not in names


def test_429_storms_are_waited_out_with_retry_after(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", throttle=3, retry_after=2)
    waits = []
    result = crawl(path, contexts=["prod-use1"], sleeps=waits)
    assert result.errors == []
    assert waits == [2, 2, 2]
    assert "chat-vllm" in {s.workload.name for s in result.specs}


def test_a_429_that_never_ends_is_a_rate_limited_error_after_bounded_retries(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", throttle=-1, retry_after=1)
    waits = []
    result = crawl(path, contexts=["prod-use1"], sleeps=waits)
    assert [e.kind for e in result.errors] == [ErrorKind.RATE_LIMITED]
    assert result.scopes == []
    assert len(waits) == RetryPolicy().rate_limited_attempts - 1


def test_an_expired_continue_token_restarts_the_listing(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", expire_continue=2, expire_times=1, only=["deployments"])
    result = crawl(path, contexts=["prod-use1"])
    assert result.errors == []
    assert result.scopes == [Scope("prod-use1")]
    assert "chat-vllm" in {s.workload.name for s in result.specs}


def test_an_expired_continue_token_every_time_is_a_partial_listing(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", expire_continue=2, expire_times=-1, only=["deployments"])
    result = crawl(path, contexts=["prod-use1"])
    assert [e.kind for e in result.errors] == [ErrorKind.PARTIAL_LISTING]
    assert result.scopes == []  # nothing may be ended on the strength of this crawl
    assert result.specs == []  # nor trusted: without its Deployments the cluster's picture is incomplete


def test_a_cluster_that_is_down_is_unreachable_and_the_others_are_crawled(fleet):
    sim, path = fleet
    sim.stop_cluster("gke-euw4")
    result = crawl(path)
    assert [(e.scope, e.kind) for e in result.errors] == [(Scope("gke-euw4"), ErrorKind.UNREACHABLE)]
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "prod-use1"]


def test_server_errors_are_retried(fleet):
    sim, path = fleet
    sim.set_faults("prod-use1", server_errors=2, server_error_code=503)
    result = crawl(path, contexts=["prod-use1"])
    assert result.errors == []


def test_unknown_contexts_are_a_clear_error(fleet):
    from collectors.errors import CollectorError

    _, path = fleet
    with pytest.raises(CollectorError, match="has no context nope"):
        targets_from_kubeconfig(path, contexts=["nope"])
