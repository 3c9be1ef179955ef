"""What one deployment costs per hour and per month at list price (or the user's override), with the basis.

``deployment_price`` is pure: it reads a ``PriceCatalog`` loaded once and one ModelSpec (a live deployment's
or one revision's), so accrual prices each revision with the same call and a report of 20,000 deployments
costs the catalog's two queries.

Rules, in order:
- Unknown is never zero: no cloud, no replica count, no accelerator or no price gives ``Price.unknown``
  with the reason. Zero replicas is a real zero, and says so.
- SageMaker endpoints (workload kind SageMakerEndpoint) are priced by their ml.* instance type, whole
  instances: replicas = instance count.
- The instance type is the node hint's (the GPU node the deployment runs on), else the one the
  ModelSpec's accelerator source names (``instanceType:g5.12xlarge``). A replica pays its GPU share of the
  instance: 2 of 8 GPUs pays 2/8; MIG slices (per-replica 1/7) pay their fraction; a time-sliced GPU on a
  node offering N slots over G GPUs pays G/N of a GPU per slot.
- With no instance type: a per-GPU-hour price of the cloud (GPU clouds, GCP attached GPUs), else the
  cheapest instance type in that cloud and region carrying the accelerator ("assumed ...").
- Regions: the exact region, else prices valid in any region of the cloud (''), else the cloud's reference
  region (us-east-1, us-central1, eastus) with a note in the basis.
- One override at most, the most specific in force at ``at`` (see ``PriceCatalog.override``): a negotiated
  instance price replaces the list price, a negotiated GPU price is paid per GPU-hour, a discount takes
  its percentage off.

Accrual prices a revision from a ModelSpec rebuilt from its columns (``accrual._pricing_spec`` holds the
fields read here), once per distinct combination: reading another ModelSpec field here means adding it there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import Protocol

from django.utils import timezone

from collectors.detect.accelerators import accelerator_for_instance_type
from collectors.spec import ModelSpec
from footprint.costs.catalog import (
    REFERENCE_REGIONS,
    CatalogEntry,
    CatalogOverride,
    PriceCatalog,
    RegionPick,
    money,
)
from footprint.costs.choices import OverrideKind, PriceKind

HOURS_PER_MONTH = Decimal(730)
CENT_FRACTIONS = Decimal("0.000001")
SAGEMAKER_KIND = "SageMakerEndpoint"
UNPRICED_CLOUDS = ("unknown", "onprem")
_INSTANCE_IN_SOURCE = re.compile(r"instanceType[:=]([A-Za-z0-9_.\-]+)")


class NodeHint(Protocol):
    """What pricing reads from a GPU node (``inventory.GpuNodeSnapshot`` fits)."""

    instance_type: str
    accelerator_type: str
    allocatable: float


@dataclass(frozen=True)
class Node:
    """A node hint built by hand (tests, or a caller that knows the instance type only)."""

    instance_type: str
    accelerator_type: str = ""
    allocatable: float = 0.0


@dataclass(frozen=True)
class Price:
    """Hourly cost with its basis and provenance, or ``unknown`` (``hourly`` None) with the reason."""

    hourly: Decimal | None
    basis: str
    entry_ids: tuple[int, ...] = ()
    override_id: int | None = None
    unverified: bool = False

    @classmethod
    def unknown(cls, reason: str) -> Price:
        return cls(hourly=None, basis=f"unknown: {reason}")

    @property
    def is_unknown(self) -> bool:
        return self.hourly is None

    @property
    def monthly(self) -> Decimal | None:
        return None if self.hourly is None else (self.hourly * HOURS_PER_MONTH).quantize(CENT_FRACTIONS)

    @property
    def reason(self) -> str | None:
        return self.basis.removeprefix("unknown: ") if self.hourly is None else None

    def __str__(self) -> str:
        return self.basis if self.hourly is None else f"${money(self.hourly)}/h ({self.basis})"


def deployment_price(*, spec: ModelSpec, node_hint: NodeHint | None = None, catalog: PriceCatalog,
                     source: int | str | None = None, at: date | None = None) -> Price:
    """The cost of ``spec`` per hour at ``at`` (default today; it only selects overrides).

    ``source`` (a Source id or name) selects source-scoped overrides; default ``spec.workload.source``.
    """
    workload = spec.workload
    cloud, region = workload.cloud, workload.region or None
    if cloud in UNPRICED_CLOUDS:
        return Price.unknown(f"no price catalog for cloud {cloud}" if cloud != "unknown" else "cloud unknown")
    replicas = spec.replicas.desired
    if replicas is None:
        return Price.unknown("replicas unknown")
    ctx = _Context(spec=spec, catalog=catalog, cloud=cloud, region=region, replicas=replicas,
                   source=source if source is not None else workload.source, at=at or timezone.localdate())
    hinted = (node_hint.instance_type if node_hint is not None else "") or ""
    instance_type = hinted or _instance_from_source(spec.accelerator.source)
    if workload.kind == SAGEMAKER_KIND:
        return _sagemaker(ctx, instance_type)
    hardware = accelerator_for_instance_type(instance_type) if instance_type else None
    accelerator = (spec.accelerator.type or (node_hint.accelerator_type if node_hint is not None else "")
                   or (hardware[0] if hardware else None))
    if not accelerator:
        return Price.unknown("accelerator unknown")
    if spec.accelerator.per_replica is None:
        return Price.unknown(f"{accelerator} count per replica unknown")
    if replicas == 0:
        return Price(hourly=Decimal(0), basis="0 replicas (scaled to zero)")
    gpus = _fraction(spec.accelerator.per_replica)
    if gpus <= 0:
        return Price.unknown(f"{accelerator} count per replica is {spec.accelerator.per_replica}")
    time_sliced = "time-sliced" in (spec.accelerator.source or "")
    notes = _share_notes(gpus, accelerator, time_sliced)
    if instance_type:
        found = catalog.entry(cloud=cloud, region=region, key=instance_type)
        if found is not None and found[0].kind == PriceKind.INSTANCE:
            entry, pick = found
            slots = _slots(entry, node_hint, time_sliced, notes)
            return _by_instance(ctx, entry, pick, share=gpus / slots, accelerator=accelerator, notes=notes)
        rate = catalog.entry(cloud=cloud, region=region, key=accelerator)
        where = f"{cloud} {region or '(region unknown)'}"
        if rate is not None and rate[0].kind == PriceKind.GPU:
            notes.append(f"no price for {instance_type} in {where}: priced per GPU-hour")
            return _by_gpu(ctx, *rate, gpus=gpus, accelerator=accelerator, notes=notes)
        return Price.unknown(f"no price for {instance_type} in {where}{_reference_note(cloud, region)}")
    rate = catalog.entry(cloud=cloud, region=region, key=accelerator)
    if rate is not None and rate[0].kind == PriceKind.GPU:
        return _by_gpu(ctx, *rate, gpus=gpus, accelerator=accelerator, notes=notes)
    candidates, pick = catalog.instances(cloud=cloud, region=region, accelerator=accelerator)
    if not candidates:
        where = f"{cloud} {region or '(region unknown)'}"
        return Price.unknown(f"no price for {accelerator} in {where}{_reference_note(cloud, region)}")
    entry = _cheapest(candidates, gpus)
    notes.insert(0, f"assumed {entry.key}, the cheapest {accelerator} instance in {pick.region or cloud}")
    return _by_instance(ctx, entry, pick, share=gpus / entry.gpus_per_instance, accelerator=accelerator,
                        notes=notes)


@dataclass(frozen=True)
class _Context:
    spec: ModelSpec
    catalog: PriceCatalog
    cloud: str
    region: str | None
    replicas: int
    source: int | str | None
    at: date


def _sagemaker(ctx: _Context, instance_type: str) -> Price:
    if not instance_type:
        return Price.unknown("SageMaker endpoint instance type unknown")
    if ctx.replicas == 0:
        return Price(hourly=Decimal(0), basis=f"0 × {instance_type} (no instances)")
    found = ctx.catalog.entry(cloud=ctx.cloud, region=ctx.region, key=instance_type)
    if found is None:
        where = f"{ctx.cloud} {ctx.region or '(region unknown)'}"
        return Price.unknown(f"no price for SageMaker {instance_type} in {where}"
                             f"{_reference_note(ctx.cloud, ctx.region)}")
    entry, pick = found
    notes = ["SageMaker endpoint: one replica per instance"]
    return _by_instance(ctx, entry, pick, share=Fraction(1), accelerator=entry.accelerator or None, notes=notes)


def _by_instance(ctx: _Context, entry: CatalogEntry, pick: RegionPick, *, share: Fraction,
                 accelerator: str | None, notes: list[str]) -> Price:
    override = ctx.catalog.override(cloud=ctx.cloud, source=ctx.source, instance_type=entry.key,
                                    accelerator=accelerator, at=ctx.at)
    if override is not None and override.kind == OverrideKind.PRICE and override.accelerator:
        # A negotiated GPU-hour price: the replica's GPUs (its share of the instance's GPUs) at that rate.
        gpus = share * entry.gpus_per_instance
        hourly = _times(override.usd_per_hour, gpus * ctx.replicas)
        basis = (f"{ctx.replicas} × {_count(gpus)} {override.accelerator} at ${money(override.usd_per_hour)}/GPU-h "
                 f"on {entry.key}, {_where(entry)}")
        return _price(hourly, basis, [*notes, override.describe()], entry, pick, override)
    list_price = entry.usd_per_hour
    if override is not None and override.kind == OverrideKind.PRICE:
        list_price = override.usd_per_hour
    hourly = _times(list_price, share * ctx.replicas)
    if share == 1:
        what = f"{ctx.replicas} × {entry.key} at ${money(list_price)}/h"
    elif share.denominator == 1:
        what = f"{ctx.replicas} × {share.numerator} {entry.key} at ${money(list_price)}/h"
    else:
        what = f"{ctx.replicas} × {entry.key} share: {_count(share)} of ${money(list_price)}/h"
    notes = list(notes)
    if override is not None:
        if override.kind == OverrideKind.DISCOUNT:
            hourly = _discounted(hourly, override.discount_percent)
        notes.append(override.describe())
    return _price(hourly, f"{what}, {_where(entry)}", notes, entry, pick, override)


def _by_gpu(ctx: _Context, entry: CatalogEntry, pick: RegionPick, *, gpus: Fraction, accelerator: str,
            notes: list[str]) -> Price:
    override = ctx.catalog.override(cloud=ctx.cloud, source=ctx.source, instance_type=None,
                                    accelerator=accelerator, at=ctx.at)
    rate = entry.usd_per_hour
    if override is not None and override.kind == OverrideKind.PRICE:
        rate = override.usd_per_hour
    hourly = _times(rate, gpus * ctx.replicas)
    if override is not None and override.kind == OverrideKind.DISCOUNT:
        hourly = _discounted(hourly, override.discount_percent)
    notes = [*notes, override.describe()] if override is not None else list(notes)
    basis = f"{ctx.replicas} × {_count(gpus)} {accelerator} at ${money(rate)}/GPU-h, {_where(entry)}"
    return _price(hourly, basis, notes, entry, pick, override)


def _price(hourly: Decimal, basis: str, notes: list[str], entry: CatalogEntry, pick: RegionPick,
           override: CatalogOverride | None) -> Price:
    notes = [n for n in notes if n]
    if pick.note:  # after "assumed ..." (which names the region it looked in), before the rest
        notes.insert(1 if notes and notes[0].startswith("assumed ") else 0, pick.note)
    if entry.unverified:
        notes.append("list price unverified")
    text = "; ".join([basis, *notes])
    return Price(hourly=hourly, basis=text, entry_ids=(entry.id,) if entry.id is not None else (),
                 override_id=override.id if override is not None else None, unverified=entry.unverified)


def _where(entry: CatalogEntry) -> str:
    place = f"{entry.cloud} {entry.region}" if entry.region else entry.cloud
    return f"{place} {entry.pricing}, catalog {entry.as_of:%Y-%m} ({entry.source})"


def _reference_note(cloud: str, region: str | None) -> str:
    reference = REFERENCE_REGIONS.get(cloud)
    return f" (nor in the reference region {reference})" if reference and reference != region else ""


def _slots(entry: CatalogEntry, node: NodeHint | None, time_sliced: bool, notes: list[str]) -> Fraction:
    """Accelerator units one instance offers: its GPUs, or a time-sliced node's slot count."""
    gpus = Fraction(entry.gpus_per_instance)
    if not time_sliced:
        return gpus
    offered = _fraction(node.allocatable) if node is not None and node.allocatable else Fraction(0)
    if offered > gpus:
        notes.append(f"time-sliced: the node offers {_count(offered)} slots over {entry.gpus_per_instance} GPUs")
        return offered
    notes.append("time-sliced: each slot counted as a whole GPU (the node's slot count is unknown)")
    return gpus


def _share_notes(gpus: Fraction, accelerator: str, time_sliced: bool) -> list[str]:
    if gpus < 1 and not time_sliced:
        return [f"{_count(gpus)} of one {accelerator} per replica (MIG slice or fractional GPU)"]
    return []


def _cheapest(candidates: list[CatalogEntry], gpus: Fraction) -> CatalogEntry:
    """The instance type giving a replica its GPUs at the lowest cost; one big enough for a whole
    replica if there is one."""
    fitting = [e for e in candidates if e.gpus_per_instance >= ceil(gpus)] or candidates
    return min(fitting, key=lambda e: (e.usd_per_hour * Decimal(gpus.numerator) / Decimal(gpus.denominator)
                                       / e.gpus_per_instance, e.gpus_per_instance, e.key))


def _instance_from_source(source: str | None) -> str:
    match = _INSTANCE_IN_SOURCE.search(source or "")
    return match.group(1) if match else ""


def _fraction(value: float) -> Fraction:
    """Per-replica counts are rounded to 4 decimals upstream (1/7 → 0.1429): recover small fractions."""
    return Fraction(value).limit_denominator(64)


def _count(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _times(price: Decimal, factor: Fraction) -> Decimal:
    return (price * factor.numerator / factor.denominator).quantize(CENT_FRACTIONS)


def _discounted(hourly: Decimal, percent: Decimal) -> Decimal:
    return (hourly * (100 - percent) / 100).quantize(CENT_FRACTIONS)
