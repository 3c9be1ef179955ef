"""Serializers of the API. Read serializers never expose a Source's credentials (only whether it has some).

A deployment item has one shape whether it comes from the live inventory or, with ``as_of``, from the
revision valid then: ``valid_from``/``valid_to`` are the revision's interval (null for the live row).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from footprint.costs.pricing import Price
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import Cluster, CrawlRun, Deployment, DeploymentRevision, Model, Source, Team
from footprint.inventory.selectors import source_next_crawl_at


class PriceSerializer(serializers.Serializer):
    """The price of a deployment from the cost engine, or unknown with the reason (never a silent zero)."""

    known = serializers.BooleanField()
    hourly = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    monthly = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    currency = serializers.CharField()
    basis = serializers.CharField()
    reason = serializers.CharField(allow_null=True)

    def to_representation(self, price: Price) -> dict[str, Any]:
        return super().to_representation({
            "known": not price.is_unknown, "hourly": price.hourly, "monthly": price.monthly, "currency": "USD",
            "basis": price.basis, "reason": price.reason,
        })


class WorkloadSerializer(serializers.Serializer):
    """Columns shared by a Deployment and a DeploymentRevision; relations by id and natural key."""

    source_id = serializers.IntegerField()
    source = serializers.CharField(source="source.name")
    cluster = serializers.CharField(source="cluster_name")
    model_id = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(source="model.name", allow_null=True, default=None)
    team_id = serializers.IntegerField(allow_null=True)
    team = serializers.CharField(source="team.slug", allow_null=True, default=None)
    namespace = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    cloud = serializers.CharField()
    region = serializers.CharField()
    engine = serializers.CharField()
    engine_version = serializers.CharField()
    platform = serializers.CharField()
    image = serializers.CharField()
    model_version = serializers.CharField()
    accelerator = serializers.CharField(source="accelerator_type")
    accelerator_per_replica = serializers.FloatField(allow_null=True)
    accelerator_total = serializers.FloatField(allow_null=True)
    replicas_desired = serializers.IntegerField(allow_null=True)
    environment = serializers.CharField()
    variant = serializers.CharField()
    spec = serializers.JSONField(help_text="The ModelSpec v1 document (footprint/v1).")


class DeploymentSerializer(WorkloadSerializer):
    """A deployment: live (or ended) now, or with ``as_of`` as its revision valid then."""

    id = serializers.SerializerMethodField()
    cluster_id = serializers.IntegerField(allow_null=True)
    live = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()
    first_seen = serializers.SerializerMethodField()
    last_seen = serializers.SerializerMethodField()
    ended_at = serializers.SerializerMethodField()
    valid_from = serializers.SerializerMethodField()
    valid_to = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.INT)
    def get_id(self, row: Deployment | DeploymentRevision) -> int:
        return row.deployment_id if isinstance(row, DeploymentRevision) else row.pk

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_live(self, row: Deployment | DeploymentRevision) -> bool:
        return row.valid_to is None if isinstance(row, DeploymentRevision) else row.ended_at is None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stale(self, row: Deployment | DeploymentRevision) -> bool:
        return False if isinstance(row, DeploymentRevision) else row.stale

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_first_seen(self, row: Deployment | DeploymentRevision) -> str | None:
        return None if isinstance(row, DeploymentRevision) else _time(row.first_seen)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_last_seen(self, row: Deployment | DeploymentRevision) -> str | None:
        return None if isinstance(row, DeploymentRevision) else _time(row.last_seen)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_ended_at(self, row: Deployment | DeploymentRevision) -> str | None:
        return None if isinstance(row, DeploymentRevision) else _time(row.ended_at)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_valid_from(self, row: Deployment | DeploymentRevision) -> str | None:
        return _time(row.valid_from) if isinstance(row, DeploymentRevision) else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_valid_to(self, row: Deployment | DeploymentRevision) -> str | None:
        return _time(row.valid_to) if isinstance(row, DeploymentRevision) else None

    @extend_schema_field({"type": "object", "nullable": True, "description":
                          "Usage signals of the last crawl (collectors.usage.Usage.to_dict()); {} where the source "
                          "names no Prometheus/CloudWatch; null for a past revision."})
    def get_usage(self, row: Deployment | DeploymentRevision) -> dict[str, Any] | None:
        return None if isinstance(row, DeploymentRevision) else row.usage

    @extend_schema_field(PriceSerializer(allow_null=True))
    def get_price(self, row: Deployment | DeploymentRevision) -> dict[str, Any] | None:
        price = self.context.get("prices", {}).get(row.pk)
        return PriceSerializer(price).data if price is not None else None


class RevisionSerializer(WorkloadSerializer):
    id = serializers.IntegerField()
    deployment_id = serializers.IntegerField()
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField(allow_null=True)


class ModelSerializer(serializers.ModelSerializer):
    live_deployments = serializers.IntegerField(read_only=True, help_text="Deployments serving it now.")

    class Meta:
        model = Model
        fields = ["id", "name", "live_deployments"]


class ClusterSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)
    live_deployments = serializers.IntegerField(read_only=True)
    gpu_nodes = serializers.IntegerField(read_only=True, help_text="GPU nodes in the current capacity.")
    gpus_allocatable = serializers.FloatField(read_only=True)
    gpus_requested = serializers.FloatField(read_only=True)
    gpus_serving = serializers.FloatField(read_only=True, help_text="GPUs requested by model-serving workloads.")
    capacity_observed_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                                     help_text="When the current capacity was crawled; null: never.")

    class Meta:
        model = Cluster
        fields = ["id", "name", "source_id", "source", "cloud", "region", "live_deployments", "gpu_nodes",
                  "gpus_allocatable", "gpus_requested", "gpus_serving", "capacity_observed_at"]


class TeamSerializer(serializers.ModelSerializer):
    live_deployments = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "contact", "live_deployments"]


class SourceSerializer(serializers.ModelSerializer):
    """A source with its crawl health. ``credentials`` is never serialized: ``has_credentials`` says if any."""

    has_credentials = serializers.SerializerMethodField()
    last_status = serializers.CharField(read_only=True, allow_null=True, help_text="Status of the latest crawl.")
    last_started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    next_crawl_at = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = ["id", "name", "kind", "settings", "interval_minutes", "enabled", "has_credentials",
                  "last_crawl_at", "last_success_at", "consecutive_failures", "last_status", "last_started_at",
                  "next_crawl_at", "created_at"]
        read_only_fields = fields

    def get_has_credentials(self, source: Source) -> bool:
        return bool(source.credentials)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_next_crawl_at(self, source: Source) -> str | None:
        return _time(source_next_crawl_at(source=source))


class SourceWriteSerializer(serializers.Serializer):
    """Input of create (all required but ``settings``/``credentials``/``interval_minutes``/``enabled``) and
    update (PATCH: only what is given; leaving ``credentials`` out keeps them, ``null``/``{}`` removes them)."""

    name = serializers.SlugField(max_length=100)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    settings = serializers.DictField(required=False, default=dict)
    credentials = serializers.DictField(required=False, allow_null=True, write_only=True,
                                        help_text="The provider's secret fields; stored encrypted, never returned.")
    interval_minutes = serializers.IntegerField(required=False, min_value=1, max_value=366 * 24 * 60, default=60,
                                                help_text="Minutes between crawls, at most a year.")
    enabled = serializers.BooleanField(required=False, default=True)


class CrawlEnqueuedSerializer(serializers.Serializer):
    source_id = serializers.IntegerField()
    source = serializers.CharField()
    status = serializers.CharField(help_text="enqueued")


class CrawlErrorSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="What the error covers: the source, a cluster, a namespace.")
    kind = serializers.CharField()
    message = serializers.CharField()


class CrawlRunSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)
    errors = serializers.SerializerMethodField()
    errors_by_scope = serializers.SerializerMethodField()
    scopes = serializers.JSONField(help_text="Scopes the crawl listed completely.")

    class Meta:
        model = CrawlRun
        fields = ["id", "source_id", "source", "status", "started_at", "finished_at", "objects_seen", "pages",
                  "specs_seen", "deployments_new", "deployments_reopened", "deployments_changed",
                  "deployments_unchanged", "deployments_ended", "deployments_stale", "scopes", "errors",
                  "errors_by_scope"]

    @extend_schema_field(CrawlErrorSerializer(many=True))
    def get_errors(self, run: CrawlRun) -> list[dict[str, str]]:
        return [_crawl_error(error) for error in run.errors or []]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"},
                          "description": "Number of errors per scope."})
    def get_errors_by_scope(self, run: CrawlRun) -> dict[str, int]:
        counts: dict[str, int] = {}
        for error in run.errors or []:
            scope = _crawl_error(error)["scope"]
            counts[scope] = counts.get(scope, 0) + 1
        return counts


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()


def _crawl_error(error: Any) -> dict[str, str]:
    if not isinstance(error, dict):
        return {"scope": "", "kind": "unknown", "message": str(error)}
    return {"scope": str(error.get("scope") or ""), "kind": str(error.get("kind") or "unknown"),
            "message": str(error.get("message") or "")}


def _time(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value is not None else None
