"""LeaderWorkerSet / DisaggregatedSet recognition: a replica is a group of leader + worker pods."""



from platform_fixtures import PLATFORMS, scanner, spec_of

FIXTURES = PLATFORMS / "lws"


scan = scanner("lws")


def test_vllm_multi_node_with_ray():
    spec = spec_of(scan("lws-vllm-ray.yaml"), "vllm")
    assert (spec.runtime.engine, spec.runtime.platform) == ("vllm", "lws")
    assert spec.runtime.engine_version == "0.8.5"
    assert spec.model.name == "meta-llama/Llama-3.1-405B-Instruct"
    assert spec.runtime.settings["tensorParallelSize"] == 8
    assert spec.runtime.settings["pipelineParallelSize"] == 2
    assert (spec.replicas.desired, spec.replicas.ready) == (2, 1)
    assert spec.accelerator.type == "H100-80GB"  # from the worker template's nodeSelector
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (16, 32)


def test_sglang_multi_node():
    detection = scan("lws-sglang.yaml")
    spec = spec_of(detection, "sglang")
    assert (spec.runtime.engine, spec.runtime.platform) == ("sglang", "lws")
    assert spec.model.name == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    assert spec.runtime.settings["tensorParallelSize"] == 2
    assert (spec.replicas.desired, spec.accelerator.per_replica, spec.accelerator.total) == (2, 2, 4)
    assert len(detection.specs) == 1  # the leader Service is not a workload


def test_hpa_on_a_leader_worker_set():
    spec = spec_of(scan("lws-hpa-disaggregated.yaml"), "vllm-autoscaled")
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (2, 2, 5, True)
    assert spec.accelerator.per_replica == 16  # size "2" as a string


def test_disaggregated_set_roles_are_units():
    detection = scan("lws-hpa-disaggregated.yaml")
    prefill = spec_of(detection, "vllm-disagg", "prefill")
    decode = spec_of(detection, "vllm-disagg", "decode")
    assert prefill.model.name == decode.model.name == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    assert (prefill.replicas.desired, prefill.accelerator.total) == (2, 2)
    assert (decode.replicas.desired, decode.accelerator.total) == (1, 1)


def test_non_serving_and_malformed_leader_worker_sets():
    detection = scan("negatives.yaml")
    nginx = next(v for v in detection.verdicts if v.name == "leaderworkerset-sample")
    assert not nginx.reported
    assert not any(s.workload.name in {"no-spec", "junk"} for s in detection.specs)
    worker_only = spec_of(detection, "worker-only")
    assert worker_only.runtime.engine == "tgi"
    assert (worker_only.replicas.desired, worker_only.accelerator.per_replica) == (1, 6)  # 3 pods x 2 GPUs
