"""Reads of the costs app: the price of many deployments at once, in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import Node, Price, deployment_price
from footprint.inventory.models import Deployment
from footprint.inventory.selectors import capacity_current, specs_from_rows


def node_hints_current(*, cluster_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Node]:
    """Per (cluster id, accelerator type), the GPU node a deployment there runs on when the cluster's
    current capacity has one instance type for that accelerator (else none: pricing then assumes the
    cheapest instance and says so); optionally for some clusters only. One query, of the distinct
    (cluster, accelerator, instance type) rows."""
    rows = capacity_current().order_by().exclude(instance_type="").exclude(accelerator_type="")
    if cluster_ids is not None:
        rows = rows.filter(cluster_id__in=list(cluster_ids))
    by_place: dict[tuple[int, str], list[tuple[str, float]]] = {}
    for cluster_id, accelerator, instance_type, allocatable in rows.values_list(
            "cluster_id", "accelerator_type", "instance_type", "allocatable").distinct():
        by_place.setdefault((cluster_id, accelerator), []).append((instance_type, allocatable))
    return {place: Node(instance_type=found[0][0], accelerator_type=place[1], allocatable=found[0][1])
            for place, found in by_place.items() if len({t.lower() for t, _ in found}) == 1}


def deployment_prices(*, deployments: Iterable[Deployment], catalog: PriceCatalog | None = None,
                      at: date | None = None) -> dict[int, Price]:
    """Deployment id → Price. Queries: the catalog's two (unless given), the node hints' one, and
    whatever iterating ``deployments`` costs; none per deployment."""
    catalog = catalog if catalog is not None else PriceCatalog.load()
    hints = node_hints_current()
    prices: dict[int, Price] = {}
    for row in deployments:
        spec = specs_from_rows(rows=[row])[0]
        hint = hints.get((row.cluster_id, row.accelerator_type)) if row.cluster_id else None
        prices[row.pk] = deployment_price(spec=spec, node_hint=hint, catalog=catalog, source=row.source_id, at=at)
    return prices
