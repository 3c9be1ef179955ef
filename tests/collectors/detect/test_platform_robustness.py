"""Serving CRDs from the wild: every field of every platform fixture replaced by a wrong type must not crash."""

from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.detect.workloads import DetectContext, detect

PLATFORMS = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "platforms"
FIXTURES = sorted(PLATFORMS.glob("*/*.yaml"))
WRONG_VALUES = (None, "", "7", 7, -1, [], {}, ["x"], {"x": 1}, True)


def load(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


def replaced(doc: Any, path: tuple, value: Any) -> Any:
    copy = deepcopy(doc)
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def test_every_platform_has_fixtures():
    assert {p.parent.name for p in FIXTURES} >= {"kserve", "seldon", "ray", "nim", "kaito", "bentoml", "lws"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_wrong_types_anywhere_do_not_crash(path):
    docs = load(path)
    baseline = detect(docs, DetectContext())
    assert baseline.specs or any(not v.reported for v in baseline.verdicts)
    for position, doc in enumerate(docs):
        for field in paths(doc):
            for value in WRONG_VALUES[position % 3::3]:  # a third of the wrong values per document keeps it quick
                mutated = [*docs[:position], replaced(doc, field, value), *docs[position + 1:]]
                detect(mutated, DetectContext())  # must not raise


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_specs_round_trip_through_the_contract(path):
    from collectors.spec import ModelSpec

    for spec in detect(load(path), DetectContext()).specs:
        assert ModelSpec.from_dict(spec.to_dict()) is not None
        assert spec.runtime.platform in {"kserve", "seldon", "ray-serve", "nim", "kaito", "bentoml", "lws"}
