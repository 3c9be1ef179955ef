"""Azure collector through azure-mgmt-containerservice against the simulator's ARM API and Entra ID token
endpoint, then each AKS cluster's Kubernetes API with the kubeconfig listClusterUserCredential returns."""

from __future__ import annotations

import tempfile

import pytest
import yaml

from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import ErrorKind
from tests.collectors.conftest import cloud_collector, specs_by

SUBSCRIPTION_A = "00000000-1111-2222-3333-444444444444"
SUBSCRIPTION_B = "99999999-8888-7777-6666-555555555555"


def listings(sim) -> list[str]:
    return [r.path for r in sim.cloud_requests("arm") if r.path.endswith("/managedClusters") and r.method == "GET"]


def test_aks_clusters_are_discovered_and_crawled_with_their_user_kubeconfig(clouds):
    result = cloud_collector(clouds, "azure").crawl()

    assert result.errors == []
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "aks-eastus-batch", "aks-westeu"]
    specs = specs_by(result, "cluster", "name")
    llama = specs[("aks-eastus", "llama-vllm")]
    assert (llama.workload.cloud, llama.workload.region, llama.workload.source) == ("azure", "eastus", "azure")
    assert (llama.runtime.engine, llama.accelerator.type, llama.owner.team) == ("vllm", "A100-80GB", "platform")
    assert specs[("aks-eastus-batch", "embed-tei")].accelerator.type == "T4"
    assert specs[("aks-westeu", "llama-vllm")].workload.region == "westeurope"
    token_requests = [r for r in clouds.cloud_requests("arm") if r.path.endswith("/oauth2/v2.0/token")]
    assert [r.status for r in token_requests] == [200]      # the service principal's token, cached
    credentials = [r for r in clouds.cloud_requests("arm") if r.path.endswith("/listClusterUserCredential")]
    assert [(r.method, r.status) for r in credentials] == [("POST", 200)] * 3


def test_arm_lists_are_followed_through_next_links(clouds):
    clouds.clouds.arm.page_size = 1
    result = cloud_collector(clouds, "azure", subscriptions=[SUBSCRIPTION_A]).crawl()
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "aks-eastus-batch"]
    assert listings(clouds) == [f"/subscriptions/{SUBSCRIPTION_A}/providers/Microsoft.ContainerService/"
                                f"managedClusters"] * 2


def test_resource_groups_narrow_the_listing(clouds):
    result = cloud_collector(clouds, "azure", subscriptions=[SUBSCRIPTION_A], resourceGroups=["rg-ml-batch"]).crawl()
    assert [str(s) for s in result.scopes] == ["aks-eastus-batch"]
    assert listings(clouds) == [f"/subscriptions/{SUBSCRIPTION_A}/resourceGroups/rg-ml-batch/providers/"
                                f"Microsoft.ContainerService/managedClusters"]


def test_a_429_storm_in_one_subscription_leaves_the_other_crawled(clouds):
    clouds.set_cloud_faults(f"azure:{SUBSCRIPTION_B}", throttle=-1, retry_after=20)
    result = cloud_collector(clouds, "azure").crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [(f"aks:{SUBSCRIPTION_B}", ErrorKind.RATE_LIMITED)]
    assert "SubscriptionRequestsThrottled" in result.errors[0].message
    assert len([r for r in clouds.cloud_requests("arm") if r.status == 429]) == 3   # bounded
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "aks-eastus-batch"]


def test_a_forbidden_subscription_is_an_error_of_that_subscription(clouds):
    clouds.set_cloud_faults(f"azure:{SUBSCRIPTION_A}", forbidden=True)
    result = cloud_collector(clouds, "azure").crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [(f"aks:{SUBSCRIPTION_A}", ErrorKind.FORBIDDEN)]
    assert "AuthorizationFailed" in result.errors[0].message
    assert [str(s) for s in result.scopes] == ["aks-westeu"]


def test_a_wrong_secret_is_an_auth_error_and_a_static_token_works(clouds):
    result = cloud_collector(clouds, "azure", credentials={"clientSecret": "wrong"}).crawl()
    assert {(str(e.scope), e.kind) for e in result.errors} == {(f"aks:{SUBSCRIPTION_A}", ErrorKind.AUTH),
                                                              (f"aks:{SUBSCRIPTION_B}", ErrorKind.AUTH)}
    assert "AADSTS7000215" in result.errors[0].message

    result = cloud_collector(clouds, "azure", credentials={"accessToken": clouds.clouds.azure_token}).crawl()
    assert result.errors == [] and len(result.scopes) == 3
    result = cloud_collector(clouds, "azure", credentials={"accessToken": "expired"}).crawl()
    assert {e.kind for e in result.errors} == {ErrorKind.AUTH}


def test_one_cluster_down_is_its_own_error(clouds):
    clouds.set_faults("aks-westeu", unauthorized=True)
    result = cloud_collector(clouds, "azure").crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("aks-westeu", ErrorKind.AUTH)]
    assert sorted(map(str, result.scopes)) == ["aks-eastus", "aks-eastus-batch"]


def test_endpoint_and_tls_overrides_rewrite_the_kubeconfig(clouds):
    collector = cloud_collector(clouds, "azure", insecure=True,
                                kubernetesEndpoints={"aks-eastus": "https://127.0.0.1:6443"})
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "current-context": "aks-eastus",
                  "clusters": [{"name": "aks-eastus", "cluster": {"server": "https://x.hcp.eastus.azmk8s.io:443",
                                                                  "certificate-authority-data": "Zm9v"}}],
                  "users": [{"name": "u", "user": {"token": "t"}}],
                  "contexts": [{"name": "aks-eastus", "context": {"cluster": "aks-eastus", "user": "u"}}]}
    with tempfile.TemporaryDirectory() as directory:
        target = collector.kubeconfig_target(name="aks-eastus", region="eastus", kubeconfig=kubeconfig,
                                             directory=directory)
        written = yaml.safe_load(open(target.kubeconfig).read())
    cluster = written["clusters"][0]["cluster"]
    assert cluster == {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}
    assert (target.context, target.cloud, target.region) == ("aks-eastus", "azure", "eastus")


def test_settings_are_checked():
    azure = provider("azure")
    azure.validate({"subscriptions": [SUBSCRIPTION_A], "tenantId": "t", "clientId": "c"}, {"clientSecret": "s"})
    with pytest.raises(CollectorError, match="subscriptions.0"):
        azure.validate({"subscriptions": ["not-a-guid"]}, {})
    with pytest.raises(CollectorError, match="unknown credential field"):
        azure.validate({"subscriptions": [SUBSCRIPTION_A]}, {"password": "x"})
    missing = azure.collector(name="a", settings={"subscriptions": [SUBSCRIPTION_A]}, credentials={}).crawl()
    assert [(str(e.scope), e.kind) for e in missing.errors] == [("*", ErrorKind.INVALID_INPUT)]
    assert "tenantId" in missing.errors[0].message
