"""AWS: EKS clusters (crawled through the Kubernetes crawler with an EKS IAM token) and SageMaker real-time
endpoints (one ModelSpec per production variant), in the configured regions of one account.

- EKS: list_clusters (paginated) → describe_cluster → list/describe_nodegroup (instance types → GPUs, used
  where a node's labels do not tell) → the cluster's Kubernetes API with a token made like
  `aws eks get-token`: a presigned sts:GetCallerIdentity URL signed with the `x-k8s-aws-id: <cluster>`
  header, base64url, prefixed `k8s-aws-v1.`; a fresh one per cluster crawl.
- SageMaker: list_endpoints → describe_endpoint (instance counts) + describe_endpoint_config (instance type
  per variant) + describe_model (image, env) + list_tags; application-autoscaling gives min/max. The engine
  is what the container's image/env says (the Hugging Face TGI/TEI DLCs, vLLM), else `sagemaker`. Each
  GPU instance is capacity too (a GpuNode of pseudo-cluster `sagemaker:<region>`).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from collectors.cloud import CloudCollector, Discovery, PoolHardware, invalid, settings_schema
from collectors.detect import owners, runtimes
from collectors.detect.accelerators import accelerator_for_instance_type
from collectors.detect.models import model_from_container
from collectors.errors import CollectorError, classify_aws
from collectors.spec import Accelerator, GpuNode, ModelRef, ModelSpec, Replicas, Runtime, Scope, WorkloadRef

EKS_TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
_LIVE_CLUSTER = ("ACTIVE", "UPDATING")

AWS_SCHEMA = settings_schema({
    "regions": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-\\d$"},
                "description": "regions to look in (EKS clusters and SageMaker endpoints)"},
    "roleArn": {"type": "string", "pattern": "^arn:aws[-a-z]*:iam::\\d{12}:role/",
                "description": "role to assume first (cross-account access)"},
    "externalId": {"type": "string", "description": "external id the role's trust policy asks for"},
    "profile": {"type": "string", "description": "named profile on the Footprint host (instead of keys)"},
    "endpointUrl": {"type": "string", "pattern": "^https?://",
                    "description": "one endpoint for every AWS API (a proxy or a local emulator)"},
    "eks": {"type": "boolean", "description": "discover and crawl EKS clusters (default true)"},
    "sagemaker": {"type": "boolean", "description": "list SageMaker real-time endpoints (default true)"},
    "apiPageSize": {"type": "integer", "minimum": 1, "maximum": 100, "description": "page size of AWS list calls"},
}, required=("regions",))
AWS_SECRETS = ("accessKeyId", "secretAccessKey", "sessionToken")


class AwsCollector(CloudCollector):
    cloud = "aws"

    def discover(self, *, progress: Callable[[str], Any] | None) -> Discovery:
        from botocore.exceptions import BotoCoreError

        try:
            session = self._session()
        except BotoCoreError as exc:   # a profile that does not exist, a broken config file
            raise classify_aws(exc) from exc
        jobs: list[Callable[[], Discovery]] = []
        for region in self.settings["regions"]:
            # Clients are made here, in one thread: a boto3 Session is not thread-safe, its clients are.
            if self.settings.get("eks", True):
                clients = self._clients(session, ("eks", "sts"), region)
                jobs.append(lambda r=region, c=clients: self._eks(r, c))
            if self.settings.get("sagemaker", True):
                clients = self._clients(session, ("sagemaker", "application-autoscaling"), region)
                jobs.append(lambda r=region, c=clients: self._sagemaker(r, c))
        found = self.gather(jobs)
        if progress:
            progress(f"aws: {len(found.targets)} EKS clusters, {len(found.result.specs)} SageMaker variants, "
                     f"{len(found.result.errors)} errors in {', '.join(self.settings['regions'])}")
        return found

    # --- clients ------------------------------------------------------------------------------------------

    def _session(self):
        import boto3

        keys = self.credentials
        if bool(keys.get("accessKeyId")) != bool(keys.get("secretAccessKey")):
            raise invalid("credentials need both accessKeyId and secretAccessKey")
        if keys.get("accessKeyId"):
            session = boto3.Session(aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"],
                                    aws_session_token=keys.get("sessionToken") or None)
        else:   # the default chain: environment, profile, IRSA / pod identity, instance role
            session = boto3.Session(profile_name=self.settings.get("profile"))
        if not self.settings.get("roleArn"):
            return session
        sts = session.client("sts", region_name=self.settings["regions"][0], **self._client_kwargs())
        kwargs = {"RoleArn": self.settings["roleArn"], "RoleSessionName": "footprint-crawler"}
        if self.settings.get("externalId"):
            kwargs["ExternalId"] = self.settings["externalId"]
        assumed = self.call(lambda: sts.assume_role(**kwargs)["Credentials"], classify_aws)
        return boto3.Session(aws_access_key_id=assumed["AccessKeyId"], aws_secret_access_key=assumed["SecretAccessKey"],
                             aws_session_token=assumed["SessionToken"])

    def _client_kwargs(self) -> dict[str, Any]:
        from botocore.config import Config

        # One attempt per call (Config's `max_attempts` counts retries, `total_max_attempts` attempts):
        # retries are decided once, in collectors.errors.
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=min(self.timeout, 10.0),
                        read_timeout=self.timeout, user_agent_extra="model-footprint")
        return {"config": config, "endpoint_url": self.settings.get("endpointUrl") or None}

    def _clients(self, session, services: tuple[str, ...], region: str) -> dict[str, Any]:
        return {service: session.client(service, region_name=region, **self._client_kwargs()) for service in services}

    def _pages(self, client, operation: str, key: str, **params: Any) -> list[Any]:
        size = int(self.settings.get("apiPageSize", 100))
        paginator = client.get_paginator(operation)
        return self.call(lambda: [item for page in paginator.paginate(**params, PaginationConfig={"PageSize": size})
                                  for item in page[key]], classify_aws)

    # --- EKS --------------------------------------------------------------------------------------------------

    def _eks(self, region: str, clients: Mapping[str, Any]) -> Discovery:
        found = Discovery()
        eks = clients["eks"]
        try:
            names = self._pages(eks, "list_clusters", "clusters")
        except CollectorError as error:
            found.fail(Scope(cluster=f"eks:{region}"), error, f"EKS clusters in {region}")
            return found
        token = _EksTokens(clients["sts"])
        for name in filter(self.wanted, names):
            try:
                cluster = self.call(lambda n=name: eks.describe_cluster(name=n)["cluster"], classify_aws)
            except CollectorError as error:
                found.fail(Scope(cluster=name), error, f"EKS cluster {name}")
                continue
            if cluster.get("status") not in _LIVE_CLUSTER or not cluster.get("endpoint"):
                continue   # creating, deleting or failed: no API to ask
            found.pools[name] = self._nodegroups(eks, name)
            found.targets.append(self.target(
                name=name, region=region, server=cluster["endpoint"],
                ca_data=(cluster.get("certificateAuthority") or {}).get("data"),
                token_provider=lambda n=name: token(n)))
        return found

    def _nodegroups(self, eks, cluster: str) -> dict[str, PoolHardware]:
        """Managed node groups → hardware. Only fills in what node labels lack, so a failure costs nothing."""
        pools: dict[str, PoolHardware] = {}
        try:
            for group in self._pages(eks, "list_nodegroups", "nodegroups", clusterName=cluster):
                described = self.call(lambda g=group: eks.describe_nodegroup(clusterName=cluster, nodegroupName=g),
                                      classify_aws)["nodegroup"]
                types = described.get("instanceTypes") or []
                found = accelerator_for_instance_type(types[0]) if len(types) == 1 else None
                pools[group] = PoolHardware(types[0] if len(types) == 1 else None, found[0] if found else None)
        except CollectorError:
            pass
        return pools

    # --- SageMaker --------------------------------------------------------------------------------------------

    def _sagemaker(self, region: str, clients: Mapping[str, Any]) -> Discovery:
        found = Discovery()
        scope = Scope(cluster=f"sagemaker:{region}")
        sagemaker = clients["sagemaker"]
        try:
            endpoints = self._pages(sagemaker, "list_endpoints", "Endpoints")
        except CollectorError as error:
            found.fail(scope, error, f"SageMaker endpoints in {region}")
            return found
        complete = True
        try:
            scaling = self._scalable_targets(clients["application-autoscaling"])
        except CollectorError as error:   # min/max unknown: the specs go on, the scope is not complete
            found.fail(scope, error, f"SageMaker autoscaling in {region}")
            scaling, complete = {}, False
        for summary in endpoints:
            name = summary["EndpointName"]
            try:
                self._endpoint(sagemaker, region, name, scaling, found)
            except CollectorError as error:
                if "Could not find" in error.message:
                    continue   # deleted between the list and the describe
                found.fail(scope, error, f"SageMaker endpoint {name}")
                complete = False
        if complete:
            found.result.scopes.append(scope)
        return found

    def _scalable_targets(self, autoscaling) -> dict[tuple[str, str], tuple[int, int]]:
        targets = self._pages(autoscaling, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="sagemaker")
        bounds = {}
        for target in targets:
            parts = target["ResourceId"].split("/")   # endpoint/<name>/variant/<variant>
            if len(parts) == 4 and target.get("ScalableDimension") == "sagemaker:variant:DesiredInstanceCount":
                bounds[(parts[1], parts[3])] = (int(target["MinCapacity"]), int(target["MaxCapacity"]))
        return bounds

    def _endpoint(self, sagemaker, region: str, name: str, scaling: Mapping[tuple[str, str], tuple[int, int]],
                  found: Discovery) -> None:
        endpoint = self.call(lambda: sagemaker.describe_endpoint(EndpointName=name), classify_aws)
        config = self.call(lambda: sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"]),
                           classify_aws)
        tags = {t["Key"]: t["Value"] for t in self.call(
            lambda: sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", []), classify_aws)}
        live = {v["VariantName"]: v for v in endpoint.get("ProductionVariants") or []}
        variants = [(v, False) for v in config.get("ProductionVariants") or []]
        variants += [(v, True) for v in config.get("ShadowProductionVariants") or []]
        models: dict[str, dict[str, Any]] = {}
        for variant, shadow in variants:
            model_name = variant.get("ModelName")
            if model_name and model_name not in models:
                models[model_name] = self.call(lambda m=model_name: sagemaker.describe_model(ModelName=m), classify_aws)
            spec = _variant_spec(endpoint=endpoint, variant=variant, live=live.get(variant["VariantName"], {}),
                                 model=models.get(model_name or "", {}), tags=tags, region=region, shadow=shadow,
                                 several=len(variants) > 1, bounds=scaling.get((name, variant["VariantName"])),
                                 source=self.name, observed_at=self.observed_at)
            found.result.specs.append(spec)
            found.result.gpu_nodes.extend(_instances(spec, variant))


class _EksTokens:
    """`aws eks get-token`: a presigned GetCallerIdentity URL with the cluster name signed in as a header."""

    def __init__(self, sts):
        self.sts = sts
        self.lock = threading.Lock()
        sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", self._take_cluster_id)
        sts.meta.events.register("before-sign.sts.GetCallerIdentity", self._add_header)

    def __call__(self, cluster: str) -> str:
        with self.lock:
            url = self.sts.generate_presigned_url("get_caller_identity", Params={CLUSTER_ID_HEADER: cluster},
                                                  ExpiresIn=60, HttpMethod="GET")
        return EKS_TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")

    @staticmethod
    def _take_cluster_id(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if CLUSTER_ID_HEADER in params:
            context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)

    @staticmethod
    def _add_header(request, **_: Any) -> None:
        if CLUSTER_ID_HEADER in request.context:
            request.headers[CLUSTER_ID_HEADER] = request.context[CLUSTER_ID_HEADER]


def _variant_spec(*, endpoint: Mapping[str, Any], variant: Mapping[str, Any], live: Mapping[str, Any],
                  model: Mapping[str, Any], tags: Mapping[str, str], region: str, shadow: bool, several: bool,
                  bounds: tuple[int, int] | None, source: str, observed_at) -> ModelSpec:
    name, variant_name = endpoint["EndpointName"], variant["VariantName"]
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else list(model.get("Containers") or [])
    as_pod = [{"name": f"{variant_name}-{i}", "image": c.get("Image"),
               "env": [{"name": k, "value": v} for k, v in (c.get("Environment") or {}).items()]}
              for i, c in enumerate(containers)]
    match = runtimes.best_engine(as_pod)
    engine = match.engine if match else "sagemaker"
    container = match.container if match else (as_pod[0] if as_pod else {})
    finding = model_from_container(engine, container)
    model_ref = finding.model
    artifacts = next((c.get("ModelDataUrl") for c in containers if c.get("ModelDataUrl")), None)
    if model_ref.uri is None and artifacts:
        model_ref = ModelRef(model_ref.name, model_ref.version, artifacts)
    instance_type = variant.get("InstanceType")
    hardware = accelerator_for_instance_type(instance_type)
    desired = live.get("DesiredInstanceCount", variant.get("InitialInstanceCount"))
    ready = live.get("CurrentInstanceCount") if endpoint.get("EndpointStatus") in ("InService", "Updating") else 0
    accelerator = Accelerator()
    if hardware is not None:
        total = hardware[1] * desired if desired is not None else None
        accelerator = Accelerator(hardware[0], hardware[1], total, f"sagemaker:instanceType={instance_type}")
    lowered = {k.lower(): v for k, v in tags.items()}   # AWS tags are often capitalised (Team, Environment)
    environment, _ = owners.environment_from(labels=lowered, namespace=None, cluster=None, name=name)
    owner = owners.owner_from([{"labels": lowered}])
    if owner.source and owner.source.startswith("label:"):
        owner = replace(owner, source="tag:" + owner.source.removeprefix("label:"))
    return ModelSpec(
        workload=WorkloadRef(kind="SageMakerEndpoint", name=name, cloud="aws", region=region,
                             cluster=f"sagemaker:{region}", unit=variant_name if several else None,
                             uid=endpoint.get("EndpointArn"), source=source, created_at=endpoint.get("CreationTime")),
        model=model_ref,
        runtime=Runtime(engine=engine, platform="sagemaker", image=container.get("image"),
                        engine_version=runtimes.engine_version(engine, container.get("image")) if match else None,
                        settings=finding.settings),
        replicas=Replicas(desired=desired, ready=ready, min=bounds[0] if bounds else None,
                          max=bounds[1] if bounds else None, autoscaled=bounds is not None),
        accelerator=accelerator,
        owner=owner,
        environment=environment,
        variant="shadow" if shadow else owners.variant_from(labels=lowered, name=f"{name}-{variant_name}"),
        labels=dict(tags),
        observed_at=observed_at,
    )


def _instances(spec: ModelSpec, variant: Mapping[str, Any]) -> list[GpuNode]:
    """A SageMaker variant's instances are its capacity: all of it serves this one model."""
    per = spec.accelerator.per_replica
    if not per or not spec.replicas.desired:
        return []
    pool = f"{spec.workload.name}/{variant['VariantName']}"
    return [GpuNode(cluster=spec.workload.cluster or "", name=f"{pool}/{i}", cloud="aws", region=spec.workload.region,
                    pool=pool, instance_type=variant.get("InstanceType"), accelerator=spec.accelerator.type, allocatable=per,
                    requested=per, serving_requested=per, pods=1) for i in range(spec.replicas.desired)]
