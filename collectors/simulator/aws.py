"""AWS for the simulator: moto in server mode (its own port), seeded from the scenario, with per-region and
per-account faults in front, and the check an EKS API server makes of an IAM token.

Seeding, through boto3 against the server (so it is what any client would see):
- per AWS account an IAM user `footprint-crawler` and its access key (moto maps the key to that account);
- per eks cluster: the EKS cluster, and one managed node group per pool that is not Karpenter's
  (instance type, scalingConfig from `count` / `autoscaling`, labels, taints, capacity type);
- per `sagemaker:` endpoint: a model per variant (image + env, HF_MODEL_ID for the Hugging Face DLCs),
  an endpoint config, the endpoint with its tags, an application-autoscaling target per variant with
  `autoscaling`; CreationTime set to `createdAt`.

moto's SageMaker checks instance types against an old list without ml.g5/ml.p4d/ml.g6; that check is
switched off (the shared reference testing-real-clients.md §2). moto's state is process-wide: starting a
cloud-enabled simulator resets it, so run one at a time per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from collectors.simulator.catalog import GIT_VERSION, INSTANCE_TYPES
from collectors.simulator.clouds import DEFAULT_ACCOUNT, CloudFault, CloudRequest
from collectors.simulator.nodes import pool_info

if TYPE_CHECKING:
    from collectors.simulator.clouds import CloudAPIs
    from collectors.simulator.scenario import Cluster, SageMakerEndpoint, SageMakerVariant

EKS_TOKEN_PREFIX = "k8s-aws-v1."
EKS_TOKEN_LIFETIME = timedelta(minutes=15)     # how long an EKS API server honours a presigned URL
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
DLC_IMAGES = {   # the AWS / Hugging Face deep learning containers SageMaker endpoints usually run
    "tgi": "763104351884.dkr.ecr.{region}.amazonaws.com/huggingface-pytorch-tgi-inference:"
           "2.4.0-tgi2.3.1-gpu-py311-cu124-ubuntu22.04",
    "tei": "683313688378.dkr.ecr.{region}.amazonaws.com/huggingface-tei:2.0.1-tei1.4.0-gpu-py310-cu122-ubuntu22.04",
    "vllm": "763104351884.dkr.ecr.{region}.amazonaws.com/vllm:0.9.1-gpu-py312-cu128-ubuntu22.04-sagemaker",
}


class _FaultyMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose WSGI app answers a request with the fault its region/account has, if any."""

    def __init__(self, clouds: CloudAPIs):
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.clouds = clouds

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, _faults(app, self.clouds), True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def _faults(app, clouds: CloudAPIs):
    from moto.iam.models import get_account_id_from

    def middleware(environ, start_response):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if "Credential=" not in auth or environ.get("PATH_INFO", "").startswith("/moto-api"):
            return app(environ, start_response)
        key, _, region, service = auth.split("Credential=", 1)[1].split(",")[0].split("/")[:4]
        query = environ.get("QUERY_STRING")
        what = environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO", "") + (f"?{query}" if query else "")

        def recorded(status: str, headers, exc_info=None):   # the request log: `sim.cloud_requests("aws")`
            clouds.requests.append(CloudRequest("aws", environ["REQUEST_METHOD"], f"{region}/{service} {what}",
                                                int(status.split()[0])))
            return start_response(status, headers, exc_info)

        fault = clouds.fault(f"aws:{region}", f"aws:{get_account_id_from(key)}", service=service)
        if fault is not None:
            return _error(environ, recorded, fault)
        return app(environ, recorded)

    return middleware


def _error(environ, start_response, fault: CloudFault):
    code, status, message = {
        "unauthorized": ("UnrecognizedClientException", 403, "The security token included in the request is invalid."),
        "forbidden": ("AccessDeniedException", 403, "User: arn:aws:iam::user/footprint-crawler is not authorized "
                                                    "to perform this operation"),
        "throttled": ("ThrottlingException", 400, "Rate exceeded"),
    }.get(fault.kind, ("InternalFailure" if fault.status == 500 else "ServiceUnavailable", fault.status,
                       "simulated fault"))
    json_protocol = bool(environ.get("HTTP_X_AMZ_TARGET")) or "json" in environ.get("CONTENT_TYPE", "") \
        or environ.get("REQUEST_METHOD") == "GET"
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:   # query protocol (STS, IAM)
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code.removesuffix('Exception')}</Code>"
                f"<Message>{message}</Message></Error><RequestId>sim</RequestId></ErrorResponse>").encode()
        headers = [("Content-Type", "text/xml")]
    start_response(f"{status} {'Bad Request' if status == 400 else 'Error'}",
                   [*headers, ("Content-Length", str(len(body)))])
    return [body]


class AwsCloud:
    def __init__(self, clouds: CloudAPIs):
        self.clouds = clouds
        self.server = _FaultyMotoServer(clouds)
        self.keys: dict[str, tuple[str, str]] = {}    # account → (access key id, secret)
        self.regions: dict[str, set[str]] = {}        # account → regions with clusters or endpoints
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> None:
        import moto.sagemaker.models as sagemaker_models
        import requests

        # moto validates SageMaker instance types against a list without ml.g5/ml.p4d/ml.g6 (see module doc).
        sagemaker_models.FakeEndpointConfig.validate_instance_type = lambda self, instance_type: None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server.start()
        requests.post(f"{self.url}/moto-api/reset", timeout=10)
        self._seed()

    def stop(self) -> None:
        self.server.stop()

    def sources(self) -> list[dict[str, Any]]:
        eks = self.clouds.clusters("eks")
        return [{
            "name": f"aws-{account}", "kind": "aws",
            "settings": {"regions": sorted(self.regions[account]), "endpointUrl": self.url,
                         "kubernetesEndpoints": {c.name: self.clouds.fleet.cluster_url(c.name) for c in eks
                                                 if (c.account or DEFAULT_ACCOUNT) == account}},
            "credentials": {"accessKeyId": key, "secretAccessKey": secret},
        } for account, (key, secret) in sorted(self.keys.items())]

    # --- seeding ------------------------------------------------------------------------------------------

    def client(self, service: str, account: str, region: str = "us-east-1"):
        import boto3

        key, secret = self.keys[account]
        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret)

    def _seed(self) -> None:
        scenario = self.clouds.fleet.scenario
        for cluster in self.clouds.clusters("eks"):
            self.regions.setdefault(cluster.account or DEFAULT_ACCOUNT, set()).add(cluster.region)
        for endpoint in scenario.sagemaker:
            self.regions.setdefault(endpoint.account or DEFAULT_ACCOUNT, set()).add(endpoint.region)
        for account in sorted(self.regions):
            self._user(account)
        for cluster in self.clouds.clusters("eks"):
            self._eks(cluster)
        for endpoint in scenario.sagemaker:
            self._endpoint(endpoint)

    def _user(self, account: str) -> None:
        import boto3

        iam = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="seed",
                           aws_secret_access_key="seed")
        iam.meta.events.register("before-sign.iam.*", lambda request, **_: request.headers.__setitem__(
            "x-moto-account-id", account))
        iam.create_user(UserName="footprint-crawler")
        key = iam.create_access_key(UserName="footprint-crawler")["AccessKey"]
        self.keys[account] = (key["AccessKeyId"], key["SecretAccessKey"])

    def _eks(self, cluster: Cluster) -> None:
        account = cluster.account or DEFAULT_ACCOUNT
        eks = self.client("eks", account, cluster.region)
        role = f"arn:aws:iam::{account}:role/eks-cluster"
        version = ".".join((cluster.version or GIT_VERSION["eks"]).lstrip("v").split(".")[:2])
        eks.create_cluster(name=cluster.name, version=version, roleArn=role,
                           resourcesVpcConfig={"subnetIds": ["subnet-0a1", "subnet-0b2"]},
                           tags={"managed-by": "fleet-simulator"})
        for pool in cluster.node_pools:
            if pool.karpenter:
                continue   # Karpenter's nodes belong to no managed node group
            info = pool_info(cluster, pool)
            low, high = pool.autoscaling or (pool.count, pool.count)
            eks.create_nodegroup(
                clusterName=cluster.name, nodegroupName=pool.name, nodeRole=f"arn:aws:iam::{account}:role/eks-node",
                subnets=["subnet-0a1", "subnet-0b2"], instanceTypes=[info.instance_type or "m6i.2xlarge"],
                scalingConfig={"minSize": low, "maxSize": max(high, pool.count), "desiredSize": pool.count},
                amiType="AL2_x86_64_GPU" if info.gpu else "AL2_x86_64",
                capacityType="SPOT" if pool.spot else "ON_DEMAND", labels=dict(pool.labels),
                taints=[{"key": t["key"], "value": t.get("value", ""),
                         "effect": {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}.get(
                             t["effect"], "PREFER_NO_SCHEDULE")} for t in info.taints])

    def _endpoint(self, endpoint: SageMakerEndpoint) -> None:
        account = endpoint.account or DEFAULT_ACCOUNT
        sagemaker = self.client("sagemaker", account, endpoint.region)
        role = f"arn:aws:iam::{account}:role/sagemaker-execution"
        variants = []
        for variant in endpoint.variants:
            model_name = f"{endpoint.name}-{variant.name}".lower()[:63]
            sagemaker.create_model(ModelName=model_name, ExecutionRoleArn=role,
                                   PrimaryContainer=_container(variant, endpoint.region))
            variants.append({"VariantName": variant.name, "ModelName": model_name,
                             "InitialInstanceCount": variant.instance_count, "InstanceType": variant.instance_type,
                             "InitialVariantWeight": variant.weight})
        config = f"{endpoint.name}-config"[:63]
        sagemaker.create_endpoint_config(EndpointConfigName=config, ProductionVariants=variants)
        sagemaker.create_endpoint(EndpointName=endpoint.name, EndpointConfigName=config,
                                  Tags=[{"Key": k, "Value": v} for k, v in endpoint.tags.items()])
        scaling = self.client("application-autoscaling", account, endpoint.region)
        for variant in endpoint.variants:
            if variant.autoscaling:
                scaling.register_scalable_target(
                    ServiceNamespace="sagemaker", ResourceId=f"endpoint/{endpoint.name}/variant/{variant.name}",
                    ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                    MinCapacity=variant.autoscaling[0], MaxCapacity=variant.autoscaling[1])
        if endpoint.created_at:
            from moto.sagemaker.models import sagemaker_backends

            created = datetime.fromisoformat(endpoint.created_at.replace("Z", "+00:00"))
            fake = sagemaker_backends[account][endpoint.region].endpoints[endpoint.name]
            fake.creation_time = created.astimezone(UTC).replace(tzinfo=None)   # moto keeps naive UTC

    # --- EKS IAM tokens ------------------------------------------------------------------------------------

    def secret_for(self, access_key: str) -> str | None:
        """The secret of a key moto issued (an IAM user's, or an assumed role's session credentials)."""
        from moto.iam.models import get_account_id_from, iam_backends

        account = get_account_id_from(access_key)
        for partition in iam_backends[account].values():
            key = partition.access_keys.get(access_key)
            if key is not None:
                return key.secret_access_key
        return None

    def verify_eks_token(self, token: str, cluster: str, *, now: datetime | None = None) -> str | None:
        """None when `token` is an EKS token for `cluster`, else why not (what aws-iam-authenticator checks:
        a presigned sts:GetCallerIdentity URL, `x-k8s-aws-id` signed in, signature valid, not expired)."""
        if not token.startswith(EKS_TOKEN_PREFIX):
            return "not an EKS token"
        raw = token[len(EKS_TOKEN_PREFIX):]
        try:
            url = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return "token is not base64url"
        parts = urlsplit(url)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if params.get("Action") != "GetCallerIdentity" or params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return "not a presigned GetCallerIdentity request"
        signed = params.get("X-Amz-SignedHeaders", "").split(";")
        if "x-k8s-aws-id" not in signed or "host" not in signed:
            return "x-k8s-aws-id is not signed"
        try:
            key, day, region, service, _ = params["X-Amz-Credential"].split("/")
            stamp = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except (KeyError, ValueError):
            return "malformed credential"
        if (now or datetime.now(UTC)) > stamp + EKS_TOKEN_LIFETIME:
            return "token expired"
        secret = self.secret_for(key)
        if secret is None:
            return "unknown access key"
        pairs = sorted(p.partition("=")[::2] for p in parts.query.split("&") if not p.startswith("X-Amz-Signature="))
        canonical = "\n".join(["GET", parts.path or "/", "&".join(f"{k}={v}" for k, v in pairs),
                               f"host:{parts.netloc}\nx-k8s-aws-id:{cluster}\n", "host;x-k8s-aws-id", _EMPTY_SHA256])
        scope = f"{day}/{region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signing = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
            return "signature does not match (another cluster's token, or not signed by AWS credentials)"
        return None


def _container(variant: SageMakerVariant, region: str) -> dict[str, Any]:
    image = variant.image or DLC_IMAGES.get(variant.engine, DLC_IMAGES["tgi"]).format(region=region)
    env: dict[str, str] = {}
    if variant.model:
        env["HF_MODEL_ID"] = variant.model
    if variant.engine == "tgi" and not variant.image:
        gpus = INSTANCE_TYPES.get(variant.instance_type.removeprefix("ml."), (None, 0))[1]
        env.update({"SM_NUM_GPUS": json.dumps(max(gpus, 1)), "MAX_INPUT_LENGTH": "4095", "MAX_TOTAL_TOKENS": "4096"})
    env.update(variant.env)
    container: dict[str, Any] = {"Image": image, "Environment": env}
    if variant.model_data:
        container["ModelDataUrl"] = variant.model_data
    return container
