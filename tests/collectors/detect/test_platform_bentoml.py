"""BentoML (Yatai) BentoDeployment recognition, resolved against Bento / BentoRequest."""



from platform_fixtures import PLATFORMS, scanner, spec_of

FIXTURES = PLATFORMS / "bentoml"


scan = scanner("bentoml")


def test_v2alpha1_resolves_the_bento_and_the_gpu_runner():
    detection = scan("bentodeployments.yaml")
    spec = spec_of(detection, "my-bento-deployment")
    assert (spec.runtime.engine, spec.runtime.platform) == ("custom", "bentoml")
    assert (spec.model.name, spec.model.version) == ("iris_clf", "zy3dfgxzqkjrlgxi")
    assert spec.runtime.image == "registry.example.com/bentos/iris_classifier:3oevmqfvnkvwvuqj"
    assert (spec.replicas.desired, spec.replicas.min, spec.replicas.max, spec.replicas.autoscaled) == (1, 1, 4, True)
    assert (spec.accelerator.type, spec.accelerator.per_replica, spec.accelerator.total) == ("A10G", 1, 1)
    assert spec.owner.team == "fraud"
    assert {s.workload.kind for s in detection.specs} == {"BentoDeployment"}  # Bento/BentoRequest not reported


def test_bento_request_and_vllm_runnable():
    spec = spec_of(scan("bentodeployments.yaml"), "llama-service")
    assert spec.runtime.engine == "vllm"
    assert spec.model.name == "meta-llama--llama-3-1-8b-instruct"
    assert (spec.replicas.desired, spec.replicas.autoscaled) == (1, False)
    assert spec.accelerator.per_replica == 1


def test_snake_case_api_with_bento_tag():
    spec = spec_of(scan("bentodeployments.yaml"), "fraud-detector")
    assert (spec.model.name, spec.model.version) == ("fraud_detector", "dpijemevl6nlhlg6")
    assert (spec.replicas.desired, spec.replicas.ready, spec.replicas.min, spec.replicas.max) == (2, 1, 2, 6)
    assert (spec.accelerator.per_replica, spec.accelerator.total) == (1, 2)


def test_malformed_bento_deployments():
    detection = scan("negatives.yaml")
    assert not next(v for v in detection.verdicts if v.name == "no-bento").reported
    missing = spec_of(detection, "missing-bento")
    assert missing.model.name is None  # the Bento is not among the scanned objects
    assert (missing.replicas.desired, missing.replicas.max) == (2, None)
    assert not any(v.name == "lonely-bento" for v in detection.verdicts)
