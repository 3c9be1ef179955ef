"""Selectors and continue tokens."""

from __future__ import annotations

import pytest

from collectors.simulator.query import (
    Continue,
    QueryError,
    decode_continue,
    encode_continue,
    field_matcher,
    label_matcher,
)


def obj(**labels: str) -> dict:
    return {"metadata": {"name": "x", "labels": labels}, "spec": {"nodeName": "n1"}}


@pytest.mark.parametrize("selector, labels, expected", [
    ("app=a", {"app": "a"}, True),
    ("app==a,team=x", {"app": "a"}, False),
    ("app!=a", {}, True),
    ("team", {"team": "t"}, True),
    ("!team", {"team": "t"}, False),
    ("env in (prod, staging)", {"env": "staging"}, True),
    ("env notin (prod),app", {"env": "dev", "app": "a"}, True),
])
def test_label_selectors(selector, labels, expected):
    assert label_matcher(selector)(obj(**labels)) is expected


def test_field_selectors_and_errors():
    assert field_matcher("spec.nodeName=n1,metadata.name!=y")(obj())
    assert not field_matcher("spec.nodeName==n2")(obj())
    with pytest.raises(QueryError):
        field_matcher("spec.nodeName")
    with pytest.raises(QueryError):
        label_matcher("a b")


def test_continue_tokens_round_trip_and_reject_garbage():
    token = Continue(rv=12, start="ns/name\x00", page=3)
    assert decode_continue(encode_continue(token)) == token
    with pytest.raises(QueryError, match="continue key is not valid"):
        decode_continue("not-a-token")

