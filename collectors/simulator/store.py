"""One cluster's API objects: built from its scenario on first use, listed in key order, patched, deleted.

Objects from workload shorthand are not kept as JSON: an entry remembers which workload and which
part of its expansion it is, and is rendered again when asked for (a small LRU keeps recent
expansions). Only patched objects and raw manifests are stored whole. The store adds what the API
server adds (uid, resourceVersion, generation, creationTimestamp) and what controllers write (pod
owners' status, ReplicaSets of Deployments); scheduling is in scheduler.py.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectors.simulator import platforms
from collectors.simulator.nodes import Node, PoolInfo, build_nodes, pool_info, render_node, sim_uuid
from collectors.simulator.pods import PodRecord, owner_status, pod_groups, render_pod
from collectors.simulator.query import Continue, Matcher
from collectors.simulator.resources import BUILTIN, BY_KIND, CRDS, Resource, group_of, resource_for
from collectors.simulator.scenario import Cluster, Workload
from collectors.simulator.shorthand import Part, Target, expand

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
EXPANSION_CACHE = 64  # lists walk objects in key order: one owner's pods come together
PODS = BY_KIND[("", "Pod")]
NODES = BY_KIND[("", "Node")]
NAMESPACES = BY_KIND[("", "Namespace")]
REPLICASETS = BY_KIND[("apps", "ReplicaSet")]


class StoreError(Exception):
    """An API error: becomes a Kubernetes Status body with this code and reason."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}


@dataclass(slots=True, eq=False)
class Entry:
    resource: Resource
    namespace: str
    name: str
    rv: int
    created: str
    obj: dict[str, Any] | None = None     # stored whole (raw manifest, patched object)
    source: tuple | None = None           # or rendered from ("w", workload, part) | ("rs", entry) | ("node", n) | ("ns",)
    generation: int = 1
    pool: str | None = None               # pod owners: pool their accelerator pods go to
    hold: int = 0                         # pod owners: replicas kept Pending
    owner: Entry | None = None
    children: list[Entry] | None = None
    pods: list[PodRecord] | None = None   # pod owners (a Deployment holds its ReplicaSet's pods)
    hash: str = ""                        # pod owners: pod-template-hash
    replica_set: Entry | None = None      # Deployments
    incarnations: dict[int, int] | None = None  # slot → how often its pod was deleted and replaced


class Bucket:
    """The objects of one resource, keyed "<namespace>/<name>" (cluster-scoped: "<name>") in etcd order."""

    __slots__ = ("keys", "items", "dirty")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.items: dict[str, Any] = {}
        self.dirty = False

    def add(self, key: str, item: Any, *, bulk: bool) -> None:
        if key in self.items:
            self.items[key] = item
            return
        self.items[key] = item
        if bulk:
            self.keys.append(key)
            self.dirty = True
        else:
            bisect.insort(self.ordered(), key)

    def remove(self, key: str) -> None:
        if self.items.pop(key, None) is not None:
            keys = self.ordered()
            keys.pop(bisect.bisect_left(keys, key))

    def ordered(self) -> list[str]:
        if self.dirty:
            self.keys.sort()
            self.dirty = False
        return self.keys


def object_key(resource: Resource, namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if resource.namespaced else name


class ClusterStore:
    def __init__(self, cluster: Cluster, *, seed: int, epoch: str):
        from collectors.simulator.scheduler import Scheduler

        self.cluster, self.seed, self.epoch = cluster, seed, epoch
        self.lock = threading.RLock()
        self.rv = 1000
        self.built = False
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.resources: dict[tuple[str, str], Resource] = {}
        self.pools: dict[str, PoolInfo] = {}
        self.nodes: list[Node] = []
        self.scheduler = Scheduler(self)
        self._expansions: OrderedDict[Workload, list[Part]] = OrderedDict()
        self._bulk = False

    # --- building --------------------------------------------------------------------------------

    def ensure_built(self) -> None:
        with self.lock:
            if not self.built:
                self._build()
                self.built = True

    def _build(self) -> None:
        c = self.cluster
        self._bulk = True
        self.pools = {p.name: pool_info(c, p) for p in c.node_pools}
        self.nodes = build_nodes(c, self.seed, self.pools)
        self.scheduler.reset()
        for r in BUILTIN:
            self.resources[r.key] = r
        for node in self.nodes:
            self.add_entry(NODES, "", node.name, source=("node", node), created=self.epoch)
        for operator in c.operators:
            self.install(operator)
        for w in c.workloads:
            if w.manifest is not None:
                obj = copy.deepcopy(w.manifest)
                replicas = (obj.get("spec") or {}).get("replicas")
                hold = max(0, int(replicas) - int(w.ready)) if w.ready is not None and replicas is not None else 0
                self.put(obj, pool=w.pool, hold=hold)
            else:
                for index, part in enumerate(self.expansion(w)):
                    self.put(part.obj, source=("w", w, index), pool=part.pool, hold=part.hold)
        for obj in self.scheduler.system_objects():
            self.put(obj)
        namespaces = set(SYSTEM_NAMESPACES)
        for resource_key, bucket in self.buckets.items():
            if self.resources[resource_key].namespaced:
                namespaces.update(key.partition("/")[0] for key in bucket.items)
        for ns in sorted(namespaces):
            self.add_entry(NAMESPACES, "", ns, source=("ns",), created=self.epoch)
        self._bulk = False
        self._expansions.clear()

    def install(self, operator: str) -> None:
        if any(r.operator == operator and r.key in self.resources for r in CRDS):
            return
        for r in CRDS:
            if r.operator == operator:
                self.resources[r.key] = r
        for obj in platforms.operator_objects(operator):
            self.put(obj)

    def target(self, w: Workload) -> Target:
        info = self.pools.get(w.pool or "")
        provider = self.cluster.provider
        if info is None:
            return Target(None, {}, [], provider)
        return Target(info, info.selector(w.placement, provider), info.tolerations(), provider)

    def expansion(self, w: Workload) -> list[Part]:
        parts = self._expansions.get(w)
        if parts is None:
            parts = expand(w, self.target(w))
            self._expansions[w] = parts
            if len(self._expansions) > EXPANSION_CACHE:
                self._expansions.popitem(last=False)
        else:
            self._expansions.move_to_end(w)
        return parts

    def put(self, obj: dict[str, Any], *, source: tuple | None = None, pool: str | None = None,
            hold: int = 0) -> Entry | None:
        """Store an object (whole, or as a reference to its source); first one of a name wins."""
        meta = obj.get("metadata") or {}
        resource = self.resource_of(obj)
        namespace = (meta.get("namespace") or "default") if resource.namespaced else ""
        name = str(meta["name"])
        if object_key(resource, namespace, name) in self.bucket(resource).items:
            return None
        entry = self.add_entry(resource, namespace, name, source=source, obj=None if source else obj, pool=pool,
                          hold=hold, created=str(meta.get("creationTimestamp") or self.epoch))
        for ref in meta.get("ownerReferences") or []:
            parent_resource = BY_KIND.get((group_of(str(ref.get("apiVersion", ""))), str(ref.get("kind", ""))))
            parent = self.find(parent_resource, namespace, str(ref.get("name"))) if parent_resource else None
            if parent is not None:
                entry.owner = parent
                parent.children = [*(parent.children or []), entry]
                break
        self.scheduler.adopt(entry, obj)
        return entry

    def resource_of(self, obj: dict[str, Any]) -> Resource:
        meta = obj.get("metadata") or {}
        resource = resource_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
                                namespaced=bool(meta.get("namespace")))
        if resource.key not in self.resources:
            if resource.operator:
                self.install(resource.operator)
            self.resources[resource.key] = resource
        return self.resources[resource.key]

    def add_entry(self, resource: Resource, namespace: str, name: str, **fields: Any) -> Entry:
        entry = Entry(resource, namespace, name, rv=self.next_rv(), **fields)
        self.bucket(resource).add(object_key(resource, namespace, name), entry, bulk=self._bulk)
        return entry

    def add_pod(self, pod: PodRecord) -> None:
        self.bucket(PODS).add(f"{pod.namespace}/{pod.name}", pod, bulk=self._bulk)

    def remove_pod(self, pod: PodRecord) -> None:
        self.bucket(PODS).remove(f"{pod.namespace}/{pod.name}")

    def remove(self, entry: Entry) -> None:
        for child in list(entry.children or []):
            self.remove(child)
        for pod in entry.pods or []:
            self.scheduler.release(pod)
        if entry.owner is not None and entry.owner.children:
            entry.owner.children = [c for c in entry.owner.children if c is not entry]
        self.bucket(entry.resource).remove(object_key(entry.resource, entry.namespace, entry.name))

    def namespaced(self, group: str | None, plural: str | None) -> bool:
        """Whether a resource lives in namespaces (unknown ones are taken to)."""
        for resource in (*self.resources.values(), *BUILTIN, *CRDS):
            if resource.group == (group or "") and resource.plural == plural:
                return resource.namespaced
        return True

    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def now(self) -> str:
        if self._bulk:
            return self.epoch
        return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    def bucket(self, resource: Resource) -> Bucket:
        bucket = self.buckets.get(resource.key)
        if bucket is None:
            bucket = self.buckets[resource.key] = Bucket()
        return bucket

    def find(self, resource: Resource, namespace: str, name: str) -> Any:
        bucket = self.buckets.get(resource.key)
        return bucket.items.get(object_key(resource, namespace, name)) if bucket else None

    # --- rendering -------------------------------------------------------------------------------

    def uid(self, group: str, kind: str, namespace: str, name: str) -> str:
        return sim_uuid(self.seed, self.cluster.name, group, kind, namespace, name)

    def uid_of(self, entry: Entry) -> str:
        given = ((entry.obj or {}).get("metadata") or {}).get("uid")
        return given or self.uid(entry.resource.group, entry.resource.kind, entry.namespace, entry.name)

    def base(self, entry: Entry) -> dict[str, Any]:
        """The object as its author (or controller) wrote it, before the server's fields."""
        if entry.obj is not None:
            return entry.obj
        tag = entry.source[0] if entry.source else None
        if tag == "w":
            return self.expansion(entry.source[1])[entry.source[2]].obj
        if tag == "rs":
            return self.scheduler.replica_set(entry.source[1])
        if tag == "node":
            return render_node(self.cluster, entry.source[1], seed=self.seed, created=entry.created)
        if tag == "ns":
            return {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": entry.name, "labels": {"kubernetes.io/metadata.name": entry.name}},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        raise AssertionError(f"entry {entry.name} has neither object nor source")

    def render(self, item: Entry | PodRecord) -> dict[str, Any]:
        if isinstance(item, PodRecord):
            owner = item.owner
            group = pod_groups(self.base(owner), owner.hash)[item.group]
            api, kind, name = group.owner
            return render_pod(item, group, uid=self.uid("", "Pod", item.namespace, item.name),
                              owner_uid=self.uid(group_of(api), kind, item.namespace, name), seed=self.seed)
        base = self.base(item)
        out = dict(base)
        meta = dict(base.get("metadata") or {})
        if item.resource.namespaced:
            meta["namespace"] = item.namespace
        meta.pop("generation", None)
        meta.update(uid=self.uid_of(item), resourceVersion=str(item.rv))
        if "spec" in base and item.resource.kind not in ("Node", "Namespace", "Service"):
            meta["generation"] = item.generation
        meta.setdefault("creationTimestamp", item.created)
        if item.owner is not None and meta.get("ownerReferences"):
            owner_uid = self.uid_of(item.owner)
            meta["ownerReferences"] = [{**ref, "uid": owner_uid} if ref.get("name") == item.owner.name else ref
                                       for ref in meta["ownerReferences"]]
        out["metadata"] = meta
        if item.pods is not None:
            out["status"] = owner_status(base, item.pods, item.generation)
        return out

    # --- reading ---------------------------------------------------------------------------------

    def get(self, resource: Resource, namespace: str, name: str) -> Entry | PodRecord:
        with self.lock:
            found = self.find(resource, namespace, name)
            if found is None:
                raise not_found(resource, name)
            return found

    def list(self, resource: Resource, namespace: str | None, *, limit: int, token: Continue | None,
             labels: Matcher | None, fields: Matcher | None) -> tuple[list[dict[str, Any]], Continue | None, int | None]:
        """A page: its items, the token of the next page, and how many items remain (without selectors)."""
        with self.lock:
            keys = self.bucket(resource).ordered()
            items_by_key = self.bucket(resource).items
            lo, hi = 0, len(keys)
            if namespace is not None and resource.namespaced:
                lo, hi = bisect.bisect_left(keys, namespace + "/"), bisect.bisect_left(keys, namespace + "0")
            i = max(lo, bisect.bisect_left(keys, token.start)) if token else lo
            items: list[dict[str, Any]] = []
            while i < hi and (not limit or len(items) < limit):
                obj = self.render(items_by_key[keys[i]])
                i += 1
                if (labels is None or labels(obj)) and (fields is None or fields(obj)):
                    items.append(obj)
            if not (limit and i < hi):
                return items, None, None
            page = token.page + 1 if token else 2
            remaining = hi - i if labels is None and fields is None else None
            return items, Continue(rv=self.rv, start=keys[i - 1] + "\x00", page=page), remaining


def not_found(resource: Resource, name: str) -> StoreError:
    what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
    return StoreError(404, "NotFound", f'{what} "{name}" not found',
                      {"name": name, "group": resource.group, "kind": resource.plural})
