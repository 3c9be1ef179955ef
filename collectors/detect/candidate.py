"""What a recogniser hands back to the orchestrator before it becomes a ModelSpec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.spec import Accelerator, ModelRef


@dataclass
class Candidate:
    """One served model found in one object (a CR serving several models yields several)."""

    engine: str
    platform: str
    model: ModelRef = field(default_factory=ModelRef)
    image: str | None = None
    engine_version: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    # pod specs making up ONE replica, each with how many pods of it a replica has (LWS: leader 1, workers size-1)
    pod_specs: list[tuple[Mapping[str, Any], float]] = field(default_factory=list)
    desired: int | None = None
    ready: int | None = None
    min: int | None = None
    max: int | None = None
    autoscaled: bool = False
    unit: str | None = None
    accelerator: Accelerator | None = None       # set when the CR states it (KAITO instanceType, NIMService)
    metadatas: list[Mapping[str, Any]] = field(default_factory=list)  # pod template metadata, for owner/env
    variant: str | None = None                    # set when the CR says so (Seldon shadow, canary traffic)
    signals: list[str] = field(default_factory=list)


@dataclass
class Skip:
    """An object that is not (or not on its own) a model-serving workload, and why."""

    reason: str
    gpu: bool = False          # it asks for accelerators: worth explaining in --explain
    signals: list[str] = field(default_factory=list)
    quiet: bool = False        # routine (ConfigMaps, Services...): not listed by --explain
