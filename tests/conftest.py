"""Fixtures shared by the footprint tests: a ModelSpec factory and a file source."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from collectors.spec import Accelerator, ModelRef, ModelSpec, Owner, Replicas, Runtime, WorkloadRef

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def spec_make(
    name: str = "chat-vllm",
    *,
    cluster: str | None = "prod-a",
    namespace: str | None = "llm",
    kind: str = "Deployment",
    unit: str | None = None,
    cloud: str = "aws",
    region: str | None = "us-east-1",
    model: str | None = "meta-llama/Llama-3.1-8B-Instruct",
    version: str | None = None,
    engine: str = "vllm",
    engine_version: str | None = "0.6.3",
    image: str | None = "vllm/vllm-openai:v0.6.3",
    replicas: int | None = 2,
    ready: int | None = None,
    accelerator: str | None = "A100-80GB",
    per_replica: float | None = 1,
    team: str | None = "search",
    environment: str | None = "prod",
    variant: str | None = None,
    labels: dict[str, str] | None = None,
    observed_at: datetime | None = T0,
) -> ModelSpec:
    """A valid ModelSpec; every field a test may vary is a keyword."""
    return ModelSpec(
        workload=WorkloadRef(kind=kind, name=name, namespace=namespace, cloud=cloud, region=region,
                             cluster=cluster, unit=unit, source="tests"),
        model=ModelRef(name=model, version=version),
        runtime=Runtime(engine=engine, platform="kubernetes", image=image, engine_version=engine_version,
                        settings={"tensorParallelSize": 1, "maxModelLen": 8192}),
        replicas=Replicas(desired=replicas, ready=replicas if ready is None else ready),
        accelerator=Accelerator(type=accelerator, per_replica=per_replica,
                                total=None if per_replica is None or replicas is None else per_replica * replicas,
                                source="nodeSelector" if accelerator else None),
        owner=Owner(team=team, source="label:team" if team else None),
        environment=environment,
        variant=variant,
        labels=labels or {},
        observed_at=observed_at,
    )


@pytest.fixture
def make_spec() -> Callable[..., ModelSpec]:
    return spec_make


@pytest.fixture
def file_source(db):
    from footprint.inventory.models import Source

    return Source.objects.create(name="fleet", kind="file")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """On SQLite the test database is a file, not memory, so that a real Celery worker process (the
    Redis worker test) can open the database the test writes. The pid keeps concurrent runs apart."""
    import tempfile
    from pathlib import Path

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(Path(tempfile.gettempdir()) / f"footprint-test-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True)
def _migration_seeds(request):
    """Rows the data migrations seed (price catalog, role groups, action policies), put back before each
    transactional test: pytest-django flushes every table after such a test (and runs them last), so
    without this a transactional test would see an empty price catalog when another one ran before it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback"):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.auth.models import Group

    from footprint.accounts.roles import Role
    from footprint.costs.models import PriceEntry
    from footprint.costs.services import prices_load_seed

    if not PriceEntry.objects.exists():
        prices_load_seed(entry_model=PriceEntry)
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    seed_policies = __import__("footprint.actions.migrations.0002_seed_policy", fromlist=["seed"]).seed
    seed_policies(apps, None)
