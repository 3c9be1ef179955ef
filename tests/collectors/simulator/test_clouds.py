"""The cloud side of the simulator as the real client libraries see it: GKE REST, Azure ARM, AWS via moto,
the scenario's SageMaker format, and `manage.py simulate --cloud-settings`."""

from __future__ import annotations

import base64
import io
import json
import os
import time

import boto3
import pytest
import requests
import yaml
from azure.core.credentials import AccessToken
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.containerservice import ContainerServiceClient
from django.core.management import call_command
from google.api_core import exceptions as google_errors
from google.auth.exceptions import RefreshError
from google.cloud import container_v1
from google.oauth2.credentials import Credentials

from collectors.simulator import FleetSimulator, load_scenario
from collectors.simulator.scenario import ScenarioError, scenario_from_dict

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"


class Token:
    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)


def gke(sim, token: str | None = None):
    return container_v1.ClusterManagerClient(credentials=Credentials(token=token or sim.clouds.gcp_token),
                                             transport="rest", client_options={"api_endpoint": sim.url})


def test_gke_serves_clusters_and_node_pools_like_the_api(clouds):
    client = gke(clouds)
    cluster = client.get_cluster(name="projects/acme-ml-prod/locations/europe-west4/clusters/gke-euw4", retry=None)
    assert (cluster.location, cluster.status.name, cluster.current_node_count) == ("europe-west4", "RUNNING", 3)
    assert base64.b64decode(cluster.master_auth.cluster_ca_certificate).startswith(b"-----BEGIN CERTIFICATE-----")
    pools = {p.name: p for p in cluster.node_pools}
    l4 = pools["l4"]
    assert l4.config.machine_type == "g2-standard-24"
    assert [(a.accelerator_type, a.accelerator_count) for a in l4.config.accelerators] == [("nvidia-l4", 2)]
    assert (l4.autoscaling.enabled, l4.autoscaling.min_node_count, l4.autoscaling.max_node_count) == (True, 0, 4)
    assert (l4.initial_node_count, pools["default-pool"].autoscaling.enabled) == (2, False)
    by_zone = client.list_clusters(parent="projects/acme-ml-dev/locations/us-central1-a", retry=None)
    assert [c.name for c in by_zone.clusters] == ["gke-dev-usc1"]
    assert client.list_clusters(parent="projects/acme-ml-dev/locations/europe-west4", retry=None).clusters == []
    with pytest.raises(google_errors.NotFound):
        client.get_cluster(name="projects/acme-ml-prod/locations/-/clusters/nope", retry=None)
    with pytest.raises(google_errors.Forbidden):
        client.list_clusters(parent="projects/someone-else/locations/-", retry=None)
    with pytest.raises(RefreshError):   # a 401 makes the client refresh a token that cannot be refreshed
        gke(clouds, token="ya29.not-issued").list_clusters(parent="projects/acme-ml-prod/locations/-", retry=None)


def test_google_token_endpoint_checks_the_assertion(clouds):
    refused = requests.post(f"{clouds.url}/token", timeout=5, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_arm_serves_managed_clusters_agent_pools_and_user_kubeconfigs(clouds):
    client = ContainerServiceClient(Token(clouds.clouds.azure_token), SUBSCRIPTION, base_url=clouds.url, retry_total=0)
    cluster = client.managed_clusters.get("rg-ml-prod", "aks-eastus", enforce_https=False)
    assert (cluster.location, cluster.properties.power_state.code, cluster.properties.provisioning_state) == \
        ("eastus", "Running", "Succeeded")
    gpu = next(p for p in cluster.properties.agent_pool_profiles if p.name == "gpu")
    assert (gpu.vm_size, gpu.count, gpu.enable_auto_scaling, gpu.min_count, gpu.max_count, gpu.mode) == \
        ("Standard_NC24ads_A100_v4", 2, True, 1, 3, "User")
    assert gpu.node_taints == ["sku=gpu:NoSchedule"]
    pools = list(client.agent_pools.list("rg-ml-prod", "aks-eastus", enforce_https=False))
    assert sorted(p.name for p in pools) == ["gpu", "system"]

    kubeconfigs = client.managed_clusters.list_cluster_user_credentials("rg-ml-prod", "aks-eastus",
                                                                        enforce_https=False).kubeconfigs
    document = yaml.safe_load(kubeconfigs[0].value)
    assert kubeconfigs[0].name == "clusterUser"
    assert document["clusters"][0]["cluster"]["server"] == clouds.cluster_url("aks-eastus")
    assert document["users"][0] == {"name": "clusterUser_rg-ml-prod_aks-eastus",
                                    "user": {"token": clouds.token("aks-eastus")}}
    with pytest.raises(ResourceNotFoundError):
        client.managed_clusters.get("rg-ml-prod", "nope", enforce_https=False)
    other = ContainerServiceClient(Token(clouds.clouds.azure_token), "12345678-0000-0000-0000-000000000000",
                                   base_url=clouds.url, retry_total=0)
    with pytest.raises(ResourceNotFoundError, match="SubscriptionNotFound"):
        list(other.managed_clusters.list(enforce_https=False))


def test_aws_is_seeded_per_account_with_node_groups_and_endpoints(clouds):
    source = next(s for s in clouds.cloud_sources() if s["kind"] == "aws")
    keys = source["credentials"]
    session = boto3.Session(aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"],
                            region_name="us-east-1")
    assert session.client("sts", endpoint_url=clouds.aws_url).get_caller_identity()["Account"] == "111122223333"
    eks = session.client("eks", endpoint_url=clouds.aws_url)
    assert sorted(eks.list_nodegroups(clusterName="prod-use1")["nodegroups"]) == ["a10g", "system"]
    group = eks.describe_nodegroup(clusterName="prod-use1", nodegroupName="a10g")["nodegroup"]
    assert group["instanceTypes"] == ["g5.2xlarge"]
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 6, "desiredSize": 2}
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    sagemaker = session.client("sagemaker", endpoint_url=clouds.aws_url)
    assert sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]) == \
        ["chat-sm", "fraud-xgb", "rerank"]
    model = sagemaker.describe_model(ModelName="chat-sm-alltraffic")["PrimaryContainer"]
    assert model["Environment"]["HF_MODEL_ID"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert source["settings"]["regions"] == ["eu-west-1", "us-east-1"]


def test_scenario_sagemaker_entries_are_checked():
    def load(endpoint, cloud="aws"):
        return scenario_from_dict({"clouds": {cloud: {"regions": {"r-1": {"sagemaker": [endpoint]}}}}})

    assert load({"name": "a", "model": "x/y"}).sagemaker[0].variants[0].instance_type == "ml.g5.2xlarge"
    for endpoint, message in (({"name": "a", "instanceType": "g5.2xlarge"}, "not a SageMaker type"),
                              ({"name": "a", "engine": "custom"}, "needs `image`"),
                              ({"name": "a", "engine": "djl"}, "engine must be one of"),
                              ({"name": "a", "instanceCount": 0}, "at least 1"),
                              ({"name": "a", "modle": "x"}, "unknown key"),
                              ({"name": "a", "model": "x", "variants": [{"name": "b"}]}, "not both"),
                              ({"name": "a", "variants": [{"name": "b"}, {"name": "b"}]}, "distinct names"),
                              ({"name": "bad_name"}, "not valid")):
        with pytest.raises(ScenarioError, match=message):
            load(endpoint)
    with pytest.raises(ScenarioError, match="aws cloud only"):
        load({"name": "a"}, cloud="gcp")


def test_without_clouds_the_cloud_paths_are_not_served(sim):
    assert requests.get(f"{sim.url}/v1/projects/p/locations/-/clusters", timeout=5).status_code == 404
    with pytest.raises(RuntimeError, match="clouds=True"):
        sim.cloud_sources()


def test_simulate_writes_the_cloud_settings(tmp_path):
    out = io.StringIO()
    target = tmp_path / "cloud.json"
    call_command("simulate", "--scenario", "smoke", "--kubeconfig", str(tmp_path / "k"), "--cloud-settings",
                 str(target), "--for", "0.05", stdout=out)
    document = json.loads(target.read_text())
    assert [s["kind"] for s in document["sources"]] == ["aws", "gcp", "azure"]
    assert document["sources"][0]["settings"]["endpointUrl"] == document["aws"]
    assert os.stat(target).st_mode & 0o077 == 0          # it holds credentials
    assert "cloud settings:" in out.getvalue()


def test_gpu_cloud_clusters_become_kubeconfig_sources(tmp_path):
    scenario = scenario_from_dict({"clouds": {"coreweave": {"regions": {"ORD1": {"clusters": [
        {"name": "cw-ord1", "nodePools": [{"name": "h100", "accelerator": "H100-80GB", "count": 1}]}]}}}}})
    with FleetSimulator(scenario, clouds=True) as sim:
        sources = sim.cloud_sources(kubeconfig=tmp_path / "k")
    assert sources == [{"name": "coreweave", "kind": "coreweave", "credentials": {},
                        "settings": {"kubeconfigPath": str(tmp_path / "k"), "contexts": ["cw-ord1"],
                                     "regions": {"cw-ord1": "ORD1"}}}]


def test_smoke_still_loads():
    assert load_scenario("smoke").sagemaker == []
