"""A small simulated EKS cluster crawled through a kubeconfig source, and users of each role.

Teams: search (prod, an over-sized staging copy, a dev copy), ads (staging). The staging copy runs 3
replicas, so the findings engine opens "waste.nonprod_like_prod" proposing a scale to 1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User

from collectors.simulator import FleetSimulator
from collectors.simulator.scenario import scenario_from_dict
from footprint.accounts.models import Membership
from footprint.inventory.crawl import source_crawl
from footprint.inventory.models import Deployment, Team
from footprint.inventory.sources import source_create

CLUSTER = "prod-use1"
MODEL = "meta-llama/Llama-3.1-8B-Instruct"
SECRET = "hf_not_for_viewers"   # a literal env value: never shown in previews, the API or the audit trail
SCENARIO = {
    "name": "actions", "seed": 11, "epoch": "2026-06-01T00:00:00Z",
    "clouds": {"aws": {"account": "111122223333", "regions": {"us-east-1": {"clusters": [{
        "name": CLUSTER, "provider": "eks", "token": "prod-use1-token", "operators": ["kserve"],
        "nodePools": [
            {"name": "system", "instanceType": "m6i.2xlarge", "count": 1},
            {"name": "a10g", "instanceType": "g5.2xlarge", "count": 10, "karpenter": True},
            {"name": "l40s", "instanceType": "g6e.xlarge", "count": 2, "karpenter": True},
        ],
        "workloads": [
            {"name": "chat", "namespace": "search-prod", "engine": "vllm", "model": MODEL, "replicas": 2,
             "gpus": 1, "pool": "a10g", "team": "search"},
            {"name": "chat", "namespace": "search-staging", "engine": "vllm", "model": MODEL, "replicas": 3,
             "gpus": 1, "pool": "a10g", "team": "search"},
            {"name": "chat-dev", "namespace": "search-dev", "engine": "vllm", "model": MODEL, "replicas": 1,
             "gpus": 1, "pool": "a10g", "team": "search", "env": {"HF_TOKEN": SECRET}},
            {"name": "copy", "namespace": "ads-staging", "kind": "InferenceService", "engine": "vllm",
             "model": "mistralai/Mistral-7B-Instruct-v0.3", "replicas": 1, "gpus": 1, "pool": "a10g",
             "team": "ads"},
        ],
    }]}}}},
}


@pytest.fixture
def fleet(tmp_path) -> Iterator[tuple[FleetSimulator, str]]:
    with FleetSimulator(scenario_from_dict(SCENARIO)) as sim:
        path = tmp_path / "kubeconfig"
        sim.kubeconfig(path)
        yield sim, str(path)


@pytest.fixture
def sim(fleet) -> FleetSimulator:
    return fleet[0]


@pytest.fixture
def source(db, fleet):
    _, path = fleet
    made = source_create(name="eks", kind="kubernetes", settings={"kubeconfigPath": path, "timeoutSeconds": 5})
    run = source_crawl(source=made)
    assert run.status == "ok", run.errors
    return made


def user_make(name: str, *roles: str, teams: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(name, password="pw")
    user.groups.add(*Group.objects.filter(name__in=roles))
    for slug in teams:
        Membership.objects.create(user=user, team=Team.objects.get(slug=slug))
    return user


@pytest.fixture
def users(source):
    return {
        "operator": user_make("olga", "operator", teams=("search",)),
        "lead": user_make("lena", "operator", "approver", teams=("search",)),
        "approver": user_make("arno", "approver"),
        "ads_operator": user_make("adam", "operator", teams=("ads",)),
        "viewer": user_make("vic", "viewer"),
    }


def deployment(namespace: str, name: str = "chat") -> Deployment:
    return Deployment.objects.get(cluster_name=CLUSTER, namespace=namespace, name=name, ended_at__isnull=True)


def apps_api(sim: FleetSimulator, path: str):
    from kubernetes import client, config

    return client.AppsV1Api(config.new_client_from_config(config_file=path, context=CLUSTER))


def custom_api(path: str):
    from kubernetes import client, config

    return client.CustomObjectsApi(config.new_client_from_config(config_file=path, context=CLUSTER))
