"""Inventory: where models are served (Source, Cluster), who owns them (Team, OwnershipRule), what is served
(Model, Deployment with its DeploymentRevision history), how each crawl went (CrawlRun) and the GPU
capacity each crawl saw (GpuNodeSnapshot, PendingGpuPodSnapshot).

Rows are written by ``footprint.inventory.ingest.deployments_reconcile`` only; the admin edits sources,
teams and ownership rules, never deployments.
"""

from __future__ import annotations

from datetime import timedelta
from fnmatch import fnmatchcase

from django.db import models
from django.db.models import F, Q

from collectors.spec import ModelSpec
from footprint.core.crypto import EncryptedTextField
from footprint.inventory import choices


class Source(models.Model):
    """One configured place to crawl: a kubeconfig, a cloud account, a GPU cloud, or a file feed.

    Created, changed and deleted through ``footprint.inventory.sources`` (which validates settings and
    credentials against the provider and keeps the beat schedule in step), never with a bare save().
    ``credentials`` is a JSON object whose keys are the provider's ``secret_fields``.
    """

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=choices.SourceKind.choices)
    settings = models.JSONField(default=dict, blank=True, help_text="Provider configuration (no secrets).")
    credentials = EncryptedTextField(blank=True, default="", help_text="Stored encrypted; never shown again.")
    interval_minutes = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    last_crawl_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", help_text="The beat entry that crawls this source; kept in sync by the source services.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Cluster(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="clusters")
    name = models.CharField(max_length=253)
    cloud = models.CharField(max_length=20, choices=choices.CLOUD_CHOICES, default="unknown")
    region = models.CharField(max_length=64, blank=True, default="")
    capacity_run = models.ForeignKey(
        "CrawlRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The latest crawl that listed this cluster completely: its GPU node snapshots are the "
                  "cluster's current capacity.",
    )

    class Meta:
        ordering = ["source__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="inventory_cluster_unique_source_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True, default="", help_text="Slack channel or e-mail.")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class OwnershipRule(models.Model):
    """Assigns a team to deployments whose ModelSpec names none. Lowest priority number wins; empty
    patterns match anything. Patterns are shell globs (``prod-*``), matched case-sensitively."""

    priority = models.IntegerField(default=100)
    cluster_pattern = models.CharField(max_length=253, blank=True, default="")
    namespace_pattern = models.CharField(max_length=253, blank=True, default="")
    label_key = models.CharField(max_length=253, blank=True, default="")
    label_value = models.CharField(
        max_length=253, blank=True, default="", help_text="Glob on the label's value; empty = any value."
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="ownership_rules")
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        parts = [
            f"cluster={self.cluster_pattern}" if self.cluster_pattern else "",
            f"namespace={self.namespace_pattern}" if self.namespace_pattern else "",
            f"label {self.label_key}={self.label_value or '*'}" if self.label_key else "",
        ]
        return f"#{self.priority} {' '.join(p for p in parts if p) or 'everything'} → {self.team_id}"

    def matches(self, spec: ModelSpec) -> bool:
        workload = spec.workload
        if self.cluster_pattern and not fnmatchcase(workload.cluster or "", self.cluster_pattern):
            return False
        if self.namespace_pattern and not fnmatchcase(workload.namespace or "", self.namespace_pattern):
            return False
        if self.label_key:
            value = spec.labels.get(self.label_key)
            if value is None:
                return False
            if self.label_value and not fnmatchcase(value, self.label_value):
                return False
        return True


class Model(models.Model):
    """A logical model id (``meta-llama/Llama-3.1-8B-Instruct``), shared by every deployment serving it."""

    name = models.CharField(max_length=512, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkloadColumns(models.Model):
    """Identity and material ModelSpec fields, denormalised so filters and ``as_of`` need no JSON lookups.

    ``None`` in the ModelSpec is stored as ``""`` (strings) or NULL (numbers, times); ``spec`` keeps the
    exact document.
    """

    cluster_name = models.CharField(max_length=253, blank=True, default="")
    namespace = models.CharField(max_length=253, blank=True, default="")
    kind = models.CharField(max_length=100)
    name = models.CharField(max_length=253)
    unit = models.CharField(max_length=253, blank=True, default="")
    cloud = models.CharField(max_length=20, choices=choices.CLOUD_CHOICES, default="unknown")
    region = models.CharField(max_length=64, blank=True, default="")
    engine = models.CharField(max_length=32, choices=choices.ENGINE_CHOICES, default="unknown")
    platform = models.CharField(max_length=32, choices=choices.PLATFORM_CHOICES, default="kubernetes")
    image = models.CharField(max_length=1000, blank=True, default="")
    engine_version = models.CharField(max_length=100, blank=True, default="")
    model_version = models.CharField(max_length=200, blank=True, default="")
    accelerator_type = models.CharField(
        max_length=32, choices=choices.ACCELERATOR_CHOICES, blank=True, default=""
    )
    accelerator_per_replica = models.FloatField(null=True, blank=True)
    accelerator_total = models.FloatField(null=True, blank=True)
    replicas_desired = models.IntegerField(null=True, blank=True)
    environment = models.CharField(max_length=16, choices=choices.ENVIRONMENT_CHOICES, blank=True, default="")
    variant = models.CharField(max_length=16, choices=choices.VARIANT_CHOICES, blank=True, default="")
    owner_source = models.CharField(max_length=100, blank=True, default="")
    workload_created_at = models.DateTimeField(null=True, blank=True)
    spec = models.JSONField(default=dict)
    spec_hash = models.CharField(max_length=64)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return "/".join(p for p in (self.cluster_name, self.namespace, self.name, self.unit) if p)


class Deployment(WorkloadColumns):
    """The current state of one workload serving one model, identified inside its source by
    (cluster, namespace, kind, name, unit). Ended deployments stay (``ended_at`` set) and reopen on return.

    ``cluster_name`` (not the nullable ``cluster`` FK) is the identity column: NULLs are distinct in a
    unique index, so a nullable FK could not keep two cluster-less rows apart.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="deployments")
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments"
    )
    model = models.ForeignKey(Model, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments")
    replicas_ready = models.IntegerField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    stale_reason = models.TextField(blank=True, default="")
    stale_since = models.DateTimeField(null=True, blank=True)
    usage = models.JSONField(
        default=dict, blank=True,
        help_text="Usage signals over a window (collectors.usage.Usage.to_dict(): requests, last request, GPU "
                  "utilisation), written by each crawl where the source names a Prometheus or CloudWatch; "
                  "empty where it names none.",
    )

    class Meta:
        ordering = ["cluster_name", "namespace", "name", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "cluster_name", "namespace", "kind", "name", "unit"],
                name="inventory_deployment_unique_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["source"], condition=Q(ended_at__isnull=True), name="inv_dep_live_source_idx"),
            models.Index(fields=["cloud", "region"], name="inv_dep_cloud_region_idx"),
            models.Index(fields=["engine"], name="inv_dep_engine_idx"),
            models.Index(fields=["accelerator_type"], name="inv_dep_accelerator_idx"),
        ]

    def __str__(self) -> str:
        return super().__str__()

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class DeploymentRevision(WorkloadColumns):
    """One interval during which a deployment's material ModelSpec did not change.

    ``valid_to`` is NULL for the open revision (at most one per deployment). "What ran in region R at
    time T" is ``valid_from <= T < valid_to`` on this table alone.
    """

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="revisions")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="deployment_revisions")
    model = models.ForeignKey(
        Model, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployment_revisions"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployment_revisions"
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deployment_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment"], condition=Q(valid_to__isnull=True), name="inventory_revision_one_open"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="inventory_revision_valid_range",
            ),
        ]
        indexes = [
            models.Index(fields=["deployment", "valid_from"], name="inv_rev_deployment_from_idx"),
            models.Index(fields=["valid_from", "valid_to"], name="inv_rev_valid_idx"),
            models.Index(fields=["source", "valid_from"], name="inv_rev_source_from_idx"),
            models.Index(fields=["cluster_name", "valid_from"], name="inv_rev_cluster_from_idx"),
            models.Index(fields=["region", "valid_from"], name="inv_rev_region_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{super().__str__()} from {self.valid_from:%Y-%m-%d %H:%M}"


class CrawlRun(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="crawl_runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=choices.CrawlStatus.choices, default=choices.CrawlStatus.RUNNING)
    objects_seen = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    specs_seen = models.PositiveIntegerField(default=0)
    deployments_new = models.PositiveIntegerField(default=0, help_text="Includes reopened deployments.")
    deployments_reopened = models.PositiveIntegerField(default=0)
    deployments_changed = models.PositiveIntegerField(default=0)
    deployments_unchanged = models.PositiveIntegerField(default=0)
    deployments_ended = models.PositiveIntegerField(default=0)
    deployments_stale = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="CrawlError.to_dict() of each error.")
    scopes = models.JSONField(default=list, blank=True, help_text="Scopes the crawl listed completely.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="inv_crawl_source_started_idx")]
        constraints = [
            # The crawl lock (footprint.inventory.crawl): inserting a running run is taking the lock, so
            # the database itself refuses a second running crawl of one source, from any process.
            models.UniqueConstraint(
                fields=["source"], condition=Q(status="running"), name="inventory_crawlrun_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration(self) -> timedelta | None:
        if self.finished_at is None or self.started_at is None:
            return None
        return self.finished_at - self.started_at

    def summary(self) -> str:
        reopened = f" ({self.deployments_reopened} reopened)" if self.deployments_reopened else ""
        stale = f", {self.deployments_stale} stale" if self.deployments_stale else ""
        return (
            f"{self.deployments_new} new{reopened}, {self.deployments_changed} changed, "
            f"{self.deployments_unchanged} unchanged, {self.deployments_ended} ended{stale}"
        )


class GpuNodeSnapshot(models.Model):
    """One accelerator node as one crawl saw it. Written only for clusters that crawl listed completely,
    so a cluster's snapshots from one run are the whole of its GPU capacity at ``observed_at``; the
    current capacity is the set whose run is ``Cluster.capacity_run`` (selectors.capacity_current)."""

    run = models.ForeignKey(CrawlRun, on_delete=models.CASCADE, related_name="gpu_node_snapshots")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="gpu_node_snapshots")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="gpu_node_snapshots")
    cluster_name = models.CharField(max_length=253)
    observed_at = models.DateTimeField()
    node = models.CharField(max_length=253)
    cloud = models.CharField(max_length=20, choices=choices.CLOUD_CHOICES, default="unknown")
    region = models.CharField(max_length=64, blank=True, default="")
    pool = models.CharField(max_length=253, blank=True, default="")
    instance_type = models.CharField(max_length=100, blank=True, default="")
    accelerator_type = models.CharField(
        max_length=32, choices=choices.ACCELERATOR_CHOICES, blank=True, default=""
    )
    allocatable = models.FloatField(default=0, help_text="Accelerators the node offers.")
    requested = models.FloatField(default=0, help_text="Accelerators requested by pods scheduled on it.")
    serving_requested = models.FloatField(default=0, help_text="... of which by model-serving workloads.")
    pods = models.PositiveIntegerField(default=0, help_text="Pods using accelerators on it.")

    class Meta:
        ordering = ["cluster_name", "node"]
        constraints = [
            models.UniqueConstraint(fields=["run", "cluster", "node"], name="inventory_gpunode_unique_run_node"),
        ]
        indexes = [
            models.Index(fields=["cluster", "observed_at"], name="inv_gpunode_cluster_time_idx"),
            models.Index(fields=["source", "observed_at"], name="inv_gpunode_source_time_idx"),
            models.Index(fields=["observed_at"], name="inv_gpunode_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_name}/{self.node}"

    @property
    def idle(self) -> float:
        return max(self.allocatable - self.requested, 0.0)


class PendingGpuPodSnapshot(models.Model):
    """A pod waiting for accelerators no node gave it, as one crawl saw it (same coverage rule)."""

    run = models.ForeignKey(CrawlRun, on_delete=models.CASCADE, related_name="pending_gpu_pods")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="pending_gpu_pods")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="pending_gpu_pods")
    cluster_name = models.CharField(max_length=253)
    observed_at = models.DateTimeField()
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253)
    requested = models.FloatField(default=0)
    reason = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["cluster_name", "namespace", "name"]
        indexes = [
            models.Index(fields=["cluster", "observed_at"], name="inv_pendpod_cluster_time_idx"),
            models.Index(fields=["observed_at"], name="inv_pendpod_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_name}/{self.namespace}/{self.name}"
