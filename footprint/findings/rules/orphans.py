"""Orphan rules: deployments nobody owns, forgotten variants, and endpoints that hold GPUs without serving."""

from __future__ import annotations

from datetime import timedelta

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import EvaluationContext
from footprint.findings.rules.base import Observation, Rule, monthly_of


class NoOwner(Rule):
    code = "orphans.no_owner"
    title = "Deployment has no owner team"
    severity = Severity.MEDIUM
    params = {}
    description = "No team after the ModelSpec's owner and the ownership rules (Deployment.team empty)."

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        found = []
        for d in context.deployments:
            if d.row.team_id is not None:
                continue
            impact, basis = monthly_of(d, what="unowned spend")
            found.append(Observation.on(
                d, title=f"{d.row.name} in {d.row.cluster_name or d.spec.workload.cloud} has no owner team",
                evidence={**d.describe(), "ownerSource": d.spec.owner.source, "contact": d.spec.owner.contact},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.DECOMMISSION, "deployment": d.row.pk,
                        "note": "only after an owner is found or nobody claims it; else add an ownership rule"},
            ))
        return found


class OldCanary(Rule):
    code = "orphans.old_canary"
    title = "Canary or shadow variant left running"
    severity = Severity.LOW
    params = {"max_age_days": 14, "variants": ["canary", "shadow"]}
    description = ("A canary/shadow variant whose workload was created (workload.createdAt) more than "
                   "max_age_days ago. A workload with no creation time is not judged.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        cutoff = context.now - timedelta(days=params["max_age_days"])
        found = []
        for d in context.deployments:
            created = d.row.workload_created_at
            if d.variant not in params["variants"] or created is None or created > cutoff:
                continue
            impact, basis = monthly_of(d, what=f"{d.variant} cost")
            found.append(Observation.on(
                d, title=f"{d.variant.capitalize()} {d.row.name} running since {created:%Y-%m-%d} "
                      f"(more than {params['max_age_days']} days)",
                # No age in days here: it would change the finding (an "updated" event) every day.
                evidence={**d.describe(), "createdAt": created.isoformat(), "maxAgeDays": params["max_age_days"]},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.DECOMMISSION, "deployment": d.row.pk},
            ))
        return found


class ZeroReady(Rule):
    code = "orphans.zero_ready"
    title = "No ready replica while holding GPUs"
    severity = Severity.HIGH
    params = {}
    description = ("Ready replicas are known to be 0 while replicas are desired on accelerators. An unknown "
                   "ready count (CRs whose status the crawler cannot read) is not zero and never fires.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        found = []
        for d in context.deployments:
            spec = d.spec
            if spec.replicas.ready != 0 or not spec.replicas.desired:
                continue
            if not spec.accelerator.type or not spec.accelerator.per_replica:
                continue
            impact, basis = monthly_of(d, what="GPUs held without serving")
            found.append(Observation.on(
                d, title=f"{d.row.name}: 0 of {spec.replicas.desired} replicas ready, holding "
                         f"{spec.accelerator.per_replica:g}× {spec.accelerator.type} each",
                evidence=d.describe(), impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.SCALE, "deployment": d.row.pk, "replicas": 0},
            ))
        return found


RULES = [NoOwner, OldCanary, ZeroReady]
