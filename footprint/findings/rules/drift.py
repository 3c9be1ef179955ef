"""Drift rules: deployments of one fleet group that should serve alike and do not.

A *fleet group* is the deployments of one model in one environment, variants (canary, shadow, backup)
left out; a ``footprint.io/service`` label puts a deployment in the group of that service instead.
"""

from __future__ import annotations

from decimal import Decimal

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext, by_key
from footprint.findings.rules.base import Observation, Rule

SERVICE_LABEL = "footprint.io/service"


def fleet_group_key(deployed: Deployed) -> tuple[str, str, str] | None:
    """("service", name, environment) or ("model", model, environment); None for variants and model-less."""
    if deployed.variant:
        return None
    environment = deployed.spec.environment or ""
    service = deployed.labels.get(SERVICE_LABEL)
    if service:
        return ("service", service, environment)
    if not deployed.model_name:
        return None
    return ("model", deployed.model_name, environment)


def fleet_groups(context: EvaluationContext) -> dict[tuple[str, str, str], list[Deployed]]:
    return by_key(context.deployments, fleet_group_key)


def group_label(key: tuple[str, str, str]) -> str:
    kind, name, environment = key
    return f"{name}/{environment or '(no environment)'}" + (" (service)" if kind == "service" else "")


class VersionDrift(Rule):
    code = "drift.version"
    title = "Model version differs across clusters"
    severity = Severity.MEDIUM
    params = {"ignore_unpinned": True}
    description = ("A fleet group serves different model versions/revisions in different clusters or regions. "
                   "ignore_unpinned: deployments that pin no version are not compared.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        found = []
        for key, members in sorted(fleet_groups(context).items()):
            compared = [d for d in members if d.spec.model.version or not params["ignore_unpinned"]]
            by_cluster: dict[str, set[str]] = {}
            for d in compared:
                by_cluster.setdefault(d.row.cluster_name, set()).add(d.spec.model.version or "")
            if len(by_cluster) < 2 or len({frozenset(v) for v in by_cluster.values()}) < 2:
                continue   # one cluster (old-version rule territory) or every cluster serves the same
            versions: dict[str, list[str]] = {}
            for d in compared:
                versions.setdefault(d.spec.model.version or "(unpinned)", []).append(d.where)
            # Align on the version most deployments serve (ties: the newest workload's).
            newest = max(compared, key=lambda d: (d.row.workload_created_at is not None,
                                                  d.row.workload_created_at or context.now))
            target = max(versions, key=lambda v: (len(versions[v]), v == (newest.spec.model.version or "")))
            teams = {d.row.team_id for d in members}
            found.append(Observation(
                key=f"group:{'|'.join(key)}", subject=group_label(key),
                title=f"{key[1]} ({key[2] or 'no environment'}) runs {len(versions)} versions across "
                      f"{len(by_cluster)} clusters",
                evidence={"group": list(key), "versions": {v: sorted(w) for v, w in sorted(versions.items())},
                          "deployments": [d.describe() for d in compared]},
                team_id=teams.pop() if len(teams) == 1 else None,
                impact_monthly=Decimal(0), impact_basis="risk: regions answer differently; no direct cost",
                action={"kind": ActionKind.ALIGN_VERSION, "version": target,
                        "deployments": sorted(d.row.pk for d in compared
                                              if (d.spec.model.version or "(unpinned)") != target)},
            ))
        return found


class BackupMismatch(Rule):
    code = "drift.backup_mismatch"
    title = "Backup/DR variant does not match prod"
    severity = Severity.HIGH
    params = {"compare": ["accelerator", "engine", "engineVersion", "version"]}
    description = ("A deployment with variant backup serves on another accelerator type, engine, engine "
                   "version or model version than every prod deployment of its fleet group: the failover "
                   "would not behave like prod. compare: which of those to check.")

    FIELDS = {
        "accelerator": lambda d: d.spec.accelerator.type,
        "engine": lambda d: d.spec.runtime.engine,
        "engineVersion": lambda d: d.spec.runtime.engine_version,
        "version": lambda d: d.spec.model.version,
    }

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        fields = [f for f in context.params(self)["compare"] if f in self.FIELDS]
        groups = fleet_groups(context)
        found = []
        for backup in context.deployments:
            if backup.variant != "backup" or not backup.model_name:
                continue
            service = backup.labels.get(SERVICE_LABEL)
            key = ("service", service, "prod") if service else ("model", backup.model_name, "prod")
            prod = groups.get(key, [])
            if not prod:
                continue
            differences = {}
            for name in fields:
                ours = self.FIELDS[name](backup)
                theirs = {self.FIELDS[name](d) for d in prod} - {None, ""}
                if ours and theirs and ours not in theirs:
                    differences[name] = {"backup": ours, "prod": sorted(theirs)}
            if not differences:
                continue
            what = ", ".join(f"{k} {v['backup']} vs prod {'/'.join(v['prod'])}" for k, v in differences.items())
            action = {}
            if "accelerator" in differences:
                action = {"kind": ActionKind.MOVE_GPU, "deployment": backup.row.pk,
                          "accelerator": differences["accelerator"]["prod"][0]}
            elif "version" in differences:
                action = {"kind": ActionKind.ALIGN_VERSION, "deployment": backup.row.pk,
                          "version": differences["version"]["prod"][0]}
            found.append(Observation.on(
                backup, title=f"Backup {backup.row.name} differs from prod: {what}",
                evidence={"backup": backup.describe(), "differences": differences,
                          "prod": [d.describe() for d in prod]},
                impact_monthly=Decimal(0), impact_basis="risk: a failover would not behave like prod",
                action=action,
            ))
        return found


RULES = [VersionDrift, BackupMismatch]
