import pytest

from collectors.detect.owners import environment_from, normalise_team, owner_from, variant_from
from collectors.spec import Owner


def meta(labels=None, annotations=None):
    return {"labels": labels or {}, "annotations": annotations or {}}


# --- team ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("labels", "team", "source"),
    [
        ({"team": "search"}, "search", "label:team"),
        ({"owner": "search"}, "search", "label:owner"),
        ({"owner-team": "Search"}, "search", "label:owner-team"),
        ({"team-name": "search"}, "search", "label:team-name"),
        ({"squad": "ranking"}, "ranking", "label:squad"),
        ({"app.kubernetes.io/team": "search"}, "search", "label:app.kubernetes.io/team"),
        ({"app.kubernetes.io/owner": "search"}, "search", "label:app.kubernetes.io/owner"),
        ({"example.com/team": "search"}, "search", "label:example.com/team"),
        ({"footprint.io/team": "search"}, "search", "label:footprint.io/team"),
        ({"example.com/owner": "search"}, "search", "label:example.com/owner"),
        ({"backstage.io/owner": "group:default/search"}, "search", "label:backstage.io/owner"),
        ({"app.kubernetes.io/part-of": "search-platform"}, "search-platform", "label:app.kubernetes.io/part-of"),
    ],
)
def test_team_keys(labels, team, source):
    assert owner_from([meta(labels)]) == Owner(team=team, contact=None, source=source)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Search ", "search"),
        ("team-search", "search"),
        ("Team_Search", "search"),
        ("team:search", "search"),
        ("group:default/search", "search"),
        ("group:search", "search"),
        ("default/search", "search"),
        ("ML Platform", "ml-platform"),
        ("Team Search", "search"),
        ("teamwork", "teamwork"),  # only a "team-" prefix is dropped
        ("none", None),
        ("unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_team(value, expected):
    assert normalise_team(value) == expected


def test_labels_beat_annotations_and_part_of_is_last():
    owner = owner_from([meta(
        labels={"app.kubernetes.io/part-of": "platform"},
        annotations={"example.com/team": "search"},
    )])
    assert (owner.team, owner.source) == ("search", "annotation:example.com/team")
    owner = owner_from([meta(labels={"team": "search"}, annotations={"team": "ranking"})])
    assert (owner.team, owner.source) == ("search", "label:team")


def test_team_key_beats_owner_key():
    owner = owner_from([meta(labels={"owner": "jdoe", "team": "search"})])
    assert (owner.team, owner.source) == ("search", "label:team")


def test_workload_metadata_beats_pod_template():
    owner = owner_from([meta(labels={"team": "search"}), meta(labels={"team": "ranking"})])
    assert owner.team == "search"
    owner = owner_from([meta(), meta(labels={"team": "ranking"})])
    assert owner.team == "ranking"


def test_whole_objects_are_accepted():
    deployment = {"kind": "Deployment", "metadata": {"labels": {"team": "search"}}}
    assert owner_from([deployment]).team == "search"


def test_email_owner_is_a_contact_not_a_team():
    owner = owner_from([meta(labels={"team": "search"}, annotations={"owner": "alice@example.com"})])
    assert owner == Owner(team="search", contact="alice@example.com", source="label:team")
    owner = owner_from([meta(annotations={"example.com/owner": "alice@example.com"})])
    assert owner == Owner(team=None, contact="alice@example.com", source="annotation:example.com/owner")


@pytest.mark.parametrize(
    ("annotations", "contact"),
    [
        ({"contact": "alice@example.com"}, "alice@example.com"),
        ({"owner-email": "search@example.com"}, "search@example.com"),
        ({"maintainer": "Alice"}, "Alice"),
        ({"example.com/contact": "#search-oncall"}, "#search-oncall"),
        ({"example.com/owner-email": "a@b.io"}, "a@b.io"),
        ({"slack-channel": "search-alerts"}, "#search-alerts"),
        ({"example.com/slack": "#search"}, "#search"),
    ],
)
def test_contact_keys(annotations, contact):
    assert owner_from([meta(annotations=annotations)]).contact == contact


def test_backstage_user_is_a_contact():
    owner = owner_from([meta(annotations={"backstage.io/owner": "user:default/jdoe"})])
    assert owner == Owner(team=None, contact="user:default/jdoe", source="annotation:backstage.io/owner")


def test_contact_key_beats_email_in_owner():
    owner = owner_from([meta(annotations={"owner": "bob@example.com", "contact": "#search"})])
    assert owner.contact == "#search"


def test_namespace_never_becomes_a_team():
    assert owner_from([meta()], namespace="search") == Owner()


@pytest.mark.parametrize("garbage", [None, [], "x", [None, "x", 3], [{"labels": ["team"], "annotations": None}],
                                     [{"labels": {"team": None, "owner": 5}}], [{"metadata": None}]])
def test_owner_garbage_never_raises(garbage):
    owner = owner_from(garbage)
    assert isinstance(owner, Owner)
    assert owner.contact is None


def test_numeric_team_value_is_text():
    assert owner_from([{"labels": {"team": 42}}]).team == "42"


# --- environment -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"environment": "production"}, ("prod", "label:environment")),
        ({"env": "prd"}, ("prod", "label:env")),
        ({"env": "stg"}, ("staging", "label:env")),
        ({"env": "pre-prod"}, ("staging", "label:env")),
        ({"env": "preprod"}, ("staging", "label:env")),
        ({"env": "uat"}, ("staging", "label:env")),
        ({"env": "Development"}, ("dev", "label:env")),
        ({"env": "sandbox"}, ("dev", "label:env")),
        ({"env": "sbx"}, ("dev", "label:env")),
        ({"env": "qa"}, ("test", "label:env")),
        ({"env": "ci"}, ("test", "label:env")),
        ({"env": "testing"}, ("test", "label:env")),
        ({"env": "live"}, ("prod", "label:env")),
        ({"env": "prod-eu"}, ("prod", "label:env")),
        ({"app.kubernetes.io/environment": "staging"}, ("staging", "label:app.kubernetes.io/environment")),
        ({"example.com/environment": "dev"}, ("dev", "label:example.com/environment")),
        ({"stage": "prod"}, ("prod", "label:stage")),
        ({"tier": "production"}, ("prod", "label:tier")),
    ],
)
def test_environment_labels(labels, expected):
    assert environment_from(labels=labels, namespace="ml-dev", cluster="staging-1") == expected


@pytest.mark.parametrize(
    ("labels", "namespace", "cluster", "expected"),
    [
        ({}, "search-prod", "gke-dev-1", ("prod", "namespace")),  # namespace beats cluster
        ({}, "llm", "prod-use1", ("prod", "cluster")),
        ({}, "llm", "eks-stg-euw1", ("staging", "cluster")),
        ({}, "team_a.dev", None, ("dev", "namespace")),
        ({}, "prod2", None, ("prod", "namespace")),
        ({}, "dev01", None, ("dev", "namespace")),
        ({"tier": "backend"}, "llm", "prod-use1", ("prod", "cluster")),  # tier without an env word
        ({"stage": "2"}, None, None, (None, None)),
        ({"env": "blue"}, "llm", "prod", ("prod", "cluster")),  # unknown label value falls through
    ],
)
def test_environment_precedence(labels, namespace, cluster, expected):
    assert environment_from(labels=labels, namespace=namespace, cluster=cluster) == expected


@pytest.mark.parametrize(
    "namespace",
    ["product-search", "productivity-tools", "devops", "developer-tools", "testimonials", "prodigy",
     "staged", "qatar", "liver", "cider", "ml"],
)
def test_environment_whole_tokens_only(namespace):
    assert environment_from(labels={}, namespace=namespace, cluster=None) == (None, None)


def test_environment_from_name_is_last():
    assert environment_from(labels={}, namespace="llm", cluster="main", name="chat-staging") == ("staging", "name")
    assert environment_from(labels={}, namespace="prod", cluster=None, name="chat-staging") == ("prod", "namespace")


@pytest.mark.parametrize("garbage", [None, [], "env=prod", {"env": None}, {"env": ["prod"]}, {5: "prod"}])
def test_environment_garbage_never_raises(garbage):
    assert environment_from(labels=garbage, namespace=None, cluster=None) == (None, None)


def test_environment_non_string_namespace():
    assert environment_from(labels={}, namespace=5, cluster=["prod"]) == (None, None)


# --- variant ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("labels", "name", "expected"),
    [
        ({"variant": "canary"}, "chat", "canary"),
        ({"track": "canary"}, "chat", "canary"),
        ({"footprint.io/variant": "shadow"}, "chat", "shadow"),
        ({"example.com/variant": "backup"}, "chat", "backup"),
        ({"track": "stable"}, "chat-canary", None),  # an explicit label beats the name
        ({"variant": "primary"}, "chat", None),
        ({}, "chat-vllm-canary", "canary"),
        ({}, "chat-shadow", "shadow"),
        ({}, "chat-mirror", "shadow"),
        ({}, "chat-backup", "backup"),
        ({}, "chat-dr", "backup"),
        ({}, "chat-failover", "backup"),
        ({}, "chat-standby", "backup"),
        ({}, "chat-stable", None),
        ({}, "chat-primary", None),
        ({}, "chat", None),
        ({"rollouts-pod-template-hash": "abc123"}, "chat", None),
        ({"track": "weird"}, "chat-canary", "canary"),  # an unknown label value falls through to the name
        ({"variant": "dark-launch"}, "chat", "shadow"),
        ({"version": "canary"}, "chat", "canary"),
        ({"version": "v1.2.3"}, "chat", None),
        ({"version": "stable"}, "chat-canary", None),
    ],
)
def test_variant(labels, name, expected):
    assert variant_from(labels=labels, name=name) == expected


@pytest.mark.parametrize(
    "name", ["canaryville", "drive-model", "address-parser", "shadowfax-llm", "backups3", "dark-mode-classifier"])
def test_variant_whole_tokens_only(name):
    assert variant_from(labels={}, name=name) is None


@pytest.mark.parametrize("labels", [None, [], "x", {"variant": None}, {"track": ["canary"]}])
def test_variant_garbage_never_raises(labels):
    assert variant_from(labels=labels, name=None) is None
