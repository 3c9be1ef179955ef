"""Drift rules: deployments of one fleet group that should serve alike and do not.

A *fleet group* is the deployments of one model in one environment, variants (canary, shadow, backup)
left out; a ``footprint.io/service`` label puts a deployment in the group of that service instead.

Unknown values (null in the ModelSpec) are never a difference. An IgnoreRule naming a rule and, optionally,
``fields`` leaves the deployments it matches out of the comparison of those fields (all fields when it
names none): the others are still compared.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext, by_key
from footprint.findings.rules.base import CENTS, Observation, Rule, compare_errors

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


def place(deployed: Deployed) -> str:
    """Where a deployment runs: its cluster, else (managed endpoints) its cloud and region."""
    return deployed.row.cluster_name or f"{deployed.spec.workload.cloud}:{deployed.spec.workload.region or ''}"


def group_facts(key: tuple[str, str, str], members: list[Deployed]) -> dict[str, str | None]:
    """What an IgnoreRule matches on for a fleet group: its model, environment and team when single."""
    models = {d.model_name for d in members}
    teams = {d.row.team.slug if d.row.team_id else None for d in members}
    return {"model": models.pop() if len(models) == 1 else None, "environment": key[2] or None,
            "team": teams.pop() if len(teams) == 1 else None, "cluster": None, "namespace": None}


def _single_team(members: list[Deployed]) -> int | None:
    teams = {d.row.team_id for d in members}
    return teams.pop() if len(teams) == 1 else None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _majority(values: dict[str, list[Deployed]]) -> str:
    """The value most deployments have; ties go to the value of the most recently created workload."""
    return max(values, key=lambda v: (len(values[v]), max(d.row.workload_created_at or _EPOCH for d in values[v]), v))


SETTINGS_COMPARED = ("maxModelLen", "dtype", "quantization", "tensorParallelSize")
FIELD_VALUES: dict[str, Callable[[Deployed], Any]] = {
    "version": lambda d: d.spec.model.version,
    "engine": lambda d: d.spec.runtime.engine if d.spec.runtime.engine != "unknown" else None,
    "engineVersion": lambda d: d.spec.runtime.engine_version,
    "image": lambda d: d.spec.runtime.image,
    "accelerator": lambda d: d.spec.accelerator.type,
    "perReplica": lambda d: d.spec.accelerator.per_replica,
    **{name: (lambda d, name=name: (d.spec.runtime.settings or {}).get(name))
       for name in ("tensorParallelSize", "pipelineParallelSize", "maxModelLen", "dtype", "quantization",
                    "gpuMemoryUtilization", "kvCacheDtype", "maxNumSeqs")},
}


class VersionDrift(Rule):
    code = "drift.version"
    title = "Model version differs across clusters"
    severity = Severity.MEDIUM
    params = {"ignore_unpinned": True}
    description = ("A fleet group serves different model versions/revisions in different clusters or regions. "
                   "ignore_unpinned: deployments that pin no version are not compared.")
    ignorable_fields = ("version",)

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        found = []
        for key, members in sorted(fleet_groups(context).items()):
            compared = [d for d in members if (d.spec.model.version or not params["ignore_unpinned"])
                        and not context.ignored(self.code, deployed=d, field="version")]
            by_cluster: dict[str, set[str]] = {}
            for d in compared:
                by_cluster.setdefault(place(d), set()).add(d.spec.model.version or "")
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
                key=f"group:{'|'.join(key)}", subject=group_label(key), facts=group_facts(key, members),
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


class FleetGroupDrift(Rule):
    """One finding per fleet group whose deployments (in any cluster) differ in one of the compared fields."""

    noun: ClassVar[str]

    def compared(self, context: EvaluationContext) -> list[str]:
        return [name for name in context.params(self)["compare"] if name in FIELD_VALUES]

    def params_errors(self, params: dict[str, Any]) -> list[str]:
        return compare_errors(params, self.ignorable_fields)

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        fields = self.compared(context)
        found = []
        for key, members in sorted(fleet_groups(context).items()):
            differences: dict[str, dict[str, list[Deployed]]] = {}
            ignored: dict[str, list[str]] = {}
            for name in fields:
                values: dict[str, list[Deployed]] = {}
                for d in members:
                    value = FIELD_VALUES[name](d)
                    if value is None or value == "":
                        continue
                    if context.ignored(self.code, deployed=d, field=name):
                        ignored.setdefault(name, []).append(d.where)
                        continue
                    values.setdefault(_text(value), []).append(d)
                if len(values) > 1:
                    differences[name] = values
            if differences:
                found.append(self.observe(context, key, members, differences, ignored))
        return found

    def observe(self, context: EvaluationContext, key: tuple[str, str, str], members: list[Deployed],
                differences: dict[str, dict[str, list[Deployed]]], ignored: dict[str, list[str]]) -> Observation:
        targets = {name: _majority(values) for name, values in differences.items()}
        what = "; ".join(f"{name} " + " vs ".join(f"{v} ({len(ds)})" for v, ds in sorted(values.items()))
                         for name, values in differences.items())
        impact, basis, action = self.remedy(context, differences, targets)
        return Observation(
            key=f"group:{'|'.join(key)}", subject=group_label(key), facts=group_facts(key, members),
            title=f"{key[1]} ({key[2] or 'no environment'}) differs in {self.noun}: {what}",
            evidence={"group": list(key),
                      "differences": {name: {v: sorted(d.where for d in ds) for v, ds in sorted(values.items())}
                                      for name, values in differences.items()},
                      "majority": targets, "deployments": [d.describe() for d in members],
                      # left out of a comparison by an ignore rule: shown, so the finding does not mislead
                      **({"ignored": {name: sorted(w) for name, w in ignored.items()}} if ignored else {})},
            team_id=_single_team(members), impact_monthly=impact, impact_basis=basis, action=action,
        )

    def remedy(self, context, differences, targets) -> tuple[Decimal | None, str, dict[str, Any]]:
        return Decimal(0), "risk: the fleet group's deployments answer differently; no direct cost", {}

    @staticmethod
    def _off_target(differences, targets) -> list[Deployed]:
        """Deployments that differ from the majority in any compared field."""
        off = {d.row.pk: d for name, values in differences.items() for v, ds in values.items()
               if v != targets[name] for d in ds}
        return [off[pk] for pk in sorted(off)]


class EngineDrift(FleetGroupDrift):
    code = "drift.engine"
    title = "Serving engine or engine version differs within a fleet group"
    severity = Severity.MEDIUM
    params = {"compare": ["engine", "engineVersion"]}
    ignorable_fields = ("engine", "engineVersion", "image")
    noun = "serving engine"
    description = ("The deployments of a fleet group (any cluster or region) run different serving engines "
                   "(vllm vs tgi) or engine versions (vLLM 0.8.5 vs 0.9.2). compare: engine, engineVersion, "
                   "and optionally image (the whole image reference, registry host included). The suggested "
                   "action aligns the others on the image most deployments run.")

    def remedy(self, context, differences, targets):
        off = self._off_target(differences, targets)
        model = [d for name, values in differences.items() for d in values[targets[name]]]
        image = next((d.spec.runtime.image for d in model if d.spec.runtime.image), None)
        action = {}
        if image:
            action = {"kind": ActionKind.ALIGN_VERSION, "image": image, "deployments": [d.row.pk for d in off]}
        return Decimal(0), "risk: the fleet group answers from different engines; no direct cost", action


class AcceleratorDrift(FleetGroupDrift):
    code = "drift.accelerator"
    title = "Accelerator type differs within a fleet group"
    severity = Severity.MEDIUM
    params = {"compare": ["accelerator", "perReplica"]}
    ignorable_fields = ("accelerator", "perReplica")
    noun = "accelerator"
    description = ("The deployments of a fleet group run on different accelerator types (L4 vs A10G) or GPU "
                   "counts per replica. The suggested action moves the others to the type most deployments "
                   "use; the impact is what that saves per month (cost engine, current vs on that type), $0 "
                   "when it would cost more, empty when a price is unknown.")

    def remedy(self, context, differences, targets):
        target = targets.get("accelerator")
        if target is None:
            return Decimal(0), "risk: GPU counts per replica differ; no direct cost", {}
        off = [d for v, ds in differences["accelerator"].items() if v != target for d in ds]
        saving, parts = Decimal(0), []
        for d in off:
            moved = context.price_as(d, accelerator=target)
            if d.price.is_unknown or moved.is_unknown:
                reason = d.price.reason if d.price.is_unknown else moved.reason
                return None, f"cannot price moving {d.where} to {target}: {reason}", self._action(off, target)
            saving += d.price.monthly - moved.monthly
            parts.append(f"{d.where} ${d.price.monthly.quantize(CENTS)} → ${moved.monthly.quantize(CENTS)}")
        basis = f"moving to {target}: " + "; ".join(parts) + " per month"
        if saving <= 0:
            return Decimal(0), f"risk: {basis} (no saving: ${(-saving).quantize(CENTS)}/month more)", \
                self._action(off, target)
        return saving.quantize(CENTS), basis, self._action(off, target)

    @staticmethod
    def _action(off: list[Deployed], target: str) -> dict[str, Any]:
        return {"kind": ActionKind.MOVE_GPU, "accelerator": target, "deployments": [d.row.pk for d in off]}


class SettingsDrift(FleetGroupDrift):
    code = "drift.settings"
    title = "Serving settings differ within a fleet group"
    severity = Severity.MEDIUM
    params = {"compare": list(SETTINGS_COMPARED)}
    ignorable_fields = ("tensorParallelSize", "pipelineParallelSize", "maxModelLen", "dtype", "quantization",
                        "gpuMemoryUtilization", "kvCacheDtype", "maxNumSeqs")
    noun = "serving settings"
    description = ("The deployments of a fleet group serve with different key settings (runtime.settings): "
                   "compare: maxModelLen (max context), dtype, quantization, tensorParallelSize; any of "
                   "pipelineParallelSize, gpuMemoryUtilization, kvCacheDtype, maxNumSeqs can be added. No "
                   "suggested action: settings are changed in the deployment's own manifest.")


class BackupMismatch(Rule):
    code = "drift.backup_mismatch"
    title = "Backup/DR variant does not match prod"
    severity = Severity.HIGH
    params = {"compare": ["accelerator", "perReplica", "engine", "engineVersion", "version",
                          *SETTINGS_COMPARED]}
    ignorable_fields = ("accelerator", "perReplica", "engine", "engineVersion", "image", "version",
                        *SettingsDrift.ignorable_fields)
    description = ("A deployment with variant backup serves on another accelerator type or count, engine, "
                   "engine version, model version or key setting (maxModelLen, dtype, quantization, "
                   "tensorParallelSize) than every prod deployment of its fleet group: the failover would not "
                   "behave like prod. compare: which of those to check (image and the other settings keys "
                   "may be added).")

    def params_errors(self, params: dict[str, Any]) -> list[str]:
        return compare_errors(params, self.ignorable_fields)

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        fields = [f for f in context.params(self)["compare"] if f in FIELD_VALUES]
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
                if context.ignored(self.code, deployed=backup, field=name):
                    continue
                value = FIELD_VALUES[name]
                ours = value(backup)
                theirs = {value(d) for d in prod} - {None, ""}
                if ours is not None and ours != "" and theirs and ours not in theirs:
                    differences[name] = {"backup": ours, "prod": sorted(theirs, key=_text)}
            if not differences:
                continue
            what = ", ".join(f"{k} {_text(v['backup'])} vs prod {'/'.join(map(_text, v['prod']))}"
                             for k, v in differences.items())
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


RULES = [VersionDrift, EngineDrift, AcceleratorDrift, SettingsDrift, BackupMismatch]
