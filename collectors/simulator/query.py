"""List query parameters: label and field selectors, and continue tokens.

Label selectors take the full syntax (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`).
Field selectors take `path=value`, `path==value` and `path!=value` on dotted paths
(`metadata.name`, `spec.nodeName`, `status.phase`). Continue tokens are what the API server sends:
base64 of `{"v": "meta.k8s.io/v1", "rv": N, "start": "<namespace>/<name>\\u0000"}` (plus the page
number, which the expiry fault reads), opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Matcher = Callable[[Mapping[str, Any]], bool]
_SET = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


class QueryError(ValueError):
    pass


def label_matcher(selector: str | None) -> Matcher | None:
    if not selector or not selector.strip():
        return None
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    for term in _split_terms(selector):
        tests.append(_label_term(term))
    return lambda obj: all(test((obj.get("metadata") or {}).get("labels") or {}) for test in tests)


def field_matcher(selector: str | None) -> Matcher | None:
    if not selector or not selector.strip():
        return None
    tests = []
    for term in selector.split(","):
        match = re.fullmatch(r"\s*([\w.]+)\s*(==|!=|=)\s*(.*?)\s*", term)
        if not match:
            raise QueryError(f'invalid field selector term "{term}"')
        path, op, value = match.groups()
        tests.append((path.split("."), op == "!=", value))

    def matches(obj: Mapping[str, Any]) -> bool:
        for path, negate, value in tests:
            found: Any = obj
            for step in path:
                found = found.get(step) if isinstance(found, Mapping) else None
            if (str(found if found is not None else "") == value) == negate:
                return False
        return True
    return matches


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t for t in terms if t.strip()]


def _label_term(term: str) -> Callable[[Mapping[str, str]], bool]:
    set_match = _SET.match(term)
    if set_match:
        key, op, values = set_match.groups()
        allowed = {v.strip() for v in values.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in allowed
        return lambda labels: labels.get(key) not in allowed
    term = term.strip()
    for op in ("!=", "==", "="):
        if op in term:
            key, _, value = (p.strip() for p in term.partition(op))
            if not key:
                raise QueryError(f'invalid label selector term "{term}"')
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    if not re.fullmatch(r"[\w./-]+", term):
        raise QueryError(f'unable to parse requirement: "{term}"')
    return lambda labels: term in labels


@dataclass(frozen=True)
class Continue:
    rv: int
    start: str   # "<namespace>/<name>\0": the first key to return
    page: int    # page number this token opens (the first page is 1)


def encode_continue(token: Continue) -> str:
    doc = {"v": "meta.k8s.io/v1", "rv": token.rv, "start": token.start, "p": token.page}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def decode_continue(value: str) -> Continue:
    try:
        padded = value + "=" * (-len(value) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if doc.get("v") != "meta.k8s.io/v1":
            raise ValueError(doc.get("v"))
        return Continue(rv=int(doc["rv"]), start=str(doc["start"]), page=int(doc.get("p", 2)))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise QueryError(f"continue key is not valid: {error}") from error
