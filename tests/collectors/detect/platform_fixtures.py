"""Helpers shared by the platform tests: detect one fixture file, pick one spec out of it."""

from pathlib import Path

import yaml

from collectors.detect.workloads import DetectContext, detect

PLATFORMS = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "platforms"


def scanner(platform: str):
    """scan(name) for the fixtures of one platform: every document of the file, detected together."""

    def scan(name: str):
        docs = [d for d in yaml.safe_load_all((PLATFORMS / platform / name).read_text()) if d is not None]
        return detect(docs, DetectContext())

    return scan


def spec_of(detection, name, unit=None):
    found = [s for s in detection.specs if s.workload.name == name and s.workload.unit == unit]
    assert len(found) == 1, [(s.workload.name, s.workload.unit) for s in detection.specs]
    return found[0]
