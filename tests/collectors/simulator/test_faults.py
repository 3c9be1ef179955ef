"""Fault knobs as the real client meets them: auth, RBAC, throttling, 5xx, expired pages, latency, outages."""

from __future__ import annotations

import json
import time

import pytest
import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


def test_a_wrong_token_is_401(sim, kubeconfig):
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = "stale-token"
    kubeconfig.write_text(yaml.safe_dump(doc))
    api_client = config.new_client_from_config(config_file=str(kubeconfig), context="prod-use1")
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api_client).list_namespace()
    assert (error.value.status, error.value.reason) == (401, "Unauthorized")
    assert status_of(error.value)["kind"] == "Status"
    assert sim.requests("prod-use1")[-1].status == 401


def test_revoked_and_forbidden_clusters(sim, api):
    sim.set_faults("gke-euw4", unauthorized=True)
    with pytest.raises(ApiException) as revoked:
        client.CoreV1Api(api("gke-euw4")).list_node()
    assert revoked.value.status == 401
    sim.set_faults("gke-euw4", unauthorized=False, forbidden=True)
    with pytest.raises(ApiException) as forbidden:
        client.ApisApi(api("gke-euw4")).get_api_versions()
    assert forbidden.value.status == 403
    assert client.CoreV1Api(api("aks-eastus")).list_node().items  # the other clusters are untouched


def test_a_forbidden_namespace_behaves_like_rbac(sim, api):
    sim.set_faults("prod-use1", forbidden_namespaces=["ads-prod"], forbidden_resources=["deployments"])
    apps, core = client.AppsV1Api(api("prod-use1")), client.CoreV1Api(api("prod-use1"))
    with pytest.raises(ApiException) as cluster_wide:
        apps.list_deployment_for_all_namespaces()
    assert cluster_wide.value.status == 403
    assert status_of(cluster_wide.value)["message"].endswith('cannot list resource "deployments" in API group '
                                                             '"apps" at the cluster scope')
    with pytest.raises(ApiException) as in_namespace:
        apps.list_namespaced_deployment("ads-prod")
    assert status_of(in_namespace.value)["message"].endswith('in the namespace "ads-prod"')
    assert [d.metadata.name for d in apps.list_namespaced_deployment("web").items] == ["storefront"]
    assert core.list_pod_for_all_namespaces().items  # other resources: not restricted
    assert core.list_namespace().items and core.list_node().items  # cluster-scoped: a ClusterRole grants them
    sim.set_faults("prod-use1", forbidden_resources=[])
    with pytest.raises(ApiException):
        core.list_pod_for_all_namespaces()


def test_429_with_retry_after_reaches_a_client_without_retries(sim, api):
    sim.set_faults("prod-use1", throttle=-1, retry_after=7)
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api("prod-use1", retries=False)).list_node()
    assert error.value.status == 429
    assert error.value.headers["Retry-After"] == "7"
    assert status_of(error.value)["details"]["retryAfterSeconds"] == 7
    assert len(sim.requests("prod-use1")) == 1


def test_429_n_times_then_ok_is_absorbed_by_urllib3_retries(sim, api):
    sim.set_faults("prod-use1", throttle=2, retry_after=0)
    nodes = client.CoreV1Api(api("prod-use1")).list_node()
    assert len(nodes.items) == 7
    assert [r.status for r in sim.requests("prod-use1")] == [429, 429, 200]


def test_server_errors_then_recovery(sim, api):
    sim.set_faults("aks-eastus", server_errors=1, server_error_code=503)
    core = client.CoreV1Api(api("aks-eastus", retries=False))
    with pytest.raises(ApiException) as error:
        core.list_node()
    assert (error.value.status, status_of(error.value)["reason"]) == (503, "ServiceUnavailable")
    assert core.list_node().items


def test_expiry_limited_to_some_resources(sim, api):
    sim.set_faults("prod-use1", expire_continue=2, expire_times=-1, only=["deployments"])
    api_client = api("prod-use1")
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    first = core.list_pod_for_all_namespaces(limit=5)
    assert core.list_pod_for_all_namespaces(limit=5, _continue=first.metadata._continue).items
    first = apps.list_deployment_for_all_namespaces(limit=2)
    with pytest.raises(ApiException) as error:
        apps.list_deployment_for_all_namespaces(limit=2, _continue=first.metadata._continue)
    assert error.value.status == 410


def test_faults_limited_to_some_resources(sim, api):
    sim.set_faults("prod-use1", throttle=-1, only=["pods"])
    core = client.CoreV1Api(api("prod-use1", retries=False))
    assert core.list_node().items
    with pytest.raises(ApiException) as error:
        core.list_pod_for_all_namespaces()
    assert error.value.status == 429


def test_an_expired_continue_token_is_410_then_a_fresh_listing_works(sim, api):
    sim.set_faults("prod-use1", expire_continue=2)
    apps = client.AppsV1Api(api("prod-use1"))
    first = apps.list_deployment_for_all_namespaces(limit=2)
    with pytest.raises(ApiException) as error:
        apps.list_deployment_for_all_namespaces(limit=2, _continue=first.metadata._continue)
    body = status_of(error.value)
    assert (error.value.status, body["reason"]) == (410, "Expired")
    assert body["message"].startswith("The provided continue parameter is too old")
    assert body["metadata"]["continue"]  # the inconsistent-continuation token the API server offers
    names, token = [], None
    while True:  # the collector starts over: expiry was once
        page = apps.list_deployment_for_all_namespaces(limit=2, **({"_continue": token} if token else {}))
        names += [d.metadata.name for d in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert len(names) == 4


def test_latency_is_added_to_every_request(sim, api):
    core = client.CoreV1Api(api("gke-euw4"))
    core.list_namespace()
    sim.set_faults("gke-euw4", latency_ms=250)
    started = time.monotonic()
    core.list_namespace()
    assert time.monotonic() - started >= 0.25


def test_a_stall_longer_than_the_read_timeout_is_a_urllib3_timeout(sim, api):
    sim.set_faults("gke-euw4", stall_s=5)
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        client.CoreV1Api(api("gke-euw4", retries=False)).list_node(_request_timeout=0.3)
    assert time.monotonic() - started < 2


def test_a_cluster_stopped_before_the_kubeconfig_refuses_connections(sim, tmp_path):
    sim.stop_cluster("aks-eastus")
    path = sim.kubeconfig(tmp_path / "stopped")
    api_client = config.new_client_from_config(config_file=str(path), context="aks-eastus")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as error:
        client.CoreV1Api(api_client).list_node()
    assert isinstance(error.value.reason, urllib3.exceptions.NewConnectionError)
    assert "Connection refused" in str(error.value.reason)
    other = config.new_client_from_config(config_file=str(path), context="prod-use1")
    assert client.CoreV1Api(other).list_node().items


def test_a_cluster_stopped_at_run_time_drops_connections_until_started(sim, api):
    core = client.CoreV1Api(api("prod-use1"))
    assert core.list_node().items
    sim.stop_cluster("prod-use1")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as error:
        core.list_node()
    assert isinstance(error.value.reason, urllib3.exceptions.ProtocolError)
    sim.start_cluster("prod-use1")
    assert core.list_node().items


def test_unknown_knobs_are_errors(sim):
    with pytest.raises(TypeError, match="unknown fault knob"):
        sim.set_faults("prod-use1", throtle=3)
    assert sim.faults("prod-use1").throttle == 0


def test_set_faults_on_every_cluster_and_clear(sim, api):
    sim.set_faults("*", forbidden=True)
    assert all(sim.faults(name).forbidden for name in sim.cluster_names)
    sim.clear_faults()
    assert client.CoreV1Api(api("gke-euw4")).list_node().items
