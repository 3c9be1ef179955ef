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

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        raise NotImplementedError


def monthly_of(deployed: Deployed, *, share: Decimal = Decimal(1), what: str) -> tuple[Decimal | None, str]:
    """(impact, basis) from the deployment's price: ``share`` of its monthly cost, or None with the reason."""
    price = deployed.price
    if price.is_unknown:
        return None, f"cannot price {what}: {price.reason}"
    impact = (price.monthly * share).quantize(CENTS)
    return impact, f"{what}: {'' if share == 1 else f'{share:.0%} of '}${price.monthly.quantize(CENTS)}/month ({price.basis})"
