"""`manage.py simulate` serves a scenario and writes a kubeconfig with a context per cluster."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import CommandError, call_command


def test_simulate_writes_the_kubeconfig(tmp_path):
    out = io.StringIO()
    path = tmp_path / "kubeconfig"
    call_command("simulate", "--scenario", "smoke", "--kubeconfig", str(path), "--for", "0.05", stdout=out)
    doc = yaml.safe_load(path.read_text())
    assert [c["name"] for c in doc["contexts"]] == ["prod-use1", "gke-euw4", "aks-eastus"]
    assert doc["clusters"][0]["cluster"]["server"].endswith("/clusters/prod-use1")
    assert doc["users"][0]["user"]["token"] == "prod-use1-token"
    assert "fleet simulator 'smoke' on http://127.0.0.1:" in out.getvalue()


def test_simulate_a_generated_fleet(tmp_path):
    out = io.StringIO()
    call_command("simulate", "--generate", "3x50", "--kubeconfig", str(tmp_path / "k"), "--for", "0.05", stdout=out)
    assert "(3 clusters, 150 workloads)" in out.getvalue()


def test_simulate_refuses_an_unknown_scenario():
    with pytest.raises(CommandError, match="no scenario 'nope'"):
        call_command("simulate", "--scenario", "nope", "--for", "0.01")
