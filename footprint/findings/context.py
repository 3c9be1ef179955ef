"""What the rules read: the current inventory loaded once per evaluation, in a constant number of queries.

Deployments come with their parsed ModelSpec and their price; capacity and pending GPU pods are the
current snapshots; ``price_as`` prices a deployment on another accelerator (for wrong-GPU savings).

Desired state: a file source (``manage.py ingest`` of a GitOps repo's ModelSpecList) *declares* workloads.
A declared workload in a cluster that a crawled source listed completely is a declaration only (see
``declarations``): the crawled deployment of the same identity (cluster, namespace, kind, name, unit), or
its absence, is what runs, and only that is judged by the other rules. A file-source deployment in a
cluster no crawled source lists stays an ordinary deployment (a file can be the only inventory there is).

Ignore rules (IgnoreRule) are loaded once; ``ignored`` tells whether one covers a finding or one difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from collectors.spec import ModelSpec
from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import Node, Price, deployment_price
from footprint.costs.selectors import deployment_prices
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import (
    Cluster,
    Deployment,
    GpuNodeSnapshot,
    OwnershipRule,
    PendingGpuPodSnapshot,
)
from footprint.inventory.selectors import capacity_current, deployments_current, pending_gpu_pods_current


@dataclass(frozen=True)
class Deployed:
    """One live deployment as the rules see it."""

    row: Deployment
    spec: ModelSpec
    price: Price

    @property
    def where(self) -> str:
        return str(self.row)

    @property
    def model_name(self) -> str | None:
        return self.spec.model.name

    @property
    def variant(self) -> str | None:
        return self.spec.variant

    @property
    def labels(self) -> dict[str, str]:
        return self.spec.labels or {}

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        row = self.row
        return (row.cluster_name, row.namespace, row.kind, row.name, row.unit)

    @property
    def is_declared(self) -> bool:
        """From a file source: a declaration (desired state) rather than a crawl of what runs."""
        return self.row.source.kind == SourceKind.FILE

    def facts(self) -> dict[str, str | None]:
        """What an IgnoreRule matches on."""
        return {"model": self.spec.model.name, "team": self.row.team.slug if self.row.team_id else None,
                "cluster": self.row.cluster_name or None, "namespace": self.row.namespace or None,
                "environment": self.spec.environment}

    def describe(self) -> dict[str, Any]:
        """The evidence every deployment-level rule shows."""
        spec = self.spec
        return {
            "deployment": self.row.pk, "where": self.where, "cloud": spec.workload.cloud,
            "region": spec.workload.region, "model": spec.model.name, "version": spec.model.version,
            "engine": spec.runtime.engine, "engineVersion": spec.runtime.engine_version,
            "accelerator": spec.accelerator.type, "perReplica": spec.accelerator.per_replica,
            "replicas": {"desired": spec.replicas.desired, "ready": spec.replicas.ready,
                         "min": spec.replicas.min, "max": spec.replicas.max},
            "environment": spec.environment, "variant": spec.variant, "team": spec.owner.team,
        }


@dataclass(frozen=True)
class Declaration:
    """A workload a file source declares in a cluster a crawled source lists completely, and the crawled
    deployment of the same identity (None: declared but not running)."""

    declared: Deployed
    live: Deployed | None


@dataclass
class RuleConfig:
    enabled: bool = True
    severity: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvaluationContext:
    now: datetime
    deployments: list[Deployed]
    capacity: list[GpuNodeSnapshot]
    pending: list[PendingGpuPodSnapshot]
    catalog: PriceCatalog
    settings: dict[str, RuleConfig] = field(default_factory=dict)
    declarations: list[Declaration] = field(default_factory=list)
    live_clusters: set[str] = field(default_factory=set)
    ignore_rules: list = field(default_factory=list)   # active IgnoreRule rows, oldest first
    registered_teams: set[int] = field(default_factory=set)

    def ignored(self, code: str, *, deployed: Deployed | None = None, facts: dict[str, str | None] | None = None,
                field: str | None = None):
        """The first active IgnoreRule covering ``code``'s finding about ``deployed`` (or ``facts``) — with
        ``field``, covering that one difference — else None."""
        if not self.ignore_rules:
            return None
        facts = deployed.facts() if deployed is not None else (facts or {})
        for ignore in self.ignore_rules:
            if ignore.matches(code=code, facts=facts, field=field):
                return ignore
        return None

    def params(self, rule) -> dict[str, Any]:
        """The rule's defaults with the user's overrides."""
        config = self.settings.get(rule.code)
        return {**rule.params, **(config.params if config else {})}

    def price_as(self, deployed: Deployed, *, accelerator: str, per_replica: float | None = None,
                 node: Node | None = None) -> Price:
        """What ``deployed`` would cost on ``accelerator`` (``per_replica`` GPUs each, default its own count;
        same replicas), on ``node``'s instance type or else as pricing picks it (overrides apply)."""
        spec = deployed.spec
        count = spec.accelerator.per_replica if per_replica is None else per_replica
        moved = replace(spec, accelerator=replace(spec.accelerator, type=accelerator, per_replica=count,
                                                  source=None))
        return deployment_price(spec=moved, node_hint=node, catalog=self.catalog, source=deployed.row.source_id,
                                at=self.now.date())


def context_build(*, now: datetime, settings: dict[str, RuleConfig] | None = None,
                  catalog: PriceCatalog | None = None) -> EvaluationContext:
    """Load the current inventory: deployments (1 query), prices (catalog 2 + node hints 1), capacity (1),
    pending GPU pods (1), crawled clusters (1), active ignore rules (1), registered teams (2)."""
    from footprint.accounts.models import Membership
    from footprint.findings.models import IgnoreRule

    catalog = catalog if catalog is not None else PriceCatalog.load()
    rows = list(deployments_current())
    prices = deployment_prices(deployments=rows, catalog=catalog, at=now.date())
    deployed = [Deployed(row=row, spec=ModelSpec.from_dict(row.spec), price=prices[row.pk]) for row in rows]
    live_clusters = set(Cluster.objects.filter(capacity_run__isnull=False).exclude(source__kind=SourceKind.FILE)
                        .values_list("name", flat=True))
    running: dict[tuple, Deployed] = {}
    for d in sorted(deployed, key=lambda d: d.row.pk):
        if not d.is_declared:
            running.setdefault(d.identity, d)
    declarations, judged = [], []
    for d in deployed:
        if d.is_declared and d.row.cluster_name and d.row.cluster_name in live_clusters:
            declarations.append(Declaration(declared=d, live=running.get(d.identity)))
        else:
            judged.append(d)
    ignore_rules = [r for r in IgnoreRule.objects.order_by("id") if r.is_active(now=now)]
    # A team someone registered: it has a member, or an ownership rule assigns it (ingest creates a Team
    # row for any team a label names, so a row alone says nothing).
    registered = set(Membership.objects.values_list("team_id", flat=True).distinct())
    registered |= set(OwnershipRule.objects.filter(enabled=True).values_list("team_id", flat=True).distinct())
    return EvaluationContext(
        now=now, deployments=judged, capacity=list(capacity_current().select_related(None)
                                                   .select_related("cluster")),
        pending=list(pending_gpu_pods_current().select_related("cluster")), catalog=catalog,
        settings=settings or {}, declarations=declarations, live_clusters=live_clusters,
        ignore_rules=ignore_rules, registered_teams=registered,
    )


def by_key(items: Iterable[Deployed], key) -> dict[Any, list[Deployed]]:
    groups: dict[Any, list[Deployed]] = {}
    for item in items:
        k = key(item)
        if k is not None:
            groups.setdefault(k, []).append(item)
    return groups
