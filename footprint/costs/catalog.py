"""PriceCatalog: the whole price catalog and the overrides in memory, loaded once (two queries), so that
pricing any number of deployments costs no further query. Plain frozen rows: pricing needs no Django."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from footprint.costs.choices import OverrideKind, PriceKind, Pricing

# The region each cloud's list prices are quoted for in the seed catalog. A region with no price of its
# own is priced at this one, and the basis says so (prices differ 10-40 % by region: gpu-catalog.md §4).
REFERENCE_REGIONS: dict[str, str] = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


@dataclass(frozen=True)
class CatalogEntry:
    id: int | None
    cloud: str
    region: str
    kind: str
    key: str
    accelerator: str
    gpus_per_instance: int
    usd_per_hour: Decimal
    source: str
    as_of: date
    note: str = ""
    pricing: str = Pricing.ON_DEMAND

    @property
    def unverified(self) -> bool:
        return "unverified" in self.note.lower()


@dataclass(frozen=True)
class CatalogOverride:
    id: int | None
    kind: str
    source_id: int | None = None
    source_name: str = ""
    cloud: str = ""
    instance_type: str = ""
    accelerator: str = ""
    discount_percent: Decimal | None = None
    usd_per_hour: Decimal | None = None
    effective_from: date = date.min
    created_by: str = ""

    @property
    def scope(self) -> str:
        return f"source {self.source_name or self.source_id}" if self.source_id or self.source_name else self.cloud

    @property
    def item(self) -> str:
        return self.instance_type or self.accelerator or "everything"

    def describe(self) -> str:
        if self.kind == OverrideKind.DISCOUNT:
            what = f"{self.discount_percent.normalize():f}% discount on {self.item}"
        else:
            unit = "/h" if self.instance_type else "/GPU-h"
            what = f"negotiated ${money(self.usd_per_hour)}{unit} for {self.item}"
        by = f" by {self.created_by}" if self.created_by else ""
        return f"{what} (override #{self.id}, {self.scope}, from {self.effective_from}{by})"


@dataclass(frozen=True)
class RegionPick:
    """Which catalog region a lookup used, and the note the basis carries when it is not the asked one."""

    region: str
    note: str | None


class PriceCatalog:
    def __init__(self, entries: Iterable[CatalogEntry], overrides: Iterable[CatalogOverride] = ()) -> None:
        self._by_key: dict[tuple[str, str, str], CatalogEntry] = {}
        self._gpu_hour: dict[str, tuple[Decimal, CatalogEntry]] = {}
        self._instances: dict[tuple[str, str, str], list[CatalogEntry]] = {}
        for entry in entries:
            if entry.pricing != Pricing.ON_DEMAND:
                continue
            self._by_key[(entry.cloud, entry.region, entry.key.lower())] = entry
            if entry.kind == PriceKind.INSTANCE and entry.accelerator:
                self._instances.setdefault((entry.cloud, entry.region, entry.accelerator), []).append(entry)
            if entry.accelerator:
                per_gpu = entry.usd_per_hour / entry.gpus_per_instance
                best = self._gpu_hour.get(entry.accelerator)
                if best is None or (per_gpu, entry.cloud, entry.region, entry.key) < (
                        best[0], best[1].cloud, best[1].region, best[1].key):
                    self._gpu_hour[entry.accelerator] = (per_gpu, entry)
        # Latest effective first, so the first match at a date is the one in force.
        self._overrides = sorted(overrides, key=lambda o: (o.effective_from, o.id or 0), reverse=True)

    @classmethod
    def load(cls) -> PriceCatalog:
        """The catalog and every override, in two queries."""
        from footprint.costs.models import PriceEntry, PriceOverride

        entries = [CatalogEntry(id=e.id, cloud=e.cloud, region=e.region, kind=e.kind, key=e.key,
                                accelerator=e.accelerator, gpus_per_instance=e.gpus_per_instance,
                                usd_per_hour=e.usd_per_hour, source=e.source, as_of=e.as_of, note=e.note,
                                pricing=e.pricing)
                   for e in PriceEntry.objects.order_by()]
        overrides = [CatalogOverride(id=o.id, kind=o.kind, source_id=o.source_id,
                                     source_name=o.source.name if o.source else "", cloud=o.cloud,
                                     instance_type=o.instance_type, accelerator=o.accelerator,
                                     discount_percent=o.discount_percent, usd_per_hour=o.usd_per_hour,
                                     effective_from=o.effective_from, created_by=o.created_by)
                     for o in PriceOverride.objects.select_related("source").order_by()]
        return cls(entries, overrides)

    def __len__(self) -> int:
        return len(self._by_key)

    def cheapest_gpu_hour(self, accelerator: str) -> tuple[Decimal, CatalogEntry] | None:
        """The lowest list price of one ``accelerator`` for an hour, across every cloud and region: a per-GPU
        price, or an instance's price over its GPUs (the share a replica pays). Overrides not applied."""
        return self._gpu_hour.get(accelerator)

    def override_dates(self) -> list[date]:
        """Every date an override takes effect, ascending: accrual splits an interval at these."""
        return sorted({o.effective_from for o in self._overrides})

    def regions(self, *, cloud: str, region: str | None) -> Iterator[RegionPick]:
        """Where to look, in order: the exact region, prices valid in any region (''), then the cloud's
        reference region (noted in the basis)."""
        if region:
            yield RegionPick(region, None)
        yield RegionPick("", None)
        reference = REFERENCE_REGIONS.get(cloud)
        if reference and reference != region:
            why = f"no {region} price in the catalog" if region else "region unknown"
            yield RegionPick(reference, f"priced at {reference}, the {cloud} reference region: {why}")

    def entry(self, *, cloud: str, region: str | None, key: str) -> tuple[CatalogEntry, RegionPick] | None:
        for pick in self.regions(cloud=cloud, region=region):
            entry = self._by_key.get((cloud, pick.region, key.lower()))
            if entry is not None:
                return entry, pick
        return None

    def instances(self, *, cloud: str, region: str | None, accelerator: str) -> tuple[list[CatalogEntry], RegionPick]:
        """Instance types carrying ``accelerator`` in the first region (in lookup order) that has any."""
        pick = RegionPick(region or "", None)
        for pick in self.regions(cloud=cloud, region=region):
            found = self._instances.get((cloud, pick.region, accelerator))
            if found:
                return found, pick
        return [], pick

    def override(self, *, cloud: str, source: int | str | None, instance_type: str | None,
                 accelerator: str | None, at: date) -> CatalogOverride | None:
        """The override in force at ``at``; the most specific wins: this source before the whole cloud,
        then an instance type before an accelerator before everything."""
        best: tuple[int, CatalogOverride] | None = None
        for override in self._overrides:
            if override.effective_from > at:
                continue
            if override.source_id is not None or override.source_name:
                if source is None or source not in (override.source_id, override.source_name):
                    continue
                if override.cloud and override.cloud != cloud:
                    continue
                rank = 0
            elif override.cloud == cloud:
                rank = 3
            else:
                continue
            if override.instance_type:
                if not instance_type or override.instance_type.lower() != instance_type.lower():
                    continue
            elif override.accelerator:
                if override.accelerator != accelerator:
                    continue
                rank += 1
            else:
                rank += 2
            if best is None or rank < best[0]:
                best = (rank, override)
        return best[1] if best else None


def money(value: Decimal | None) -> str:
    """$21.96, $5.672, $0.526: cents from $10 up, else up to four decimals (at least two)."""
    if value is None:
        return "?"
    if value >= 10:
        return f"{value.quantize(Decimal('0.01')):f}"
    text = f"{value.quantize(Decimal('0.0001')).normalize():f}"
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"
