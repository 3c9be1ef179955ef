"""A cloud-enabled simulator of tests/fixtures/scenarios/clouds.yaml per test module, and its sources.

Starting one seeds moto (EKS, SageMaker, IAM) through boto3, which takes a few seconds: the fleet is
shared by the tests of a module, and the faults a test sets are cleared after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.errors import RetryPolicy
from collectors.registry import provider
from collectors.simulator import FleetSimulator, load_scenario

CLOUD_SCENARIO = Path(__file__).parents[1] / "fixtures" / "scenarios" / "clouds.yaml"
FAST_RETRIES = RetryPolicy(rate_limited_attempts=3, unreachable_attempts=2, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def cloud_fleet() -> Iterator[FleetSimulator]:
    with FleetSimulator(load_scenario(CLOUD_SCENARIO), clouds=True) as simulator:
        yield simulator


@pytest.fixture
def clouds(cloud_fleet: FleetSimulator) -> Iterator[FleetSimulator]:
    yield cloud_fleet
    cloud_fleet.clear_cloud_faults()
    cloud_fleet.clear_faults("*")
    cloud_fleet.clouds.arm.page_size = 50
    cloud_fleet.clouds.requests.clear()


def cloud_source(sim: FleetSimulator, kind: str) -> dict[str, Any]:
    return next(s for s in sim.cloud_sources() if s["kind"] == kind)


def cloud_collector(sim: FleetSimulator, kind: str, *, credentials: dict[str, Any] | None = None,
                    **settings: Any):
    """The collector of the simulator's `kind` source, settings overridden, validated as the app does."""
    source = cloud_source(sim, kind)
    merged = {**source["settings"], **settings}
    creds = source["credentials"] if credentials is None else credentials
    described = provider(kind)
    described.validate(merged, creds)
    collector = described.collector(name=source["name"], settings=merged, credentials=creds)
    collector.retry = FAST_RETRIES
    return collector


def specs_by(result, *keys: str) -> dict[tuple, Any]:
    return {tuple(getattr(s.workload, k) for k in keys): s for s in result.specs}
