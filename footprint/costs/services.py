"""Writes of the costs app: the price-sheet loader (used by ``manage.py load-prices`` and the seed migration).

A sheet is checked whole before anything is written: every bad row is reported with its line number and
nothing is imported unless every row is good. The write is one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from collectors.detect.accelerators import accelerator_for_instance_type
from collectors.spec import ACCELERATORS, CLOUDS
from footprint.costs.choices import PriceKind, Pricing

SEED_FILE = Path(__file__).resolve().parent / "data" / "prices.csv"
COLUMNS = ("cloud", "region", "kind", "instance_type", "accelerator", "gpus_per_instance", "usd_per_hour",
           "pricing", "source", "as_of", "note")
REQUIRED_COLUMNS = ("cloud", "kind", "usd_per_hour", "source", "as_of")
PRICE_PLACES = Decimal("0.000001")
PRICED_CLOUDS = tuple(c for c in CLOUDS if c != "unknown")


class PriceSheetError(ValueError):
    """A price sheet with bad rows; ``errors`` holds one "line N: ..." message per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class PriceRow:
    line: int
    cloud: str
    region: str
    kind: str
    key: str
    accelerator: str
    gpus_per_instance: int
    usd_per_hour: Decimal
    pricing: str
    source: str
    as_of: date
    note: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What the catalog is unique by; instance types compare case-insensitively."""
        return (self.cloud, self.region, self.key.lower(), self.pricing)


@dataclass(frozen=True)
class PricesLoaded:
    created: int
    updated: int
    deleted: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.deleted} deleted"


def prices_parse(*, text: str) -> list[PriceRow]:
    """Read a price sheet (CSV with a header row; ``#`` lines are comments). Raises PriceSheetError."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    errors: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        raise PriceSheetError([f"line 1: {'; '.join(parts)} (columns: {', '.join(COLUMNS)})"])
    rows: list[PriceRow] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(f"line {line}: more fields than columns")
            continue
        if not any(values.values()) or values.get("cloud", "").startswith("#"):
            continue
        try:
            row = _row(line, values)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if row.identity in seen:
            errors.append(f"line {line}: {row.cloud} {row.region or '(any region)'} {row.key} {row.pricing} "
                          f"is already priced on line {seen[row.identity]}")
            continue
        seen[row.identity] = line
        rows.append(row)
    if errors:
        raise PriceSheetError(errors)
    if not rows:
        raise PriceSheetError(["the sheet has no price rows"])
    return rows


def prices_load(*, text: str, replace_source: str | None = None, entry_model=None) -> PricesLoaded:
    """Check a whole sheet, then upsert its rows into the catalog in one transaction.

    With ``replace_source`` every row must come from that source, and catalog rows of that source the
    sheet does not list are deleted (a new edition of one price list replaces the old one).
    ``entry_model`` lets the seed migration pass its historical PriceEntry.
    """
    if entry_model is None:
        from footprint.costs.models import PriceEntry as entry_model
    rows = prices_parse(text=text)
    if replace_source is not None:
        wrong = [f"line {r.line}: source is {r.source!r}, not {replace_source!r} (--replace-source)"
                 for r in rows if r.source != replace_source]
        if wrong:
            raise PriceSheetError(wrong)
    with transaction.atomic():
        existing = {
            (e.cloud, e.region, e.key.lower(), e.pricing): e for e in entry_model.objects.select_for_update()
        }
        created, updated = [], []
        for row in rows:
            fields = {
                "cloud": row.cloud, "region": row.region, "kind": row.kind, "key": row.key,
                "accelerator": row.accelerator, "gpus_per_instance": row.gpus_per_instance,
                "usd_per_hour": row.usd_per_hour, "pricing": row.pricing, "source": row.source,
                "as_of": row.as_of, "note": row.note,
            }
            entry = existing.pop(row.identity, None)
            if entry is None:
                created.append(entry_model(**fields))
                continue
            for name, value in fields.items():
                setattr(entry, name, value)
            updated.append(entry)
        entry_model.objects.bulk_create(created, batch_size=500)
        now = timezone.now()
        for entry in updated:
            entry.updated_at = now  # bulk_update skips auto_now
        entry_model.objects.bulk_update(updated, [*_WRITTEN, "updated_at"], batch_size=500)
        deleted = 0
        if replace_source is not None:
            stale = [e.pk for e in existing.values() if e.source == replace_source]
            deleted, _ = entry_model.objects.filter(pk__in=stale).delete()
    return PricesLoaded(created=len(created), updated=len(updated), deleted=deleted)


def prices_load_seed(*, entry_model=None) -> PricesLoaded:
    return prices_load(text=SEED_FILE.read_text(encoding="utf-8"), entry_model=entry_model)


_WRITTEN = ("cloud", "region", "kind", "key", "accelerator", "gpus_per_instance", "usd_per_hour", "pricing",
            "source", "as_of", "note")


def _row(line: int, values: dict[str, str]) -> PriceRow:
    cloud = values.get("cloud", "").lower()
    if cloud not in PRICED_CLOUDS:
        raise ValueError(f"cloud {cloud!r} is not one of {', '.join(PRICED_CLOUDS)}")
    region = values.get("region", "")
    if len(region) > 64:
        raise ValueError("region is longer than 64 characters")
    kind = values.get("kind", "").lower()
    if kind not in PriceKind.values:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(PriceKind.values)}")
    instance_type, accelerator = values.get("instance_type", ""), values.get("accelerator", "")
    if accelerator and accelerator not in ACCELERATORS:
        raise ValueError(f"accelerator {accelerator!r} is not a canonical name ({', '.join(ACCELERATORS)})")
    gpus = _gpus(values.get("gpus_per_instance", ""))
    if kind == PriceKind.GPU:
        if instance_type:
            raise ValueError("a gpu row prices an accelerator per GPU-hour: leave instance_type empty")
        if not accelerator:
            raise ValueError("a gpu row needs an accelerator")
        if gpus not in (None, 1):
            raise ValueError("a gpu row is per GPU-hour: gpus_per_instance must be empty or 1")
        key, gpus = accelerator, 1
    else:
        if not instance_type:
            raise ValueError("an instance row needs an instance_type")
        if len(instance_type) > 100:
            raise ValueError("instance_type is longer than 100 characters")
        known = accelerator_for_instance_type(instance_type)
        if known is not None:
            if accelerator and accelerator != known[0]:
                raise ValueError(f"{instance_type} carries {known[0]}, not {accelerator}")
            if gpus is not None and gpus != known[1]:
                raise ValueError(f"{instance_type} carries {known[1]} × {known[0]}, not {gpus}")
            accelerator, gpus = known
        elif not accelerator or gpus is None:
            raise ValueError(f"unknown instance type {instance_type!r}: give accelerator and gpus_per_instance")
        key = instance_type
    price = _price(values.get("usd_per_hour", ""))
    pricing = values.get("pricing", "") or Pricing.ON_DEMAND
    if pricing not in Pricing.values:
        raise ValueError(f"pricing {pricing!r} is not one of {', '.join(Pricing.values)}")
    source = values.get("source", "")
    if not source or len(source) > 100:
        raise ValueError("source is required (at most 100 characters)")
    try:
        as_of = date.fromisoformat(values.get("as_of", ""))
    except ValueError:
        raise ValueError(f"as_of {values.get('as_of', '')!r} is not a date (YYYY-MM-DD)") from None
    note = values.get("note", "")
    if len(note) > 500:
        raise ValueError("note is longer than 500 characters")
    return PriceRow(line=line, cloud=cloud, region=region, kind=kind, key=key, accelerator=accelerator,
                    gpus_per_instance=gpus, usd_per_hour=price, pricing=pricing, source=source, as_of=as_of,
                    note=note)


def _gpus(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"gpus_per_instance {raw!r} is not a whole number of at least 1")
    return int(raw)


def _price(raw: str) -> Decimal:
    try:
        price = Decimal(raw.removeprefix("$"))
    except InvalidOperation:
        raise ValueError(f"usd_per_hour {raw!r} is not a number") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"usd_per_hour {raw!r} must be a price of at least 0")
    if price != price.quantize(PRICE_PLACES):
        raise ValueError(f"usd_per_hour {raw!r} has more than 6 decimal places")
    if price >= Decimal("1000000"):
        raise ValueError(f"usd_per_hour {raw!r} is too large")
    return price
