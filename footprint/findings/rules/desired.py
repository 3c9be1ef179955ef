"""Desired vs live: what a file source declares (a GitOps repo's manifests, scanned with ``manage.py scan``
and fed with ``manage.py ingest``) against what the crawled clusters run.

A declaration and a running deployment match on their identity: cluster, namespace, kind, name (and unit).
Only clusters that a crawled (non-file) source has listed completely are judged, so a cluster Footprint does
not crawl never looks "not running"; a failed crawl keeps the last known deployments (stale), so it cannot
make a declaration look absent either (see context.py, ``declarations``).
"""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext
from footprint.findings.rules.base import CENTS, Observation, Rule, compare_errors, monthly_of


def _declared_key(declared: Deployed) -> str:
    row = declared.row
    return f"{row.source_id}:{row.cluster_name}/{row.namespace}/{row.kind}/{row.name}/{row.unit}"


def _replicas(d: Deployed) -> dict[str, int | None] | int | None:
    """Desired replicas; with an autoscaler, its bounds (the autoscaler, not the manifest, sets the count)."""
    replicas = d.spec.replicas
    if replicas.autoscaled:
        return {"min": replicas.min, "max": replicas.max}
    return replicas.desired


COMPARED = {
    "model": lambda d: d.spec.model.name,
    "version": lambda d: d.spec.model.version,
    "image": lambda d: d.spec.runtime.image,
    "replicas": _replicas,
    "accelerator": lambda d: d.spec.accelerator.type,
    "perReplica": lambda d: d.spec.accelerator.per_replica,
}


# Differences that change what is billed; the others (model, version, image) are a risk, not a cost.
COST_FIELDS = frozenset({"replicas", "accelerator", "perReplica"})


class DesiredLive(Rule):
    code = "drift.desired_live"
    title = "The cluster runs something else than the repo declares"
    severity = Severity.MEDIUM
    params = {"compare": ["model", "version", "image", "replicas", "accelerator", "perReplica"]}
    ignorable_fields = tuple(COMPARED)
    description = (
        "A workload declared by a file source runs in a crawled cluster (same cluster, namespace, kind and "
        "name) with a different model, model version, image, replicas, accelerator type or GPU count per "
        "replica. Replicas: when either side is autoscaled, the autoscaler bounds (min/max) are compared, "
        "never the current count. Unknown values (null) on either side are not a difference. The impact is "
        "what the live deployment costs beyond the declared one (cost engine), $0 when it costs less or when "
        "only the model, version or image differ (the same capacity is billed).")

    def params_errors(self, params: dict[str, Any]) -> list[str]:
        return compare_errors(params, COMPARED)

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        fields = [f for f in context.params(self)["compare"] if f in COMPARED]
        found = []
        for declaration in sorted(context.declarations, key=lambda x: x.declared.row.pk):
            declared, live = declaration.declared, declaration.live
            if live is None:
                continue
            differences = {}
            for name in fields:
                if context.ignored(self.code, deployed=live, field=name):
                    continue
                wanted, running = self._pair(name, declared, live)
                if wanted is not None and running is not None and wanted != running:
                    differences[name] = {"declared": wanted, "live": running}
            if differences:
                found.append(self._observe(declared, live, differences))
        return found

    @staticmethod
    def _pair(name: str, declared: Deployed, live: Deployed) -> tuple[Any, Any]:
        if name == "replicas" and (declared.spec.replicas.autoscaled or live.spec.replicas.autoscaled):
            bounds = [(d.spec.replicas.min, d.spec.replicas.max) for d in (declared, live)]
            if None in bounds[0] or None in bounds[1]:
                return None, None
            return ({"min": bounds[0][0], "max": bounds[0][1]}, {"min": bounds[1][0], "max": bounds[1][1]})
        return COMPARED[name](declared), COMPARED[name](live)

    def _observe(self, declared: Deployed, live: Deployed, differences: dict[str, dict[str, Any]]) -> Observation:
        source = declared.row.source.name
        what = "; ".join(f"{name} {_text(v['live'])} (declared {_text(v['declared'])})"
                         for name, v in differences.items())
        if not COST_FIELDS.intersection(differences):
            # model, version or image: the same capacity is billed either way (the two prices may still differ
            # in basis only, e.g. the live one knows the node type the declared one cannot)
            impact, basis = Decimal(0), "risk: only what runs differs, not the capacity it runs on"
        elif declared.price.is_unknown or live.price.is_unknown:
            unknown = live.price if live.price.is_unknown else declared.price
            impact, basis = None, f"cannot price the difference: {unknown.reason}"
        else:
            extra = (live.price.monthly - declared.price.monthly).quantize(CENTS)
            impact = max(extra, Decimal(0))
            basis = (f"live ${live.price.monthly.quantize(CENTS)}/month ({live.price.basis}) − declared "
                     f"${declared.price.monthly.quantize(CENTS)}/month ({declared.price.basis})")
            if extra < 0:
                basis = f"risk: the live deployment costs less than declared; {basis}"
        return Observation.on(
            live, key=f"declared:{_declared_key(declared)}",
            title=f"{live.where} runs {what} — {source} declares otherwise",
            evidence={"declaredIn": source, "declared": declared.describe(), "live": live.describe(),
                      "differences": differences},
            impact_monthly=impact, impact_basis=basis, action=self._action(declared, live, differences),
        )

    @staticmethod
    def _action(declared: Deployed, live: Deployed, differences: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Bring the live deployment back to the declaration (the one most telling difference)."""
        pk = live.row.pk
        if "version" in differences:
            return {"kind": ActionKind.ALIGN_VERSION, "deployment": pk, "version": differences["version"]["declared"]}
        if "accelerator" in differences:
            return {"kind": ActionKind.MOVE_GPU, "deployment": pk, "accelerator": differences["accelerator"]["declared"]}
        if "replicas" in differences and isinstance(differences["replicas"]["declared"], int):
            return {"kind": ActionKind.SCALE, "deployment": pk, "replicas": differences["replicas"]["declared"]}
        if "image" in differences:
            return {"kind": ActionKind.ALIGN_VERSION, "deployment": pk, "image": differences["image"]["declared"]}
        return {}


class NotRunning(Rule):
    code = "drift.not_running"
    title = "Declared in the repo but not running"
    severity = Severity.LOW
    params = {}
    description = (
        "A file source declares a workload in a cluster that a crawled source lists completely, and nothing "
        "of that cluster, namespace, kind and name runs there. Not priced: nothing is billed for it.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        found = []
        for declaration in sorted(context.declarations, key=lambda x: x.declared.row.pk):
            declared = declaration.declared
            if declaration.live is not None:
                continue
            found.append(Observation.on(
                declared, key=f"declared:{_declared_key(declared)}",
                title=f"{declared.where} is declared in {declared.row.source.name} but does not run",
                evidence={"declaredIn": declared.row.source.name, "declared": declared.describe()},
                impact_monthly=None, impact_basis="not priced: a workload that does not run is not billed",
            ))
        return found


class Undeclared(Rule):
    code = "drift.undeclared"
    title = "Running but not declared in the repo that covers its namespace"
    severity = Severity.LOW
    params = {}
    description = (
        "A crawled deployment runs in a cluster/namespace that a file source covers, and that source does not "
        "declare it. A file source covers the namespaces it declares at least one workload in, plus its "
        "settings' \"covers\" list of \"cluster/namespace\" globs (e.g. [\"prod-*/llm\"]). The impact is the "
        "deployment's cost (spend outside the repo).")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        covered: dict[str, set[str]] = {}    # "cluster/namespace" glob -> covering sources
        declared_ids, sources = set(), {}
        for declaration in context.declarations:
            row = declaration.declared.row
            covered.setdefault(f"{row.cluster_name}/{row.namespace}", set()).add(row.source.name)
            declared_ids.add(declaration.declared.identity)
            sources[row.source_id] = row.source
        for d in context.deployments:   # file sources whose declarations are all outside crawled clusters
            if d.is_declared:
                sources[d.row.source_id] = d.row.source
        for source in sources.values():
            for pattern in (source.settings or {}).get("covers") or []:
                covered.setdefault(str(pattern), set()).add(source.name)
        if not covered:
            return []
        found = []
        for d in context.deployments:
            if d.is_declared or d.identity in declared_ids or d.row.cluster_name not in context.live_clusters:
                continue
            where = f"{d.row.cluster_name}/{d.row.namespace}"
            sources = sorted({s for pattern, names in covered.items() if fnmatchcase(where, pattern) for s in names})
            if not sources:
                continue
            impact, basis = monthly_of(d, what="spend outside the repo")
            found.append(Observation.on(
                d, key=f"undeclared:{d.row.source_id}:{d.row.cluster_name}/{d.row.namespace}/{d.row.kind}/"
                       f"{d.row.name}/{d.row.unit}",
                title=f"{d.where} runs, but {', '.join(sources)} (covering {where}) does not declare it",
                evidence={**d.describe(), "coveredBy": sources},
                impact_monthly=impact, impact_basis=basis,
            ))
        return found


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value.get('min')}–{value.get('max')} (autoscaled)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


RULES = [DesiredLive, NotRunning, Undeclared]
