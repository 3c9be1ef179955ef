"""The fleet simulator: clusters of a scenario served through the real Kubernetes wire API on 127.0.0.1.

See README.md in this folder for the scenario format, the Python API and the fault knobs.
"""

from collectors.simulator.faults import Faults
from collectors.simulator.generator import generate_fleet
from collectors.simulator.scenario import (
    Cluster,
    NodePool,
    Scenario,
    ScenarioError,
    Workload,
    load_scenario,
    scenario_from_dict,
)
from collectors.simulator.server import FleetSimulator

__all__ = [
    "Cluster", "Faults", "FleetSimulator", "NodePool", "Scenario", "ScenarioError", "Workload", "generate_fleet",
    "load_scenario", "scenario_from_dict",
]
