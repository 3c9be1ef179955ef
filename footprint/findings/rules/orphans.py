"""Orphan rules: deployments nobody owns or whose team Footprint does not know, forgotten variants, old
versions left running next to the new one, and endpoints that hold GPUs without serving."""

from __future__ import annotations

from datetime import timedelta
from difflib import get_close_matches
from fnmatch import fnmatchcase

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext, by_key
from footprint.findings.rules.base import Observation, Rule, monthly_of
from footprint.findings.rules.drift import fleet_groups, place


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


class UnknownTeam(Rule):
    code = "orphans.unknown_team"
    title = "Owner team unknown to Footprint"
    severity = Severity.LOW
    params = {"known_teams": []}
    description = (
        "The workload names its team itself (a label or annotation, not an ownership rule) and that team is "
        "not registered in Footprint: no member (accounts.Membership), no enabled ownership rule, and its slug "
        "matches none of known_teams (globs). Distinct from orphans.no_owner (no team at all): here a team "
        "is named that nobody in Footprint answers for — often a typo or a renamed team. Until at least "
        "one team is registered (or known_teams is set) the rule stays silent: there is nothing to compare "
        "with. Evidence lists registered teams with a similar slug.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        patterns = context.params(self)["known_teams"]
        registered = context.registered_teams
        if not registered and not patterns:
            return []
        known_slugs = sorted({d.row.team.slug for d in context.deployments
                              if d.row.team_id in registered} | {p for p in patterns if "*" not in p})
        found = []
        for d in context.deployments:
            team = d.row.team
            if team is None or team.pk in registered or (d.spec.owner.source or "").startswith("rule:"):
                continue
            if any(fnmatchcase(team.slug, pattern) for pattern in patterns):
                continue
            impact, basis = monthly_of(d, what="spend attributed to an unknown team")
            similar = get_close_matches(team.slug, known_slugs, n=3, cutoff=0.6)
            found.append(Observation.on(
                d, title=f"{d.row.name} names team {team.slug!r}, which Footprint does not know"
                         + (f" (did you mean {similar[0]}?)" if similar else ""),
                evidence={**d.describe(), "ownerSource": d.spec.owner.source, "contact": d.spec.owner.contact,
                          "similarTeams": similar},
                impact_monthly=impact, impact_basis=basis,
            ))
        return found


class OldVersion(Rule):
    code = "orphans.old_version"
    title = "Old model version still running next to the newer one"
    severity = Severity.MEDIUM
    params = {"grace_days": 7}
    description = (
        "In one cluster, a fleet group serves two or more model versions: every deployment whose version "
        "differs from the most recently created deployment's, and that was created before it, is reported "
        "(on the old deployment) once the newer one has run for grace_days (a rollout in progress is not "
        "an orphan). Unpinned versions and workloads without a creation time are not judged. Different "
        "versions in different clusters are drift.version's. The impact is the old deployment's cost.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        cutoff = context.now - timedelta(days=context.params(self)["grace_days"])
        found = []
        for _, members in sorted(fleet_groups(context).items()):
            for _, here in sorted(by_key(members, place).items()):
                dated = [d for d in here if d.spec.model.version and d.row.workload_created_at]
                if len({d.spec.model.version for d in dated}) < 2:
                    continue
                newest = max(dated, key=lambda d: (d.row.workload_created_at, d.row.pk))
                if newest.row.workload_created_at > cutoff:
                    continue
                for old in sorted(dated, key=lambda d: d.row.pk):
                    if old.spec.model.version == newest.spec.model.version or \
                            old.row.workload_created_at >= newest.row.workload_created_at:
                        continue
                    found.append(self._observe(old, newest))
        return found

    @staticmethod
    def _observe(old: Deployed, newest: Deployed) -> Observation:
        impact, basis = monthly_of(old, what="the old version's deployment")
        return Observation.on(
            old, title=f"{old.row.name} still serves {old.spec.model.name} at {old.spec.model.version[:12]} "
                       f"(since {old.row.workload_created_at:%Y-%m-%d}) next to {newest.row.name} at "
                       f"{newest.spec.model.version[:12]} (since {newest.row.workload_created_at:%Y-%m-%d})",
            evidence={**old.describe(), "createdAt": old.row.workload_created_at.isoformat(),
                      "newer": {**newest.describe(), "createdAt": newest.row.workload_created_at.isoformat()}},
            impact_monthly=impact, impact_basis=basis,
            action={"kind": ActionKind.DECOMMISSION, "deployment": old.row.pk,
                    "note": f"once its traffic has moved to {newest.where}"},
        )


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


RULES = [NoOwner, UnknownTeam, OldCanary, OldVersion, ZeroReady]
