"""The Kubernetes REST API of every simulated cluster, on one threaded HTTP server.

Cluster `name` is served under `/clusters/<name>`: `/version`, discovery (`/api`, `/api/v1`, `/apis`,
`/apis/<group>[/<version>]`), lists (all namespaces and per namespace, `limit`/`continue`,
`labelSelector`, `fieldSelector`), get, PATCH (merge, strategic merge, JSON patch; `/scale`), DELETE.
Errors are Kubernetes `Status` bodies. Per request: bearer token (401), then the cluster's faults
(faults.py) in the order a real API server meets them: authentication, priority and fairness (429),
authorization (403), the handler (5xx, expired continue). `watch` is not served.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import yaml

from collectors.simulator import mutations, resources
from collectors.simulator.catalog import GIT_VERSION
from collectors.simulator.patching import APPLY, MERGE_PATCH
from collectors.simulator.query import (
    Continue,
    QueryError,
    decode_continue,
    encode_continue,
    field_matcher,
    label_matcher,
)
from collectors.simulator.store import StoreError

if TYPE_CHECKING:
    from collectors.simulator.server import ClusterRuntime, FleetSimulator

log = logging.getLogger("collectors.simulator")
PREFIX = "/clusters/"
EXPIRED_MESSAGE = ("The provided continue parameter is too old to display a consistent list result. You can start "
                   "a new list without the continue parameter, or use the continue value from the response metadata.")


class KubeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], fleet: FleetSimulator):
        super().__init__(address, KubeHandler)
        self.fleet = fleet


class Reply(Exception):
    """A finished answer (used to leave the request flow early)."""

    def __init__(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(code)
        self.code, self.body, self.headers = code, body, headers or {}


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None,
                metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": metadata or {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def failure(code: int, reason: str, message: str, details: dict[str, Any] | None = None, **kw: Any) -> Reply:
    return Reply(code, status_body(code, reason, message, details, kw.get("metadata")), kw.get("headers"))


class KubeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fleet-simulator/1"
    # Keep-alive + Nagle + the client's delayed ACK would hold each answer's last segment for up to 40 ms.
    disable_nagle_algorithm = True
    server: KubeServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator %s " + format, self.address_string(), *args)

    # --- flow ------------------------------------------------------------------------------------

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        body = self._read_body()
        fleet = self.server.fleet
        runtime = None
        reply: Reply | None = None
        try:
            if not path.startswith(PREFIX):
                # GKE, ARM and the token endpoints share the port (clouds.py), at the paths the real APIs use
                reply = fleet.cloud_reply(method, path, parse_qs(url.query), self.headers, body)
                if reply is None:
                    raise failure(404, "NotFound", "the server could not find the requested resource "
                                                   f"(serve clusters under {PREFIX}<name>)")
                raise reply
            name, _, rest = path[len(PREFIX):].partition("/")
            runtime = fleet.runtime(name)
            if runtime is None:
                raise failure(404, "NotFound", f"no cluster {name!r} in this simulator")
            if not runtime.faults.faults.refused:
                route = Route.parse(rest, parse_qs(url.query))
                self._apply_request_faults(runtime, route, method)
                runtime.store.ensure_built()
                reply = Dispatcher(runtime, route, fleet).handle(method, body,
                                                                 self.headers.get("Content-Type") or "")
        except Reply as answer:
            reply = answer
        except StoreError as error:
            reply = failure(error.code, error.reason, error.message, error.details)
        except Exception as error:  # a simulator bug must still answer like a server
            log.exception("simulator error on %s %s", method, self.path)
            reply = failure(500, "InternalError", f"Internal error occurred: {error}")
        if runtime is not None:  # logged before answering, so a client that got the answer sees it logged
            runtime.record(method, self.path, reply.code if reply else 0)
        if reply is None:
            self._reset()
        else:
            self._send(reply)

    def _apply_request_faults(self, runtime: ClusterRuntime, route: Route, method: str) -> None:
        faults = runtime.faults
        knobs = faults.faults
        applies = faults.applies(route.resource_name)
        if applies and knobs.stall_s:
            self.server.fleet.stopping.wait(knobs.stall_s)
        if applies and knobs.latency_ms:
            self.server.fleet.stopping.wait(knobs.latency_ms / 1000)
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if token != runtime.cluster.token and not self.server.fleet.accepts_token(runtime.cluster, token):
            raise failure(401, "Unauthorized", "Unauthorized")
        denial = faults.denial(resource=route.resource_name, namespace=route.namespace,
                               all_namespaces=route.all_namespaces,
                               namespaced=runtime.store.namespaced(route.group, route.resource_name))
        if denial is not None and denial.status == 401:
            raise failure(401, "Unauthorized", "Unauthorized")
        if applies and faults.take_throttle():
            raise failure(429, "TooManyRequests", "Too many requests, please try again later.",
                          {"retryAfterSeconds": knobs.retry_after}, headers={"Retry-After": str(knobs.retry_after)})
        if denial is not None:
            raise forbidden(route, method, denial.cluster_scope)
        if applies and faults.take_error():
            code = knobs.server_error_code
            reason = {503: "ServiceUnavailable", 504: "Timeout"}.get(code, "InternalError")
            raise failure(code, reason, f"{HTTPStatus(code).phrase}: simulated fault",
                          {"causes": [{"message": "etcdserver: request timed out"}]} if code == 500 else None)

    # --- wire ------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        payload = orjson.dumps(reply.body)
        try:
            self.send_response(reply.code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Audit-Id", str(uuid.uuid4()))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            # Headers and body in one write (end_headers would flush the headers on their own).
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(payload)
            self.wfile.write(b"".join(self._headers_buffer))
            self._headers_buffer = []
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _reset(self) -> None:
        """A stopped cluster: drop the connection with a TCP reset, no answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def forbidden(route: Route, method: str, cluster_scope: bool) -> Reply:
    verb = {"GET": "get" if route.name else "list", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
    resource = route.resource_name or ""
    group = route.group or ""
    where = "at the cluster scope" if cluster_scope or not route.namespace else f'in the namespace "{route.namespace}"'
    subject = f"{resource}.{group}" if group else resource
    if route.name:
        subject += f' "{route.name}"'
    message = (f'{subject} is forbidden: User "system:serviceaccount:footprint:crawler" cannot {verb} resource '
               f'"{resource}" in API group "{group}" {where}')
    return failure(403, "Forbidden", message, {"name": route.name or "", "group": group, "kind": resource})


class Route:
    """A request path below /clusters/<name>, taken apart."""

    __slots__ = ("kind", "group", "version", "resource_name", "namespace", "name", "subresource", "query",
                 "all_namespaces")

    def __init__(self) -> None:
        self.kind = "root"          # root | version | discovery | resource
        self.group: str | None = None
        self.version: str | None = None
        self.resource_name: str | None = None
        self.namespace: str | None = None
        self.name: str | None = None
        self.subresource: str | None = None
        self.query: dict[str, list[str]] = {}
        self.all_namespaces = False

    @classmethod
    def parse(cls, rest: str, query: dict[str, list[str]]) -> Route:
        route = cls()
        route.query = query
        parts = [p for p in rest.split("/") if p]
        if parts[:1] == ["version"]:
            route.kind = "version"
            return route
        if parts[:1] == ["api"]:
            route.group, tail = "", parts[1:]
        elif parts[:1] == ["apis"]:
            route.group, tail = (parts[1] if len(parts) > 1 else None), parts[2:]
        else:
            return route
        if len(parts) <= (2 if parts[0] == "api" else 3):
            route.kind = "discovery"
            route.version = tail[0] if parts[0] == "api" and tail else (parts[2] if len(parts) > 2 else None)
            return route
        route.kind = "resource"
        route.version, tail = tail[0], tail[1:]
        if len(tail) >= 3 and tail[0] == "namespaces":
            route.namespace, tail = tail[1], tail[2:]
        route.resource_name = tail[0]
        route.name = tail[1] if len(tail) > 1 else None
        route.subresource = tail[2] if len(tail) > 2 else None
        route.all_namespaces = route.namespace is None and route.name is None
        return route

    def param(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[-1] if values else None


class Dispatcher:
    def __init__(self, runtime: ClusterRuntime, route: Route, fleet: FleetSimulator):
        self.runtime, self.route, self.fleet = runtime, route, fleet
        self.store = runtime.store

    def handle(self, method: str, body: bytes, content_type: str) -> Reply:
        route = self.route
        if route.kind == "version":
            return Reply(200, self.version())
        if route.kind == "discovery":
            return Reply(200, self.discovery())
        if route.kind != "resource":
            return Reply(200, {"paths": ["/api", "/api/v1", "/apis", "/version"]})
        resource = self.resource()
        if method == "GET":
            if route.param("watch") in ("true", "1"):
                raise failure(405, "MethodNotAllowed", "the fleet simulator does not serve watch")
            if route.name is None:
                return Reply(200, self.list(resource))
            if route.subresource == "scale" and resource.scale:
                return Reply(200, mutations.get_scale(self.store, resource, self._namespace(resource), route.name))
            return Reply(200, self.store_render(resource))
        if method == "PATCH" and route.name and route.subresource in (None, "scale", "status"):
            kind = content_type.split(";")[0].strip().lower() or MERGE_PATCH
            try:  # server-side apply sends YAML; treated as a merge patch of the applied fields
                patch = yaml.safe_load(body) if kind == APPLY else json.loads(body or b"null")
            except (ValueError, yaml.YAMLError) as error:
                raise failure(400, "BadRequest", f"error decoding patch: {error}") from error
            kind = MERGE_PATCH if kind == APPLY else kind
            return Reply(200, mutations.patch_object(self.store, resource, self._namespace(resource), route.name,
                                                     patch, kind, route.subresource))
        if method == "DELETE" and route.name and route.subresource is None:
            try:
                options = json.loads(body) if body else None
            except ValueError as error:
                raise failure(400, "BadRequest", f"error decoding DeleteOptions: {error}") from error
            return Reply(200, mutations.delete_object(self.store, resource, self._namespace(resource), route.name,
                                                      options))
        raise failure(405, "MethodNotAllowed", f"the fleet simulator does not support {method} on this path")

    def resource(self) -> resources.Resource:
        route = self.route
        for resource in self.store.resources.values():
            if resource.group == route.group and resource.plural == route.resource_name:
                if resource.version == route.version and (route.namespace is None or resource.namespaced):
                    return resource
        raise failure(404, "NotFound", "the server could not find the requested resource")

    def _namespace(self, resource: resources.Resource) -> str:
        if not resource.namespaced:
            return ""
        if self.route.namespace is None:
            raise failure(404, "NotFound", "the server could not find the requested resource")
        return self.route.namespace

    def store_render(self, resource: resources.Resource) -> dict[str, Any]:
        with self.store.lock:
            return self.store.render(self.store.get(resource, self._namespace(resource), self.route.name or ""))

    def list(self, resource: resources.Resource) -> dict[str, Any]:
        route = self.route
        try:
            limit = int(route.param("limit") or 0)
            token = decode_continue(route.param("continue")) if route.param("continue") else None
            labels = label_matcher(route.param("labelSelector"))
            fields = field_matcher(route.param("fieldSelector"))
        except (QueryError, ValueError) as error:
            raise failure(400, "BadRequest", str(error)) from error
        faults = self.runtime.faults
        if token is not None and faults.applies(resource.plural) and faults.take_expiry(token.page):
            fresh = encode_continue(Continue(rv=self.store.rv, start=token.start, page=token.page))
            raise failure(410, "Expired", EXPIRED_MESSAGE, metadata={"continue": fresh})
        items, next_token, remaining = self.store.list(resource, route.namespace, limit=limit, token=token,
                                                       labels=labels, fields=fields)
        meta: dict[str, Any] = {"resourceVersion": str(self.store.rv)}
        if next_token is not None:
            meta["continue"] = encode_continue(next_token)
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        return {"kind": f"{resource.kind}List", "apiVersion": resource.group_version, "metadata": meta,
                "items": items}

    def version(self) -> dict[str, Any]:
        git = self.runtime.cluster.version or GIT_VERSION[self.runtime.cluster.provider]
        major, minor = git.lstrip("v").split(".")[:2]
        return {"major": major, "minor": minor + ("+" if "-" in git else ""), "gitVersion": git,
                "gitCommit": "c1f2a2fe1b1e3d7e4f0c2a7b9e1d5c3a8b6f4e2d", "gitTreeState": "clean",
                "buildDate": "2024-09-11T19:23:14Z", "goVersion": "go1.22.6", "compiler": "gc",
                "platform": "linux/amd64"}

    def discovery(self) -> dict[str, Any]:
        route = self.route
        served = list(self.store.resources.values())
        if route.group == "":
            if route.version is None:
                return resources.api_versions(f"127.0.0.1:{self.fleet.port}")
            if route.version != "v1":
                raise failure(404, "NotFound", "the server could not find the requested resource")
            return resources.resource_list("v1", [r for r in served if r.group == ""])
        groups: dict[str, list[str]] = {}
        for r in served:
            if r.group:
                versions = groups.setdefault(r.group, [])
                if r.version not in versions:
                    versions.append(r.version)
        if route.group is None:
            return resources.api_group_list(groups)
        if route.group not in groups:
            raise failure(404, "NotFound", "the server could not find the requested resource")
        if route.version is None:
            return resources.api_group(route.group, groups[route.group])
        listed = [r for r in served if r.group == route.group and r.version == route.version]
        if not listed:
            raise failure(404, "NotFound", "the server could not find the requested resource")
        return resources.resource_list(f"{route.group}/{route.version}", listed)

