"""GCP: GKE clusters in the configured projects, each crawled through the Kubernetes crawler.

`container_v1.ClusterManagerClient` over REST lists the clusters of every project (location `-`: all
regions and zones, or the configured locations); node pools give machine types and accelerators. A
cluster's Kubernetes API is `https://<endpoint>` with `masterAuth.clusterCaCertificate`, authenticated by
an OAuth access token of the same credentials (what gke-gcloud-auth-plugin hands kubectl).

Credentials: a service-account key (`serviceAccountJson`), a ready access token (`accessToken`, e.g.
`gcloud auth print-access-token`), or else Application Default Credentials (workload identity, a VM's
service account, `gcloud auth application-default login`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from collectors.cloud import CloudCollector, Discovery, PoolHardware, invalid, settings_schema
from collectors.detect.accelerators import accelerator_for_instance_type, canonical_accelerator
from collectors.errors import CollectorError, classify_gcp
from collectors.spec import CrawlError, ErrorKind, Scope

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_LIVE_STATUS = ("RUNNING", "RECONCILING", "DEGRADED")
_ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")

GCP_SCHEMA = settings_schema({
    "projects": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[a-z][-a-z0-9]{4,28}[a-z0-9]$"},
                 "description": "project ids to look in"},
    "locations": {"type": "array", "items": {"type": "string"},
                  "description": "regions/zones to list (default: all, \"-\")"},
    "apiEndpoint": {"type": "string", "pattern": "^https?://",
                    "description": "GKE API endpoint (default https://container.googleapis.com)"},
}, required=("projects",))
GCP_SECRETS = ("serviceAccountJson", "accessToken")


class GcpCollector(CloudCollector):
    cloud = "gcp"

    def discover(self, *, progress: Callable[[str], Any] | None) -> Discovery:
        from google.cloud import container_v1

        api_credentials, kube_token = self._credentials()
        options = {"api_endpoint": self.settings["apiEndpoint"]} if self.settings.get("apiEndpoint") else None
        client = container_v1.ClusterManagerClient(credentials=api_credentials, transport="rest",
                                                   client_options=options)
        found = self.gather([lambda p=project, loc=location: self._project(client, p, loc, kube_token)
                             for project in self.settings["projects"]
                             for location in self.settings.get("locations") or ["-"]])
        if found.targets:
            try:   # once, here: a token that cannot be had is an auth error of each cluster, said once
                kube_token()
            except CollectorError as error:
                for target in found.targets:
                    found.fail(Scope(cluster=target.name), error, "access token for the Kubernetes API")
                found.targets = []
        if progress:
            progress(f"gcp: {len(found.targets)} GKE clusters in {len(self.settings['projects'])} projects, "
                     f"{len(found.result.errors)} errors")
        return found

    def _project(self, client, project: str, location: str, kube_token: Callable[[], str]) -> Discovery:
        found = Discovery()
        scope = Scope(cluster=f"gke:{project}")
        parent = f"projects/{project}/locations/{location}"
        try:
            # retry=None: the client's own retry would spend 20 s on a 503; collectors.errors decides.
            listing = self.call(lambda: client.list_clusters(parent=parent, retry=None, timeout=self.timeout),
                                classify_gcp)
        except CollectorError as error:
            found.fail(scope, error, f"GKE clusters of {parent}")
            return found
        if listing.missing_zones:
            found.result.errors.append(CrawlError(scope, ErrorKind.PARTIAL_LISTING,
                                                  f"GKE clusters of {parent}: zones not answering: "
                                                  f"{', '.join(listing.missing_zones)}"))
        for cluster in listing.clusters:
            if not self.wanted(cluster.name) or cluster.status.name not in _LIVE_STATUS or not cluster.endpoint:
                continue
            zone = _ZONE.match(cluster.location)
            found.pools[cluster.name] = {pool.name: _hardware(pool) for pool in cluster.node_pools}
            found.targets.append(self.target(
                name=cluster.name, region=zone["region"] if zone else cluster.location,
                server=f"https://{cluster.endpoint}", ca_data=cluster.master_auth.cluster_ca_certificate or None,
                token_provider=kube_token))
        return found

    def _credentials(self) -> tuple[Any, Callable[[], str]]:
        """(credentials for the GKE API, a function giving a current access token for Kubernetes APIs)."""
        import google.auth
        from google.auth.transport.requests import Request
        from google.oauth2 import credentials as oauth2
        from google.oauth2 import service_account

        if self.credentials.get("serviceAccountJson"):
            try:
                info = json.loads(self.credentials["serviceAccountJson"])
                api = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
            except (ValueError, KeyError) as exc:
                raise invalid(f"serviceAccountJson is not a service-account key: {exc}") from None
            # A separate object: the client library may switch its own to self-signed JWTs, which the
            # GKE API takes and a cluster's Kubernetes API does not.
            kube = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
        elif self.credentials.get("accessToken"):
            api = kube = oauth2.Credentials(token=self.credentials["accessToken"])
        else:
            try:
                api, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise CollectorError(ErrorKind.AUTH, f"no Google credentials: {exc}") from None
            kube = api
        lock = threading.Lock()

        def token() -> str:
            with lock:   # crawls run in threads; one refresh serves them all
                if not kube.valid:
                    self.call(lambda: kube.refresh(Request()), classify_gcp)
                return kube.token

        return api, token


def _hardware(pool) -> PoolHardware:
    machine = pool.config.machine_type or None
    attached = [a for a in pool.config.accelerators if a.accelerator_count]
    accelerator = canonical_accelerator(attached[0].accelerator_type) if attached else None
    if accelerator is None:
        from_machine = accelerator_for_instance_type(machine)
        accelerator = from_machine[0] if from_machine else None
    return PoolHardware(machine, accelerator)
