"""Who owns a workload, which environment it serves, and whether it is a canary/shadow/backup.

Only what the objects say is used: a team is never invented from a namespace (mapping namespaces to
teams is a user's OwnershipRule, applied by the inventory). Environment may come from namespace or
cluster-name tokens because those are the conventional way of naming environments.

Team values are normalised so that one team has one spelling: trimmed, lower-cased, a Backstage
entity reference reduced to its name (``group:default/search`` → ``search``), a ``team-``/``team_``
/``team:`` prefix dropped (``team-search`` → ``search``), inner whitespace turned into ``-``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from collectors.detect.objects import annotations_of, labels_of, mapping, str_map
from collectors.spec import Owner

# --- tables ----------------------------------------------------------------------------------------

# Keys naming the owning team, most trusted first. "*/team" matches any prefix (example.com/team).
TEAM_KEYS: tuple[str, ...] = (
    "team", "owner-team", "owning-team", "team-name", "squad",
    "app.kubernetes.io/team", "app.kubernetes.io/owner",
    "backstage.io/owner", "*/team", "*/owner-team", "*/team-name", "*/squad",
    "owner", "*/owner",
)
# Lowest trust: the application a workload belongs to is only a hint of the team.
TEAM_FALLBACK_KEYS: tuple[str, ...] = ("app.kubernetes.io/part-of",)
# Keys naming a person, an address or a channel to contact.
CONTACT_KEYS: tuple[str, ...] = (
    "contact", "owner-email", "maintainer", "email", "oncall", "on-call",
    "*/contact", "*/owner-email", "*/maintainer", "*/email", "*/oncall",
    "slack", "slack-channel", "*/slack", "*/slack-channel", "*/team-slack",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_CHANNEL = re.compile(r"^#[\w.-]+$")
_BACKSTAGE_REF = re.compile(r"^(?:(?:group|user):)?(?:[\w.-]+/)?(?P<name>[\w.-]+)$")
_TEAM_PREFIX = re.compile(r"^team[-_:]")
_NOT_A_TEAM = frozenset({"", "none", "null", "unknown", "n/a", "na", "tbd", "todo", "-", "true", "false"})

ENVIRONMENT_KEYS: tuple[str, ...] = (
    "environment", "env", "app.kubernetes.io/environment", "*/environment", "*/env",
    "stage", "*/stage", "tier", "*/tier",
)
# "tier" and "stage" are often other things (tier=backend); they count only with an env word.
_LOOSE_ENVIRONMENT_KEYS = frozenset({"tier", "stage"})
ENVIRONMENT_TOKENS: dict[str, str] = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
    "preproduction": "staging", "uat": "staging",
    "dev": "dev", "development": "dev", "develop": "dev", "sandbox": "dev", "sbx": "dev",
    "test": "test", "testing": "test", "qa": "test", "ci": "test",
}
# Two-token spellings ("pre-prod", "pre_production").
ENVIRONMENT_PAIRS: dict[tuple[str, str], str] = {
    ("pre", "prod"): "staging", ("pre", "production"): "staging",
    ("non", "prod"): "dev", ("non", "production"): "dev",
}

# "version" carries canary/stable in Istio-style routing; a semantic version simply matches nothing.
VARIANT_KEYS: tuple[str, ...] = ("variant", "track", "footprint.io/variant", "*/variant", "*/track", "version")
# Name tokens (Flagger's "-canary"/"-primary", "chat-shadow", "chat-dr").
VARIANT_TOKENS: dict[str, str | None] = {
    "canary": "canary", "shadow": "shadow", "mirror": "shadow",
    "backup": "backup", "dr": "backup", "failover": "backup", "standby": "backup",
    "stable": None, "primary": None,
}
# An explicit label may also use these; in a name they are too common to mean a variant ("dark-mode").
VARIANT_LABEL_TOKENS: dict[str, str | None] = {
    **VARIANT_TOKENS, "mirrored": "shadow", "dark": "shadow", "dark-launch": "shadow",
    "main": None, "baseline": None, "prod": None, "production": None, "live": None,
}
_SPLIT = re.compile(r"[-_./:\s]+")


# --- public API ----------------------------------------------------------------------------------


def owner_from(metadatas: Sequence[Mapping], *, namespace: str | None = None) -> Owner:
    """Team and contact from labels, then annotations, of the given metadata (most authoritative first).

    ``metadatas`` may hold object metadata (``{"labels": ..., "annotations": ...}``) or whole objects.
    ``namespace`` is accepted for the caller's convenience and never turned into a team.
    """
    del namespace  # namespace → team is an OwnershipRule, applied elsewhere
    layers = [_labels_and_annotations(m) for m in _seq_of_maps(metadatas)]
    team, team_source = _find_team(layers, TEAM_KEYS)
    if team is None:
        team, team_source = _find_team(layers, TEAM_FALLBACK_KEYS)
    contact, contact_source = _find_contact(layers)
    return Owner(team=team, contact=contact, source=team_source or contact_source)


def environment_from(
    *, labels: Mapping[str, str], namespace: str | None, cluster: str | None, name: str | None = None
) -> tuple[str | None, str | None]:
    """(prod|staging|dev|test, where it came from): explicit labels, then namespace, then cluster."""
    found = _environment_from_labels(str_map(labels))
    if found:
        return found
    for source, value in (("namespace", namespace), ("cluster", cluster)):
        env = environment_of_name(value)
        if env:
            return env, source
    # The workload name is the weakest hint: "chat-canary-staging" is a staging workload.
    env = environment_of_name(name)
    return (env, "name") if env else (None, None)


def variant_from(*, labels: Mapping[str, str], name: str | None) -> str | None:
    """canary | shadow | backup from an explicit label, else from the workload name's tokens."""
    label_map = str_map(labels)
    for _matched_key, value in _key_hits(label_map, VARIANT_KEYS):
        for token in (value.strip().lower(), *_tokens(value)):
            if token in VARIANT_LABEL_TOKENS:
                return VARIANT_LABEL_TOKENS[token]  # "stable" is an answer too: not a variant
    for token in _tokens(name):
        if VARIANT_TOKENS.get(token):
            return VARIANT_TOKENS[token]
    return None


def environment_of_name(value: str | None) -> str | None:
    """prod|staging|dev|test when a whole token of the name is an environment word."""
    tokens = _tokens(value)
    for first, second in zip(tokens, tokens[1:], strict=False):
        if (first, second) in ENVIRONMENT_PAIRS:
            return ENVIRONMENT_PAIRS[(first, second)]
    for token in tokens:
        # "prod", "prod2", "dev01": a numbered environment is still that environment
        word = token if token in ENVIRONMENT_TOKENS else token.rstrip("0123456789")
        if word in ENVIRONMENT_TOKENS:
            return ENVIRONMENT_TOKENS[word]
    return None


def normalise_team(value: str | None) -> str | None:
    """One spelling per team: 'Group:default/Search' → 'search', 'team-ml ' → 'ml'."""
    if value is None:
        return None
    team = re.sub(r"\s+", "-", value.strip().lower())
    ref = _BACKSTAGE_REF.match(team)
    if ref and (":" in team or "/" in team):
        team = ref.group("name")
    team = _TEAM_PREFIX.sub("", team).strip("-")
    return None if team in _NOT_A_TEAM else team


# --- helpers ----------------------------------------------------------------------------------------


def _seq_of_maps(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, Mapping)]
    return []


Layer = list[tuple[str, dict[str, str]]]


def _labels_and_annotations(meta: Mapping[str, Any]) -> Layer:
    """A metadata map or a whole object → [("label", labels), ("annotation", annotations)]."""
    if "metadata" in meta:
        pairs = [("label", labels_of(meta)), ("annotation", annotations_of(meta))]
    else:
        pairs = [("label", str_map(mapping(meta).get("labels"))),
                 ("annotation", str_map(mapping(meta).get("annotations")))]
    return [(kind, values) for kind, values in pairs if values]


@functools.cache
def _ranks(keys: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Position of each exact key and of each "*/name" suffix in a key table."""
    exact: dict[str, int] = {}
    suffix: dict[str, int] = {}
    for rank, pattern in enumerate(keys):
        if pattern.startswith("*/"):
            suffix.setdefault(pattern[2:], rank)
        else:
            exact.setdefault(pattern, rank)
    return exact, suffix


def _key_hits(values: Mapping[str, str], keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(key, value) of the keys matching the table, in table order ("*/name": any prefixed key, sorted).

    One pass over the object's own keys (a handful) instead of one lookup per table entry.
    """
    exact, suffix = _ranks(keys)
    hits: list[tuple[int, str, str]] = []
    for key, value in values.items():
        rank = exact.get(key)
        if "/" in key:
            by_suffix = suffix.get(key.rsplit("/", 1)[1])
            if by_suffix is not None and (rank is None or by_suffix < rank):
                rank = by_suffix
        if rank is not None:
            hits.append((rank, key, value))
    hits.sort()
    return [(key, value) for _, key, value in hits]


def _entries(layers: list[Layer], keys: Sequence[str]):
    """(kind, key, value) by metadata layer, labels before annotations, then key order."""
    table = tuple(keys)
    for layer in layers:
        for kind, values in layer:
            for key, value in _key_hits(values, table):
                yield kind, key, value.strip()


def _find_team(layers: list[Layer], keys: Sequence[str]) -> tuple[str | None, str | None]:
    for kind, key, value in _entries(layers, keys):
        if _is_person(value):
            continue  # an address or a Backstage user is a contact, not a team
        team = normalise_team(value)
        if team:
            return team, f"{kind}:{key}"
    return None, None


def _find_contact(layers: list[Layer]) -> tuple[str | None, str | None]:
    """A contact key first; else an e-mail address found under an owner/team key."""
    for kind, key, value in _entries(layers, CONTACT_KEYS):
        if value and value.lower() not in _NOT_A_TEAM:
            if "slack" in key and _SLACK_CHANNEL.match("#" + value):
                value = "#" + value
            return value, f"{kind}:{key}"
    for kind, key, value in _entries(layers, (*TEAM_KEYS, *TEAM_FALLBACK_KEYS)):
        if _is_person(value):
            return value, f"{kind}:{key}"
    return None, None


def _is_person(value: str) -> bool:
    return bool(_EMAIL.match(value)) or value.lower().startswith("user:")


def _environment_from_labels(labels: Mapping[str, str]) -> tuple[str, str] | None:
    for key, value in _key_hits(labels, ENVIRONMENT_KEYS):
        env = _environment_of_value(value, loose=key.rsplit("/", 1)[-1] in _LOOSE_ENVIRONMENT_KEYS)
        if env:
            return env, f"label:{key}"
    return None


def _environment_of_value(value: str, *, loose: bool) -> str | None:
    tokens = _tokens(value)
    if loose:
        # tier=backend or stage=2 say nothing; only the value as a whole env word counts
        joined = "".join(tokens)
        return ENVIRONMENT_TOKENS.get(joined) or ENVIRONMENT_PAIRS.get(tuple(tokens)) if tokens else None
    return environment_of_name(value)


def _tokens(value: str | None) -> list[str]:
    if not isinstance(value, str):
        return []
    return [t for t in _SPLIT.split(value.lower()) if t]
