"""GCP collector through google-cloud-container's REST transport and google-auth against the simulator's
GKE API and OAuth token endpoint, then each cluster's Kubernetes API with the access token."""

from __future__ import annotations

import json

import pytest

from collectors.cloud import PoolHardware, _with_pool_hardware
from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import ErrorKind, GpuNode
from tests.collectors.conftest import cloud_collector, cloud_source, specs_by


def test_gke_clusters_are_discovered_and_crawled_with_a_service_account(clouds):
    source = cloud_source(clouds, "gcp")
    assert json.loads(source["credentials"]["serviceAccountJson"])["type"] == "service_account"
    result = cloud_collector(clouds, "gcp").crawl()

    assert result.errors == []
    assert sorted(map(str, result.scopes)) == ["gke-dev-usc1", "gke-euw4"]
    specs = specs_by(result, "cluster", "name")
    tgi = specs[("gke-euw4", "summarizer-tgi")]
    assert (tgi.workload.cloud, tgi.workload.region, tgi.workload.source) == ("gcp", "europe-west4", "gcp")
    assert (tgi.runtime.engine, tgi.accelerator.type, tgi.accelerator.per_replica) == ("tgi", "L4", 2)
    assert specs[("gke-dev-usc1", "notebook-llm")].accelerator.type == "T4"
    # the GKE API got self-signed JWTs; the Kubernetes APIs an access token from the token endpoint
    assert [r.status for r in clouds.cloud_requests("gke") if r.path == "/token"] == [200]
    assert all(r.status == 200 for r in clouds.requests("gke-euw4"))
    nodes = {(n.cluster, n.pool, n.instance_type, n.accelerator) for n in result.gpu_nodes}
    assert ("gke-euw4", "l4", "g2-standard-24", "L4") in nodes


def test_an_access_token_works_and_a_wrong_one_is_an_auth_error(clouds):
    token = clouds.clouds.gcp_token
    result = cloud_collector(clouds, "gcp", credentials={"accessToken": token}).crawl()
    assert result.errors == [] and len(result.scopes) == 2

    result = cloud_collector(clouds, "gcp", credentials={"accessToken": "ya29.revoked"}).crawl()
    assert {(str(e.scope), e.kind) for e in result.errors} == {("gke:acme-ml-prod", ErrorKind.AUTH),
                                                              ("gke:acme-ml-dev", ErrorKind.AUTH)}
    assert result.scopes == []


def test_a_forbidden_project_is_an_error_of_that_project_and_the_other_is_crawled(clouds):
    clouds.set_cloud_faults("gcp:acme-ml-dev", forbidden=True)
    result = cloud_collector(clouds, "gcp").crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("gke:acme-ml-dev", ErrorKind.FORBIDDEN)]
    assert "container.clusters.list" in result.errors[0].message
    assert [str(s) for s in result.scopes] == ["gke-euw4"]


def test_a_429_storm_is_retried_a_bounded_number_of_times(clouds):
    clouds.set_cloud_faults("gcp:acme-ml-prod", throttle=-1, retry_after=30)   # Retry-After is capped by the policy
    result = cloud_collector(clouds, "gcp").crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("gke:acme-ml-prod", ErrorKind.RATE_LIMITED)]
    throttled = [r for r in clouds.cloud_requests("gke") if r.status == 429]
    assert len(throttled) == 3      # FAST_RETRIES.rate_limited_attempts
    assert [str(s) for s in result.scopes] == ["gke-dev-usc1"]

    clouds.set_cloud_faults("gcp:acme-ml-prod", throttle=1, retry_after=0)
    assert cloud_collector(clouds, "gcp").crawl().errors == []


def test_locations_and_cluster_filters(clouds):
    result = cloud_collector(clouds, "gcp", projects=["acme-ml-prod"], locations=["europe-west4"]).crawl()
    assert [str(s) for s in result.scopes] == ["gke-euw4"]
    result = cloud_collector(clouds, "gcp", clusters=["gke-dev-usc1"]).crawl()
    assert [str(s) for s in result.scopes] == ["gke-dev-usc1"]


def test_a_server_error_is_unreachable_after_retries(clouds):
    clouds.set_cloud_faults("gcp:acme-ml-prod", server_errors=-1, server_error_code=503)
    result = cloud_collector(clouds, "gcp", projects=["acme-ml-prod"]).crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("gke:acme-ml-prod", ErrorKind.UNREACHABLE)]
    assert len([r for r in clouds.cloud_requests("gke") if r.status == 503]) == 2   # FAST_RETRIES.unreachable_attempts


def test_a_pool_tells_the_hardware_a_node_label_does_not():
    bare = GpuNode(cluster="c", name="n1", pool="t4", allocatable=1)
    filled = _with_pool_hardware(bare, {"t4": PoolHardware("n1-standard-8", "T4")})
    assert (filled.instance_type, filled.accelerator) == ("n1-standard-8", "T4")
    labelled = GpuNode(cluster="c", name="n2", pool="t4", instance_type="x", accelerator="L4")
    assert _with_pool_hardware(labelled, {"t4": PoolHardware("n1-standard-8", "T4")}) == labelled


def test_settings_are_checked():
    gcp = provider("gcp")
    gcp.validate({"projects": ["acme-ml-prod"], "insecure": True}, {"accessToken": "x"})
    with pytest.raises(CollectorError, match="'projects' is a required property"):
        gcp.validate({}, {})
    with pytest.raises(CollectorError, match="projects.0"):
        gcp.validate({"projects": ["Not A Project"]}, {})
    with pytest.raises(CollectorError, match="unknown credential field"):
        gcp.validate({"projects": ["acme-ml-prod"]}, {"apiKey": "x"})
    broken = gcp.collector(name="g", settings={"projects": ["acme-ml-prod"]},
                           credentials={"serviceAccountJson": "{}"}).crawl()
    assert [(str(e.scope), e.kind) for e in broken.errors] == [("*", ErrorKind.INVALID_INPUT)]
