"""What actuators rely on: PATCH (scale, image, nodeSelector) re-makes pods; DELETE cascades."""

from __future__ import annotations

import json
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException


def chat_pods(core: client.CoreV1Api) -> list[client.V1Pod]:
    return core.list_namespaced_pod("search-prod", label_selector="app=chat-vllm").items


def test_scaling_adds_pods_and_runs_out_of_gpus(api):
    api_client = api("prod-use1")
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    before = {p.metadata.name: p.spec.node_name for p in chat_pods(core)}
    scale = apps.patch_namespaced_deployment_scale("chat-vllm", "search-prod", {"spec": {"replicas": 4}})
    assert scale.spec.replicas == 4
    after = {p.metadata.name: (p.status.phase, p.spec.node_name) for p in chat_pods(core)}
    assert len(after) == 4
    assert all(after[name] == ("Running", node) for name, node in before.items())  # existing pods stay put
    # 4 A10G nodes: ads-copywriter holds one, so the fourth replica has no GPU left
    assert sorted(phase for phase, _ in after.values()) == ["Pending", "Running", "Running", "Running"]
    deployment = apps.read_namespaced_deployment("chat-vllm", "search-prod")
    assert (deployment.spec.replicas, deployment.status.ready_replicas, deployment.metadata.generation) == (4, 3, 2)
    apps.patch_namespaced_deployment_scale("chat-vllm", "search-prod", {"spec": {"replicas": 1}})
    assert [p.status.phase for p in chat_pods(core)] == ["Running"]


def test_an_image_change_rolls_out_a_new_replica_set(api):
    api_client = api("prod-use1")
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    old_rs = {r.metadata.name for r in apps.list_namespaced_replica_set("search-prod").items}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.7.2"}]}}}}
    patched = apps.patch_namespaced_deployment("chat-vllm", "search-prod", patch)
    container = patched.spec.template.spec.containers[0]
    assert container.image == "vllm/vllm-openai:v0.7.2"
    assert "--model=meta-llama/Llama-3.1-8B-Instruct" in container.args  # strategic merge kept the rest
    new_rs = {r.metadata.name for r in apps.list_namespaced_replica_set("search-prod").items}
    assert len(new_rs) == 1 and new_rs != old_rs
    pods = chat_pods(core)
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)
    assert all(p.metadata.owner_references[0].name in new_rs for p in pods)
    assert {p.spec.containers[0].image for p in pods} == {"vllm/vllm-openai:v0.7.2"}


def test_a_node_selector_nothing_matches_leaves_pods_pending(api):
    api_client = api("prod-use1")
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    apps.patch_namespaced_deployment("chat-vllm", "search-prod",
                                     {"spec": {"template": {"spec": {"nodeSelector": {"gpu": "h200"}}}}})
    pods = chat_pods(core)
    assert [p.status.phase for p in pods] == ["Pending", "Pending"]
    assert "didn't match Pod's node affinity/selector" in pods[0].status.conditions[0].message


def test_json_patch_and_merge_patch_on_a_custom_resource(api):
    custom = client.CustomObjectsApi(api("prod-use1"))
    patched = custom.patch_namespaced_custom_object("serving.kserve.io", "v1beta1", "ads-prod", "inferenceservices",
                                                    "ads-copywriter", {"spec": {"predictor": {"minReplicas": 3}}})
    assert patched["spec"]["predictor"]["minReplicas"] == 3
    assert patched["spec"]["predictor"]["maxReplicas"] == 1  # merge patch leaves siblings alone
    assert patched["metadata"]["generation"] == 2
    apps = client.AppsV1Api(api("prod-use1"))
    apps.patch_namespaced_deployment("storefront", "web", [{"op": "replace", "path": "/spec/replicas", "value": 1}])
    assert apps.read_namespaced_deployment("storefront", "web").status.replicas == 1


def test_strategic_merge_on_a_custom_resource_is_415(sim):
    url = f"{sim.cluster_url('prod-use1')}/apis/serving.kserve.io/v1beta1/namespaces/ads-prod/inferenceservices/" \
          "ads-copywriter"
    request = urllib.request.Request(url, data=json.dumps({"spec": {}}).encode(), method="PATCH", headers={
        "Authorization": f"Bearer {sim.token('prod-use1')}",
        "Content-Type": "application/strategic-merge-patch+json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 415
    assert json.loads(error.value.read())["reason"] == "UnsupportedMediaType"


def test_deleting_a_deployment_deletes_its_replica_set_and_pods(api):
    api_client = api("prod-use1")
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    status = apps.delete_namespaced_deployment("chat-vllm", "search-prod")
    assert status.status == "Success" and status.details.name == "chat-vllm"
    assert chat_pods(core) == []
    assert apps.list_namespaced_replica_set("search-prod").items == []
    with pytest.raises(ApiException) as gone:
        apps.read_namespaced_deployment("chat-vllm", "search-prod")
    assert gone.value.status == 404
    # the GPUs are free again: a scale-up elsewhere in the pool now fits
    isvc_child = apps.patch_namespaced_deployment_scale("ads-copywriter-predictor", "ads-prod", {"spec": {"replicas": 4}})
    assert isvc_child.status.replicas == 4
    ads = core.list_namespaced_pod("ads-prod").items
    assert [p.status.phase for p in ads] == ["Running"] * 4


def test_deleting_a_custom_resource_deletes_what_its_operator_made(api):
    api_client = api("aks-eastus")
    custom, apps = client.CustomObjectsApi(api_client), client.AppsV1Api(api_client)
    custom.delete_namespaced_custom_object("leaderworkerset.x-k8s.io", "v1", "llm-prod", "leaderworkersets",
                                           "ranker-lws")
    assert apps.list_namespaced_stateful_set("llm-prod").items == []
    names = [p.metadata.name for p in client.CoreV1Api(api_client).list_namespaced_pod("llm-prod").items]
    assert names and not any(n.startswith("ranker-lws") for n in names)


def test_a_deleted_pod_is_replaced_by_its_controller(api):
    core = client.CoreV1Api(api("prod-use1"))
    victim = chat_pods(core)[0]
    core.delete_namespaced_pod(victim.metadata.name, "search-prod")
    pods = chat_pods(core)
    assert len(pods) == 2 and victim.metadata.name not in {p.metadata.name for p in pods}
    deleted = core.delete_namespaced_pod("qwen-72b-0", "llm-platform-prod")
    assert deleted.metadata.deletion_timestamp is not None
    assert core.read_namespaced_pod("qwen-72b-0", "llm-platform-prod").status.phase == "Running"


def test_a_stale_resource_version_is_a_conflict_and_changes_nothing(api):
    """Optimistic concurrency, as the API server does it: a PATCH or DELETE made from an older read gets 409."""
    apps = client.AppsV1Api(api("prod-use1"))
    read = apps.read_namespaced_deployment("chat-vllm", "search-prod")
    stale = read.metadata.resource_version
    apps.patch_namespaced_deployment("chat-vllm", "search-prod", {"metadata": {"labels": {"touched": "yes"}}})
    with pytest.raises(ApiException) as patch_conflict:
        apps.patch_namespaced_deployment("chat-vllm", "search-prod",
                                         {"metadata": {"resourceVersion": stale}, "spec": {"replicas": 5}})
    assert patch_conflict.value.status == 409
    assert "the object has been modified" in json.loads(patch_conflict.value.body)["message"]
    with pytest.raises(ApiException) as delete_conflict:
        apps.delete_namespaced_deployment("chat-vllm", "search-prod",
                                          body=client.V1DeleteOptions(preconditions=client.V1Preconditions(
                                              resource_version=stale)))
    assert delete_conflict.value.status == 409
    current = apps.read_namespaced_deployment("chat-vllm", "search-prod")
    assert current.spec.replicas == read.spec.replicas
    # made from the current version, both go through
    fresh = current.metadata.resource_version
    scaled = apps.patch_namespaced_deployment("chat-vllm", "search-prod",
                                              {"metadata": {"resourceVersion": fresh}, "spec": {"replicas": 1}})
    assert scaled.spec.replicas == 1
    apps.delete_namespaced_deployment("chat-vllm", "search-prod", body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(resource_version=scaled.metadata.resource_version)))
    with pytest.raises(ApiException) as gone:
        apps.read_namespaced_deployment("chat-vllm", "search-prod")
    assert gone.value.status == 404
