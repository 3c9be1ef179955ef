"""The price catalog (PriceEntry, seeded from data/prices.csv) and the user's overrides (PriceOverride).

Rows are written by ``footprint.costs.services`` (the price-sheet loader) and the admin; pricing reads
them through ``footprint.costs.catalog.PriceCatalog``, loaded once per report.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from footprint.costs import choices


class PriceEntry(models.Model):
    """One list price: an instance type per instance-hour, or an accelerator per GPU-hour (GPU clouds).

    ``region`` '' means any region of that cloud. ``key`` is the instance type as the cloud spells it
    (``p4d.24xlarge``, ``ml.g5.xlarge``, ``Standard_NC24ads_A100_v4``) or, for per-GPU rows, the
    canonical accelerator. ``accelerator``/``gpus_per_instance`` say what an instance carries (per-GPU
    rows: the accelerator and 1); ``accelerator`` is '' for an instance without one.
    """

    cloud = models.CharField(max_length=20, choices=choices.CLOUD_CHOICES)
    region = models.CharField(max_length=64, blank=True, default="", help_text="'' = any region of the cloud.")
    kind = models.CharField(max_length=10, choices=choices.PriceKind.choices)
    key = models.CharField(max_length=100, help_text="Instance type, or the accelerator of a per-GPU price.")
    accelerator = models.CharField(max_length=32, choices=choices.ACCELERATOR_CHOICES, blank=True, default="")
    gpus_per_instance = models.PositiveSmallIntegerField(default=1)
    usd_per_hour = models.DecimalField(max_digits=12, decimal_places=6)
    pricing = models.CharField(max_length=16, choices=choices.Pricing.choices, default=choices.Pricing.ON_DEMAND)
    source = models.CharField(max_length=100, help_text="Where the price was read (a key of data/README.md).")
    as_of = models.DateField(help_text="When the source quoted this price.")
    note = models.CharField(max_length=500, blank=True, default="", help_text="'unverified' marks a placeholder.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cloud", "region", "key"]
        verbose_name_plural = "price entries"
        constraints = [
            models.UniqueConstraint(fields=["cloud", "region", "key", "pricing"], name="costs_priceentry_unique_key"),
            models.CheckConstraint(condition=Q(usd_per_hour__gte=0), name="costs_priceentry_price_not_negative"),
            models.CheckConstraint(condition=Q(gpus_per_instance__gte=1), name="costs_priceentry_gpus_positive"),
        ]
        indexes = [models.Index(fields=["cloud", "accelerator"], name="costs_entry_cloud_acc_idx")]

    def __str__(self) -> str:
        return f"{self.cloud} {self.region or '*'} {self.key} ${self.usd_per_hour}/h"

    @property
    def unverified(self) -> bool:
        return "unverified" in self.note.lower()


class PriceOverride(models.Model):
    """What a customer really pays: a discount % or a negotiated price, for one inventory Source (a
    cloud account is crawled as one Source) or for a whole cloud, and for one instance type, one
    accelerator type, or everything in that scope (discounts only).

    A negotiated price is per instance-hour for an instance type and per GPU-hour for an accelerator.
    An override applies from ``effective_from``; a later one of the same scope and item supersedes it.
    """

    source = models.ForeignKey(
        "inventory.Source", on_delete=models.CASCADE, null=True, blank=True, related_name="price_overrides",
        help_text="Only deployments of this source; empty = every source of the cloud.",
    )
    cloud = models.CharField(max_length=20, choices=choices.CLOUD_CHOICES, blank=True, default="",
                             help_text="Required when no source is given.")
    instance_type = models.CharField(max_length=100, blank=True, default="")
    accelerator = models.CharField(max_length=32, choices=choices.ACCELERATOR_CHOICES, blank=True, default="")
    kind = models.CharField(max_length=10, choices=choices.OverrideKind.choices)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    usd_per_hour = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    effective_from = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_id", "cloud", "instance_type", "accelerator", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(source__isnull=False) | ~Q(cloud=""),
                                   name="costs_override_has_scope"),
            models.CheckConstraint(condition=Q(instance_type="") | Q(accelerator=""),
                                   name="costs_override_one_item"),
            models.CheckConstraint(
                condition=(Q(kind="discount", discount_percent__gte=0, discount_percent__lte=100,
                             usd_per_hour__isnull=True)
                           | (Q(kind="price", usd_per_hour__gte=0, discount_percent__isnull=True)
                              & (~Q(instance_type="") | ~Q(accelerator="")))),
                name="costs_override_value_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["source", "instance_type", "accelerator", "effective_from"],
                condition=Q(source__isnull=False), name="costs_override_unique_source_item",
            ),
            models.UniqueConstraint(
                fields=["cloud", "instance_type", "accelerator", "effective_from"],
                condition=Q(source__isnull=True), name="costs_override_unique_cloud_item",
            ),
        ]

    def __str__(self) -> str:
        scope = f"source {self.source_id}" if self.source_id else self.cloud
        item = self.instance_type or self.accelerator or "everything"
        value = f"{self.discount_percent}% off" if self.kind == "discount" else f"${self.usd_per_hour}/h"
        return f"{scope} {item}: {value} from {self.effective_from}"
