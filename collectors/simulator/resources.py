"""The API resources the simulator serves, and the discovery documents that advertise them.

Core, apps, autoscaling and batch are on every cluster. A CRD group is advertised only on clusters
that hold one of its objects or list its operator under `operators:`, so a cluster without KServe
answers 404 for serving.kserve.io, as a real one does. A raw manifest of an unknown kind gets a
resource of its own (plural by English rules) on its cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

VERBS = ["delete", "get", "list", "patch"]


@dataclass(frozen=True, slots=True)
class Resource:
    group: str            # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    scale: bool = False   # has a /scale subresource
    operator: str | None = None  # CRDs: the scenario's operator name that installs the group

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)


BUILTIN: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",)),
    Resource("", "v1", "nodes", "Node", namespaced=False, short_names=("no",)),
    Resource("", "v1", "pods", "Pod", short_names=("po",)),
    Resource("", "v1", "services", "Service", short_names=("svc",)),
    Resource("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    Resource("apps", "v1", "deployments", "Deployment", short_names=("deploy",), scale=True),
    Resource("apps", "v1", "statefulsets", "StatefulSet", short_names=("sts",), scale=True),
    Resource("apps", "v1", "daemonsets", "DaemonSet", short_names=("ds",)),
    Resource("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), scale=True),
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",)),
    Resource("batch", "v1", "jobs", "Job"),
)

CRDS: tuple[Resource, ...] = (
    Resource("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService", short_names=("isvc",),
             operator="kserve"),
    # ServingRuntimes have stayed v1alpha1 in KServe while InferenceService moved to v1beta1
    Resource("serving.kserve.io", "v1alpha1", "servingruntimes", "ServingRuntime", operator="kserve"),
    Resource("serving.kserve.io", "v1alpha1", "clusterservingruntimes", "ClusterServingRuntime", namespaced=False,
             operator="kserve"),
    Resource("machinelearning.seldon.io", "v1", "seldondeployments", "SeldonDeployment", short_names=("sdep",),
             operator="seldon"),
    Resource("mlops.seldon.io", "v1alpha1", "models", "Model", short_names=("mlm",), operator="seldon-v2"),
    Resource("mlops.seldon.io", "v1alpha1", "servers", "Server", short_names=("mls",), operator="seldon-v2"),
    Resource("ray.io", "v1", "rayservices", "RayService", short_names=("rayservice",), operator="ray"),
    Resource("ray.io", "v1", "rayclusters", "RayCluster", operator="ray"),
    Resource("apps.nvidia.com", "v1alpha1", "nimservices", "NIMService", operator="nim"),
    Resource("apps.nvidia.com", "v1alpha1", "nimcaches", "NIMCache", operator="nim"),
    Resource("kaito.sh", "v1beta1", "workspaces", "Workspace", short_names=("wk",), operator="kaito"),
    Resource("leaderworkerset.x-k8s.io", "v1", "leaderworkersets", "LeaderWorkerSet", short_names=("lws",),
             operator="lws"),
    Resource("keda.sh", "v1alpha1", "scaledobjects", "ScaledObject", short_names=("so",), operator="keda"),
)

BY_KIND: dict[tuple[str, str], Resource] = {(r.group, r.kind): r for r in BUILTIN + CRDS}


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def resource_for(api_version: str, kind: str, *, namespaced: bool) -> Resource:
    """The served resource for an object; unknown kinds get one made up the way CRDs name theirs."""
    group = group_of(api_version)
    known = BY_KIND.get((group, kind))
    if known is not None:
        return known
    version = api_version.rpartition("/")[2]
    return Resource(group, version, plural_of(kind), kind, namespaced=namespaced)


def plural_of(kind: str) -> str:
    word = kind.lower()
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


# --- discovery documents ------------------------------------------------------------------------

def api_versions(server: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]}


def resource_list(group_version: str, resources: list[Resource]) -> dict:
    items = []
    for r in sorted(resources, key=lambda r: r.plural):
        items.append({"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                      "kind": r.kind, "verbs": VERBS, **({"shortNames": list(r.short_names)} if r.short_names else {}),
                      "storageVersionHash": ""})
        if r.scale:
            items.append({"name": f"{r.plural}/scale", "singularName": "", "namespaced": r.namespaced,
                          "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch"]})
        items.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                      "kind": r.kind, "verbs": ["get"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": items}


def api_group(group: str, versions: list[str]) -> dict:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": listed,
            "preferredVersion": listed[0]}


def api_group_list(groups: dict[str, list[str]]) -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{k: v for k, v in api_group(g, vs).items() if k not in ("kind", "apiVersion")}
                       for g, vs in groups.items()]}
