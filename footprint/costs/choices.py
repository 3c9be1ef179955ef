"""Choices of the costs app. Clouds and accelerators are the ModelSpec v1 vocabularies (collectors.spec)."""

from django.db import models

from footprint.inventory.choices import ACCELERATOR_CHOICES, CLOUD_CHOICES

__all__ = ["ACCELERATOR_CHOICES", "CLOUD_CHOICES", "OverrideKind", "PriceKind", "Pricing"]


class PriceKind(models.TextChoices):
    INSTANCE = "instance", "Per instance-hour"
    GPU = "gpu", "Per GPU-hour"


class Pricing(models.TextChoices):
    # Only list prices for now; spot and commitments are overrides (a discount or a negotiated price).
    ON_DEMAND = "on-demand", "On-demand"


class OverrideKind(models.TextChoices):
    DISCOUNT = "discount", "Discount %"
    PRICE = "price", "Negotiated price"

