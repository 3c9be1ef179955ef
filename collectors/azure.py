"""Azure: AKS clusters in the configured subscriptions, each crawled with the kubeconfig that
`listClusterUserCredential` hands out (what `az aks get-credentials` writes).

`ContainerServiceClient.managed_clusters.list()` (or `list_by_resource_group` for the configured resource
groups) pages through nextLinks; agent pool profiles give VM sizes → GPUs. Stopped clusters are skipped.

Credentials: a service principal (`tenantId`, `clientId` settings + `clientSecret`) through azure-identity
when it is installed, else through the small client-credentials flow below; or a ready ARM access token
(`accessToken`, e.g. `az account get-access-token`).
"""

from __future__ import annotations

import base64
import re
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import yaml

from collectors.cloud import CloudCollector, Discovery, PoolHardware, invalid, settings_schema
from collectors.detect.accelerators import accelerator_for_instance_type
from collectors.errors import CollectorError, classify_azure
from collectors.spec import CrawlResult, Scope

ARM = "https://management.azure.com"
AUTHORITY = "https://login.microsoftonline.com"
ARM_SCOPE = "https://management.azure.com/.default"
_GUID = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
_GROUP = re.compile(r"/resourcegroups/(?P<group>[^/]+)/", re.I)

AZURE_SCHEMA = settings_schema({
    "subscriptions": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _GUID},
                      "description": "subscription ids to look in"},
    "resourceGroups": {"type": "array", "items": {"type": "string"},
                       "description": "only these resource groups (default: the whole subscription)"},
    "tenantId": {"type": "string", "description": "Entra ID tenant of the service principal"},
    "clientId": {"type": "string", "description": "application (client) id of the service principal"},
    "armEndpoint": {"type": "string", "pattern": "^https?://", "description": f"default {ARM}"},
    "authorityHost": {"type": "string", "pattern": "^https?://", "description": f"default {AUTHORITY}"},
}, required=("subscriptions",))
AZURE_SECRETS = ("clientSecret", "accessToken")


class AzureCollector(CloudCollector):
    cloud = "azure"

    def crawl(self, *, progress: Callable[[str], Any] | None = None) -> CrawlResult:
        # The user kubeconfigs live in files only for the length of the crawl.
        with tempfile.TemporaryDirectory(prefix="footprint-aks-") as directory:
            self._directory = directory
            return super().crawl(progress=progress)

    def discover(self, *, progress: Callable[[str], Any] | None) -> Discovery:
        from azure.mgmt.containerservice import ContainerServiceClient

        credential = self._credential()
        arm = (self.settings.get("armEndpoint") or ARM).rstrip("/")
        # Bearer tokens over plain http (a local proxy or emulator) have to be allowed call by call.
        per_call = {"enforce_https": False} if arm.startswith("http://") else {}
        jobs = []
        for subscription in self.settings["subscriptions"]:
            client = ContainerServiceClient(credential, subscription, base_url=arm, retry_total=0,
                                            connection_timeout=min(self.timeout, 10.0), read_timeout=self.timeout)
            jobs.append(lambda c=client, s=subscription: self._subscription(c, s, per_call))
        found = self.gather(jobs)
        if progress:
            progress(f"azure: {len(found.targets)} AKS clusters in {len(self.settings['subscriptions'])} "
                     f"subscriptions, {len(found.result.errors)} errors")
        return found

    def _subscription(self, client, subscription: str, per_call: dict[str, Any]) -> Discovery:
        found = Discovery()
        clusters = client.managed_clusters
        try:
            if self.settings.get("resourceGroups"):
                listed = [mc for group in self.settings["resourceGroups"] for mc in self.call(
                    lambda g=group: list(clusters.list_by_resource_group(g, **per_call)), classify_azure)]
            else:
                listed = self.call(lambda: list(clusters.list(**per_call)), classify_azure)
        except CollectorError as error:
            found.fail(Scope(cluster=f"aks:{subscription}"), error, f"AKS clusters of subscription {subscription}")
            return found
        for cluster in listed:
            properties = cluster.properties
            power = getattr(getattr(properties, "power_state", None), "code", None)
            if not self.wanted(cluster.name) or str(power).lower() == "stopped":
                continue
            group = _GROUP.search(cluster.id + "/")
            try:
                if group is None:
                    raise invalid(f"no resource group in {cluster.id}")
                result = self.call(lambda g=group["group"], n=cluster.name: clusters.list_cluster_user_credentials(
                    g, n, **per_call), classify_azure)
                kubeconfig = _kubeconfig(result)
            except CollectorError as error:
                found.fail(Scope(cluster=cluster.name), error, f"user credentials of AKS cluster {cluster.name}")
                continue
            found.pools[cluster.name] = {p.name: _hardware(p.vm_size) for p in properties.agent_pool_profiles or []}
            found.targets.append(self.kubeconfig_target(name=cluster.name, region=cluster.location,
                                                        kubeconfig=kubeconfig, directory=self._directory))
        return found

    def _credential(self):
        if self.credentials.get("accessToken"):
            return StaticTokenCredential(self.credentials["accessToken"])
        secret = self.credentials.get("clientSecret")
        tenant, client_id = self.settings.get("tenantId"), self.settings.get("clientId")
        if not (secret and tenant and client_id):
            raise invalid("an azure source needs settings.tenantId + settings.clientId + credentials.clientSecret, "
                          "or credentials.accessToken")
        authority = (self.settings.get("authorityHost") or AUTHORITY).rstrip("/")
        try:
            from azure.identity import ClientSecretCredential
        except ImportError:
            return ClientSecretFlow(tenant, client_id, secret, authority=authority, timeout=self.timeout)
        return ClientSecretCredential(tenant, client_id, secret, authority=authority)


class StaticTokenCredential:
    """An ARM access token obtained elsewhere (valid for about an hour)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


class ClientSecretFlow:
    """The OAuth 2.0 client-credentials grant against Entra ID (what azure-identity's ClientSecretCredential
    does), for hosts without azure-identity. Tokens are cached until five minutes before they expire."""

    def __init__(self, tenant: str, client_id: str, secret: str, *, authority: str, timeout: float):
        self.url = f"{authority}/{tenant}/oauth2/v2.0/token"
        self.client_id, self.secret, self.timeout = client_id, secret, timeout
        self._cached: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any):
        import requests
        from azure.core.credentials import AccessToken
        from azure.core.exceptions import ClientAuthenticationError

        with self._lock:
            cached = self._cached.get(scopes)
            if cached is not None and cached.expires_on - 300 > time.time():
                return cached
            response = requests.post(self.url, timeout=self.timeout, data={
                "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret,
                "scope": " ".join(scopes or (ARM_SCOPE,))})
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code != 200 or "access_token" not in body:
                raise ClientAuthenticationError(
                    message=f"Entra ID token request failed ({response.status_code}): "
                            f"{body.get('error_description') or body.get('error') or response.text[:200]}")
            token = AccessToken(body["access_token"], int(time.time()) + int(body.get("expires_in", 3600)))
            self._cached[scopes] = token
            return token


def _kubeconfig(result) -> dict[str, Any]:
    entries = list(getattr(result, "kubeconfigs", None) or [])
    if not entries or not entries[0].value:
        raise invalid("listClusterUserCredential returned no kubeconfig")
    value = entries[0].value
    raw = bytes(value) if isinstance(value, bytes | bytearray) else base64.b64decode(value)
    try:
        document = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise invalid(f"listClusterUserCredential returned a kubeconfig that is not YAML: {exc}") from None
    if not isinstance(document, dict) or not document.get("clusters"):
        raise invalid("listClusterUserCredential returned a kubeconfig without clusters")
    return document


def _hardware(vm_size: str | None) -> PoolHardware:
    found = accelerator_for_instance_type(vm_size)
    return PoolHardware(vm_size, found[0] if found else None)
