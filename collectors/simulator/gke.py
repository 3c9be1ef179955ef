"""GKE `projects.locations.clusters` (REST, proto3 JSON as google-cloud-container's REST transport reads it)
and Google's OAuth token endpoint for service-account keys, from the scenario's gke clusters.

    GET  /v1/projects/{project}/locations/{location}/clusters          location "-": every location
    GET  /v1/projects/{project}/locations/{location}/clusters/{name}
    GET  /v1/projects/{project}/locations/{location}/clusters/{name}/nodePools
    POST /token        grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, assertion=<RS256 JWT>

The API accepts the simulator's access tokens and JWTs self-signed by its service account (what the
client library sends for a key file). A cluster's `endpoint` is a made-up public IP (reach it through `kubernetesEndpoints`); its node pools
carry machine type, accelerators (type and count, count as an int64 string like the real API),
initialNodeCount and autoscaling. Errors are Google's `{"error": {code, message, status}}`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from collectors.simulator.catalog import GIT_VERSION, zone_of
from collectors.simulator.clouds import DEFAULT_PROJECT, CloudFault, form
from collectors.simulator.kube import Reply
from collectors.simulator.nodes import pool_info

if TYPE_CHECKING:
    from collectors.simulator.clouds import CloudAPIs
    from collectors.simulator.scenario import Cluster

_PATH = re.compile(r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters"
                   r"(?:/(?P<name>[^/:]+)(?P<pools>/nodePools)?)?")
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# What `masterAuth.clusterCaCertificate` holds: base64 of a PEM (the simulator serves plain HTTP).
_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nZmxlZXQtc2ltdWxhdG9yLWdrZS1jYQ==\n"
                       b"-----END CERTIFICATE-----\n").decode()


def google_error(code: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}},
                 headers)


def fault_reply(fault: CloudFault, what: str) -> Reply:
    if fault.kind == "unauthorized":
        return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.")
    if fault.kind == "forbidden":
        return google_error(403, f'Required "container.clusters.list" permission(s) for "{what}".')
    if fault.kind == "throttled":
        return google_error(429, "Quota exceeded for quota metric 'Read requests' of service "
                                 "'container.googleapis.com'.", {"Retry-After": str(fault.retry_after or 1)})
    return google_error(fault.status, "The service is currently unavailable." if fault.status == 503
                        else "Internal error encountered.")


class GkeApi:
    name = "gke"

    def __init__(self, clouds: CloudAPIs):
        self.clouds = clouds
        self._key = None
        self.email = f"footprint-crawler@{self._home_project()}.iam.gserviceaccount.com"

    def _home_project(self) -> str:
        projects = sorted({c.project or DEFAULT_PROJECT for c in self.clouds.clusters("gke")})
        return projects[0] if projects else DEFAULT_PROJECT

    # --- requests --------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str],
               body: bytes) -> Reply | None:
        if path == "/token":
            return self._token(body) if method == "POST" else google_error(405, "Method not allowed.")
        match = _PATH.fullmatch(path)
        if match is None:
            return None
        if method != "GET":
            return google_error(405, f"The fleet simulator does not serve {method} {path}.")
        # Google APIs take OAuth access tokens and, from service accounts, self-signed JWTs (what the client
        # library sends for a service-account key); GKE's Kubernetes API takes access tokens only.
        bearer = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not self.clouds.bearer_ok(headers, static=self.clouds.gcp_token) and not self._verify(bearer):
            return google_error(401, "Request is missing required authentication credential. Expected OAuth 2 "
                                     "access token, login cookie or other valid authentication credential.")
        project, location, name = match["project"], match["location"], match["name"]
        fault = self.clouds.fault(f"gcp:{project}")
        if fault is not None:
            return fault_reply(fault, f"projects/{project}")
        in_project = [c for c in self.clouds.clusters("gke") if (c.project or DEFAULT_PROJECT) == project]
        if not in_project:
            return google_error(403, f'Required "container.clusters.list" permission(s) for "projects/{project}".')
        found = [c for c in in_project if location in ("-", c.region) or location.startswith(f"{c.region}-")]
        if name is None:
            return Reply(200, {"clusters": [self.cluster_json(c, project) for c in found]})
        cluster = next((c for c in found if c.name == name), None)
        if cluster is None:
            return google_error(404, f"Not found: projects/{project}/locations/{location}/clusters/{name}.")
        document = self.cluster_json(cluster, project)
        return Reply(200, {"nodePools": document["nodePools"]} if match["pools"] else document)

    # --- documents -------------------------------------------------------------------------------------

    def cluster_json(self, cluster: Cluster, project: str) -> dict[str, Any]:
        version = (cluster.version or GIT_VERSION["gke"]).lstrip("v")
        zones = [zone_of("gcp", cluster.region, i) for i in range(3)]
        self_link = f"https://container.googleapis.com/v1/projects/{project}/locations/{cluster.region}/clusters/" \
                    f"{cluster.name}"
        pools = [self._pool_json(cluster, pool, zones, version, self_link) for pool in cluster.node_pools]
        digest = bytes.fromhex(self.clouds.derive("gke-endpoint", cluster.name, size=4))
        return {
            "name": cluster.name, "description": "", "location": cluster.region, "zone": cluster.region,
            "locations": zones, "status": "RUNNING", "endpoint": f"34.{digest[0]}.{digest[1]}.{max(digest[2], 1)}",
            "masterAuth": {"clusterCaCertificate": _CA}, "currentMasterVersion": version,
            "currentNodeVersion": version, "initialClusterVersion": version,
            "currentNodeCount": sum(p.count for p in cluster.node_pools), "nodePools": pools,
            "network": "default", "subnetwork": "default", "resourceLabels": {"managed-by": "fleet-simulator"},
            "selfLink": self_link, "id": self.clouds.derive("gke-id", cluster.name),
            "createTime": self.clouds.fleet.scenario.epoch, "releaseChannel": {"channel": "REGULAR"},
            "someFutureField": {"ignored": True},   # clients must ignore fields they do not know
        }

    def _pool_json(self, cluster: Cluster, pool, zones: list[str], version: str, self_link: str) -> dict[str, Any]:
        info = pool_info(cluster, pool)
        config: dict[str, Any] = {
            "machineType": info.instance_type, "diskSizeGb": 100, "diskType": "pd-balanced",
            "imageType": "COS_CONTAINERD", "labels": dict(pool.labels), "spot": pool.spot,
            "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
            "taints": [{"key": t["key"], "value": t.get("value", ""),
                        "effect": re.sub(r"(?<=[a-z])(?=[A-Z])", "_", t["effect"]).upper()} for t in info.taints],
        }
        if info.gpu is not None and info.gpu.gke:
            config["accelerators"] = [{"acceleratorType": info.gpu.gke, "acceleratorCount": str(info.per_node),
                                       "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}]
        document: dict[str, Any] = {
            "name": pool.name, "config": config, "initialNodeCount": pool.count, "locations": zones,
            "status": "RUNNING", "version": version, "selfLink": f"{self_link}/nodePools/{pool.name}",
            "podIpv4CidrSize": 24, "management": {"autoUpgrade": True, "autoRepair": True},
        }
        if pool.autoscaling:
            document["autoscaling"] = {"enabled": True, "minNodeCount": pool.autoscaling[0],
                                       "maxNodeCount": pool.autoscaling[1], "locationPolicy": "BALANCED"}
        return document

    # --- the service account and its token endpoint -----------------------------------------------------

    def _private_key(self):
        if self._key is None:
            from cryptography.hazmat.primitives.asymmetric import rsa

            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    def service_account_json(self) -> str:
        """A service-account key file whose token_uri is this simulator."""
        from cryptography.hazmat.primitives import serialization

        pem = self._private_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode()
        return json.dumps({
            "type": "service_account", "project_id": self._home_project(),
            "private_key_id": self.clouds.derive("gcp-key-id", size=20), "private_key": pem,
            "client_email": self.email, "client_id": str(int(self.clouds.derive("gcp-client", size=8), 16)),
            "auth_uri": f"{self.clouds.fleet.url}/o/oauth2/auth", "token_uri": f"{self.clouds.fleet.url}/token",
            "universe_domain": "googleapis.com",
        })

    def _token(self, body: bytes) -> Reply:
        fields = form(body)
        if fields.get("grant_type") != JWT_BEARER:
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."})
        if not self._verify(fields.get("assertion", "")):
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        return Reply(200, {"access_token": self.clouds.issue("ya29.sim-"), "expires_in": 3599,
                           "token_type": "Bearer"})

    def _verify(self, assertion: str) -> bool:
        """RS256 signature by this service account's key, issued by it, not expired."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header, payload, signature = assertion.split(".")
            claims = json.loads(_unb64(payload))
            self._private_key().public_key().verify(_unb64(signature), f"{header}.{payload}".encode(),
                                                    padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return False
        return claims.get("iss") == self.email and float(claims.get("exp", 0)) > time.time()


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
