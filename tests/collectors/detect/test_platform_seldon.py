"""Seldon Core v1 SeldonDeployment and v2 Model recognition."""


import pytest
from platform_fixtures import PLATFORMS, scanner, spec_of

from collectors.detect.workloads import DetectContext, detect

FIXTURES = PLATFORMS / "seldon"


scan = scanner("seldon")


def test_prepackaged_sklearn_with_the_seldon_protocol():
    spec = spec_of(scan("seldon-v1.yaml"), "iris-model", "default")
    assert (spec.runtime.engine, spec.runtime.platform) == ("custom", "seldon")
    assert (spec.model.name, spec.model.uri) == ("iris", "gs://seldon-models/v1.19.0-dev/sklearn/iris")
    assert (spec.replicas.desired, spec.replicas.autoscaled) == (2, False)
    assert spec.variant is None


def test_huggingface_server_with_v2_protocol_is_mlserver_on_a_gpu():
    spec = spec_of(scan("seldon-v1.yaml"), "gpt2-model", "default")
    assert (spec.runtime.engine, spec.runtime.platform) == ("mlserver", "seldon")
    assert spec.model.name == "distilgpt2"
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == ("T4", 1, 1)
    assert spec.owner.team == "nlp"


def test_one_spec_per_predictor_with_canary_and_shadow():
    detection = scan("seldon-v1.yaml")
    units = sorted(s.workload.unit for s in detection.specs if s.workload.name == "fraud-detector")
    assert units == ["candidate", "main", "mirror"]
    main = spec_of(detection, "fraud-detector", "main")
    candidate = spec_of(detection, "fraud-detector", "candidate")
    mirror = spec_of(detection, "fraud-detector", "mirror")
    assert (main.variant, candidate.variant, mirror.variant) == (None, "canary", "shadow")
    assert main.runtime.image == "registry.example.com/fraud-model:1.4.0"
    assert candidate.runtime.image == "registry.example.com/fraud-model:1.5.0"
    assert main.runtime.engine == candidate.runtime.engine == "custom"
    assert (main.replicas.desired, main.replicas.autoscaled) == (3, False)
    assert (candidate.replicas.desired, candidate.replicas.min, candidate.replicas.max) == (1, 1, 4)
    assert candidate.replicas.autoscaled
    assert (mirror.model.name, mirror.model.version) == ("xgb", "2")


def test_triton_prepackaged_with_keda_and_status():
    spec = spec_of(scan("seldon-v1.yaml"), "triton-cifar", "default")
    assert spec.runtime.engine == "triton"
    assert spec.model.name == "tf_cifar10"
    assert (spec.replicas.desired, spec.replicas.ready, spec.replicas.min, spec.replicas.max) == (1, 1, 1, 3)
    assert spec.replicas.autoscaled
    assert spec.accelerator.per_replica == 1


def test_even_traffic_split_is_not_a_canary():
    sdep = {
        "apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment",
        "metadata": {"name": "ab-test"},
        "spec": {"predictors": [
            {"name": "a", "traffic": 50, "graph": {"name": "m", "implementation": "SKLEARN_SERVER",
                                                   "modelUri": "gs://b/a"}},
            {"name": "b", "traffic": 50, "graph": {"name": "m", "implementation": "SKLEARN_SERVER",
                                                   "modelUri": "gs://b/b"}},
        ]},
    }
    specs = detect([sdep], DetectContext()).specs
    assert [s.variant for s in specs] == [None, None]
    assert [s.workload.unit for s in specs] == ["a", "b"]


@pytest.mark.parametrize("name, engine, model", [
    ("iris", "mlserver", "iris-sklearn"),
    ("tfsimple1", "triton", "simple"),
    ("mnist-onnx", "triton", "mnist-onnx"),
    ("custom-gpt2-text-gen", "mlserver", "huggingface-text-gen-custom-gpt2"),
])
def test_v2_models_resolve_their_server(name, engine, model):
    spec = spec_of(scan("seldon-v2.yaml"), name)
    assert (spec.runtime.engine, spec.runtime.platform) == (engine, "seldon")
    assert spec.model.name == model
    assert spec.workload.kind == "Model"


def test_v2_model_on_a_gpu_server_with_model_autoscaling():
    spec = spec_of(scan("seldon-v2.yaml"), "mnist-onnx")
    assert (spec.accelerator.type, spec.accelerator.per_replica) == ("L4", 1)
    assert (spec.replicas.desired, spec.replicas.ready, spec.replicas.min, spec.replicas.max) == (1, 1, 1, 3)
    assert spec.replicas.autoscaled


def test_v2_model_replicas_multiply_the_server_pod():
    spec = spec_of(scan("seldon-v2.yaml"), "tfsimple1")
    assert (spec.replicas.desired, spec.accelerator.total) == (2, 2)


def test_v2_requirement_served_by_several_servers_leaves_engine_unknown():
    spec = spec_of(scan("seldon-v2.yaml"), "add10")
    assert spec.runtime.engine == "unknown"


def test_servers_pipelines_and_experiments_are_not_reported():
    detection = scan("seldon-v2.yaml")
    assert {s.workload.kind for s in detection.specs} == {"Model"}
    kinds = {v.kind for v in detection.verdicts}
    assert not kinds & {"Server", "Pipeline", "Experiment"}


def test_malformed_seldon_objects():
    detection = scan("negatives.yaml")
    skipped = {v.name: v.reason for v in detection.verdicts if not v.reported}
    assert set(skipped) == {"no-predictors", "junk-predictors", "no-spec"}
    spec = spec_of(detection, "string-replicas")
    assert (spec.replicas.desired, spec.runtime.engine) == (2, "mlserver")
    assert (spec.model.name, spec.model.version) == ("churn", "v3")


def test_mlflow_registry_uri_gives_name_and_stage():
    sdep = {
        "apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment",
        "metadata": {"name": "mlflow-model"},
        "spec": {"predictors": [{
            "name": "default", "replicas": 3,
            "graph": {"name": "classifier", "implementation": "MLFLOW_SERVER",
                      "modelUri": "models:/CustomerChurnModel/Production", "envSecretRefName": "mlflow-credentials"},
            "componentSpecs": [{"spec": {"containers": [{"name": "classifier",
                                                          "image": "seldonio/mlflowserver:1.14.1"}]}}],
        }]},
    }
    spec = detect([sdep], DetectContext()).specs[0]
    assert (spec.model.name, spec.model.version) == ("CustomerChurnModel", "Production")
    assert spec.runtime.image == "seldonio/mlflowserver:1.14.1"
    assert (spec.runtime.engine, spec.replicas.desired) == ("custom", 3)
