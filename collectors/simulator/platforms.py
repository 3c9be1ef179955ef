"""Serving CRDs in shorthand: the custom resource as its docs' examples write it, plus what its operator
creates (predictor Deployments, RayClusters, LeaderWorkerSet StatefulSets, ...), owned by it.

Operator objects that exist on any cluster running the operator (KServe's ClusterServingRuntimes) come
from `operator_objects`.
"""

from __future__ import annotations

from typing import Any

from collectors.simulator.engines import ENGINES, NIM_DEFAULT_VERSION
from collectors.simulator.nodes import suffix
from collectors.simulator.scenario import Workload
from collectors.simulator.shorthand import (
    Builder,
    Part,
    Target,
    deployment,
    engine_container,
    hpa,
    meta,
    object_labels,
    pending,
    pod_spec,
    resources,
    scalers,
    selector_labels,
    service,
    statefulset,
    template,
    yaml_block,
)

KSERVE_VERSION = "v0.14.0"
# KServe's built-in ClusterServingRuntimes: name → (image, model formats, container args).
KSERVE_RUNTIMES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "kserve-huggingfaceserver": (f"kserve/huggingfaceserver:{KSERVE_VERSION}-gpu", ("huggingface",),
                                 ("--model_name={{.Name}}",)),
    "kserve-tritonserver": ("nvcr.io/nvidia/tritonserver:23.05-py3", ("tensorrt", "tensorflow", "pytorch", "onnx",
                                                                      "triton"),
                            ("tritonserver", "--model-store=/mnt/models", "--grpc-port=9000", "--http-port=8080",
                             "--allow-grpc=true", "--allow-http=true")),
    "kserve-sklearnserver": (f"kserve/sklearnserver:{KSERVE_VERSION}", ("sklearn",),
                             ("--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080")),
}
# Engine of a shorthand InferenceService → the model format KServe selects a runtime by.
KSERVE_FORMATS = {"vllm": "huggingface", "triton": "triton", "mlserver": "sklearn"}
# Ray's accelerator_type names (ray.util.accelerators).
RAY_ACCELERATORS = {"T4": "T4", "L4": "L4", "A10G": "A10G", "L40S": "L40S", "A100-40GB": "A100-40G",
                    "A100-80GB": "A100-80G", "H100-80GB": "H100", "H200-141GB": "H200", "V100-16GB": "V100"}
RAY_IMAGE = "rayproject/ray-llm:2.44.0-py311-cu124"
SELDON_IMPLEMENTATIONS = {"triton": "TRITON_SERVER", "mlserver": "SKLEARN_SERVER", "tf-serving": "TENSORFLOW_SERVER",
                          "vllm": "HUGGINGFACE_SERVER", "tgi": "HUGGINGFACE_SERVER"}
SELDON_V2_SERVERS = {"triton": ("triton", "nvcr.io/nvidia/tritonserver:23.10-py3"),
                     None: ("mlserver", "seldonio/mlserver:1.6.1")}
LWS_SCRIPT = "/vllm-workspace/examples/online_serving/multi-node-serving.sh"


def _ready(w: Workload) -> list[dict[str, str]]:
    status = "True" if w.ready_replicas > 0 else "False"
    return [{"type": t, "status": status, "lastTransitionTime": w.created_at or "2026-06-01T00:00:00Z"}
            for t in ("PredictorReady", "Ready")]


def _bounds(w: Workload) -> tuple[int, int]:
    return w.hpa or w.keda or (w.replicas, w.replicas)


# --- KServe -------------------------------------------------------------------------------------

def inference_service(w: Workload, t: Target) -> list[Part]:
    gpus = w.gpus_per_replica
    fmt = KSERVE_FORMATS.get(w.engine or "")
    low, high = _bounds(w)
    predictor: dict[str, Any] = {"minReplicas": low, "maxReplicas": high}
    if t.node_selector:
        predictor["nodeSelector"] = dict(t.node_selector)
    if t.tolerations:
        predictor["tolerations"] = list(t.tolerations)
    if fmt == "huggingface":
        args = [f"--model_name={w.name}", f"--model_id={w.model}", "--backend=vllm"]
        args += [f"--model_revision={w.revision}"] if w.revision else []
        args += [f"--tensor_parallel_size={gpus}"] if gpus > 1 else []
        args += list(w.args)
        predictor["model"] = {"modelFormat": {"name": fmt}, "args": args, "resources": resources(gpus, t.resource)}
        runtime = "kserve-huggingfaceserver"
    elif fmt:
        predictor["model"] = {"modelFormat": {"name": fmt}, "storageUri": w.model,
                              "resources": resources(gpus, t.resource)}
        runtime = "kserve-tritonserver" if fmt == "triton" else "kserve-sklearnserver"
    else:
        predictor["containers"] = [{**engine_container(w, t), "name": "kserve-container"}]
        runtime = None
    isvc = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": meta(w, annotations={"serving.kserve.io/deploymentMode": "RawDeployment"}),
            "spec": {"predictor": predictor},
            "status": {"url": f"http://{w.name}-{w.namespace}.example.com",
                       "address": {"url": f"http://{w.name}-predictor.{w.namespace}.svc.cluster.local"},
                       "conditions": _ready(w), "deploymentMode": "RawDeployment", "observedGeneration": 1,
                       "modelStatus": {"states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
                                       "transitionStatus": "UpToDate"}}}
    name = f"{w.name}-predictor"
    labels = {"app": f"isvc.{name}", "serving.kserve.io/inferenceservice": w.name, "component": "predictor",
              **({"team": w.team} if w.team else {})}
    container = _kserve_container(w, t, runtime, predictor)
    child = deployment(w, t, name=name, owner=isvc, labels=labels, spec=pod_spec(w, t, [container]))
    child["spec"]["selector"] = {"matchLabels": {"app": f"isvc.{name}"}}
    child["spec"]["template"]["metadata"]["labels"] = labels
    parts = [Part(isvc), Part(child, w.pool, pending(w)),
             Part(service(w, 80, name=name, selector={"app": f"isvc.{name}"}, owner=isvc))]
    if low != high:
        parts.append(Part(hpa(w, child, (low, high), name=name, owner=isvc)))
    return parts


def _kserve_container(w: Workload, t: Target, runtime: str | None, predictor: dict[str, Any]) -> dict[str, Any]:
    if runtime is None:
        return predictor["containers"][0]
    image, _, base_args = KSERVE_RUNTIMES[runtime]
    args = [a.replace("{{.Name}}", w.name) for a in base_args] + list(predictor["model"].get("args", []))
    return {"name": "kserve-container", "image": image, "args": args,
            "resources": predictor["model"]["resources"], "ports": [{"containerPort": 8080, "protocol": "TCP"}]}


def operator_objects(operator: str) -> list[dict[str, Any]]:
    """Cluster-scoped objects an operator installs with itself."""
    if operator != "kserve":
        return []
    out = []
    for name, (image, formats, args) in KSERVE_RUNTIMES.items():
        out.append({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterServingRuntime",
                    "metadata": {"name": name},
                    "spec": {"annotations": {"prometheus.kserve.io/port": "8080"},
                             "supportedModelFormats": [{"name": f, "version": "1", "autoSelect": True, "priority": 1}
                                                       for f in formats],
                             "protocolVersions": ["v2", "v1"],
                             "containers": [{"name": "kserve-container", "image": image, "args": list(args),
                                             "resources": {"requests": {"cpu": "1", "memory": "2Gi"},
                                                           "limits": {"cpu": "1", "memory": "2Gi"}}}]}})
    return out


# --- Ray Serve ----------------------------------------------------------------------------------

def ray_service(w: Workload, t: Target) -> list[Part]:
    gpus = w.gpus_per_replica
    low, high = _bounds(w)
    scaling = ({"autoscaling_config": {"min_replicas": low, "max_replicas": high}} if low != high
               else {"num_replicas": w.replicas})
    gpu = t.pool.gpu if t.pool else None
    if w.engine in (None, "vllm"):
        llm: dict[str, Any] = {"model_loading_config": {"model_id": (w.model or "model").rsplit("/", 1)[-1],
                                                        "model_source": w.model},
                               "deployment_config": scaling,
                               "engine_kwargs": {"tensor_parallel_size": max(gpus, 1), "max_model_len": 8192}}
        if gpu and gpu.name in RAY_ACCELERATORS:
            llm["accelerator_type"] = RAY_ACCELERATORS[gpu.name]
        app = {"name": "llm", "route_prefix": "/", "import_path": "ray.serve.llm:build_openai_app",
               "args": {"llm_configs": [llm]}}
    else:
        app = {"name": w.name, "route_prefix": "/", "import_path": "serve_app:app",
               "args": {"model_id": w.model},
               "deployments": [{"name": "Server", **scaling, "ray_actor_options": {"num_gpus": gpus}}]}
    head = {"name": "ray-head", "image": w.image or RAY_IMAGE,
            "ports": [{"containerPort": p, "name": n} for p, n in ((6379, "gcs"), (8265, "dashboard"),
                                                                   (10001, "client"), (8000, "serve"))],
            "resources": resources(0, t.resource)}
    worker = {"name": "llm", "image": w.image or RAY_IMAGE, "resources": resources(gpus, t.resource)}
    worker_spec = pod_spec(w, t, [worker])
    cluster_spec = {"rayVersion": "2.44.0", "enableInTreeAutoscaling": low != high,
                    "headGroupSpec": {"rayStartParams": {"dashboard-host": "0.0.0.0", "num-gpus": "0"},
                                      "template": {"spec": {"containers": [head]}}},
                    "workerGroupSpecs": [{"groupName": "gpu-group", "replicas": w.replicas, "minReplicas": low,
                                          "maxReplicas": high, "rayStartParams": {},
                                          "template": {"spec": worker_spec}}]}
    app_status = "RUNNING" if w.ready_replicas else "DEPLOYING"
    cluster_name = f"{w.name}-raycluster-{suffix(w.namespace, w.name)}"
    rs = {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": meta(w),
          "spec": {"serveConfigV2": yaml_block({"applications": [app]}),
                   "rayClusterConfig": cluster_spec},
          "status": {"serviceStatus": "Running" if w.ready_replicas else "WaitForServeDeploymentReady",
                     "numServeEndpoints": w.ready_replicas,
                     "activeServiceStatus": {"rayClusterName": cluster_name,
                                             "applicationStatuses": {app["name"]: {"status": app_status}}}}}
    cluster = {"apiVersion": "ray.io/v1", "kind": "RayCluster",
               "metadata": meta(w, cluster_name, owner=rs,
                                labels={"ray.io/originated-from-crd": "RayService",
                                        "ray.io/originated-from-cr-name": w.name}),
               "spec": cluster_spec,
               "status": {"state": "ready", "readyWorkerReplicas": w.ready_replicas,
                          "availableWorkerReplicas": w.ready_replicas, "desiredWorkerReplicas": w.replicas,
                          "desiredGPU": str(gpus * w.replicas)}}
    sel = {"ray.io/cluster": cluster_name}
    return [Part(rs), Part(cluster, w.pool, pending(w)),
            Part(service(w, 8265, name=f"{w.name}-head-svc", selector={**sel, "ray.io/node-type": "head"},
                         owner=rs)),
            Part(service(w, 8000, name=f"{w.name}-serve-svc", selector={**sel, "ray.io/serve": "true"}, owner=rs))]


# --- NVIDIA NIM Operator ------------------------------------------------------------------------

def nim_service(w: Workload, t: Target) -> list[Part]:
    gpus = w.gpus_per_replica
    repository = f"nvcr.io/nim/{w.model}"
    tag = w.revision or NIM_DEFAULT_VERSION
    cache = f"{(w.model or w.name).rsplit('/', 1)[-1]}-cache"
    spec: dict[str, Any] = {"image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent",
                                      "pullSecrets": ["ngc-secret"]},
                            "authSecret": "ngc-api-secret", "storage": {"nimCache": {"name": cache, "profile": ""}},
                            "replicas": w.replicas, "resources": {"limits": {t.resource: str(gpus)}},
                            "expose": {"service": {"type": "ClusterIP", "port": 8000}}}
    if t.node_selector:
        spec["nodeSelector"] = dict(t.node_selector)
    if t.tolerations:
        spec["tolerations"] = list(t.tolerations)
    if w.hpa:
        spec["scale"] = {"enabled": True, "hpa": {"minReplicas": w.hpa[0], "maxReplicas": w.hpa[1], "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                         "averageUtilization": 70}}}]}}
    nim = {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": meta(w), "spec": spec,
           "status": {"state": "Ready" if w.ready_replicas else "NotReady",
                      "conditions": [{"type": "Ready", "status": "True" if w.ready_replicas else "False",
                                      "reason": "Ready", "message": "deployment is ready"}]}}
    container = {**engine_container(w, t, gpus=gpus), "name": w.name,
                 "image": w.image or f"{repository}:{tag}"}
    child = deployment(w, t, owner=nim, spec=pod_spec(w, t, [container]))
    nim_cache = {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
                 "metadata": {"name": cache, "namespace": w.namespace},
                 "spec": {"source": {"ngc": {"modelPuller": f"{repository}:{tag}", "pullSecret": "ngc-secret",
                                             "authSecret": "ngc-api-secret",
                                             "model": {"engine": "tensorrt_llm", "tensorParallelism": str(gpus or 1)}}},
                          "storage": {"pvc": {"create": True, "size": "50Gi", "volumeAccessMode": "ReadWriteMany"}}},
                 "status": {"state": "Ready"}}
    parts = [Part(nim), Part(child, w.pool, pending(w)), Part(service(w, 8000, owner=nim)), Part(nim_cache)]
    if w.hpa:
        parts.append(Part(hpa(w, child, w.hpa, owner=nim)))
    return parts


# --- LeaderWorkerSet ----------------------------------------------------------------------------

def leader_worker_set(w: Workload, t: Target) -> list[Part]:
    size = max(1, w.size)
    per_pod = max(1, w.gpus_per_replica // size) if w.gpus_per_replica else 0
    leader, worker = _lws_containers(w, t, size, per_pod)
    lws_labels = {"leaderworkerset.sigs.k8s.io/name": w.name}
    leader_tmpl = {"metadata": {"labels": {**selector_labels(w), "role": "leader"}},
                   "spec": pod_spec(w, t, [leader])}
    worker_tmpl = {"metadata": {"labels": {**selector_labels(w), "role": "worker"}},
                   "spec": pod_spec(w, t, [worker])}
    lws = {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "metadata": meta(w),
           "spec": {"replicas": w.replicas, "startupPolicy": "LeaderCreated",
                    "leaderWorkerTemplate": {"size": size, "restartPolicy": "RecreateGroupOnPodRestart",
                                             "leaderTemplate": leader_tmpl, "workerTemplate": worker_tmpl},
                    "rolloutStrategy": {"type": "RollingUpdate",
                                        "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0}}},
           "status": {"replicas": w.replicas, "readyReplicas": w.ready_replicas, "updatedReplicas": w.replicas,
                      "hpaPodSelector": f"leaderworkerset.sigs.k8s.io/name={w.name},"
                                        f"leaderworkerset.sigs.k8s.io/worker-index=0",
                      "conditions": [{"type": "Available", "status": "True" if w.ready_replicas else "False",
                                      "reason": "AllGroupsReady", "message": "All replicas are ready"}]}}
    parts = [Part(lws)]
    leaders = statefulset(w, t, owner=lws, labels={**object_labels(w), **lws_labels},
                          tmpl=_with_labels(leader_tmpl, {**lws_labels, "leaderworkerset.sigs.k8s.io/worker-index": "0"}))
    parts.append(Part(leaders, w.pool, pending(w)))
    for group in range(w.replicas if size > 1 else 0):
        sts = statefulset(w, t, name=f"{w.name}-{group}", replicas=size - 1, owner=lws,
                          labels={**object_labels(w), **lws_labels},
                          tmpl=_with_labels(worker_tmpl, {**lws_labels, "leaderworkerset.sigs.k8s.io/group-index":
                                                          str(group)}))
        sts["spec"]["selector"] = {"matchLabels": {**selector_labels(w), "role": "worker",
                                                   "leaderworkerset.sigs.k8s.io/group-index": str(group)}}
        sts["spec"]["ordinals"] = {"start": 1}
        held = size - 1 if group >= w.ready_replicas else 0
        parts.append(Part(sts, w.pool, held))
    port = 8080
    parts.append(Part(service(w, port, selector={**selector_labels(w), "role": "leader"}, owner=lws)))
    return parts + scalers(w, lws)


def _lws_containers(w: Workload, t: Target, size: int, per_pod: int) -> tuple[dict[str, Any], dict[str, Any]]:
    image = w.image or ENGINES[w.engine or "vllm"].image
    res = resources(per_pod, t.resource)
    if w.engine == "sglang":
        base = (f"python3 -m sglang.launch_server --model-path {w.model} --tp {per_pod * size} --nnodes {size} "
                f"--dist-init-addr $(LWS_LEADER_ADDRESS):20000 --trust-remote-code")
        leader_cmd = f"{base} --node-rank 0 --host 0.0.0.0 --port 8080"
        worker_cmd = f"{base} --node-rank $(LWS_WORKER_INDEX)"
    else:
        leader_cmd = (f"bash {LWS_SCRIPT} leader --ray_cluster_size=$(LWS_GROUP_SIZE); "
                      f"python3 -m vllm.entrypoints.openai.api_server --port 8080 --model {w.model} "
                      f"--tensor-parallel-size {per_pod} --pipeline_parallel_size {size}")
        worker_cmd = f"bash {LWS_SCRIPT} worker --ray_address=$(LWS_LEADER_ADDRESS)"
    shm = [{"name": "dshm", "mountPath": "/dev/shm"}]
    leader = {"name": "vllm-leader" if w.engine != "sglang" else "sglang-leader", "image": image,
              "command": ["sh", "-c", leader_cmd], "resources": res, "volumeMounts": shm,
              "ports": [{"containerPort": 8080}],
              "readinessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 10}}
    worker = {"name": "vllm-worker" if w.engine != "sglang" else "sglang-worker", "image": image,
              "command": ["sh", "-c", worker_cmd], "resources": res, "volumeMounts": shm}
    return leader, worker


def _with_labels(tmpl: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"labels": {**tmpl["metadata"]["labels"], **labels}}, "spec": tmpl["spec"]}


# --- KAITO --------------------------------------------------------------------------------------

def kaito_workspace(w: Workload, t: Target) -> list[Part]:
    preset = w.model or "phi-3-mini-4k-instruct"
    pool_selector = t.pool.selector("pool", t.provider) if t.pool else {}
    ws = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": meta(w),
          "resource": {"count": w.replicas, "instanceType": t.pool.instance_type if t.pool else None,
                       "labelSelector": {"matchLabels": pool_selector}},
          "inference": {"preset": {"name": preset}},
          "status": {"conditions": [{"type": c, "status": "True" if w.ready_replicas else "False",
                                     "reason": "Succeeded"} for c in
                                    ("ResourceReady", "InferenceReady", "WorkspaceSucceeded")]}}
    gpus = w.gpus_per_replica
    container = {"name": w.name, "image": w.image or f"mcr.microsoft.com/aks/kaito/kaito-{preset}:0.0.8",
                 "command": ["/bin/sh", "-c", f"python3 /workspace/vllm/inference_api.py --served-model-name={preset} "
                                             f"--gpu-memory-utilization=0.95"
                                             + (f" --tensor-parallel-size={gpus}" if gpus > 1 else "")],
                 "ports": [{"containerPort": 5000}], "resources": resources(gpus, t.resource),
                 "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}]}
    spec = pod_spec(w, Target(t.pool, {}, t.tolerations, t.provider), [container])
    if pool_selector:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": k, "operator": "In", "values": [v]}
                                                        for k, v in pool_selector.items()]}]}}}
    child = deployment(w, t, owner=ws, spec=spec)
    return [Part(ws), Part(child, w.pool, pending(w)), Part(service(w, 80, owner=ws))]


# --- Seldon -------------------------------------------------------------------------------------

def seldon_deployment(w: Workload, t: Target) -> list[Part]:
    implementation = SELDON_IMPLEMENTATIONS.get(w.engine or "") if not w.image else None
    gpus = w.gpus_per_replica
    graph: dict[str, Any] = {"name": w.name, "type": "MODEL"}
    if implementation:
        graph.update({"implementation": implementation, "modelUri": w.model})
        container = {"name": w.name, "resources": resources(gpus, t.resource)}
    else:
        container = {**engine_container(w, t), "name": w.name}
    component = {"spec": pod_spec(w, t, [container])}
    predictor = {"name": "default", "replicas": w.replicas, "graph": graph, "componentSpecs": [component]}
    sdep = {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment", "metadata": meta(w),
            "spec": {"protocol": "v2", "predictors": [predictor]}}
    name = f"{w.name}-default-0-{w.name}"
    sdep["status"] = {"state": "Available" if w.ready_replicas else "Creating",
                      "deploymentStatus": {name: {"replicas": w.replicas, "availableReplicas": w.ready_replicas}}}
    child_container = dict(container)
    if implementation:
        image = {"TRITON_SERVER": "nvcr.io/nvidia/tritonserver:23.10-py3",
                 "HUGGINGFACE_SERVER": "seldonio/mlserver:1.3.5-huggingface",
                 "TENSORFLOW_SERVER": "tensorflow/serving:2.1.0"}.get(implementation, "seldonio/mlserver:1.3.5-sklearn")
        child_container["image"] = image
    executor = {"name": "seldon-container-engine", "image": "docker.io/seldonio/seldon-core-executor:1.18.1",
                "resources": resources(0, t.resource)}
    labels = {"seldon-deployment-id": w.name, "seldon-app": f"{w.name}-default", **object_labels(w)}
    child = deployment(w, t, name=name, owner=sdep, labels=labels,
                       spec=pod_spec(w, t, [child_container, executor]))
    return [Part(sdep), Part(child, w.pool, pending(w)),
            Part(service(w, 8000, name=f"{w.name}-default", selector={"seldon-app": f"{w.name}-default"},
                         owner=sdep))]


def seldon_model(w: Workload, t: Target) -> list[Part]:
    server_name, image = SELDON_V2_SERVERS.get(w.engine, SELDON_V2_SERVERS[None])
    requirement = {"triton": "onnx", "vllm": "huggingface", "tgi": "huggingface"}.get(w.engine or "", "sklearn")
    model = {"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model", "metadata": meta(w),
             "spec": {"storageUri": w.model, "requirements": [requirement], "memory": "3Gi",
                      "replicas": w.replicas, "server": server_name},
             "status": {"replicas": w.replicas, "availableReplicas": w.ready_replicas,
                        "conditions": [{"type": c, "status": "True" if w.ready_replicas else "False"}
                                       for c in ("ModelReady", "Ready")]}}
    server_w = Workload(name=server_name, namespace=w.namespace, pool=w.pool, team=w.team)
    server = {"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server", "metadata": meta(server_w),
              "spec": {"serverConfig": server_name, "replicas": 1},
              "status": {"loadedModels": 1, "replicas": 1,
                         "conditions": [{"type": "Ready", "status": "True"}]}}
    containers = [{"name": "rclone", "image": "seldonio/seldon-rclone:2.8.5", "resources": resources(0, t.resource)},
                  {"name": "agent", "image": "seldonio/seldon-agent:2.8.5", "resources": resources(0, t.resource)},
                  {"name": server_name, "image": image, "resources": resources(w.gpus_per_replica, t.resource)}]
    sts = statefulset(server_w, t, replicas=1, owner=server, spec=pod_spec(server_w, t, containers))
    sts["spec"]["template"] = template(server_w, t, sts["spec"]["template"]["spec"])
    return [Part(model), Part(server), Part(sts, w.pool, 0)]


BUILDERS: dict[str, Builder] = {
    "InferenceService": inference_service,
    "RayService": ray_service,
    "NIMService": nim_service,
    "LeaderWorkerSet": leader_worker_set,
    "Workspace": kaito_workspace,
    "SeldonDeployment": seldon_deployment,
    "Model": seldon_model,
}
