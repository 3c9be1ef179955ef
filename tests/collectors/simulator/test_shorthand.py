"""Workload shorthand expands to manifests shaped like each engine's and platform's public examples."""

from __future__ import annotations

import yaml

from collectors.simulator import FleetSimulator, scenario_from_dict

POOLS = [{"name": "cpu", "instanceType": "m6i.2xlarge", "count": 2},
         {"name": "l40s", "instanceType": "g6e.12xlarge", "count": 3}]


def serve(*workloads: dict, operators: list[str] | None = None) -> FleetSimulator:
    doc = {"name": "t", "seed": 3, "clouds": {"aws": {"regions": {"us-west-2": {"clusters": [
        {"name": "c", "nodePools": POOLS, "workloads": list(workloads), "operators": operators or []}]}}}}}
    return FleetSimulator(scenario_from_dict(doc))


def objects(sim: FleetSimulator, plural: str, group: str = "") -> list[dict]:
    store = sim.store("c")
    bucket = store.buckets.get((group, plural))
    return [store.render(bucket.items[k]) for k in bucket.ordered()] if bucket else []


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def test_engine_containers_follow_public_examples():
    sim = serve({"name": "a", "engine": "vllm", "model": "m/a", "revision": "r1", "gpus": 2, "pool": "l40s"},
                {"name": "b", "engine": "tgi", "model": "m/b", "pool": "l40s"},
                {"name": "c", "engine": "sglang", "model": "m/c", "gpus": 4, "pool": "l40s"},
                {"name": "d", "engine": "tei", "model": "m/d", "pool": "l40s"},
                {"name": "e", "engine": "ollama", "model": "llama3.1:8b", "pool": "l40s"},
                {"name": "f", "engine": "triton", "model": "s3://repo", "pool": "l40s"})
    by_name = {d["metadata"]["name"]: containers(d)[0] for d in objects(sim, "deployments", "apps")}
    assert by_name["a"]["image"] == "vllm/vllm-openai:v0.6.3"
    assert by_name["a"]["args"][:3] == ["--model=m/a", "--revision=r1", "--tensor-parallel-size=2"]
    assert {"name": "MODEL_ID", "value": "m/b"} in by_name["b"]["env"]
    assert by_name["b"]["image"].startswith("ghcr.io/huggingface/text-generation-inference:")
    assert by_name["c"]["command"][:5] == ["python3", "-m", "sglang.launch_server", "--model-path", "m/c"]
    assert by_name["d"]["image"] == "ghcr.io/huggingface/text-embeddings-inference:89-1.5"
    assert "ollama pull llama3.1:8b" in by_name["e"]["lifecycle"]["postStart"]["exec"]["command"][2]
    assert by_name["f"]["command"] == ["tritonserver"] and "--model-repository=s3://repo" in by_name["f"]["args"]
    assert by_name["a"]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    services = {s["metadata"]["name"]: s["spec"]["ports"][0]["port"] for s in objects(sim, "services")}
    assert services["a"] == 8000 and services["c"] == 30000


def test_placement_node_has_no_selector_but_runs_in_the_pool():
    sim = serve({"name": "w", "engine": "vllm", "model": "m", "pool": "l40s", "placement": "node", "replicas": 2},
                {"name": "p", "engine": "vllm", "model": "m", "pool": "l40s", "placement": "pool"})
    deployments = {d["metadata"]["name"]: d for d in objects(sim, "deployments", "apps")}
    assert "nodeSelector" not in deployments["w"]["spec"]["template"]["spec"]
    assert deployments["p"]["spec"]["template"]["spec"]["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "l40s"}
    nodes = {n["metadata"]["name"]: n["metadata"]["labels"] for n in objects(sim, "nodes")}
    pods = [p for p in objects(sim, "pods") if p["metadata"]["labels"].get("app") == "w"]
    assert len(pods) == 2
    assert all(nodes[p["spec"]["nodeName"]]["eks.amazonaws.com/nodegroup"] == "l40s" for p in pods)


def test_kserve_inference_service_and_its_predictor():
    sim = serve({"name": "isvc", "namespace": "ml", "kind": "InferenceService", "engine": "vllm", "model": "m/x",
                 "pool": "l40s", "hpa": {"min": 1, "max": 3}, "team": "ads"})
    isvc = objects(sim, "inferenceservices", "serving.kserve.io")[0]
    predictor = isvc["spec"]["predictor"]
    assert predictor["model"]["modelFormat"] == {"name": "huggingface"}
    assert "--backend=vllm" in predictor["model"]["args"] and (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 3)
    child = objects(sim, "deployments", "apps")
    child = next(d for d in child if d["metadata"]["name"] == "isvc-predictor")
    owner = child["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("InferenceService", "isvc", isvc["metadata"]["uid"])
    assert containers(child)[0]["name"] == "kserve-container"
    hpas = objects(sim, "horizontalpodautoscalers", "autoscaling")
    assert hpas[0]["spec"]["scaleTargetRef"]["name"] == "isvc-predictor"


def test_ray_service_makes_a_ray_cluster_with_head_and_gpu_workers():
    sim = serve({"name": "llm", "kind": "RayService", "model": "meta-llama/Llama-3.1-8B-Instruct", "replicas": 2,
                 "pool": "l40s"})
    service = objects(sim, "rayservices", "ray.io")[0]
    config = yaml.safe_load(service["spec"]["serveConfigV2"])
    llm = config["applications"][0]["args"]["llm_configs"][0]
    assert config["applications"][0]["import_path"] == "ray.serve.llm:build_openai_app"
    assert llm["model_loading_config"]["model_source"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert llm["accelerator_type"] == "L40S"
    kinds = sorted(p["metadata"]["labels"]["ray.io/node-type"] for p in objects(sim, "pods")
                   if "ray.io/node-type" in p["metadata"]["labels"])
    assert kinds == ["head", "worker", "worker"]


def test_leader_worker_set_groups():
    sim = serve({"name": "big", "kind": "LeaderWorkerSet", "engine": "vllm", "model": "m/70b", "replicas": 2,
                 "size": 2, "gpus": 8, "pool": "l40s"})
    pods = sorted(p["metadata"]["name"] for p in objects(sim, "pods") if p["metadata"]["name"].startswith("big"))
    assert pods == ["big-0", "big-0-1", "big-1", "big-1-1"]
    lws = objects(sim, "leaderworkersets", "leaderworkerset.x-k8s.io")[0]
    leader = lws["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]["containers"][0]
    assert "--tensor-parallel-size 4 --pipeline_parallel_size 2" in leader["command"][2]
    assert leader["resources"]["limits"]["nvidia.com/gpu"] == "4"


def test_nim_keda_and_noise():
    sim = serve({"name": "nim", "kind": "NIMService", "engine": "nim", "model": "meta/llama-3.1-8b-instruct",
                 "pool": "l40s"},
                {"name": "chat", "engine": "vllm", "model": "m", "pool": "l40s", "keda": {"min": 0, "max": 4}},
                {"name": "site", "preset": "web", "replicas": 2, "pool": "cpu"},
                {"name": "bench", "preset": "benchmark", "model": "m", "pool": "cpu"})
    nim = objects(sim, "nimservices", "apps.nvidia.com")[0]
    assert nim["spec"]["image"] == {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3",
                                    "pullPolicy": "IfNotPresent", "pullSecrets": ["ngc-secret"]}
    scaled = objects(sim, "scaledobjects", "keda.sh")[0]
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["scaleTargetRef"]["name"]) == (0, "chat")
    assert any(h["metadata"]["name"] == "keda-hpa-chat" for h in objects(sim, "horizontalpodautoscalers", "autoscaling"))
    job = objects(sim, "jobs", "batch")[0]
    assert "vllm bench serve" in containers(job)[0]["command"][2]
    site = next(d for d in objects(sim, "deployments", "apps") if d["metadata"]["name"] == "site")
    assert containers(site)[0]["image"] == "nginx:1.27-alpine"


def test_raw_manifests_of_any_kind_get_a_resource():
    route = {"apiVersion": "gateway.example.com/v1", "kind": "ModelRoute",
             "metadata": {"name": "r", "namespace": "ml"}, "spec": {"backend": "chat"}}
    sim = serve({"manifest": route})
    store = sim.store("c")
    assert store.resources[("gateway.example.com", "modelroutes")].kind == "ModelRoute"
    assert objects(sim, "modelroutes", "gateway.example.com")[0]["spec"] == {"backend": "chat"}


def test_uids_and_names_are_deterministic():
    def pod_names_and_uids():
        sim = serve({"name": "w", "engine": "vllm", "model": "m", "pool": "l40s", "replicas": 3})
        return [(p["metadata"]["name"], p["metadata"]["uid"]) for p in objects(sim, "pods")]
    assert pod_names_and_uids() == pod_names_and_uids()
