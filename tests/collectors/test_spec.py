import json
from pathlib import Path

import jsonschema
import pytest

from collectors.spec import (
    SETTINGS_KEYS,
    Accelerator,
    ModelRef,
    ModelSpec,
    Replicas,
    Runtime,
    Scope,
    SpecError,
    WorkloadRef,
    parse_time,
    spec_list,
    specs_from_list,
)

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "modelspec-v1.schema.json").read_text())

EXAMPLE = {
    "apiVersion": "footprint/v1", "kind": "ModelSpec",
    "workload": {"cloud": "aws", "region": "us-east-1", "cluster": "prod-use1", "namespace": "llm",
                 "kind": "Deployment", "name": "chat-vllm", "unit": None, "uid": None, "source": "gitops",
                 "createdAt": "2026-08-01T09:00:00Z"},
    "model": {"name": "meta-llama/Llama-3.1-8B-Instruct", "version": None, "uri": "hf://meta-llama/Llama-3.1-8B-Instruct"},
    "runtime": {"engine": "vllm", "platform": "kubernetes", "image": "vllm/vllm-openai:v0.6.3",
                "engineVersion": "0.6.3", "settings": {"tensorParallelSize": 1, "maxModelLen": 8192,
                                                       "dtype": "bfloat16", "quantization": None,
                                                       "gpuMemoryUtilization": 0.9}},
    "replicas": {"desired": 2, "ready": 2, "min": None, "max": None, "autoscaled": False},
    "accelerator": {"type": "A100-80GB", "perReplica": 1, "total": 2, "source": "nodeSelector"},
    "owner": {"team": "search", "contact": None, "source": "label:team"},
    "environment": "prod", "variant": None, "labels": {"app": "chat"}, "observedAt": "2026-11-22T10:00:00Z",
}


def test_design_example_round_trips_and_fills_every_settings_key():
    spec = ModelSpec.from_dict(EXAMPLE)
    out = spec.to_dict()
    assert list(out["runtime"]["settings"]) == list(SETTINGS_KEYS)
    assert out["runtime"]["settings"]["maxModelLen"] == 8192
    assert out["runtime"]["settings"]["pipelineParallelSize"] is None
    assert out["accelerator"] == {"type": "A100-80GB", "perReplica": 1, "total": 2, "source": "nodeSelector"}
    assert out["workload"]["createdAt"] == "2026-08-01T09:00:00Z"
    assert ModelSpec.from_dict(out) == spec
    jsonschema.validate(out, SCHEMA)
    jsonschema.validate(spec_list([spec, spec]), SCHEMA)


def test_fractional_accelerators_stay_fractions_and_whole_numbers_print_as_ints():
    spec = ModelSpec(WorkloadRef(kind="Deployment", name="m"), accelerator=Accelerator("A100-80GB", 3 / 7, 6 / 7, "mig"))
    assert spec.to_dict()["accelerator"]["perReplica"] == pytest.approx(0.428571, rel=1e-4)
    spec = ModelSpec(WorkloadRef(kind="Deployment", name="m"), accelerator=Accelerator("L4", 2.0, 4.0))
    assert spec.to_dict()["accelerator"]["total"] == 4
    assert isinstance(spec.to_dict()["accelerator"]["total"], int)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("runtime", "engine"), "vllm-turbo", "runtime.engine 'vllm-turbo' is not one of"),
        (("accelerator", "type"), "A100", "accelerator.type 'A100' is not one of"),
        (("workload", "cloud"), "digitalocean", "workload.cloud"),
        (("replicas", "desired"), "two", "replicas.desired must be a whole number"),
        (("workload", "createdAt"), "yesterday", "workload.createdAt: not a timestamp"),
        (("workload", "name"), "", "workload.name is required"),
    ],
)
def test_bad_fields_are_named_in_the_error(path, value, message):
    data = json.loads(json.dumps(EXAMPLE))
    data[path[0]][path[1]] = value
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict(data)


def test_list_errors_name_the_item():
    bad = json.loads(json.dumps(EXAMPLE))
    bad["environment"] = "production"
    with pytest.raises(SpecError, match=r"items\[1\]: environment 'production'"):
        specs_from_list({"apiVersion": "footprint/v1", "kind": "ModelSpecList", "items": [EXAMPLE, bad]})
    with pytest.raises(SpecError, match="expected a ModelSpecList"):
        specs_from_list({"kind": "Deployment"})


def test_material_ignores_observation_time_and_ready_count_but_not_the_model():
    base = ModelSpec.from_dict(EXAMPLE)
    later = ModelSpec.from_dict({**EXAMPLE, "observedAt": "2026-11-23T10:00:00Z",
                                 "replicas": {**EXAMPLE["replicas"], "ready": 1}})
    assert later.material() == base.material()
    bumped = ModelSpec(base.workload, ModelRef(base.model.name, "v2"), base.runtime, base.replicas)
    assert bumped.material() != base.material()
    scaled = ModelSpec(base.workload, base.model, base.runtime, Replicas(desired=5))
    assert scaled.material() != base.material()


def test_scope_covers_cluster_and_namespace():
    assert Scope().covers("a", "x")
    assert Scope(cluster="a").covers("a", "anything")
    assert not Scope(cluster="a").covers("b", "x")
    assert Scope(cluster="a", namespace="x").covers("a", "x")
    assert not Scope(cluster="a", namespace="x").covers("a", "y")


def test_times_parse_with_and_without_zone():
    assert parse_time("2026-08-01T09:00:00Z").isoformat() == "2026-08-01T09:00:00+00:00"
    assert parse_time("2026-08-01T09:00:00").tzinfo is not None
    assert parse_time(None) is None


def test_runtime_settings_drop_unknown_keys_from_json():
    spec = ModelSpec(WorkloadRef(kind="Pod", name="p"), runtime=Runtime(settings={"maxModelLen": 4, "bogus": 1}))
    assert "bogus" not in spec.to_dict()["runtime"]["settings"]
