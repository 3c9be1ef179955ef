"""Defensive access to Kubernetes objects read from the wild.

Manifests arrive with nulls where maps belong, numbers as strings, lists as scalars and fields
nobody has heard of. Every reader below returns a well-typed empty value instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})  # read-only: callers must not mutate it


def mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # the common case, without the ABC machinery of isinstance(Mapping)
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def seq(value: Any) -> list[Any]:
    if type(value) is list:
        return value
    if isinstance(value, list | tuple):
        return list(value)
    return []


def dig(obj: Any, *path: str | int) -> Any:
    """obj[p0][p1]... or None as soon as a step is missing or of the wrong type."""
    current = obj
    for step in path:
        if type(current) is dict and type(step) is str:
            current = current.get(step)
            continue
        if isinstance(step, int):
            if not isinstance(current, list | tuple) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(step)
    return current


def text(value: Any) -> str | None:
    """A scalar as a stripped string (numbers and booleans included); None for maps/lists/empty."""
    if type(value) is str:
        return value.strip() or None
    if value is None or isinstance(value, Mapping | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    out = str(value).strip()
    return out or None


def str_map(value: Any) -> dict[str, str]:
    """Labels/annotations/nodeSelector: keep string keys, turn scalar values into strings."""
    out: dict[str, str] = {}
    for key, val in mapping(value).items():
        if type(val) is str and type(key) is str:
            stripped = val.strip()
            if stripped:
                out[key] = stripped
            continue
        sval = text(val)
        if isinstance(key, str) and sval is not None:
            out[key] = sval
    return out


def as_int(value: Any) -> int | None:
    """2, "2", 2.0 → 2; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(m|k|Ki|Mi|Gi|Ti|M|G|T)?\s*$")
_SUFFIX = {None: 1, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
           "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity ("1", 1, "500m", "2Gi") as a number, None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if not match:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def api_group(obj: Mapping[str, Any]) -> str:
    """'apps/v1' → 'apps'; 'v1' → '' (core)."""
    api_version = text(obj.get("apiVersion")) or ""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def meta(obj: Any) -> Mapping[str, Any]:
    return mapping(dig(obj, "metadata"))


def labels_of(obj: Any) -> dict[str, str]:
    return str_map(dig(obj, "metadata", "labels"))


def annotations_of(obj: Any) -> dict[str, str]:
    return str_map(dig(obj, "metadata", "annotations"))


def containers(pod_spec: Any, *, init: bool = False) -> list[Mapping[str, Any]]:
    """Containers of a pod spec, dicts only. Native sidecars (init with restartPolicy Always) count."""
    spec = mapping(pod_spec)
    out = [c for c in seq(spec.get("containers")) if isinstance(c, Mapping)]
    for c in seq(spec.get("initContainers")):
        if isinstance(c, Mapping) and (init or text(c.get("restartPolicy")) == "Always"):
            out.append(c)
    return out


def command_line(container: Mapping[str, Any]) -> list[str]:
    """command + args as one token list; shell wrappers (`sh -c "vllm serve ..."`) are split."""
    tokens: list[str] = []
    for part in (container.get("command"), container.get("args")):
        if isinstance(part, str):
            part = [part]
        for token in seq(part):
            token_text = text(token)
            if token_text is not None:
                tokens.append(token_text)
    return split_shell(tokens)


def split_shell(tokens: list[str]) -> list[str]:
    """Expand tokens that hold a whole shell command ("-c", "exec vllm serve m --x 1") into words."""
    import shlex

    out: list[str] = []
    for token in tokens:
        if " " in token or "\n" in token:
            token = token.replace("\\\n", " ")  # line continuations in `sh -c` scripts
            try:
                words = shlex.split(token, comments=True)
            except ValueError:
                words = token.split()
            out.extend(w for w in words if w not in {"&&", ";", "|", "||", "\\"})
        else:
            out.append(token)
    return out


def env_map(container: Mapping[str, Any]) -> dict[str, str]:
    """Literal env values by name (valueFrom entries are recorded as empty strings: present, unknown)."""
    out: dict[str, str] = {}
    for item in seq(container.get("env")):
        if not isinstance(item, Mapping):
            continue
        name = text(item.get("name"))
        if not name:
            continue
        value = item.get("value")
        out[name] = text(value) or ""
    return out


def first(values: Iterable[Any]) -> Any:
    for value in values:
        if value is not None:
            return value
    return None
