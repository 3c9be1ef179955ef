"""Actuators through the real `kubernetes` client against the fleet simulator: the plans (pure functions of
the objects), execution guarded by resourceVersion and verified by re-reading, and the error kinds."""

from __future__ import annotations

import pytest

from collectors.actuators import (
    REDACTED,
    Actuator,
    ActuatorError,
    ActuatorErrorKind,
    ObjectRef,
    Plan,
    cluster_target,
    plan_align_version,
    plan_move_gpu,
    plan_scale,
    redacted,
)
from collectors.kubernetes import KubernetesCrawler, targets_from_kubeconfig
from collectors.registry import KubeconfigCollector
from collectors.simulator import FleetSimulator, load_scenario


@pytest.fixture()
def fleet(tmp_path):
    with FleetSimulator(load_scenario("smoke")) as sim:
        path = tmp_path / "kubeconfig"
        sim.kubeconfig(path)
        targets = {t.name: t for t in targets_from_kubeconfig(str(path))}
        yield sim, targets


def actuator(targets, cluster="prod-use1") -> Actuator:
    return Actuator.for_target(targets[cluster], timeout=(2, 5))


def deployment(replicas=3, **pod_spec):
    return {"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": "chat", "namespace": "llm", "resourceVersion": "42", "uid": "u1"},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "sidecar", "image": "envoy:1"},
                {"name": "vllm", "image": "vllm/vllm-openai:v0.6.3", "args": ["--model", "m", "--revision", "r1"],
                 "resources": {"limits": {"nvidia.com/gpu": "1"}}}], **pod_spec}}}}


# --- plans: pure functions ------------------------------------------------------------------------


def test_a_scale_plan_is_the_scale_subresource_patch_with_the_resource_version():
    plan = plan_scale(deployment(), replicas=0)
    [step] = plan.steps
    assert step.to_dict()["path"] == "/apis/apps/v1/namespaces/llm/deployments/chat/scale"
    assert step.body == {"metadata": {"resourceVersion": "42"}, "spec": {"replicas": 0}}
    assert (step.content_type, step.expect) == ("application/merge-patch+json", {"/spec/replicas": 0})
    assert (plan.before["spec.replicas"], plan.after["spec.replicas"]) == (3, 0)
    assert Plan.from_dict(plan.to_dict()) == plan   # what is stored is what is executed


def test_a_scale_plan_moves_hpa_bounds_only_when_they_exclude_the_target():
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "chat", "namespace": "llm", "resourceVersion": "7"},
           "spec": {"minReplicas": 2, "maxReplicas": 6}}
    assert len(plan_scale(deployment(), replicas=3, hpa=hpa).steps) == 1
    assert len(plan_scale(deployment(), replicas=0, hpa=hpa).steps) == 1  # an HPA leaves 0 replicas alone
    bounded = plan_scale(deployment(), replicas=1, max_replicas=1, hpa=hpa)
    assert [s.target.kind for s in bounded.steps] == ["HorizontalPodAutoscaler", "Deployment"]
    assert bounded.steps[0].body == {"spec": {"minReplicas": 1, "maxReplicas": 1},
                                     "metadata": {"resourceVersion": "7"}}
    with pytest.raises(ActuatorError, match="outside the HPA bounds"):
        plan_scale(deployment(), replicas=9, max_replicas=4, hpa=hpa)


def test_an_inference_service_scales_through_its_predictor_replicas():
    isvc = {"kind": "InferenceService", "metadata": {"name": "copy", "namespace": "ads", "resourceVersion": "5"},
            "spec": {"predictor": {"minReplicas": 1, "maxReplicas": 2}}}
    [step] = plan_scale(isvc, replicas=3).steps
    assert step.body == {"spec": {"predictor": {"minReplicas": 3, "maxReplicas": 3}},
                         "metadata": {"resourceVersion": "5"}}
    [step] = plan_scale(isvc, replicas=0).steps
    assert step.body["spec"] == {"predictor": {"minReplicas": 0}}


def test_align_version_changes_only_the_serving_containers_revision_and_image():
    plan = plan_align_version(deployment(), version="r2", image="vllm/vllm-openai:v0.7.2")
    containers = plan.steps[0].body["spec"]["template"]["spec"]["containers"]
    assert containers[0] == {"name": "sidecar", "image": "envoy:1"}
    assert containers[1]["args"] == ["--model", "m", "--revision", "r2"]
    assert containers[1]["image"] == "vllm/vllm-openai:v0.7.2"
    assert plan.before["container"] == {"name": "vllm", "image": "vllm/vllm-openai:v0.6.3",
                                        "args": ["--model", "m", "--revision", "r1"]}
    appended = plan_align_version(deployment(), version="r3", container="sidecar")
    assert appended.steps[0].body["spec"]["template"]["spec"]["containers"][0]["args"] == ["--revision=r3"]
    with pytest.raises(ActuatorError, match="already serves"):
        plan_align_version(deployment(), version="r1")


def test_previews_and_audit_records_never_carry_container_env_values():
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][1]["env"] = [
        {"name": "HF_TOKEN", "value": "hf_secret"}, {"name": "HF_MODEL_REVISION", "value": "r1"},
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "k", "key": "v"}}}]
    plan = plan_align_version(obj, version="r2")
    body = plan.steps[0].body   # executed as read: the merge patch replaces the whole containers list
    assert body["spec"]["template"]["spec"]["containers"][1]["env"][0]["value"] == "hf_secret"
    shown = redacted(plan.to_dict())
    env = shown["steps"][0]["body"]["spec"]["template"]["spec"]["containers"][1]["env"]
    assert env == [{"name": "HF_TOKEN", "value": REDACTED}, {"name": "HF_MODEL_REVISION", "value": "r2"},
                   {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "k", "key": "v"}}}]
    assert "hf_secret" not in repr(shown) and "hf_secret" not in repr(redacted(plan.before))


def test_move_gpu_rewrites_every_accelerator_label_in_its_own_convention():
    gke = deployment(nodeSelector={"cloud.google.com/gke-accelerator": "nvidia-l4", "pool": "x"})
    [step] = plan_move_gpu(gke, accelerator="A100-80GB", cloud="gcp").steps
    assert step.body["spec"]["template"]["spec"]["nodeSelector"] == {"cloud.google.com/gke-accelerator":
                                                                     "nvidia-a100-80gb"}
    both = deployment(nodeSelector={"karpenter.k8s.aws/instance-gpu-name": "a10g",
                                    "nvidia.com/gpu.product": "NVIDIA-A10G"})
    [step] = plan_move_gpu(both, accelerator="A100-80GB", cloud="aws").steps
    # Karpenter's "a100" is ambiguous (40 or 80 GB): that label goes, GFD's product name stays exact
    assert step.body["spec"]["template"]["spec"]["nodeSelector"] == {
        "karpenter.k8s.aws/instance-gpu-name": None, "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    [step] = plan_move_gpu(deployment(), accelerator="L4", cloud="aws").steps
    assert step.body["spec"]["template"]["spec"]["nodeSelector"] == {"karpenter.k8s.aws/instance-gpu-name": "l4"}
    with pytest.raises(ActuatorError, match="no node label names MI300X on gcp"):
        plan_move_gpu(deployment(), accelerator="MI300X", cloud="gcp")


def test_unsupported_kinds_and_bad_numbers_are_refused_with_the_reason():
    with pytest.raises(ActuatorError, match="cannot act on a RayService") as refused:
        plan_scale({"kind": "RayService", "metadata": {"name": "x", "resourceVersion": "1"}}, replicas=1)
    assert refused.value.kind == ActuatorErrorKind.UNSUPPORTED
    with pytest.raises(ActuatorError, match="whole number"):
        plan_scale(deployment(), replicas=-1)


# --- against the simulator ----------------------------------------------------------------------------


def test_scale_a_statefulset_and_the_next_crawl_sees_it(fleet):
    sim, targets = fleet
    act = actuator(targets)
    ref = ObjectRef("StatefulSet", "llm-platform-prod", "qwen-72b")
    plan = act.preview(action="scale", ref=ref, params={"replicas": 0})
    outcome = act.execute(plan)
    assert outcome.verified and outcome.steps[0].after["/spec/replicas"] == 0
    assert act.read(ref)["spec"]["replicas"] == 0
    result = KubernetesCrawler(page_size=50, timeout=(2, 5)).crawl([targets["prod-use1"]], source="smoke")
    qwen = next(s for s in result.specs if s.workload.name == "qwen-72b")
    assert qwen.replicas.desired == 0


def test_move_a_gke_deployment_to_another_gpu_and_the_crawl_reads_the_new_type(fleet):
    sim, targets = fleet
    act = actuator(targets, "gke-euw4")
    ref = ObjectRef("Deployment", "docs-staging", "embeddings")
    plan = act.preview(action="move-gpu", ref=ref, params={"accelerator": "A100-80GB"}, cloud="gcp")
    assert act.execute(plan).verified
    assert act.read(ref)["spec"]["template"]["spec"]["nodeSelector"] == {
        "cloud.google.com/gke-accelerator": "nvidia-a100-80gb"}
    result = KubernetesCrawler(page_size=50, timeout=(2, 5)).crawl([targets["gke-euw4"]], source="smoke")
    assert next(s for s in result.specs if s.workload.name == "embeddings").accelerator.type == "A100-80GB"


def test_align_version_and_decommission_an_inference_service(fleet):
    sim, targets = fleet
    act = actuator(targets)
    ref = ObjectRef("Deployment", "search-prod", "chat-vllm")
    assert act.execute(act.preview(action="align-version", ref=ref, params={"version": "abc123"})).verified
    result = KubernetesCrawler(page_size=50, timeout=(2, 5)).crawl([targets["prod-use1"]], source="smoke")
    assert next(s for s in result.specs if s.workload.name == "chat-vllm").model.version == "abc123"

    isvc = ObjectRef("InferenceService", "ads-prod", "ads-copywriter")
    plan = act.preview(action="decommission", ref=isvc, params={})
    assert plan.steps[0].body["preconditions"]["resourceVersion"] == plan.steps[0].resource_version
    assert act.execute(plan).verified
    with pytest.raises(ActuatorError) as gone:
        act.read(isvc)
    assert gone.value.kind == ActuatorErrorKind.NOT_FOUND and "does not exist" in gone.value.message


def test_a_stale_plan_is_a_conflict_and_sends_nothing(fleet):
    sim, targets = fleet
    act = actuator(targets)
    ref = ObjectRef("Deployment", "search-prod", "chat-vllm")
    plan = act.preview(action="scale", ref=ref, params={"replicas": 3})
    act.execute(act.preview(action="scale", ref=ref, params={"replicas": 4}))   # someone else, meanwhile
    patches_before = [r for r in sim.requests("prod-use1") if r.method == "PATCH"]
    with pytest.raises(ActuatorError) as conflict:
        act.execute(plan)
    assert conflict.value.kind == ActuatorErrorKind.CONFLICT and "preview again" in conflict.value.message
    assert [r for r in sim.requests("prod-use1") if r.method == "PATCH"] == patches_before
    assert act.read(ref)["spec"]["replicas"] == 4


def test_forbidden_writes_and_missing_objects_are_classified(fleet):
    sim, targets = fleet
    act = actuator(targets)
    ref = ObjectRef("Deployment", "search-prod", "chat-vllm")
    plan = act.preview(action="scale", ref=ref, params={"replicas": 0})
    sim.set_faults("prod-use1", forbidden_namespaces=["search-prod"], forbidden_resources=["deployments"])
    with pytest.raises(ActuatorError) as refused:
        act.execute(plan)
    assert refused.value.kind == ActuatorErrorKind.FORBIDDEN and refused.value.status == 403
    assert "may not get Deployment search-prod/chat-vllm" in refused.value.message
    sim.clear_faults("*")
    assert act.read(ref)["spec"]["replicas"] == 2
    with pytest.raises(ActuatorError) as missing:
        act.preview(action="scale", ref=ObjectRef("Deployment", "search-prod", "nope"), params={"replicas": 1})
    assert missing.value.kind == ActuatorErrorKind.NOT_FOUND


def test_the_cluster_is_reached_as_the_source_crawls_it(fleet, tmp_path):
    sim, targets = fleet
    collector = KubeconfigCollector(name="smoke", settings={"kubeconfigPath": targets["prod-use1"].kubeconfig},
                                    credentials={})
    target = cluster_target(collector, cluster="gke-euw4", workdir=str(tmp_path))
    assert target.context == "gke-euw4"
    with pytest.raises(ActuatorError, match="does not reach a cluster named 'nope'"):
        cluster_target(collector, cluster="nope", workdir=str(tmp_path))
