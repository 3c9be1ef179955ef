"""The parts of a findings rule: small classes with a code, a title, a default severity, documented parameters and
``evaluate(context) -> list[Observation]``. Register a rule by adding it to RULES.

A rule reads only the EvaluationContext (loaded once per evaluation), so an evaluation costs a constant
number of queries whatever the fleet size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from footprint.findings.context import Deployed, EvaluationContext

CENTS = Decimal("0.01")


@dataclass
class Observation:
    """One condition a rule found. ``key`` identifies it within the rule (it makes the fingerprint), so it
    must name the subject (a deployment, a fleet group, a node), never a value that changes with it."""

    key: str
    title: str
    subject: str
    evidence: dict[str, Any]
    deployment_id: int | None = None
    cluster_id: int | None = None
    team_id: int | None = None
    impact_monthly: Decimal | None = None
    impact_basis: str = ""
    action: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None   # None: the rule's (configured) severity
    # What an IgnoreRule matches on (model, team, cluster, namespace, environment); None: the deployment's.
    facts: dict[str, str | None] | None = None

    @classmethod
    def on(cls, deployed: Deployed, **fields) -> Observation:
        row = deployed.row
        fields.setdefault("key", f"deployment:{row.source_id}:{row.cluster_name}/{row.namespace}/{row.kind}/"
                                 f"{row.name}/{row.unit}")
        fields.setdefault("subject", deployed.where)
        return cls(deployment_id=row.pk, cluster_id=row.cluster_id, team_id=row.team_id, **fields)


class Rule:
    code: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}
    description: ClassVar[str] = ""
    # Differences an IgnoreRule may name in ``fields`` (drift rules); empty: only whole findings are ignored.
    ignorable_fields: ClassVar[tuple[str, ...]] = ()

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        raise NotImplementedError

    def params_errors(self, params: dict[str, Any]) -> list[str]:
        """What is wrong with user overrides of known parameters (RuleSetting.clean); [] when fine."""
        return []


def compare_errors(params: dict[str, Any], known) -> list[str]:
    """For rules whose ``compare`` parameter lists field names: a misspelt field is an error, not a no-op."""
    compare = params.get("compare")
    if compare is None:
        return []
    if not isinstance(compare, list) or not all(isinstance(f, str) for f in compare):
        return ["compare: a list of field names"]
    unknown = sorted(set(compare) - set(known))
    return [f"compare: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"] if unknown else []


def monthly_of(deployed: Deployed, *, share: Decimal = Decimal(1), what: str) -> tuple[Decimal | None, str]:
    """(impact, basis) from the deployment's price: ``share`` of its monthly cost, or None with the reason."""
    price = deployed.price
    if price.is_unknown:
        return None, f"cannot price {what}: {price.reason}"
    impact = (price.monthly * share).quantize(CENTS)
    return impact, f"{what}: {'' if share == 1 else f'{share:.0%} of '}${price.monthly.quantize(CENTS)}/month ({price.basis})"
