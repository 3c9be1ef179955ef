"""Accrual: what a period cost, from what actually ran and for how long, not from today's run-rate.

Deployments: each DeploymentRevision's valid interval clipped to the period, priced with
``deployment_price`` (its own ModelSpec: replicas × accelerators of that revision). A deployment scaled
mid-month accrues each part at its own size. Unknown prices stay unknown (hours and reason), never zero.
A file source's declared copies (its rows in a cluster a crawled source lists) are declarations, not a
second running deployment: they accrue nothing (footprint.inventory.selectors.declared_copies_exclude).

GPU nodes: every crawl that listed a cluster completely is a sample of its GPU capacity; a sample holds
from its crawl until the next one of that cluster (the last one until the period's end). A covering
crawl with no GPU node rows for a cluster reads as "no GPU nodes" from then on. Each node's cost over
its interval is split by its accelerators: requested by serving workloads, requested by other
(non-serving) pods, and idle. So per cluster, node cost = serving + other + idle, exactly.

Times are UTC; months are calendar months. Past periods read only rows of that period (revisions,
snapshots, runs), so changing, scaling or ending deployments today leaves a past month's figures as they
were. The price catalog and the overrides in force at each instant are today's rows: a price sheet
reloaded with new list prices reprices the past too (overrides apply from their ``effective_from``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.db.models import Max, Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from collectors.spec import Accelerator, ModelSpec, Replicas, WorkloadRef
from footprint.costs.catalog import PriceCatalog, money
from footprint.costs.choices import OverrideKind, PriceKind
from footprint.costs.pricing import UNPRICED_CLOUDS, Price, deployment_price
from footprint.inventory.models import CrawlRun, DeploymentRevision, GpuNodeSnapshot
from footprint.inventory.selectors import declared_copies_exclude

SECONDS_PER_HOUR = Decimal(3600)
CENTS = Decimal("0.01")
HOURS = Decimal("0.01")


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_next(value: date) -> date:
    value = month_start(value)
    return value.replace(year=value.year + 1, month=1) if value.month == 12 else value.replace(month=value.month + 1)


def month_previous(value: date) -> date:
    value = month_start(value)
    return value.replace(year=value.year - 1, month=12) if value.month == 1 else value.replace(month=value.month - 1)


def month_bounds(month: date, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[first instant, end) of a calendar month in UTC; the end is ``now`` while the month is running."""
    start = datetime.combine(month_start(month), time.min, tzinfo=UTC)
    end = datetime.combine(month_next(month), time.min, tzinfo=UTC)
    if now is not None:
        end = min(end, max(start, now))  # a future month is empty
    return start, end


# ------------------------------------------------------------------------------------------ deployments


@dataclass
class CostLine:
    """One deployment's accrued cost in a period, per owner/model/place it had (a deployment that moved
    team mid-month has a line per team). ``cost`` is the priced part (None: nothing could be priced);
    ``unknown_hours`` the hours that could not be priced, with ``reason``."""

    deployment_id: int
    cluster_id: int | None
    team: str | None
    team_name: str | None
    model: str | None
    cloud: str
    region: str
    environment: str
    cluster: str
    namespace: str
    name: str
    unit: str
    accelerator: str
    hours: Decimal = Decimal(0)
    gpu_hours: Decimal | None = Decimal(0)
    cost: Decimal | None = None
    unknown_hours: Decimal = Decimal(0)
    bases: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def is_unknown(self) -> bool:
        return self.unknown_hours > 0

    @property
    def basis(self) -> str:
        return " | ".join(self.bases)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) if self.reasons else None

    @property
    def workload(self) -> str:
        return "/".join(p for p in (self.cluster, self.namespace, self.name, self.unit) if p)

    def value(self, dimension: str) -> str | None:
        """The line's key for a report dimension ('' and None both mean "not known")."""
        return getattr(self, dimension) or None

    def as_dict(self) -> dict:
        return {
            "deploymentId": self.deployment_id, "workload": self.workload, "team": self.team,
            "model": self.model, "cloud": self.cloud, "region": self.region or None,
            "environment": self.environment or None, "cluster": self.cluster or None,
            "namespace": self.namespace or None, "name": self.name, "unit": self.unit or None,
            "accelerator": self.accelerator or None, "hours": str(self.hours),
            "gpuHours": None if self.gpu_hours is None else str(self.gpu_hours),
            "cost": None if self.cost is None else str(self.cost), "unknownHours": str(self.unknown_hours),
            "basis": self.basis, "reason": self.reason,
        }


_REVISION_FIELDS = ("deployment_id", "source_id", "valid_from", "valid_to", "team__slug", "team__name", "model__name",
                    "cloud", "region", "environment", "cluster_name", "namespace", "name", "unit", "accelerator_type",
                    "accelerator_per_replica", "replicas_desired", "kind", "accelerator_source",
                    "deployment__cluster_id")


def deployments_accrue(*, start: datetime, end: datetime, catalog: PriceCatalog,
                       hints: dict[tuple[int, str], GpuNodeSnapshot] | None = None) -> list[CostLine]:
    """Accrued cost lines of every deployment that ran in [start, end). One query; revisions that price
    alike (same cloud, region, accelerator, counts, source, node and date) are priced once. A file source's
    declared copies of workloads in crawled clusters are left out (``declared_copies_exclude``): the crawled
    deployment is what costs, counted once."""
    hints = hints or {}
    revisions = (
        declared_copies_exclude(DeploymentRevision.objects.filter(valid_from__lt=end))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .order_by("deployment_id", "valid_from", "id")
        # Not the whole ModelSpec document: its one pricing field without a column of its own.
        .annotate(accelerator_source=KeyTextTransform("source", KeyTransform("accelerator", "spec")))
        .values(*_REVISION_FIELDS)
    )
    lines: dict[tuple, CostLine] = {}
    raw: dict[tuple, Decimal] = defaultdict(Decimal)
    prices: dict[tuple, Price] = {}
    override_dates = catalog.override_dates()
    for rev in revisions:
        begin, finish = max(rev["valid_from"], start), min(rev["valid_to"] or end, end)
        if finish <= begin:
            continue
        team, cluster_id = rev["team__slug"], rev["deployment__cluster_id"]
        key = (rev["deployment_id"], team, rev["model__name"], rev["cloud"], rev["region"], rev["environment"],
               rev["cluster_name"])
        line = lines.get(key)
        if line is None:
            line = lines[key] = CostLine(
                deployment_id=rev["deployment_id"], cluster_id=cluster_id, team=team, team_name=rev["team__name"],
                model=rev["model__name"], cloud=rev["cloud"], region=rev["region"], environment=rev["environment"],
                cluster=rev["cluster_name"], namespace=rev["namespace"], name=rev["name"], unit=rev["unit"],
                accelerator=rev["accelerator_type"])
        line.accelerator = rev["accelerator_type"] or line.accelerator
        hint = hints.get((cluster_id, rev["accelerator_type"])) if cluster_id else None
        seconds = Decimal((finish - begin).total_seconds())
        line.hours += seconds / SECONDS_PER_HOUR
        gpus = _gpus(rev["replicas_desired"], rev["accelerator_per_replica"])
        if line.gpu_hours is not None:
            line.gpu_hours = None if gpus is None else line.gpu_hours + gpus * seconds / SECONDS_PER_HOUR
        pricing = (rev["cloud"], rev["region"], rev["kind"], rev["replicas_desired"], rev["accelerator_type"],
                   rev["accelerator_per_replica"], rev["accelerator_source"], rev["source_id"],
                   hint.pk if hint is not None else None)
        for piece_start, piece_end in _split(begin, finish, override_dates):
            at = piece_start.date()
            price = prices.get((pricing, at))
            if price is None:
                spec = _pricing_spec(rev)
                price = prices[(pricing, at)] = deployment_price(spec=spec, node_hint=hint, catalog=catalog,
                                                             source=rev["source_id"], at=at)
            hours = Decimal((piece_end - piece_start).total_seconds()) / SECONDS_PER_HOUR
            if price.is_unknown:
                line.unknown_hours += hours
                if price.reason not in line.reasons:
                    line.reasons.append(price.reason)
                continue
            raw[key] += price.hourly * hours
            line.cost = Decimal(0) if line.cost is None else line.cost
            if price.basis not in line.bases:
                line.bases.append(price.basis)
    for key, line in lines.items():
        line.hours = line.hours.quantize(HOURS)
        line.unknown_hours = line.unknown_hours.quantize(HOURS)
        line.gpu_hours = None if line.gpu_hours is None else line.gpu_hours.quantize(HOURS)
        if line.cost is not None:
            line.cost = raw[key].quantize(CENTS)
    return sorted(lines.values(), key=lambda ln: (-(ln.cost or 0), ln.workload, ln.team or ""))


def _pricing_spec(rev: dict) -> ModelSpec:
    """The ModelSpec fields ``deployment_price`` reads, from the revision's columns (pricing.py's rules);
    revisions with the same values price alike, so each combination is priced once."""
    return ModelSpec(
        workload=WorkloadRef(kind=rev["kind"], name=rev["name"], cloud=rev["cloud"], region=rev["region"] or None),
        replicas=Replicas(desired=rev["replicas_desired"]),
        accelerator=Accelerator(type=rev["accelerator_type"] or None, per_replica=rev["accelerator_per_replica"],
                                source=rev["accelerator_source"] or None))


def _gpus(replicas: int | None, per_replica: float | None) -> Decimal | None:
    if replicas is None:
        return None
    if replicas == 0:
        return Decimal(0)
    if per_replica is None:
        return None
    return Decimal(str(per_replica)) * replicas


def _split(begin: datetime, finish: datetime, dates: Iterable[date]) -> list[tuple[datetime, datetime]]:
    """[begin, finish) cut at the midnights (UTC) when an override takes effect."""
    cuts = [begin]
    for day in dates:
        at = datetime.combine(day, time.min, tzinfo=UTC)
        if begin < at < finish:
            cuts.append(at)
    cuts.append(finish)
    return list(zip(cuts, cuts[1:], strict=False))


# ------------------------------------------------------------------------------------------- capacity


@dataclass
class ClusterCost:
    """One cluster's GPU node cost in a period and where it went: serving + other + idle = node_cost."""

    cluster_id: int
    cluster: str
    cloud: str
    region: str
    gpu_hours: Decimal = Decimal(0)          # accelerator-hours the nodes offered
    idle_gpu_hours: Decimal = Decimal(0)
    node_cost: Decimal = Decimal(0)          # priced nodes only
    serving: Decimal = Decimal(0)
    other: Decimal = Decimal(0)
    idle: Decimal = Decimal(0)
    unknown_node_hours: Decimal = Decimal(0)
    deployments: Decimal = Decimal(0)        # the cluster's deployment lines (set by the report)
    reasons: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) if self.reasons else None

    @property
    def is_unknown(self) -> bool:
        return self.unknown_node_hours > 0

    def as_dict(self) -> dict:
        return {
            "clusterId": self.cluster_id, "cluster": self.cluster, "cloud": self.cloud,
            "region": self.region or None, "gpuHours": str(self.gpu_hours), "idleGpuHours": str(self.idle_gpu_hours),
            "nodeCost": str(self.node_cost), "serving": str(self.serving), "other": str(self.other),
            "idle": str(self.idle), "unknownNodeHours": str(self.unknown_node_hours),
            "deployments": str(self.deployments), "reason": self.reason,
            "basis": " | ".join(self.bases),
        }


@dataclass(frozen=True)
class _Sample:
    at: datetime
    nodes: tuple[GpuNodeSnapshot, ...]


@dataclass
class Capacity:
    """The GPU node samples of a period, per cluster (see module doc); loaded in three queries."""

    start: datetime
    end: datetime
    samples: dict[int, list[_Sample]]

    @classmethod
    def load(cls, *, start: datetime, end: datetime) -> Capacity:
        prior = dict(
            GpuNodeSnapshot.objects.filter(observed_at__lt=start).order_by().values("cluster_id")
            .annotate(last=Max("observed_at")).values_list("cluster_id", "last")
        )
        window = Q(observed_at__gte=start, observed_at__lt=end)
        if prior:
            window |= Q(observed_at__in=set(prior.values()), cluster_id__in=list(prior))
        snapshots = [
            s for s in GpuNodeSnapshot.objects.filter(window).order_by("observed_at", "cluster_id", "node")
            if s.observed_at >= start or prior.get(s.cluster_id) == s.observed_at
        ]
        by_run: dict[tuple[int, int], list[GpuNodeSnapshot]] = defaultdict(list)
        clusters: dict[int, tuple[int, str]] = {}
        for snap in snapshots:
            by_run[(snap.cluster_id, snap.run_id)].append(snap)
            clusters[snap.cluster_id] = (snap.source_id, snap.cluster_name)
        # Covering crawls without GPU node rows: the cluster had no GPU nodes from then on.
        events: dict[int, dict[int, _Sample]] = defaultdict(dict)
        for (cluster_id, run_id), nodes in by_run.items():
            events[cluster_id][run_id] = _Sample(nodes[0].observed_at, tuple(nodes))
        if clusters:
            floor = min([start, *prior.values()])
            sources = {source_id for source_id, _ in clusters.values()}
            runs = CrawlRun.objects.filter(source_id__in=sources, finished_at__gte=floor, finished_at__lt=end) \
                .order_by().values_list("id", "source_id", "finished_at", "scopes")
            for run_id, source_id, finished_at, scopes in runs:
                for cluster_id, (cluster_source, name) in clusters.items():
                    if cluster_source == source_id and run_id not in events[cluster_id] and _covers(scopes, name):
                        events[cluster_id][run_id] = _Sample(finished_at, ())
        samples: dict[int, list[_Sample]] = {}
        for cluster_id, by_id in events.items():
            ordered = sorted(by_id.values(), key=lambda s: s.at)
            before = [s for s in ordered if s.at < start]
            samples[cluster_id] = before[-1:] + [s for s in ordered if s.at >= start]
        return cls(start=start, end=end, samples=samples)

    def intervals(self) -> Iterable[tuple[int, datetime, datetime, tuple[GpuNodeSnapshot, ...]]]:
        """(cluster id, from, to, nodes) clipped to the period."""
        for cluster_id, samples in self.samples.items():
            for sample, following in zip(samples, [*samples[1:], None], strict=True):
                begin = max(sample.at, self.start)
                finish = min(following.at if following else self.end, self.end)
                if finish > begin and sample.nodes:
                    yield cluster_id, begin, finish, sample.nodes

    def node_hints(self) -> dict[tuple[int, str], GpuNodeSnapshot]:
        """Per (cluster id, accelerator), a node of the period when all of them were one instance type."""
        seen: dict[tuple[int, str], list[GpuNodeSnapshot]] = defaultdict(list)
        for _, _, _, nodes in self.intervals():
            for node in nodes:
                if node.instance_type and node.accelerator_type:
                    seen[(node.cluster_id, node.accelerator_type)].append(node)
        return {place: nodes[0] for place, nodes in seen.items()
                if len({n.instance_type.lower() for n in nodes}) == 1}


def _covers(scopes: list, cluster: str) -> bool:
    return any(isinstance(s, dict) and s.get("namespace") is None and s.get("cluster") in (None, cluster)
               for s in scopes or [])


def capacity_accrue(*, capacity: Capacity, catalog: PriceCatalog) -> list[ClusterCost]:
    """Per cluster, GPU node cost over the period split into serving / other / idle. No query."""
    rows: dict[int, ClusterCost] = {}
    raw: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    override_dates = catalog.override_dates()
    prices: dict[tuple, Price] = {}
    for cluster_id, begin, finish, nodes in capacity.intervals():
        for node in nodes:
            row = rows.get(cluster_id)
            if row is None:
                row = rows[cluster_id] = ClusterCost(cluster_id=cluster_id, cluster=node.cluster_name,
                                                     cloud=node.cloud, region=node.region)
            allocatable = Decimal(str(node.allocatable))
            requested = min(Decimal(str(node.requested)), allocatable)
            serving = min(Decimal(str(node.serving_requested)), requested)
            hours_total = Decimal((finish - begin).total_seconds()) / SECONDS_PER_HOUR
            row.gpu_hours += allocatable * hours_total
            row.idle_gpu_hours += (allocatable - requested) * hours_total
            for piece_start, piece_end in _split(begin, finish, override_dates):
                hours = Decimal((piece_end - piece_start).total_seconds()) / SECONDS_PER_HOUR
                price_key = (node.cloud, node.region, node.instance_type, node.accelerator_type, node.allocatable,
                             node.source_id, piece_start.date())
                price = prices.get(price_key)
                if price is None:
                    price = prices[price_key] = node_price(catalog=catalog, node=node, at=piece_start.date())
                if price.is_unknown:
                    row.unknown_node_hours += hours
                    if price.reason not in row.reasons:
                        row.reasons.append(price.reason)
                    continue
                if price.basis not in row.bases:
                    row.bases.append(price.basis)
                cost = price.hourly * hours
                parts = raw[cluster_id]
                if allocatable > 0:
                    parts[0] += cost * serving / allocatable
                    parts[1] += cost * (requested - serving) / allocatable
                    parts[2] += cost * (allocatable - requested) / allocatable
                else:  # a GPU node offering no accelerator (driver down): all of it is idle
                    parts[2] += cost
    for cluster_id, row in rows.items():
        serving, other, idle = raw[cluster_id]
        row.serving, row.other, row.idle = serving.quantize(CENTS), other.quantize(CENTS), idle.quantize(CENTS)
        row.node_cost = row.serving + row.other + row.idle
        row.gpu_hours = row.gpu_hours.quantize(HOURS)
        row.idle_gpu_hours = row.idle_gpu_hours.quantize(HOURS)
        row.unknown_node_hours = row.unknown_node_hours.quantize(HOURS)
    return sorted(rows.values(), key=lambda r: (-r.node_cost, r.cluster))


def node_price(*, catalog: PriceCatalog, node: GpuNodeSnapshot, at: date) -> Price:
    """A GPU node's cost per hour: its instance type's price, else the cloud's GPU-hour price × its
    accelerators; overrides in force at ``at`` applied (same precedence as deployments)."""
    cloud, region = node.cloud, node.region or None
    if cloud in UNPRICED_CLOUDS:
        return Price.unknown(f"no price catalog for cloud {cloud}" if cloud != "unknown" else "cloud unknown")
    source = node.source_id
    if node.instance_type:
        found = catalog.entry(cloud=cloud, region=region, key=node.instance_type)
        if found is not None and found[0].kind == PriceKind.INSTANCE:
            entry, pick = found
            override = catalog.override(cloud=cloud, source=source, instance_type=entry.key,
                                        accelerator=entry.accelerator or node.accelerator_type, at=at)
            hourly, what = entry.usd_per_hour, f"{entry.key} at ${money(entry.usd_per_hour)}/h"
            if override is not None and override.kind == OverrideKind.PRICE:
                per_gpu = bool(override.accelerator)
                hourly = override.usd_per_hour * (entry.gpus_per_instance if per_gpu else 1)
                what = f"{entry.key} at ${money(hourly)}/h"
            elif override is not None:
                hourly = hourly * (100 - override.discount_percent) / 100
            notes = [n for n in (pick.note, override.describe() if override else None) if n]
            return Price(hourly=hourly, basis="; ".join([f"{what} ({entry.source} {entry.as_of:%Y-%m})", *notes]),
                         entry_ids=(entry.id,) if entry.id else (), override_id=override.id if override else None)
    if node.accelerator_type and node.allocatable > 0:
        found = catalog.entry(cloud=cloud, region=region, key=node.accelerator_type)
        if found is not None and found[0].kind == PriceKind.GPU:
            entry, pick = found
            override = catalog.override(cloud=cloud, source=source, instance_type=None,
                                        accelerator=node.accelerator_type, at=at)
            rate = entry.usd_per_hour
            if override is not None and override.kind == OverrideKind.PRICE:
                rate = override.usd_per_hour
            gpus = Decimal(str(node.allocatable))
            hourly = rate * gpus
            if override is not None and override.kind == OverrideKind.DISCOUNT:
                hourly = hourly * (100 - override.discount_percent) / 100
            notes = [n for n in (pick.note, override.describe() if override else None) if n]
            basis = f"{gpus.normalize():f} × {node.accelerator_type} at ${money(rate)}/GPU-h ({entry.source})"
            return Price(hourly=hourly, basis="; ".join([basis, *notes]),
                         entry_ids=(entry.id,) if entry.id else (), override_id=override.id if override else None)
    what = node.instance_type or node.accelerator_type or "a node of unknown type"
    return Price.unknown(f"no price for GPU node {what} in {cloud} {region or '(region unknown)'}")
