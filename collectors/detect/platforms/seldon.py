"""Seldon Core: v1 SeldonDeployment (machinelearning.seldon.io) and v2 Model (mlops.seldon.io).

v1: every predictor is deployed on its own, so each gives one ModelSpec (`workload.unit` = predictor
name). The model is the first graph node that names one (a prepackaged `implementation`, a
`modelUri`, or type MODEL), depth first; a custom node is served by the componentSpecs container of
the same name. Replicas: the component's `replicas`, else the predictor's, else the deployment's,
else 1; an `hpaSpec`/`kedaSpec` makes it autoscaled (desired = explicit replicas, else the minimum).

v2: a Model is scheduled onto a Server (`spec.server`, else the first Server whose capabilities
cover `spec.requirements`, else Seldon's default `mlserver`/`triton` servers by capability). One
ModelSpec per Model; the engine comes from the Server's `serverConfig` (mlserver, triton) or image.

Decisions where Seldon leaves room:
- Prepackaged servers under the v2 protocol run MLServer; under the Seldon protocol the Python
  wrappers (`seldonio/sklearnserver`...) are engine custom. TENSORFLOW_SERVER is tf-serving,
  TRITON_SERVER triton, HUGGINGFACE_SERVER/TEMPO_SERVER MLServer.
- Variants: a `shadow: true` predictor is variant shadow. With several live predictors splitting
  traffic unevenly, those below the largest share are variant canary (an even split is an A/B test,
  no variant).
- A v2 Model shares its Server's pods with every other Model scheduled there: its accelerators are
  the Server pod's (one pod per Model replica), so Models sharing one GPU Server each show it.
Server, ServerConfig, Pipeline, Experiment, SeldonRuntime and SeldonConfig are not reported (quiet).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.detect import platforms
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.objects import as_int, containers, dig, mapping, seq, text
from collectors.detect.platforms.common import pod_spec, scale_bounds, storage_model, with_annotations
from collectors.spec import ModelRef

V1_GROUP = "machinelearning.seldon.io"
V2_GROUP = "mlops.seldon.io"

# Prepackaged server implementation → (engine with the v2 protocol, engine otherwise).
PREPACKAGED: dict[str, tuple[str, str]] = {
    "SKLEARN_SERVER": ("mlserver", "custom"),
    "XGBOOST_SERVER": ("mlserver", "custom"),
    "LIGHTGBM_SERVER": ("mlserver", "custom"),
    "MLFLOW_SERVER": ("mlserver", "custom"),
    "TENSORFLOW_SERVER": ("tf-serving", "tf-serving"),
    "TRITON_SERVER": ("triton", "triton"),
    "HUGGINGFACE_SERVER": ("mlserver", "mlserver"),
    "TEMPO_SERVER": ("mlserver", "mlserver"),
}
V2_PROTOCOLS = {"v2", "kfserving", "kserve"}
# Graph parameters that name the model a prepackaged server loads.
MODEL_PARAMETERS = ("pretrained_model", "model_name", "model_id", "model")

# Seldon Core 2 default server configs and the capabilities each advertises.
SERVER_ENGINES = {"mlserver": "mlserver", "triton": "triton"}
SERVER_CAPABILITIES: dict[str, frozenset[str]] = {
    "mlserver": frozenset({"mlserver", "alibi-detect", "alibi-explain", "huggingface", "lightgbm", "mlflow",
                           "python", "sklearn", "spark-mlib", "xgboost", "catboost"}),
    "triton": frozenset({"triton", "dali", "fil", "onnx", "openvino", "python", "pytorch", "tensorflow",
                         "tensorrt"}),
}


# --- v1 SeldonDeployment -------------------------------------------------------------------------------


@with_annotations
def recognise_seldon_deployment(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    predictors = [p for p in seq(spec.get("predictors")) if isinstance(p, Mapping)]
    if not predictors:
        return Skip("SeldonDeployment without predictors")
    protocol = (text(spec.get("protocol")) or "seldon").lower()
    deployment_name = text(dig(obj, "metadata", "name")) or ""
    canaries = _canary_predictors(predictors)
    out: list[Candidate] = []
    for position, predictor in enumerate(predictors):
        candidate = _predictor(obj, spec, predictor, protocol)
        if candidate is None:
            continue
        unit = text(predictor.get("name")) or f"predictor-{position}"
        candidate.unit = unit
        candidate.ready = _ready(obj, deployment_name, unit)
        if predictor.get("shadow") is True or text(predictor.get("shadow")) == "true":
            candidate.variant = "shadow"
            candidate.signals.append("shadow predictor (receives mirrored traffic)")
        elif position in canaries:
            candidate.variant = "canary"
            candidate.signals.append(f"takes {as_int(predictor.get('traffic'))}% of traffic (canary)")
        out.append(candidate)
    return out or Skip("SeldonDeployment predictors name no model or container")


def _canary_predictors(predictors: list[Mapping[str, Any]]) -> set[int]:
    live = [(i, as_int(p.get("traffic"))) for i, p in enumerate(predictors)
            if not (p.get("shadow") is True or text(p.get("shadow")) == "true")]
    shares = [share for _, share in live if share is not None]
    if len(live) < 2 or len(shares) < 2 or len(set(shares)) == 1:
        return set()
    top = max(shares)
    return {i for i, share in live if share is not None and share < top}


def _graph_nodes(node: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    stack = [node]
    while stack:
        current = stack.pop(0)
        if not isinstance(current, Mapping):
            continue
        out.append(current)
        stack[0:0] = [c for c in seq(current.get("children")) if isinstance(c, Mapping)]
    return out


def _model_node(graph: Any) -> Mapping[str, Any] | None:
    nodes = _graph_nodes(graph)
    for node in nodes:
        if text(node.get("implementation")) or text(node.get("modelUri")):
            return node
    for node in nodes:
        if (text(node.get("type")) or "").upper() == "MODEL":
            return node
    return nodes[0] if nodes else None


def _predictor(obj: Mapping[str, Any], spec: Mapping[str, Any], predictor: Mapping[str, Any],
               protocol: str) -> Candidate | None:
    node = _model_node(predictor.get("graph"))
    components = [c for c in seq(predictor.get("componentSpecs")) if isinstance(c, Mapping)]
    if node is None and not components:
        return None
    node = node or {}
    node_name = text(node.get("name"))
    implementation = (text(node.get("implementation")) or "").upper()
    owner = next((c for c in components if any(text(x.get("name")) == node_name
                                                for x in containers(dig(c, "spec")))), None)
    owner = owner or (components[0] if components else {})
    container = next((x for x in containers(dig(owner, "spec")) if text(x.get("name")) == node_name), None)
    signals = [f"graph node {node_name or '?'}" + (f" ({implementation})" if implementation else "")]

    if implementation in PREPACKAGED:
        v2_engine, v1_engine = PREPACKAGED[implementation]
        engine = v2_engine if protocol in V2_PROTOCOLS else v1_engine
        candidate = Candidate(engine=engine, platform="seldon",
                              image=text(container.get("image")) if container else None)
        signals.append(f"prepackaged {implementation} with protocol {protocol} → {engine}")
    elif implementation:
        candidate = Candidate(engine="custom", platform="seldon")
        signals.append(f"implementation {implementation}")
    else:
        found = platforms.from_containers([container], obj) if container else None
        if isinstance(found, Candidate):
            candidate = found
            candidate.platform = "nim" if found.platform == "nim" else "seldon"
        else:
            image = text(container.get("image")) if container else None
            candidate = Candidate(engine="custom" if image else "unknown", platform="seldon", image=image)
            signals.append("custom model image (Seldon wrapper)" if image else "no container for the model node")

    model = storage_model(node.get("modelUri"))
    parameters = {text(dig(p, "name")): text(dig(p, "value")) for p in seq(node.get("parameters"))}
    named = next((parameters[k] for k in MODEL_PARAMETERS if parameters.get(k)), None)
    if named:
        model = ModelRef(named, model.version, model.uri)
        signals.append("model from graph parameters")
    if model.name or model.uri:
        candidate.model = ModelRef(model.name or candidate.model.name, model.version or candidate.model.version,
                                   model.uri or candidate.model.uri)
    if node_name:
        candidate.settings.setdefault("servedModelName", node_name)

    # every componentSpec is a Deployment of the predictor; a prepackaged server without one runs in
    # a pod Seldon generates (no accelerators unless a componentSpec container of its name asks)
    pods = [(mapping(dig(c, "spec")), 1.0) for c in components if mapping(dig(c, "spec"))]
    candidate.pod_specs = pods or [(pod_spec(containers=[{"name": node_name or "model"}]), 1.0)]
    candidate.metadatas.extend(mapping(c.get("metadata")) for c in components)
    candidate.metadatas.append({"labels": predictor.get("labels"), "annotations": predictor.get("annotations")})
    _replicas(candidate, spec, predictor, owner)
    candidate.signals = [*signals, *candidate.signals]
    return candidate


def _replicas(candidate: Candidate, spec: Mapping[str, Any], predictor: Mapping[str, Any],
              component: Mapping[str, Any]) -> None:
    explicit = next((as_int(v) for v in (component.get("replicas"), predictor.get("replicas"), spec.get("replicas"))
                     if as_int(v) is not None), None)
    hpa, keda = mapping(component.get("hpaSpec")), mapping(component.get("kedaSpec"))
    if hpa:
        candidate.min, candidate.max = scale_bounds(hpa)
        candidate.autoscaled = True
        candidate.signals.append(f"hpaSpec min {candidate.min} max {candidate.max}")
    elif keda:
        candidate.min, candidate.max = scale_bounds(keda, min_keys=("minReplicaCount",),
                                                    max_keys=("maxReplicaCount",), default_min=0)
        candidate.max = 100 if candidate.max is None else candidate.max
        candidate.autoscaled = True
        candidate.signals.append(f"kedaSpec min {candidate.min} max {candidate.max}")
    if explicit is not None:
        candidate.desired = explicit
    else:
        candidate.desired = candidate.min if candidate.autoscaled else 1


def _ready(obj: Mapping[str, Any], deployment_name: str, predictor_name: str) -> int | None:
    status = mapping(dig(obj, "status", "deploymentStatus"))
    prefix = f"{deployment_name}-{predictor_name}-"
    counts = [as_int(dig(v, "availableReplicas")) for k, v in status.items() if str(k).startswith(prefix)]
    counts = [c for c in counts if c is not None]
    return min(counts) if counts else None


# --- v2 Model ---------------------------------------------------------------------------------------------


@with_annotations
def recognise_model(obj: Mapping[str, Any], index: Any, ctx: Any) -> list[Candidate] | Skip:
    spec = mapping(obj.get("spec"))
    if not spec:
        return Skip("Seldon Model without spec")
    namespace = text(dig(obj, "metadata", "namespace"))
    raw_requirements = spec.get("requirements")
    raw_requirements = [raw_requirements] if isinstance(raw_requirements, str) else seq(raw_requirements)
    requirements = {(text(r) or "").lower() for r in raw_requirements if text(r)}
    server_name = text(spec.get("server"))
    signals: list[str] = []
    server = None
    if server_name:
        server = index.get("Server", namespace, server_name)
        signals.append(f"scheduled on Server {server_name}" + ("" if server else " (not among the scanned objects)"))
    elif requirements:
        server_name, server = _match_server(index, namespace, requirements)
        signals.append(f"requirements {', '.join(sorted(requirements))} → "
                       + (f"Server {server_name}" if server_name else "several servers fit: engine unknown"))

    engine, image, pod = _server_engine(obj, server_name, server, requirements, signals)
    model = storage_model(spec.get("storageUri"))
    version = model.version or text(spec.get("artifactVersion"))
    name = model.name or text(dig(obj, "metadata", "name"))
    candidate = Candidate(engine=engine, platform="seldon", model=ModelRef(name, version, model.uri),
                          image=image, signals=signals)
    candidate.settings["servedModelName"] = text(dig(obj, "metadata", "name"))
    if pod is not None:
        candidate.pod_specs = [(pod, 1.0)]
        candidate.signals.append("accelerators are the Server pod's (shared with other Models on it)")
    replicas = as_int(spec.get("replicas"))
    minimum, maximum = as_int(spec.get("minReplicas")), as_int(spec.get("maxReplicas"))
    if minimum is not None or maximum is not None:
        candidate.min = 1 if minimum is None else minimum
        candidate.max, candidate.autoscaled = maximum, True
        candidate.signals.append(f"model autoscaling min {candidate.min} max {maximum}")
        candidate.desired = replicas if replicas is not None else candidate.min
    else:
        candidate.desired = 1 if replicas is None else replicas
    candidate.ready = as_int(dig(obj, "status", "availableReplicas"))
    return [candidate]


def _match_server(index: Any, namespace: str | None, requirements: set[str]) -> tuple[str | None, Any]:
    """The one scanned Server whose capabilities cover the requirements, else a default server."""
    matches: list[tuple[str, Any]] = []
    for (server_ns, server_name), server in index.by_kind.get("Server", {}).items():
        if server_ns not in {namespace or "", ""} or (text(server.get("apiVersion")) or "").split("/")[0] != V2_GROUP:
            continue
        config = (text(dig(server, "spec", "serverConfig")) or "").lower()
        declared = {(text(c) or "").lower() for c in seq(dig(server, "spec", "capabilities"))}
        capabilities = (declared or set(SERVER_CAPABILITIES.get(config, ())))
        capabilities |= {(text(c) or "").lower() for c in seq(dig(server, "spec", "extraCapabilities"))}
        if requirements <= capabilities:
            matches.append((server_name, server))
    if len(matches) == 1:
        return matches[0]
    configs = {(text(dig(s, "spec", "serverConfig")) or "").lower() for _, s in matches}
    if len(configs) == 1 and configs <= set(SERVER_ENGINES):
        return configs.pop(), None  # several servers of one kind: the engine is known, the pods are not
    if matches:
        return None, None
    fitting = [name for name, caps in SERVER_CAPABILITIES.items() if requirements <= caps]
    if len(fitting) == 1:
        return fitting[0], None
    return None, None


def _server_engine(obj: Mapping[str, Any], server_name: str | None, server: Mapping[str, Any] | None,
                   requirements: set[str], signals: list[str]) -> tuple[str, str | None, dict[str, Any] | None]:
    if server is None:
        engine = SERVER_ENGINES.get((server_name or "").lower(), "unknown")
        if engine == "unknown":
            fitting = [n for n, caps in SERVER_CAPABILITIES.items() if requirements and requirements <= caps]
            engine = SERVER_ENGINES[fitting[0]] if len(fitting) == 1 else "unknown"
        return engine, None, None
    config = (text(dig(server, "spec", "serverConfig")) or "").lower()
    ctrs = containers(dig(server, "spec", "podSpec"))
    found = platforms.from_containers(ctrs, obj) if ctrs else None
    engine = SERVER_ENGINES.get(config) or (found.engine if isinstance(found, Candidate) else "unknown")
    signals.append(f"Server {server_name} serverConfig {config or '?'} → {engine}")
    image = next((text(c.get("image")) for c in ctrs if text(c.get("image"))), None)
    pod = pod_spec(containers=ctrs, source=dig(server, "spec", "podSpec"))
    return engine, image, pod


# --- kinds that are not reported ------------------------------------------------------------------------


def _not_reported(reason: str):
    def recognise(obj: Mapping[str, Any], index: Any, ctx: Any) -> Skip:
        return Skip(reason, quiet=True)
    return recognise


KINDS: dict[tuple[str, str], Any] = {
    (V1_GROUP, "SeldonDeployment"): recognise_seldon_deployment,
    (V2_GROUP, "Model"): recognise_model,
    (V2_GROUP, "Server"): _not_reported("Seldon Server hosts Models; each Model is reported"),
    (V2_GROUP, "ServerConfig"): _not_reported("Seldon ServerConfig is a server template"),
    (V2_GROUP, "Pipeline"): _not_reported("Seldon Pipeline chains Models; each Model is reported"),
    (V2_GROUP, "Experiment"): _not_reported("Seldon Experiment splits traffic between Models"),
    (V2_GROUP, "SeldonRuntime"): _not_reported("SeldonRuntime is the Seldon control plane"),
    (V2_GROUP, "SeldonConfig"): _not_reported("SeldonConfig is the Seldon installation config"),
}
