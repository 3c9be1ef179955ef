"""The simulator through the real `kubernetes` client: lists, pages, typed objects, CRDs, discovery."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException


def test_deployments_of_all_namespaces_come_in_pages_of_two(api):
    apps = client.AppsV1Api(api("prod-use1"))
    names, pages, token = [], 0, None
    while True:
        page = apps.list_deployment_for_all_namespaces(limit=2, **({"_continue": token} if token else {}))
        pages += 1
        names += [f"{d.metadata.namespace}/{d.metadata.name}" for d in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 4 - 2 * pages
    assert pages == 2
    assert names == ["ads-prod/ads-copywriter-predictor", "kube-system/coredns", "search-prod/chat-vllm",
                     "web/storefront"]


def test_a_page_within_one_namespace_stops_at_its_end(api):
    core = client.CoreV1Api(api("prod-use1"))
    first = core.list_namespaced_pod("web", limit=3)
    assert len(first.items) == 3 and first.metadata._continue
    rest = core.list_namespaced_pod("web", limit=3, _continue=first.metadata._continue)
    assert len(rest.items) == 1
    assert rest.metadata._continue is None
    assert {p.metadata.namespace for p in first.items + rest.items} == {"web"}


def test_typed_lists_parse_with_client_side_validation_on(api):
    api_client = api("gke-euw4")
    assert api_client.configuration.client_side_validation
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    counts = {
        "nodes": len(core.list_node().items),
        "pods": len(core.list_pod_for_all_namespaces().items),
        "services": len(core.list_service_for_all_namespaces().items),
        "namespaces": len(core.list_namespace().items),
        "deployments": len(apps.list_deployment_for_all_namespaces().items),
        "replicasets": len(apps.list_replica_set_for_all_namespaces().items),
        "statefulsets": len(apps.list_stateful_set_for_all_namespaces().items),
        "daemonsets": len(apps.list_daemon_set_for_all_namespaces().items),
        "jobs": len(client.BatchV1Api(api_client).list_job_for_all_namespaces().items),
        "hpas": len(client.AutoscalingV2Api(api_client).list_horizontal_pod_autoscaler_for_all_namespaces().items),
    }
    assert counts == {"nodes": 7, "pods": 14, "services": 3, "namespaces": 6, "deployments": 3, "replicasets": 3,
                      "statefulsets": 0, "daemonsets": 1, "jobs": 1, "hpas": 0}


def test_a_deployment_reads_back_as_written_with_server_fields(api):
    deployment = client.AppsV1Api(api("prod-use1")).read_namespaced_deployment("chat-vllm", "search-prod")
    container = deployment.spec.template.spec.containers[0]
    assert container.image == "vllm/vllm-openai:v0.6.3"
    assert "--model=meta-llama/Llama-3.1-8B-Instruct" in container.args
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    assert deployment.spec.template.spec.node_selector == {"karpenter.k8s.aws/instance-gpu-name": "a10g"}
    assert deployment.metadata.labels["team"] == "search"
    assert deployment.metadata.creation_timestamp.isoformat().startswith("2026-08-01T09:00:00")
    assert deployment.metadata.uid and deployment.metadata.resource_version and deployment.metadata.generation == 1
    assert (deployment.status.replicas, deployment.status.ready_replicas) == (2, 2)


def test_pods_run_on_nodes_of_their_pool_and_unready_ones_stay_pending(api):
    core = client.CoreV1Api(api("gke-euw4"))
    nodes = {n.metadata.name: n.metadata.labels for n in core.list_node().items}
    pods = core.list_namespaced_pod("docs-staging", label_selector="app=summarizer-tgi").items
    phases = sorted(p.status.phase for p in pods)
    assert phases == ["Pending", "Running"]
    running = next(p for p in pods if p.status.phase == "Running")
    assert nodes[running.spec.node_name]["cloud.google.com/gke-nodepool"] == "l4"
    assert {c.type: c.status for c in running.status.conditions}["Ready"] == "True"
    assert running.status.container_statuses[0].ready is True
    pending = next(p for p in pods if p.status.phase == "Pending")
    assert pending.spec.node_name is None
    assert pending.status.conditions[0].reason == "Unschedulable"


def test_field_and_label_selectors(api):
    core = client.CoreV1Api(api("prod-use1"))
    node = core.list_node(label_selector="karpenter.sh/nodepool=a10g").items[0].metadata.name
    on_node = core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    assert on_node and all(p.spec.node_name == node for p in on_node)
    gpu_pools = core.list_node(label_selector="karpenter.sh/nodepool in (a10g),!eks.amazonaws.com/nodegroup")
    assert len(gpu_pools.items) == 4
    assert core.list_pod_for_all_namespaces(label_selector="team=web,app!=storefront").items[0].metadata.name == \
        "orders-db-0"


def test_inference_services_through_custom_objects_api(api):
    custom = client.CustomObjectsApi(api("prod-use1"))
    listed = custom.list_cluster_custom_object("serving.kserve.io", "v1beta1", "inferenceservices", limit=1)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["ads-copywriter"]
    assert listed["metadata"].get("continue") is None
    isvc = custom.get_namespaced_custom_object("serving.kserve.io", "v1beta1", "ads-prod", "inferenceservices",
                                               "ads-copywriter")
    assert "--model_id=mistralai/Mistral-7B-Instruct-v0.3" in isvc["spec"]["predictor"]["model"]["args"]
    runtimes = custom.list_cluster_custom_object("serving.kserve.io", "v1alpha1", "clusterservingruntimes")
    assert "kserve-huggingfaceserver" in [r["metadata"]["name"] for r in runtimes["items"]]


def test_discovery_advertises_only_what_the_cluster_has(api):
    eks_groups = {g.name for g in client.ApisApi(api("prod-use1")).get_api_versions().groups}
    gke_groups = {g.name for g in client.ApisApi(api("gke-euw4")).get_api_versions().groups}
    assert {"apps", "autoscaling", "batch", "serving.kserve.io", "keda.sh"} <= eks_groups
    assert "ray.io" in gke_groups and "serving.kserve.io" not in gke_groups
    with pytest.raises(ApiException) as missing:
        client.CustomObjectsApi(api("gke-euw4")).list_cluster_custom_object("serving.kserve.io", "v1beta1",
                                                                            "inferenceservices")
    assert missing.value.status == 404
    core = client.CoreV1Api(api("gke-euw4")).get_api_resources()
    by_name = {r.name: r for r in core.resources}
    assert by_name["pods"].namespaced and not by_name["nodes"].namespaced and "list" in by_name["pods"].verbs
    apps = {r.name for r in client.AppsV1Api(api("gke-euw4")).get_api_resources().resources}
    assert "deployments/scale" in apps
    assert client.CoreApi(api("gke-euw4")).get_api_versions().versions == ["v1"]
    assert client.VersionApi(api("gke-euw4")).get_code().git_version == "v1.30.5-gke.1014001"


def test_a_missing_object_is_a_404_status(api):
    with pytest.raises(ApiException) as error:
        client.AppsV1Api(api("prod-use1")).read_namespaced_deployment("nope", "web")
    assert error.value.status == 404
    assert '"reason":"NotFound"' in error.value.body
