"""FleetSimulator: a scenario served on 127.0.0.1, its kubeconfig, and its fault knobs at run time.

    with FleetSimulator(load_scenario("smoke")) as sim:
        path = sim.kubeconfig(tmp_path / "kubeconfig")       # one context per cluster
        sim.set_faults("prod-use1", throttle=2, retry_after=1)
        api = kubernetes.config.new_client_from_config(config_file=str(path), context="prod-use1")

    with FleetSimulator(load_scenario("smoke"), clouds=True) as sim:   # + GKE, ARM, AWS (moto): clouds.py
        sources = sim.cloud_sources()                                 # kind, settings, credentials per source
        sim.set_cloud_faults("gcp:acme-ml-prod", forbidden=True)
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from collectors.simulator.clouds import CloudAPIs, CloudRequest
from collectors.simulator.faults import Faults, FaultState
from collectors.simulator.kube import PREFIX, KubeServer, Reply
from collectors.simulator.scenario import Cluster, Scenario
from collectors.simulator.store import ClusterStore

REQUEST_LOG = 10_000


@dataclass(frozen=True)
class RequestRecord:
    cluster: str
    method: str
    path: str
    status: int   # 0: connection reset (cluster refused)


@dataclass(eq=False)
class ClusterRuntime:
    """One cluster while served: its scenario, objects, faults and request log."""

    cluster: Cluster
    store: ClusterStore
    faults: FaultState
    requests: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG))

    def record(self, method: str, path: str, status: int) -> None:
        self.requests.append(RequestRecord(self.cluster.name, method, path, status))


class FleetSimulator:
    def __init__(self, scenario: Scenario, *, host: str = "127.0.0.1", port: int = 0, clouds: bool = False):
        self.scenario = scenario
        self.clouds: CloudAPIs | None = CloudAPIs(self) if clouds else None
        self.host, self._port = host, port
        self.stopping = threading.Event()
        self._server: KubeServer | None = None
        self._thread: threading.Thread | None = None
        self._runtimes: dict[str, ClusterRuntime] = {}
        for cluster in scenario.clusters:
            state = FaultState()
            state.set(cluster.faults)
            store = ClusterStore(cluster, seed=scenario.seed, epoch=scenario.epoch)
            self._runtimes[cluster.name] = ClusterRuntime(cluster, store, state)

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> FleetSimulator:
        if self._server is not None:
            return self
        self.stopping.clear()
        self._server = KubeServer((self.host, self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fleet-simulator:{self._port}", daemon=True)
        self._thread.start()
        if self.clouds is not None:
            try:
                self.clouds.start()
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        if self.clouds is not None:
            self.clouds.stop()
        self.stopping.set()  # wakes stalled and slow requests
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FleetSimulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None and not self._port:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cluster_url(self, name: str) -> str:
        self._runtime(name)
        return f"{self.url}{PREFIX}{name}"

    def token(self, name: str) -> str:
        return self._runtime(name).cluster.token

    @property
    def cluster_names(self) -> list[str]:
        return list(self._runtimes)

    def kubeconfig(self, path: str | Path, *, clusters: list[str] | None = None,
                   current: str | None = None) -> Path:
        """Write a kubeconfig with one context (and user) per cluster, named after the cluster.

        A cluster whose faults say `refused` when this is written points at a closed port, so its
        clients meet a real ECONNREFUSED; one refused later is answered with connection resets.
        """
        doc = self.kubeconfig_document(clusters or self.cluster_names, current=current)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        return target

    def kubeconfig_document(self, names: list[str], *, current: str | None = None) -> dict[str, Any]:
        dead = _closed_port(self.host) if any(self._runtime(n).faults.faults.refused for n in names) else None
        doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "preferences": {},
                               "current-context": current or names[0], "clusters": [], "users": [], "contexts": []}
        for name in names:
            refused = self._runtime(name).faults.faults.refused
            server = f"http://{self.host}:{dead}{PREFIX}{name}" if refused else self.cluster_url(name)
            doc["clusters"].append({"name": name, "cluster": {"server": server}})
            doc["users"].append({"name": f"{name}-crawler", "user": {"token": self.token(name)}})
            doc["contexts"].append({"name": name, "context": {"cluster": name, "user": f"{name}-crawler"}})
        return doc

    # --- clouds (clouds.py; only with clouds=True) ---------------------------------------------------

    def cloud_sources(self, *, kubeconfig: str | Path | None = None) -> list[dict[str, Any]]:
        """Footprint sources (name, kind, settings, credentials) that crawl this fleet through its clouds;
        with the path of a kubeconfig this simulator wrote, also the kubeconfig sources of the other clusters."""
        return self._clouds().sources(kubeconfig=str(kubeconfig) if kubeconfig else None)

    @property
    def aws_url(self) -> str:
        aws = self._clouds().aws
        if aws is None:
            raise RuntimeError("the simulator serves no AWS (no eks cluster or sagemaker endpoint, or not started)")
        return aws.url

    def set_cloud_faults(self, key: str, **knobs: Any) -> Faults:
        """Faults of a cloud scope: gcp:<project>, azure:<subscription>, aws:<region>, aws:<account>."""
        return self._clouds().set_faults(key, **knobs)

    def clear_cloud_faults(self) -> None:
        self._clouds().clear_faults()

    def cloud_requests(self, api: str | None = None) -> list[CloudRequest]:
        return [r for r in self._clouds().requests if api is None or r.api == api]

    def cloud_reply(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
                    body: bytes) -> Reply | None:
        return self.clouds.handle(method, path, query, headers, body) if self.clouds is not None else None

    def accepts_token(self, cluster: Cluster, token: str) -> bool:
        return self.clouds is not None and bool(token) and self.clouds.accepts_kube_token(cluster, token)

    def _clouds(self) -> CloudAPIs:
        if self.clouds is None:
            raise RuntimeError("start the simulator with clouds=True to serve the cloud APIs")
        return self.clouds

    # --- faults and inspection -------------------------------------------------------------------

    def set_faults(self, name: str, **knobs: Any) -> Faults:
        """Change some knobs of a cluster ("*": every cluster); the others keep their values."""
        result = Faults()
        for runtime in self._targets(name):
            result = runtime.faults.faults.with_knobs(**knobs)
            runtime.faults.set(result)
        return result

    def clear_faults(self, name: str = "*") -> None:
        for runtime in self._targets(name):
            runtime.faults.set(Faults())

    def faults(self, name: str) -> Faults:
        return self._runtime(name).faults.faults

    def stop_cluster(self, name: str) -> None:
        self.set_faults(name, refused=True)

    def start_cluster(self, name: str) -> None:
        self.set_faults(name, refused=False)

    def requests(self, name: str) -> list[RequestRecord]:
        return list(self._runtime(name).requests)

    def store(self, name: str) -> ClusterStore:
        """A cluster's objects, built if needed (for assertions; clients go through HTTP)."""
        store = self._runtime(name).store
        store.ensure_built()
        return store

    def runtime(self, name: str) -> ClusterRuntime | None:
        return self._runtimes.get(name)

    def _runtime(self, name: str) -> ClusterRuntime:
        runtime = self._runtimes.get(name)
        if runtime is None:
            raise KeyError(f"no cluster {name!r} (clusters: {', '.join(self._runtimes)})")
        return runtime

    def _targets(self, name: str) -> list[ClusterRuntime]:
        return list(self._runtimes.values()) if name == "*" else [self._runtime(name)]


def _closed_port(host: str) -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
