"""A started smoke simulator per test module, its kubeconfig, and clients built the way collectors build them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from collectors.simulator import FleetSimulator, load_scenario


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[FleetSimulator]:
    """A fresh smoke fleet per test: tests patch, delete and inject faults."""
    with FleetSimulator(load_scenario("smoke")) as simulator:
        yield simulator


@pytest.fixture
def kubeconfig(sim: FleetSimulator, tmp_path: Path) -> Path:
    return sim.kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def api(kubeconfig: Path) -> Callable[..., client.ApiClient]:
    """api(context) → ApiClient from the kubeconfig; retries=False turns urllib3's retries off."""

    def make(context: str, *, retries: bool = True) -> client.ApiClient:
        if retries:
            return config.new_client_from_config(config_file=str(kubeconfig), context=context)
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), context=context, client_configuration=configuration)
        configuration.retries = False
        return client.ApiClient(configuration)

    return make
