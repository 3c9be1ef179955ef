"""Reads of the costs app: the price of many deployments at once, in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import Price, deployment_price
from footprint.inventory.models import Deployment, GpuNodeSnapshot
from footprint.inventory.selectors import capacity_current, specs_from_rows


def node_hints_current() -> dict[tuple[int, str], GpuNodeSnapshot]:
    """Per (cluster id, accelerator type), the GPU node a deployment there runs on when the cluster's
    current capacity has one instance type for that accelerator (else none: pricing then assumes the
    cheapest instance and says so). One query."""
    by_place: dict[tuple[int, str], list[GpuNodeSnapshot]] = {}
    for node in capacity_current().order_by():
        if node.instance_type and node.accelerator_type:
            by_place.setdefault((node.cluster_id, node.accelerator_type), []).append(node)
    return {place: nodes[0] for place, nodes in by_place.items()
            if len({n.instance_type.lower() for n in nodes}) == 1}


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
