"""Choices of the inventory app. The vocabularies come from the ModelSpec v1 contract (collectors.spec)."""

from django.db import models

from collectors import spec


class SourceKind(models.TextChoices):
    FILE = "file", "File (ModelSpecList)"
    KUBERNETES = "kubernetes", "Kubernetes (kubeconfig)"
    AWS = "aws", "AWS"
    GCP = "gcp", "Google Cloud"
    AZURE = "azure", "Azure"
    COREWEAVE = "coreweave", "CoreWeave"
    NEBIUS = "nebius", "Nebius"
    LAMBDA = "lambda", "Lambda"


class CrawlStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"


def _vocabulary(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


# Plain (value, label) lists rather than TextChoices: the contract owns these spellings, and a value
# added there must not need a second edit here (only a no-op migration for the admin's choices).
CLOUD_CHOICES = _vocabulary(spec.CLOUDS)
ENGINE_CHOICES = _vocabulary(spec.ENGINES)
PLATFORM_CHOICES = _vocabulary(spec.PLATFORMS)
ACCELERATOR_CHOICES = _vocabulary(spec.ACCELERATORS)
ENVIRONMENT_CHOICES = _vocabulary(spec.ENVIRONMENTS)
VARIANT_CHOICES = _vocabulary(spec.VARIANTS)
