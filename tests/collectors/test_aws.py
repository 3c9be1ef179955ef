"""AWS collector through boto3 against moto in server mode (EKS, SageMaker, STS, application-autoscaling)
and the simulator's Kubernetes API, which takes EKS IAM tokens as an EKS API server does."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from kubernetes import client

from collectors.aws import _EksTokens
from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import ErrorKind
from tests.collectors.conftest import cloud_collector, cloud_source, specs_by


def test_eks_clusters_are_discovered_and_crawled_with_an_eks_token(clouds):
    source = cloud_source(clouds, "aws")
    assert "token" not in str(source["settings"])   # nothing but the AWS keys: the token comes from STS
    result = cloud_collector(clouds, "aws").crawl()

    assert result.errors == []
    assert sorted(map(str, result.scopes)) == ["dev-use1", "prod-euw1", "prod-use1", "sagemaker:eu-west-1",
                                               "sagemaker:us-east-1", "staging-use1"]
    specs = specs_by(result, "cluster", "name")
    chat = specs[("prod-use1", "chat-vllm")]
    assert (chat.workload.cloud, chat.workload.region, chat.workload.source) == ("aws", "us-east-1", "aws-111122223333")
    assert (chat.runtime.engine, chat.accelerator.type, chat.owner.team) == ("vllm", "A10G", "search")
    assert specs[("prod-euw1", "chat-vllm")].workload.region == "eu-west-1"
    assert specs[("staging-use1", "chat-tgi")].accelerator.type == "L4"
    assert all(r.status == 200 for r in clouds.requests("prod-use1"))
    nodes = {(n.cluster, n.pool, n.instance_type, n.accelerator) for n in result.gpu_nodes if n.cluster == "prod-use1"}
    assert nodes == {("prod-use1", "a10g", "g5.2xlarge", "A10G")}


def test_an_eks_cluster_takes_only_a_token_signed_for_it(clouds):
    keys = cloud_source(clouds, "aws")["credentials"]
    session = boto3.Session(aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"])
    tokens = _EksTokens(session.client("sts", region_name="us-east-1", endpoint_url=clouds.aws_url))
    strangers = boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG")
    forged = _EksTokens(strangers.client("sts", region_name="us-east-1", endpoint_url=clouds.aws_url))

    def status(token: str | None) -> int:
        configuration = client.Configuration(host=clouds.cluster_url("prod-use1"))
        configuration.retries = False
        if token is not None:
            configuration.api_key = {"authorization": f"Bearer {token}"}
        try:
            client.CoreV1Api(client.ApiClient(configuration)).list_node(limit=1)
        except client.exceptions.ApiException as error:
            return error.status
        return 200

    assert status(tokens("prod-use1")) == 200
    assert status(None) == 401
    assert status(tokens("staging-use1")) == 401          # x-k8s-aws-id names another cluster
    assert status(forged("prod-use1")) == 401             # keys AWS does not know
    assert status("k8s-aws-v1.bm90LWEtdXJs") == 401       # not a presigned URL
    assert status(tokens("prod-use1").removeprefix("k8s-aws-v1.")) == 401
    # and the checks that reason (the simulator's aws-iam-authenticator part)
    verify = clouds.clouds.aws.verify_eks_token
    assert verify(tokens("prod-use1"), "prod-use1") is None
    assert verify(tokens("prod-use1"), "prod-use1", now=datetime.now(UTC) + timedelta(minutes=16)) == "token expired"
    url = base64.urlsafe_b64decode(tokens("prod-use1")[11:] + "==").decode()
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url and "Action=GetCallerIdentity" in url


def test_sagemaker_endpoints_become_one_spec_per_variant(clouds):
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], eks=False).crawl()
    assert result.errors == []
    specs = specs_by(result, "name", "unit")

    chat = specs[("chat-sm", None)]
    assert (chat.workload.kind, chat.workload.cluster, chat.workload.namespace) == \
        ("SageMakerEndpoint", "sagemaker:us-east-1", None)
    assert chat.workload.created_at == datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
    assert chat.workload.uid == "arn:aws:sagemaker:us-east-1:111122223333:endpoint/chat-sm"
    assert (chat.runtime.engine, chat.runtime.platform, chat.runtime.engine_version) == ("tgi", "sagemaker", "2.3.1")
    assert chat.model.name == "meta-llama/Llama-3.1-8B-Instruct"
    assert (chat.accelerator.type, chat.accelerator.per_replica, chat.accelerator.total) == ("A10G", 1, 2)
    assert (chat.replicas.desired, chat.replicas.ready, chat.replicas.min, chat.replicas.max,
            chat.replicas.autoscaled) == (2, 2, 1, 4, True)
    assert (chat.owner.team, chat.owner.source, chat.environment) == ("search", "tag:team", "prod")
    assert chat.labels == {"Team": "search", "Environment": "production"}

    xgb = specs[("fraud-xgb", None)]   # an opaque container: the engine is SageMaker's own
    assert (xgb.runtime.engine, xgb.runtime.platform) == ("sagemaker", "sagemaker")
    assert (xgb.model.name, xgb.model.uri) == (None, "s3://risk-models/xgb/model.tar.gz")
    assert (xgb.accelerator.type, xgb.replicas.desired, xgb.replicas.autoscaled) == (None, 1, False)
    assert xgb.owner.team == "risk"

    primary, canary = specs[("rerank", "primary")], specs[("rerank", "canary")]
    assert (primary.runtime.engine, primary.model.name, primary.variant) == ("tei", "BAAI/bge-reranker-large", None)
    assert (canary.runtime.engine, canary.variant) == ("vllm", "canary")
    assert (canary.accelerator.type, canary.accelerator.per_replica) == ("A100-40GB", 8)

    capacity = {(n.pool, n.instance_type, n.accelerator, n.allocatable) for n in result.gpu_nodes}
    assert capacity == {("chat-sm/AllTraffic", "ml.g5.2xlarge", "A10G", 1), ("rerank/primary", "ml.g5.xlarge", "A10G", 1),
                        ("rerank/canary", "ml.p4d.24xlarge", "A100-40GB", 8)}
    assert len([n for n in result.gpu_nodes if n.pool == "chat-sm/AllTraffic"]) == 2
    assert all(n.requested == n.serving_requested == n.allocatable for n in result.gpu_nodes)


def test_list_clusters_is_paged(clouds):
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], sagemaker=False, apiPageSize=1).crawl()
    assert sorted(map(str, result.scopes)) == ["dev-use1", "prod-use1", "staging-use1"]
    pages = [r.path for r in clouds.cloud_requests("aws") if r.path.startswith("us-east-1/eks /clusters?")]
    assert pages == ["us-east-1/eks /clusters?maxResults=1", "us-east-1/eks /clusters?maxResults=1&nextToken=prod-use1",
                     "us-east-1/eks /clusters?maxResults=1&nextToken=staging-use1"]


def test_a_region_denied_is_an_error_of_that_region_and_the_others_are_crawled(clouds):
    clouds.set_cloud_faults("aws:eu-west-1", forbidden=True)
    result = cloud_collector(clouds, "aws").crawl()
    errors = {str(e.scope): e for e in result.errors}
    assert sorted(errors) == ["eks:eu-west-1", "sagemaker:eu-west-1"]
    assert {e.kind for e in errors.values()} == {ErrorKind.FORBIDDEN}
    assert "AccessDeniedException" in errors["sagemaker:eu-west-1"].message
    assert sorted(map(str, result.scopes)) == ["dev-use1", "prod-use1", "sagemaker:us-east-1", "staging-use1"]
    assert {s.workload.region for s in result.specs} == {"us-east-1"}


def test_throttling_is_retried_within_bounds(clouds):
    clouds.set_cloud_faults("aws:us-east-1", throttle=2, only=["sagemaker"])
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], eks=False).crawl()
    assert result.errors == []
    assert len(result.specs) == 4

    clouds.set_cloud_faults("aws:us-east-1", throttle=-1, only=["sagemaker"])
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], eks=False).crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("sagemaker:us-east-1", ErrorKind.RATE_LIMITED)]
    listed = [r for r in clouds.cloud_requests("aws") if r.path.endswith("SageMaker.ListEndpoints") and r.status == 400]
    assert len(listed) == 2 + 3   # two absorbed by the first crawl, three attempts (the bound) by the second
    assert result.scopes == []


def test_revoked_credentials_are_an_auth_error_per_region(clouds):
    clouds.set_cloud_faults("aws:111122223333", unauthorized=True)
    result = cloud_collector(clouds, "aws").crawl()
    assert {(str(e.scope), e.kind) for e in result.errors} == {
        (f"{api}:{region}", ErrorKind.AUTH) for api in ("eks", "sagemaker") for region in ("us-east-1", "eu-west-1")}
    assert result.specs == [] and result.scopes == []


def test_one_unreachable_cluster_does_not_stop_the_others(clouds):
    clouds.stop_cluster("staging-use1")
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], sagemaker=False).crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("staging-use1", ErrorKind.UNREACHABLE)]
    assert sorted(map(str, result.scopes)) == ["dev-use1", "prod-use1"]


def test_a_stalled_cluster_times_out_alone(clouds):
    clouds.set_faults("staging-use1", stall_s=5)
    started = time.perf_counter()
    result = cloud_collector(clouds, "aws", regions=["us-east-1"], sagemaker=False, timeoutSeconds=0.5).crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("staging-use1", ErrorKind.UNREACHABLE)]
    assert sorted(map(str, result.scopes)) == ["dev-use1", "prod-use1"]
    assert time.perf_counter() - started < 4   # two attempts of 0.5 s, not the 5 s stall


def test_a_missing_profile_is_an_auth_error_of_the_whole_source():
    collector = provider("aws").collector(name="a", settings={"regions": ["us-east-1"], "profile": "no-such-profile"},
                                          credentials={})
    result = collector.crawl()
    assert [(str(e.scope), e.kind) for e in result.errors] == [("*", ErrorKind.AUTH)]
    assert "no-such-profile" in result.errors[0].message


def test_settings_are_checked():
    aws = provider("aws")
    aws.validate({"regions": ["us-east-1"], "kubernetesEndpoints": {"a": "https://10.0.0.1"}}, {})
    for settings, message in (({}, "'regions' is a required property"),
                              ({"regions": ["us-east"]}, "regions.0"),
                              ({"regions": ["us-east-1"], "region": "x"}, "Additional properties"),
                              ({"regions": ["us-east-1"], "kubernetesEndpoints": {"a": "10.0.0.1"}},
                               "kubernetesEndpoints.a")):
        with pytest.raises(CollectorError, match=message):
            aws.validate(settings, {})
    with pytest.raises(CollectorError, match="unknown credential field"):
        aws.validate({"regions": ["us-east-1"]}, {"password": "x"})
    assert aws.secret_fields == ("accessKeyId", "secretAccessKey", "sessionToken")
