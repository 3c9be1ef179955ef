"""Read queries of the dashboard pages. Every function costs a constant number of queries, whatever the
fleet size: lists are aggregated in SQL, and prices are computed once per distinct *price key* (what
pricing reads: source, cluster, cloud, region, workload kind, accelerator type, GPUs per replica and where
the accelerator was read from), not once per deployment.

A price is linear in the replica count (``footprint.costs.pricing``: a replica's share of an instance, times
replicas), so a group's monthly cost is the price of one replica times the group's replicas. Rows never load
the ModelSpec JSON (``defer("spec")``); the one JSON field pricing needs is annotated.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import django_filters as filters
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Contains
from django.utils import timezone

from collectors.spec import Accelerator, ModelSpec, Replicas, WorkloadRef
from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import Node, Price, deployment_price
from footprint.costs.selectors import node_hints_current
from footprint.findings.choices import FindingStatus
from footprint.findings.models import Finding
from footprint.inventory.filters import DeploymentFilterSet, DeploymentRevisionFilterSet
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    GpuNodeSnapshot,
    Model,
    Team,
)
from footprint.inventory.selectors import (
    capacity_current,
    declared_copies_exclude,
    declared_copies_q,
    declared_shown,
    deployments_as_of,
    pending_gpu_pods_current,
    sources_with_health,
)

ZERO = Decimal(0)
PRICE_KEY = ("source_id", "cluster_id", "cloud", "region", "kind", "accelerator_type", "accelerator_per_replica",
             "accel_source")


# ---------------------------------------------------------------------------------------------- prices

def accel_source() -> Case:
    """``spec.accelerator.source`` as text where pricing reads something from it (an instance type or
    time-slicing), else NULL: a text search of the document is much cheaper than parsing it for every row."""
    text = Cast("spec", TextField())
    return Case(When(Q(Contains(text, Value("instanceType"))) | Q(Contains(text, Value("time-sliced"))),
                     then=KeyTextTransform("source", KeyTransform("accelerator", "spec"))),
                default=Value(None), output_field=TextField())


class PriceBook:
    """Prices deployments from their columns, each distinct price key once. Loading costs three queries
    (the catalog's two and the node hints' one)."""

    def __init__(self, *, cluster_ids: list[int] | None = None, catalog: PriceCatalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else PriceCatalog.load()
        self._cluster_ids = cluster_ids
        self._hints: dict[tuple[int, str], Node] | None = None
        self.today = timezone.localdate()
        self._cache: dict[tuple, Price] = {}

    @property
    def hints(self) -> dict[tuple[int, str], Node]:
        if self._hints is None:  # loaded on the first price, so a cache hit costs no query for them
            self._hints = node_hints_current(cluster_ids=self._cluster_ids)
        return self._hints

    @property
    def fingerprint(self) -> str:
        """Changes whenever a list price or an override does, or the day (overrides start on a date)."""
        entries = [entry for _, entry in sorted(self.catalog._by_key.items(), key=lambda kv: kv[0])]
        return hashlib.sha256(repr((entries, self.catalog._overrides, self.today)).encode()).hexdigest()

    def price(self, key: tuple, replicas: int | None) -> Price:
        """The price of ``replicas`` replicas of a deployment with this price key (see PRICE_KEY)."""
        cache_key = (*key, replicas)
        found = self._cache.get(cache_key)
        if found is None:
            source_id, cluster_id, cloud, region, kind, accelerator, per_replica, source = key
            spec = ModelSpec(
                workload=WorkloadRef(kind=kind, name="", cloud=cloud, region=region or None),
                replicas=Replicas(desired=replicas),
                accelerator=Accelerator(type=accelerator or None, per_replica=per_replica, source=source or None),
            )
            hint = self.hints.get((cluster_id, accelerator)) if cluster_id else None
            found = deployment_price(spec=spec, node_hint=hint, catalog=self.catalog, source=source_id, at=self.today)
            self._cache[cache_key] = found
        return found

    def row_price(self, row: Any) -> Price:
        """A Deployment or DeploymentRevision row (with ``accel_source`` and ``cluster_id``) or a values dict."""
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name, None)
        return self.price(tuple(get(name) for name in PRICE_KEY), get("replicas_desired"))


@dataclass
class Cost:
    """A total: the known monthly cost, and how many deployments could not be priced (never counted as $0);
    with the deployments' GPUs and how many are stale."""

    monthly: Decimal = ZERO
    priced: int = 0
    unknown: int = 0
    gpus: float = 0.0
    stale: int = 0
    reasons: Counter = field(default_factory=Counter)

    def add(self, other: Cost) -> None:
        self.monthly += other.monthly
        self.priced += other.priced
        self.unknown += other.unknown
        self.gpus += other.gpus
        self.stale += other.stale
        self.reasons.update(other.reasons)

    @property
    def deployments(self) -> int:
        return self.priced + self.unknown

    @property
    def reason_list(self) -> list[tuple[str, int]]:
        """(why, how many) of the unpriced deployments (a template cannot call ``Counter.items``: a Counter
        answers 0 for the missing key "items")."""
        return self.reasons.most_common()


def price_groups(*, deployments: QuerySet, by: tuple[str, ...] = (),
                 book: PriceBook | None = None) -> list[tuple[dict, Cost]]:
    """``deployments`` grouped by price key and the ``by`` columns, each group with its Cost. One grouped
    query (plus the price book's three when not given)."""
    book = book if book is not None else PriceBook()
    groups = (deployments.order_by().annotate(accel_source=accel_source())
              .values(*PRICE_KEY, *by)
              .annotate(replicas=Sum("replicas_desired"), rows=Count("id"), gpus=Sum("accelerator_total"),
                        stale_rows=Count("id", filter=Q(stale=True)),
                        unknown_replicas=Count("id", filter=Q(replicas_desired__isnull=True))))
    out = []
    for group in groups:
        cost = Cost(gpus=group["gpus"] or 0.0, stale=group["stale_rows"])
        if group["unknown_replicas"]:
            cost.unknown += group["unknown_replicas"]
            cost.reasons["replicas unknown"] += group["unknown_replicas"]
        known = group["rows"] - group["unknown_replicas"]
        if known:
            unit = book.price(tuple(group[name] for name in PRICE_KEY), 1)
            if unit.is_unknown:
                cost.unknown += known
                cost.reasons[unit.reason] += known
            else:
                cost.priced += known
                cost.monthly += unit.monthly * (group["replicas"] or 0)
        out.append((group, cost))
    return out


FLEET_CACHE_SECONDS = 900


def fleet_price_groups(*, by: tuple[str, ...] = (), book: PriceBook | None = None) -> list[tuple[dict, Cost]]:
    """``price_groups`` of every live deployment, cached until the inventory or the prices change.

    Deployments are written by ingest only, and every ingest finishes a CrawlRun in the same transaction,
    so (number of runs, last run id, last finish) changes with the inventory; the price book's fingerprint
    changes with the catalog and overrides. A hit costs the runs' aggregate and the catalog's two queries."""
    book = book if book is not None else PriceBook()
    runs = CrawlRun.objects.aggregate(n=Count("id"), last=Max("id"), finished=Max("finished_at"))
    key = "web:fleet-price-groups:" + hashlib.sha256(repr(
        (by, runs["n"], runs["last"], runs["finished"], book.fingerprint)).encode()).hexdigest()
    groups = cache.get(key)
    if groups is None:
        groups = price_groups(deployments=live_deployments(), by=by, book=book)
        cache.set(key, groups, FLEET_CACHE_SECONDS)
    return groups


def rollup(groups: list[tuple[dict, Cost]], key) -> dict[Any, Cost]:
    """Costs of ``price_groups`` summed per ``key(group)``."""
    totals: dict[Any, Cost] = defaultdict(Cost)
    for group, cost in groups:
        totals[key(group)].add(cost)
    return dict(totals)


def cost_totals(*, deployments: QuerySet, by: tuple[str, ...] = (), book: PriceBook | None = None) -> dict[tuple, Cost]:
    """Monthly cost of ``deployments`` per value of the ``by`` columns (one grouped query)."""
    groups = price_groups(deployments=deployments, by=by, book=book)
    return rollup(groups, lambda group: tuple(group[name] for name in by))


# ---------------------------------------------------------------------------------------------- overview

def live_deployments() -> QuerySet[Deployment]:
    """The live deployments the pages count and cost: without the declared copies (a file source's rows in a
    crawled cluster; footprint.inventory.selectors.declared_copies_exclude)."""
    return declared_copies_exclude(Deployment.objects.filter(ended_at__isnull=True))


def overview_summary() -> dict[str, Any]:
    """Everything on the overview page, in seven queries: one grouped pass over the live deployments gives
    costs, GPUs, clusters, teams and stale counts (the price key holds cloud, cluster and accelerator)."""
    groups = fleet_price_groups(by=("team__slug", "team__name"))
    total = rollup(groups, lambda g: ()).get((), Cost())
    by_cloud = rollup(groups, lambda g: g["cloud"])
    by_team = rollup(groups, lambda g: (g["team__slug"], g["team__name"]))
    by_gpu = rollup([(g, c) for g, c in groups if g["accelerator_type"]], lambda g: g["accelerator_type"])
    counts = {
        "deployments": total.deployments, "stale": total.stale, "gpus": total.gpus,
        "clusters": len({g["cluster_id"] for g, _ in groups if g["cluster_id"]}),
        "teams": len({g["team__slug"] for g, _ in groups if g["team__slug"]}),
        "unowned": by_team.get((None, None), Cost()).deployments,
        "models": Model.objects.filter(Exists(live_deployments().filter(model=OuterRef("pk")))).count(),
    }
    findings = list(Finding.objects.filter(status=FindingStatus.OPEN).order_by().values("rule", "severity")
                    .annotate(count=Count("id"), impact=Sum("impact_monthly")).order_by("rule", "severity"))
    return {
        "counts": counts, "total": total,
        "gpus_by_type": [{"accelerator_type": gpu, "gpus": cost.gpus, "deployments": cost.deployments}
                         for gpu, cost in sorted(by_gpu.items(), key=lambda kv: (-kv[1].gpus, kv[0]))],
        "by_cloud": sorted(by_cloud.items(), key=lambda kv: -kv[1].monthly),
        "by_team": sorted(by_team.items(), key=lambda kv: (-kv[1].monthly, kv[0][0] or "")),
        "findings": findings, "sources": list(sources_with_health()),
    }


# ---------------------------------------------------------------------------------------------- inventory

def finding_rule_choices() -> list[tuple[str, str]]:
    from footprint.findings.rules import RULES

    return [(rule.code, f"{rule.code} — {rule.title}") for rule in sorted(RULES, key=lambda r: r.code)]


GROUP_KEY_PREFIX = "group:model|"


def _open_findings_of(rules: list[str], *, deployment: str = "pk") -> Q:
    """Rows with an open finding of one of ``rules``: on the deployment itself, or on its fleet group
    (drift findings are keyed ``group:model|<model>|<environment>`` and apply to non-variant rows). The
    groups are read first (one query) so that the row filter is plain indexed conditions."""
    on_deployment = Finding.objects.filter(status=FindingStatus.OPEN, rule__in=rules,
                                           deployment_id=OuterRef(deployment))
    condition = Q(Exists(on_deployment))
    models_by_environment: dict[str, set[str]] = defaultdict(set)
    for key in Finding.objects.filter(status=FindingStatus.OPEN, rule__in=rules,
                                      key__startswith=GROUP_KEY_PREFIX).values_list("key", flat=True):
        model_name, _, environment = key.removeprefix(GROUP_KEY_PREFIX).rpartition("|")
        if model_name:
            models_by_environment[environment].add(model_name)
    for environment, names in sorted(models_by_environment.items()):
        condition |= Q(variant="", environment=environment, model__name__in=sorted(names))
    return condition


class _FindingFilterMixin:
    def by_finding(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(_open_findings_of(list(value))) if value else queryset


def _finding_filter():
    return filters.MultipleChoiceFilter(choices=finding_rule_choices, method="by_finding",
                                        label="Open finding of rule")


class InventoryFilterSet(_FindingFilterMixin, DeploymentFilterSet):
    """The API's deployment filters, plus ``finding`` (rule code of an open finding)."""

    finding = _finding_filter()

    class Meta(DeploymentFilterSet.Meta):
        pass


class InventoryAsOfFilterSet(_FindingFilterMixin, DeploymentRevisionFilterSet):
    finding = _finding_filter()

    class Meta(DeploymentRevisionFilterSet.Meta):
        pass

    def by_finding(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(_open_findings_of(list(value), deployment="deployment_id")) if value else queryset


# Sort keys of the inventory table: name → columns (a leading "-" in the request reverses them). The
# default follows the deployments' unique index (source, cluster, namespace, kind, name, unit), so the first
# page of the default view is read in index order, without sorting the fleet.
INVENTORY_SORTS: dict[str, tuple[str, ...]] = {
    "place": ("source_id", "cluster_name", "namespace", "kind", "name", "unit"),
    "model": ("model__name", "model_version"),
    "version": ("model_version",),
    "engine": ("engine", "engine_version"),
    "where": ("cloud", "region", "cluster_name"),
    "cluster": ("cluster_name", "namespace", "name"),
    "workload": ("namespace", "name", "unit"),
    "accelerator": ("accelerator_type", "accelerator_total"),
    "gpus": ("accelerator_total",),
    "replicas": ("replicas_desired",),
    "team": ("team__slug",),
    "environment": ("environment", "variant"),
}
NULLABLE = {"model__name", "team__slug", "accelerator_total", "replicas_desired"}
DEFAULT_SORT = "place"


def inventory_sort(queryset: QuerySet, sort: str) -> tuple[QuerySet, str]:
    name = (sort or DEFAULT_SORT).lstrip("-")
    if name not in INVENTORY_SORTS:
        name, sort = DEFAULT_SORT, DEFAULT_SORT
    descending = (sort or "").startswith("-")
    columns = []
    for column in INVENTORY_SORTS[name]:
        if column in NULLABLE:  # unknowns last both ways
            columns.append(F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True))
        else:
            columns.append(F(column).desc() if descending else F(column).asc())
    if name != DEFAULT_SORT:  # the default's columns are unique already
        columns.append(F("pk").desc() if descending else F("pk").asc())
    return queryset.order_by(*columns), ("-" if descending else "") + name


def inventory_queryset(*, params, as_of: datetime | None, accel: bool = False) -> tuple[Any, QuerySet]:
    """(filterset, filtered rows): live deployments, or the revisions valid at ``as_of``. Rows defer the spec
    JSON; revisions carry the deployment's ``cluster_id``; with ``accel`` rows carry ``accel_source`` (for
    pricing; else see ``accel_sources_set``, cheaper for one page of rows). Without the declared copies
    unless ``declared_shown(params)``."""
    if as_of is None:
        rows = Deployment.objects.select_related("source", "cluster", "model", "team")
    else:
        rows = deployments_as_of(at=as_of)
    if not declared_shown(params):
        rows = declared_copies_exclude(rows)
    if as_of is None:
        filterset = InventoryFilterSet(params, queryset=rows)
    else:
        filterset = InventoryAsOfFilterSet(params, queryset=rows)
    rows = filterset.qs.defer("spec")
    if not accel:
        return filterset, rows
    if as_of is not None:  # a whole export: join the deployment's cluster in (a page sets it afterwards)
        rows = rows.annotate(cluster_id=F("deployment__cluster_id"))
    return filterset, rows.annotate(accel_source=accel_source())


def accel_sources_set(rows: list) -> None:
    """Sets ``accel_source`` on a page of Deployment or DeploymentRevision rows, and on revisions their
    deployment's ``cluster_id`` (kept out of the paged query, whose count it would slow down). One query."""
    if not rows:
        return
    model = type(rows[0])
    page = model.objects.filter(pk__in=[r.pk for r in rows]).annotate(a=accel_source())
    if model is DeploymentRevision:
        found = {pk: (a, cluster) for pk, a, cluster in page.values_list("pk", "a", "deployment__cluster_id")}
        for row in rows:
            row.accel_source, row.cluster_id = found.get(row.pk, (None, None))
        return
    found = dict(page.values_list("pk", "a"))
    for row in rows:
        row.accel_source = found.get(row.pk)


SUGGESTIONS_LIMIT = 500


def inventory_suggestions() -> dict[str, list[str]]:
    """Values the filter bar suggests: regions and names of known clusters, teams, models. Three queries
    over small tables."""
    places = list(Cluster.objects.order_by().values_list("region", "name").distinct()[:5000])
    return {
        "region": sorted({r for r, _ in places if r})[:SUGGESTIONS_LIMIT],
        "cluster": sorted({c for _, c in places if c})[:SUGGESTIONS_LIMIT],
        "team": list(Team.objects.order_by("slug").values_list("slug", flat=True)[:SUGGESTIONS_LIMIT]),
        "model": list(Model.objects.order_by("name").values_list("name", flat=True)[:SUGGESTIONS_LIMIT]),
    }


def open_findings_by_deployment(*, deployment_ids: list[int] | None) -> dict[int, list[dict]]:
    """Deployment id → its open findings (rule, severity, id). One query; ``None``: every deployment."""
    rows = Finding.objects.filter(status=FindingStatus.OPEN, deployment_id__isnull=False)
    if deployment_ids is not None:
        rows = rows.filter(deployment_id__in=deployment_ids)
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows.order_by("rule").values("id", "deployment_id", "rule", "severity", "title"):
        found[row["deployment_id"]].append(row)
    return found


# ---------------------------------------------------------------------------------------------- models

def models_with_stats() -> list[dict[str, Any]]:
    """Models with live deployments: counts, GPUs and monthly cost. The distinct counts are taken in Python
    over one narrow read of the live deployments (cheaper than five COUNT(DISTINCT) on SQLite); cost from the
    cached fleet groups. Five queries."""
    stats: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for model_id, cluster, region, version, variant, engine, team_id in live_deployments().filter(
            model__isnull=False).order_by().values_list("model_id", "cluster_name", "region", "model_version",
                                                        "variant", "engine", "team_id"):
        found = stats[model_id]
        found["clusters"].add(cluster)
        found["regions"].add(region)
        if not variant:
            found["versions"].add(version)
        found["engines"].add(engine)
        found["teams"].add(team_id)
    costs = rollup(fleet_price_groups(by=("model_id",)), lambda g: g["model_id"])
    rows = []
    for model_id, name in Model.objects.filter(pk__in=list(stats)).order_by("name").values_list("id", "name"):
        found, cost = stats[model_id], costs.get(model_id, Cost())
        rows.append({"id": model_id, "name": name, "deployments_live": cost.deployments, "gpus": cost.gpus,
                     "cost": cost, "teams": len(found["teams"] - {None}),
                     **{k: len(found[k]) for k in ("clusters", "regions", "versions", "engines")}})
    return rows


GRID_LIMIT = 300
TIMELINE_DEPLOYMENTS = 40
COMPARED = ("version", "engine", "accelerator")


def model_grid(*, model: Model) -> dict[str, Any]:
    """Where ``model`` runs: its live deployments grouped by fleet group (environment, variants kept in their
    environment's group), with the cells that differ from the group's majority (non-variant rows) flagged.
    Four queries (deployments, and the price book's three)."""
    rows = list(live_deployments().filter(model=model).select_related("cluster", "team", "source")
                .defer("spec").annotate(accel_source=accel_source())
                .order_by("environment", "variant", "cloud", "region", "cluster_name", "namespace", "name", "pk")
                [:GRID_LIMIT + 1])
    truncated = len(rows) > GRID_LIMIT
    rows = rows[:GRID_LIMIT]
    book = PriceBook(cluster_ids=sorted({r.cluster_id for r in rows if r.cluster_id}))
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        price = book.row_price(row)
        groups.setdefault(row.environment or "", []).append({
            "row": row, "price": price,
            "version": row.model_version or "unpinned",
            "engine": f"{row.engine} {row.engine_version}".strip(),
            "accelerator": (f"{row.accelerator_type or '?'} × {_count(row.accelerator_per_replica)}"
                            if row.accelerator_type or row.accelerator_per_replica else "none"),
        })
    drift = {}
    for environment, members in groups.items():
        baseline = [m for m in members if not m["row"].variant] or members
        majority = {c: Counter(m[c] for m in baseline).most_common(1)[0][0] for c in COMPARED}
        differing = set()
        for member in members:
            member["diff"] = {c: member[c] != majority[c] for c in COMPARED}
            differing.update(c for c in COMPARED if member["diff"][c] and not member["row"].variant)
        drift[environment] = {"majority": majority, "differing": sorted(differing)}
    total = Cost()
    for members in groups.values():
        for m in members:
            price = m["price"]
            if price.is_unknown:
                total.unknown += 1
            else:
                total.priced += 1
                total.monthly += price.monthly
    return {"groups": [{"environment": env, "members": members, **drift[env]} for env, members in groups.items()],
            "truncated": truncated, "count": len(rows), "total": total, "catalog": book.catalog,
            "clusters": len({r.cluster_name for r in rows}), "regions": len({(r.cloud, r.region) for r in rows}),
            "gpus": sum(r.accelerator_total or 0 for r in rows)}


def model_history(*, model: Model, days: int = 365) -> dict[str, Any]:
    """The revisions of ``model``'s deployments over the last ``days``: a timeline of at most
    TIMELINE_DEPLOYMENTS deployments and the latest changes (declared copies left out). One query."""
    since = timezone.now() - timedelta(days=days)
    revisions = list(declared_copies_exclude(DeploymentRevision.objects.filter(model=model)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=since)).order_by("deployment_id", "valid_from").values(
        "id", "deployment_id", "cluster_name", "namespace", "name", "unit", "cloud", "region", "environment",
        "variant", "model_version", "engine", "engine_version", "accelerator_type", "accelerator_per_replica",
        "replicas_desired", "valid_from", "valid_to"))
    by_deployment: dict[int, list[dict]] = {}
    for rev in revisions:
        by_deployment.setdefault(rev["deployment_id"], []).append(rev)
    shown = sorted(by_deployment, key=lambda d: (by_deployment[d][0]["environment"], by_deployment[d][0]["cluster_name"],
                                                 by_deployment[d][0]["name"], d))[:TIMELINE_DEPLOYMENTS]
    changes = []
    for revs in by_deployment.values():
        for before, after in zip(revs, revs[1:], strict=False):
            what = [label for label, col in (("version", "model_version"), ("engine", "engine_version"),
                                             ("accelerator", "accelerator_type"), ("replicas", "replicas_desired"))
                    if before[col] != after[col]]
            changes.append({"at": after["valid_from"], "before": before, "after": after, "what": what or ["spec"]})
    changes.sort(key=lambda c: c["at"], reverse=True)
    return {"timeline": [(d, by_deployment[d]) for d in shown], "deployments": len(by_deployment),
            "changes": changes[:30], "revisions": len(revisions), "since": since}


def model_findings(*, model: Model) -> list[Finding]:
    """Open findings on this model's deployments or on its fleet groups. One query."""
    return list(Finding.objects.filter(status=FindingStatus.OPEN).filter(
        Q(deployment__model=model) | Q(key__startswith=f"{GROUP_KEY_PREFIX}{model.name}|"))
        .select_related("team").order_by(F("impact_monthly").desc(nulls_last=True), "rule", "subject")[:100])


def model_sizing_for(*, model: Model, catalog: PriceCatalog | None = None) -> dict | None:
    """The sizing estimate (footprint.sizing.selectors.model_sizing) when that module is installed."""
    try:
        from footprint.sizing.selectors import model_sizing
    except ImportError:
        return None
    try:
        return model_sizing(model.name, catalog=catalog)
    except Exception:  # noqa: BLE001 - an estimate must never break the page
        return None


# ---------------------------------------------------------------------------------------------- teams

def teams_with_stats() -> list[dict[str, Any]]:
    """Every team with its live deployments, models, GPUs, open findings and cost, plus the unowned row.
    Six queries (teams, models per team, findings per team, and the cached fleet groups)."""
    costs = rollup(fleet_price_groups(by=("team_id",)), lambda g: g["team_id"])
    models = dict(live_deployments().exclude(team__isnull=True).order_by().values("team_id")
                  .annotate(n=Count("model_id", distinct=True)).values_list("team_id", "n"))
    findings = dict(Finding.objects.filter(status=FindingStatus.OPEN, team__isnull=False).order_by()
                    .values("team_id").annotate(n=Count("id")).values_list("team_id", "n"))
    rows = []
    for team in Team.objects.order_by("slug").values("id", "slug", "name", "contact"):
        cost = costs.get(team["id"], Cost())
        rows.append({**team, "deployments_live": cost.deployments, "models": models.get(team["id"], 0),
                     "gpus": cost.gpus, "findings_open": findings.get(team["id"], 0), "cost": cost})
    unowned = costs.get(None)
    return rows + ([{"id": None, "slug": "", "name": "(no owner)", "contact": "", "deployments_live": unowned.deployments,
                     "models": None, "gpus": unowned.gpus, "findings_open": None, "cost": unowned}] if unowned else [])


def team_detail(*, team: Team) -> dict[str, Any]:
    """A team's models (deployments, clusters, GPUs, cost per model), its cost by cloud and its open
    findings. Seven queries."""
    live = live_deployments().filter(team=team)
    models = list(live.order_by().values("model_id", "model__name").annotate(
        deployments=Count("id"), clusters=Count("cluster_name", distinct=True), gpus=Sum("accelerator_total"),
        environments=Count("environment", distinct=True)).order_by("model__name"))
    book = PriceBook()
    costs = cost_totals(deployments=live, by=("model_id", "cloud"), book=book)
    by_model: dict[Any, Cost] = defaultdict(Cost)
    by_cloud: dict[str, Cost] = defaultdict(Cost)
    total = Cost()
    for (model_id, cloud), cost in costs.items():
        by_model[model_id].add(cost)
        by_cloud[cloud].add(cost)
        total.add(cost)
    for row in models:
        row["cost"] = by_model.get(row["model_id"], Cost())
    findings = list(Finding.objects.filter(team=team, status=FindingStatus.OPEN).select_related("deployment")
                    .order_by(F("impact_monthly").desc(nulls_last=True), "rule", "subject")[:200])
    return {"models": models, "total": total, "by_cloud": sorted(by_cloud.items(), key=lambda kv: -kv[1].monthly),
            "findings": findings, "gpus": sum(r["gpus"] or 0 for r in models),
            "deployments": sum(r["deployments"] for r in models)}


# ---------------------------------------------------------------------------------------------- clusters

def _capacity(aggregate) -> Subquery:
    nodes = GpuNodeSnapshot.objects.filter(cluster=OuterRef("pk"), run_id=OuterRef("capacity_run_id"))
    return Subquery(nodes.order_by().values("cluster").annotate(value=aggregate).values("value")[:1])


def clusters_queryset() -> QuerySet[Cluster]:
    return Cluster.objects.select_related("source", "capacity_run").annotate(
        deployments_live=Count("deployments", filter=Q(deployments__ended_at__isnull=True)
                               & ~declared_copies_q("deployments__")),
        gpu_nodes=Coalesce(_capacity(Count("id")), 0, output_field=IntegerField()),
        idle_nodes=Coalesce(_capacity(Count("id", filter=Q(requested=0))), 0, output_field=IntegerField()),
        gpus_allocatable=Coalesce(_capacity(Sum("allocatable")), 0.0, output_field=FloatField()),
        gpus_requested=Coalesce(_capacity(Sum("requested")), 0.0, output_field=FloatField()),
        gpus_serving=Coalesce(_capacity(Sum("serving_requested")), 0.0, output_field=FloatField()),
    )


def clusters_with_stats() -> list[Cluster]:
    """Clusters with live deployments, GPU capacity (allocatable, requested, serving, idle) and cost: the
    clusters, their current capacity grouped in one query, and the cached fleet groups."""
    clusters = list(Cluster.objects.select_related("source", "capacity_run").order_by("cloud", "region", "name"))
    capacity = {row["cluster_id"]: row for row in capacity_current().order_by().values("cluster_id").annotate(
        nodes=Count("id"), idle=Count("id", filter=Q(requested=0)), allocatable=Sum("allocatable"),
        requested=Sum("requested"), serving=Sum("serving_requested"))}
    costs = rollup(fleet_price_groups(by=()), lambda g: g["cluster_id"])
    for cluster in clusters:
        found = capacity.get(cluster.pk, {})
        cluster.gpu_nodes, cluster.idle_nodes = found.get("nodes", 0), found.get("idle", 0)
        cluster.gpus_allocatable = found.get("allocatable") or 0.0
        cluster.gpus_requested = found.get("requested") or 0.0
        cluster.gpus_serving = found.get("serving") or 0.0
        cluster.cost = costs.get(cluster.pk, Cost())
        cluster.deployments_live = cluster.cost.deployments
        cluster.gpus_idle = max(cluster.gpus_allocatable - cluster.gpus_requested, 0.0)
    return clusters


CLUSTER_DEPLOYMENTS_LIMIT = 200


def cluster_detail(*, cluster: Cluster) -> dict[str, Any]:
    """A cluster's current GPU nodes, allocation per accelerator type, pending GPU pods and deployments."""
    nodes = list(capacity_current().filter(cluster=cluster).order_by("accelerator_type", "pool", "node"))
    by_type: dict[str, dict[str, float]] = {}
    for node in nodes:
        kind = by_type.setdefault(node.accelerator_type or "unknown", {"nodes": 0, "idle_nodes": 0, "allocatable": 0.0,
                                                                      "requested": 0.0, "serving": 0.0})
        kind["nodes"] += 1
        kind["idle_nodes"] += node.requested == 0
        kind["allocatable"] += node.allocatable
        kind["requested"] += node.requested
        kind["serving"] += node.serving_requested
    for kind in by_type.values():
        kind["other"] = max(kind["requested"] - kind["serving"], 0.0)
        kind["idle"] = max(kind["allocatable"] - kind["requested"], 0.0)
    pending = list(pending_gpu_pods_current().filter(cluster=cluster))
    rows = list(live_deployments().filter(cluster=cluster).select_related("model", "team").defer("spec")
                .annotate(accel_source=accel_source())
                .order_by("namespace", "name", "unit", "pk")[:CLUSTER_DEPLOYMENTS_LIMIT + 1])
    truncated = len(rows) > CLUSTER_DEPLOYMENTS_LIMIT
    rows = rows[:CLUSTER_DEPLOYMENTS_LIMIT]
    book = PriceBook(cluster_ids=[cluster.pk])
    total = cost_totals(deployments=live_deployments().filter(cluster=cluster), book=book).get((), Cost())
    deployments = [{"row": row, "price": book.row_price(row)} for row in rows]
    totals = {k: sum(t[k] for t in by_type.values()) for k in ("nodes", "idle_nodes", "allocatable", "requested",
                                                                 "serving", "idle")}
    return {"nodes": nodes, "by_type": sorted(by_type.items()), "pending": pending, "deployments": deployments,
            "truncated": truncated, "total": total, "capacity": totals,
            "findings": list(Finding.objects.filter(cluster=cluster, status=FindingStatus.OPEN)
                             .order_by(F("impact_monthly").desc(nulls_last=True), "rule", "subject")[:100])}


def _count(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
