"""Azure Resource Manager `Microsoft.ContainerService/managedClusters` and the Entra ID token endpoint,
from the scenario's aks clusters, as azure-mgmt-containerservice reads them.

    GET  /subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters         (nextLink paging)
    GET  /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters
    GET  .../managedClusters/{name}            GET .../managedClusters/{name}/agentPools
    POST .../managedClusters/{name}/listClusterUserCredential   → {"kubeconfigs": [{"name": "clusterUser",
         "value": <base64 kubeconfig for /clusters/<name> with the cluster's token>}]}
    POST /{tenant}/oauth2/v2.0/token           client_credentials for the simulator's service principal

Lists page `page_size` clusters at a time (absolute nextLink with `$skiptoken`). Errors are ARM's
`{"error": {code, message}}`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from collectors.simulator.catalog import GIT_VERSION, zone_of
from collectors.simulator.clouds import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION, CloudFault, form
from collectors.simulator.kube import Reply
from collectors.simulator.nodes import pool_info

if TYPE_CHECKING:
    from collectors.simulator.clouds import CloudAPIs
    from collectors.simulator.scenario import Cluster

_PROVIDER = r"/providers/Microsoft\.ContainerService/managedClusters"
_LIST = re.compile(r"/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?" + _PROVIDER, re.I)
_ONE = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)" + _PROVIDER +
                  r"/(?P<name>[^/]+)(?P<action>/listClusterUserCredential|/agentPools)?", re.I)
_TOKEN = re.compile(r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")


def arm_error(code: int, error: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(code, {"error": {"code": error, "message": message}}, headers)


def fault_reply(fault: CloudFault, subscription: str) -> Reply:
    if fault.kind == "unauthorized":
        return arm_error(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than "
                                                            "current UTC time.")
    if fault.kind == "forbidden":
        return arm_error(403, "AuthorizationFailed", "The client 'footprint-crawler' does not have authorization to "
                         "perform action 'Microsoft.ContainerService/managedClusters/read' over scope "
                         f"'/subscriptions/{subscription}' or the scope is invalid.")
    if fault.kind == "throttled":
        return arm_error(429, "SubscriptionRequestsThrottled", "Number of read requests for subscription "
                         f"'{subscription}' exceeded the limit of '12000' for time interval '01:00:00'.",
                         {"Retry-After": str(fault.retry_after or 1),
                          "x-ms-ratelimit-remaining-subscription-reads": "0"})
    return arm_error(fault.status, "InternalServerError", "Encountered internal server error.")


class ArmApi:
    name = "arm"

    def __init__(self, clouds: CloudAPIs):
        self.clouds = clouds
        self.page_size = 50
        derived = clouds.derive("azure-tenant")
        self.tenant = f"{derived[:8]}-{derived[8:12]}-{derived[12:16]}-{derived[16:20]}-{derived[20:32]}"
        derived = clouds.derive("azure-client")
        self.client_id = f"{derived[:8]}-{derived[8:12]}-{derived[12:16]}-{derived[16:20]}-{derived[20:32]}"
        self.client_secret = "sim~" + clouds.derive("azure-secret")

    # --- requests ----------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str],
               body: bytes) -> Reply | None:
        token = _TOKEN.fullmatch(path)
        if token is not None and method == "POST":
            return self._token(token["tenant"], body)
        one, listing = _ONE.fullmatch(path), _LIST.fullmatch(path)
        if one is None and listing is None:
            return None
        if not self.clouds.bearer_ok(headers, static=self.clouds.azure_token):
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.",
                             {"WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/'
                                                  f'{self.tenant}", error="invalid_token"'})
        match = one or listing
        subscription = match["sub"]
        fault = self.clouds.fault(f"azure:{subscription}")
        if fault is not None:
            return fault_reply(fault, subscription)
        clusters = [c for c in self.clouds.clusters("aks") if (c.subscription or DEFAULT_SUBSCRIPTION) == subscription]
        if not clusters:
            return arm_error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
        if match["rg"]:
            clusters = [c for c in clusters if _group(c).lower() == match["rg"].lower()]
        if one is None:
            return self._page(path, query, clusters, subscription)
        cluster = next((c for c in clusters if c.name == one["name"]), None)
        if cluster is None:
            return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.ContainerService/managedClusters/"
                             f"{one['name']}' under resource group '{one['rg']}' was not found.")
        action = (one["action"] or "").lower()
        if action == "/listclusterusercredential" and method == "POST":
            return Reply(200, {"kubeconfigs": [{"name": "clusterUser", "value": self.user_kubeconfig(cluster)}]})
        if method != "GET" or action == "/listclusterusercredential":
            return arm_error(405, "MethodNotAllowed", f"The fleet simulator does not serve {method} {path}.")
        document = self.cluster_json(cluster, subscription)
        if action == "/agentpools":
            return Reply(200, {"value": [{"id": f"{document['id']}/agentPools/{p['name']}", "name": p["name"],
                                          "type": "Microsoft.ContainerService/managedClusters/agentPools",
                                          "properties": p} for p in document["properties"]["agentPoolProfiles"]]})
        return Reply(200, document)

    def _page(self, path: str, query: Mapping[str, list[str]], clusters: list[Cluster], subscription: str) -> Reply:
        start = int((query.get("$skiptoken") or ["0"])[-1] or 0)
        page = clusters[start:start + self.page_size]
        body: dict[str, Any] = {"value": [self.cluster_json(c, subscription) for c in page]}
        if start + self.page_size < len(clusters):
            version = (query.get("api-version") or ["2026-08-01"])[-1]
            body["nextLink"] = f"{self.clouds.fleet.url}{path}?api-version={version}&$skiptoken={start + len(page)}"
        return Reply(200, body)

    # --- documents -----------------------------------------------------------------------------------------

    def cluster_json(self, cluster: Cluster, subscription: str) -> dict[str, Any]:
        group = _group(cluster)
        version = (cluster.version or GIT_VERSION["aks"]).lstrip("v")
        dns = f"{cluster.name}-dns-{self.clouds.derive('aks-dns', cluster.name, size=4)}"
        return {
            "id": f"/subscriptions/{subscription}/resourcegroups/{group}/providers/Microsoft.ContainerService/"
                  f"managedClusters/{cluster.name}",
            "name": cluster.name, "type": "Microsoft.ContainerService/ManagedClusters", "location": cluster.region,
            "tags": {"managed-by": "fleet-simulator"}, "sku": {"name": "Base", "tier": "Standard"},
            "properties": {
                "provisioningState": "Succeeded", "powerState": {"code": "Running"},
                "kubernetesVersion": version, "currentKubernetesVersion": version, "dnsPrefix": f"{cluster.name}-dns",
                "fqdn": f"{dns}.hcp.{cluster.region}.azmk8s.io",
                "nodeResourceGroup": f"MC_{group}_{cluster.name}_{cluster.region}",
                "agentPoolProfiles": [self._pool_json(cluster, pool, version) for pool in cluster.node_pools],
                "someFutureProperty": True,   # clients must keep going past properties they do not know
            },
        }

    def _pool_json(self, cluster: Cluster, pool, version: str) -> dict[str, Any]:
        info = pool_info(cluster, pool)
        document: dict[str, Any] = {
            "name": pool.name, "count": pool.count, "vmSize": info.instance_type, "osType": "Linux",
            "mode": "System" if pool.name.startswith("system") else "User", "type": "VirtualMachineScaleSets",
            "orchestratorVersion": version, "provisioningState": "Succeeded", "powerState": {"code": "Running"},
            "availabilityZones": [zone_of("azure", cluster.region, i).rsplit("-", 1)[-1] for i in range(3)],
            "enableAutoScaling": pool.autoscaling is not None,
            "nodeTaints": [f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in info.taints],
        }
        if pool.autoscaling:
            document["minCount"], document["maxCount"] = pool.autoscaling
        if pool.labels:
            document["nodeLabels"] = dict(pool.labels)
        if pool.spot:
            document["scaleSetPriority"] = "Spot"
        return document

    def user_kubeconfig(self, cluster: Cluster) -> str:
        """What listClusterUserCredential returns for a cluster with local accounts: base64 of a kubeconfig."""
        document = self.clouds.fleet.kubeconfig_document([cluster.name])
        user = f"clusterUser_{_group(cluster)}_{cluster.name}"
        document["users"][0]["name"] = document["contexts"][0]["context"]["user"] = user
        return base64.b64encode(yaml.safe_dump(document, sort_keys=False).encode()).decode()

    # --- Entra ID --------------------------------------------------------------------------------------------

    def _token(self, tenant: str, body: bytes) -> Reply:
        fields = form(body)
        if tenant != self.tenant:
            return Reply(400, {"error": "invalid_tenant",
                               "error_description": f"AADSTS90002: Tenant '{tenant}' not found."})
        if fields.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return Reply(401, {"error": "invalid_client",
                               "error_description": "AADSTS7000215: Invalid client secret provided."})
        return Reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                           "access_token": self.clouds.issue("eyJ0eXAiOiJKV1QifQ.sim-")})


def _group(cluster: Cluster) -> str:
    return cluster.resource_group or DEFAULT_RESOURCE_GROUP
