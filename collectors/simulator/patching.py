"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902).

Strategic merge is JSON merge plus the merge keys of the lists an actuator touches (containers,
env, volumes, ports, ... merged by name/containerPort) and `$patch: delete|replace` directives;
other lists are replaced, as the API server does for lists without a merge key. The API server
refuses strategic merge on custom resources (415); so does the simulator.
"""

from __future__ import annotations

import copy
from typing import Any

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"
# list field → its merge key (k8s.io/api patchMergeKey tags)
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name",
              "ownerReferences": "uid", "conditions": "type", "hostAliases": "ip"}


class PatchError(ValueError):
    pass


def apply_patch(obj: dict[str, Any], body: Any, content_type: str) -> dict[str, Any]:
    """The patched copy of obj."""
    if content_type == JSON_PATCH:
        if not isinstance(body, list):
            raise PatchError("a JSON patch is a list of operations")
        return json_patch(copy.deepcopy(obj), body)
    if not isinstance(body, dict):
        raise PatchError("a merge patch is a JSON object")
    if content_type == STRATEGIC:
        return strategic_merge(obj, body)
    return merge_patch(obj, body)


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strategic_merge(target: Any, patch: Any, field: str | None = None) -> Any:
    if isinstance(patch, list):
        return _merge_list(target if isinstance(target, list) else [], patch, field)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
        else:
            out[key] = strategic_merge(out.get(key), value, key)
    return out


def _merge_list(target: list[Any], patch: list[Any], field: str | None) -> list[Any]:
    key = MERGE_KEYS.get(field or "")
    if key is None or not all(isinstance(item, dict) for item in patch):
        return copy.deepcopy(patch)
    out = [copy.deepcopy(item) for item in target]
    for item in patch:
        position = next((i for i, old in enumerate(out) if isinstance(old, dict) and old.get(key) == item.get(key)),
                        None)
        if item.get("$patch") == "delete":
            if position is not None:
                out.pop(position)
        elif position is None:
            out.append({k: v for k, v in item.items() if k != "$patch"})
        else:
            out[position] = strategic_merge(out[position], item)
    return out


def json_patch(doc: Any, operations: list[Any]) -> Any:
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid JSON patch operation {op!r}")
        kind, path = op["op"], _pointer(op["path"])
        if kind in ("add", "replace"):
            doc = _set(doc, path, copy.deepcopy(op.get("value")), insert=kind == "add")
        elif kind == "remove":
            parent, last = _parent(doc, path)
            _delete(parent, last)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"test failed at {op['path']}")
        elif kind in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = copy.deepcopy(_get(doc, source))
            if kind == "move":
                parent, last = _parent(doc, source)
                _delete(parent, last)
            doc = _set(doc, path, value, insert=True)
        else:
            raise PatchError(f"unknown JSON patch op {kind!r}")
    return doc


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _get(doc: Any, path: list[str]) -> Any:
    for step in path:
        doc = doc[int(step)] if isinstance(doc, list) else doc[step]
    return doc


def _parent(doc: Any, path: list[str]) -> tuple[Any, str]:
    if not path:
        raise PatchError("cannot address the whole document")
    try:
        return _get(doc, path[:-1]), path[-1]
    except (KeyError, IndexError, ValueError, TypeError) as error:
        raise PatchError(f"path /{'/'.join(path)} does not exist") from error


def _set(doc: Any, path: list[str], value: Any, *, insert: bool) -> Any:
    if not path:
        return value
    parent, last = _parent(doc, path)
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif insert:
            parent.insert(int(last), value)
        else:
            parent[int(last)] = value
    elif isinstance(parent, dict):
        if not insert and last not in parent:
            raise PatchError(f"replace of missing member /{'/'.join(path)}")
        parent[last] = value
    else:
        raise PatchError(f"path /{'/'.join(path)} does not exist")
    return doc


def _delete(parent: Any, last: str) -> None:
    try:
        if isinstance(parent, list):
            parent.pop(int(last))
        else:
            del parent[last]
    except (KeyError, IndexError, ValueError) as error:
        raise PatchError(f"remove of missing member {last!r}") from error
