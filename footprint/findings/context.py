"""What the rules read: the current inventory loaded once per evaluation, in a constant number of queries.

Deployments come with their parsed ModelSpec and their price; capacity and pending GPU pods are the
current snapshots; ``price_as`` prices a deployment on another accelerator (for wrong-GPU savings).
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
from footprint.inventory.models import Deployment, GpuNodeSnapshot, PendingGpuPodSnapshot
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
    pending GPU pods (1)."""
    catalog = catalog if catalog is not None else PriceCatalog.load()
    rows = list(deployments_current())
    prices = deployment_prices(deployments=rows, catalog=catalog, at=now.date())
    deployed = [Deployed(row=row, spec=ModelSpec.from_dict(row.spec), price=prices[row.pk]) for row in rows]
    return EvaluationContext(
        now=now, deployments=deployed, capacity=list(capacity_current().select_related(None)
                                                    .select_related("cluster")),
        pending=list(pending_gpu_pods_current().select_related("cluster")), catalog=catalog,
        settings=settings or {},
    )


def by_key(items: Iterable[Deployed], key) -> dict[Any, list[Deployed]]:
    groups: dict[Any, list[Deployed]] = {}
    for item in items:
        k = key(item)
        if k is not None:
            groups.setdefault(k, []).append(item)
    return groups
