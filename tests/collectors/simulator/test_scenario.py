"""Scenario loading: the YAML format, its defaults, and the mistakes it refuses."""

from __future__ import annotations

import pytest

from collectors.simulator import ScenarioError, load_scenario, scenario_from_dict
from collectors.simulator.scenario import default_token


def one_cluster(**cluster) -> dict:
    base = {"name": "c1", "nodePools": [{"name": "gpu", "instanceType": "g5.2xlarge", "count": 1}], "workloads": []}
    return {"name": "t", "clouds": {"aws": {"account": "123", "regions": {"us-east-1": {"clusters": [
        {**base, **cluster}]}}}}}


def test_smoke_ships_three_clouds():
    scenario = load_scenario("smoke")
    assert [(c.name, c.cloud, c.region, c.provider) for c in scenario.clusters] == [
        ("prod-use1", "aws", "us-east-1", "eks"), ("gke-euw4", "gcp", "europe-west4", "gke"),
        ("aks-eastus", "azure", "eastus", "aks")]
    assert scenario.workload_count == 12
    gke, aks = scenario.cluster("gke-euw4"), scenario.cluster("aks-eastus")
    assert gke.project == "acme-ml-prod"
    assert (aks.subscription, aks.resource_group) == ("00000000-1111-2222-3333-444444444444", "rg-ml-prod")
    assert scenario.cluster("prod-use1").account == "111122223333"


def test_load_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("clouds: {onprem: {regions: {dc1: {clusters: [{name: lab}]}}}}\n")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.clusters[0].provider) == ("mine", "kubeconfig")


def test_camel_case_keys_and_defaults():
    scenario = scenario_from_dict(one_cluster(
        faults={"latencyMs": 20, "forbiddenNamespaces": ["x"]},
        workloads=[{"name": "w", "engine": "vllm", "pool": "gpu", "createdAt": "2026-01-01T00:00:00Z",
                    "hpa": {"min": 1, "max": 3}}]))
    cluster = scenario.clusters[0]
    assert cluster.faults.latency_ms == 20 and cluster.faults.forbidden_namespaces == ("x",)
    assert cluster.token == default_token(0, "c1")
    workload = cluster.workloads[0]
    assert (workload.namespace, workload.replicas, workload.gpus_per_replica, workload.hpa) == ("default", 1, 1, (1, 3))
    assert workload.created_at == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("change, message", [
    ({"nodePool": []}, "unknown key"),
    ({"workloads": [{"name": "w", "engine": "vlm"}]}, "unknown engine 'vlm'"),
    ({"workloads": [{"name": "w", "engine": "vllm", "pool": "h100"}]}, "no node pool 'h100'"),
    ({"workloads": [{"name": "w", "engine": "vllm", "kind": "CronJob"}]}, "anything else goes in `manifest`"),
    ({"workloads": [{"name": "w", "engine": "vllm", "replica": 2}]}, "unknown key(s) replica"),
    ({"workloads": [{"name": "w"}]}, "give an engine, a preset, an image or a manifest"),
    ({"workloads": [{"manifest": {"kind": "Pod"}}]}, "needs apiVersion, kind and metadata.name"),
    ({"nodePools": [{"name": "x", "accelerator": "H1000"}]}, "unknown accelerator"),
    ({"operators": ["istio"]}, "unknown operators"),
    ({"faults": {"throtle": 1}}, "unknown key(s) throtle"),
])
def test_mistakes_fail_at_load_time(change, message):
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(one_cluster(**change))
    assert message in str(error.value)


def test_an_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(ScenarioError, match="shipped: .*smoke"):
        load_scenario("nope")
