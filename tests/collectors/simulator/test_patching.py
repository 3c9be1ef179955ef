"""PATCH bodies the way the API server applies them."""

from __future__ import annotations

import pytest

from collectors.simulator.patching import JSON_PATCH, MERGE_PATCH, STRATEGIC, PatchError, apply_patch


def test_strategic_merge_merges_containers_by_name():
    deployment = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1", "args": ["x"]},
                                                                  {"name": "b", "image": "b:1"}]}}}}
    patched = apply_patch(deployment, {"spec": {"template": {"spec": {"containers": [
        {"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}]}}}}, STRATEGIC)
    assert patched["spec"]["template"]["spec"]["containers"] == [
        {"name": "a", "image": "a:1", "args": ["x"]}, {"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}]
    assert deployment["spec"]["template"]["spec"]["containers"][1]["image"] == "b:1"


def test_merge_patch_removes_with_null_and_replaces_lists():
    obj = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"args": ["x", "y"]}}
    patched = apply_patch(obj, {"metadata": {"labels": {"a": None}}, "spec": {"args": ["z"]}}, MERGE_PATCH)
    assert patched == {"metadata": {"labels": {"b": "2"}}, "spec": {"args": ["z"]}}


def test_json_patch_operations():
    obj = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}
    patched = apply_patch(obj, [{"op": "replace", "path": "/spec/replicas", "value": 3},
                                {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "b"}},
                                {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "a"}],
                          JSON_PATCH)
    assert patched["spec"]["replicas"] == 3 and len(patched["spec"]["template"]["spec"]["containers"]) == 2
    with pytest.raises(PatchError):
        apply_patch(obj, [{"op": "remove", "path": "/spec/missing"}], JSON_PATCH)
