"""Admin: sources, teams and ownership rules are edited here (sources through the source services);
deployments, revisions, crawl runs and capacity snapshots are written by crawls only and shown read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from footprint.inventory.choices import CrawlStatus
from footprint.inventory.crawl import source_crawl_enqueue
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    GpuNodeSnapshot,
    Model,
    OwnershipRule,
    PendingGpuPodSnapshot,
    Source,
    Team,
)
from footprint.inventory.selectors import source_next_crawl_at, sources_with_health
from footprint.inventory.sources import (
    credentials_parse,
    source_config_validate,
    source_credentials,
    source_delete,
    source_save,
)

_STATUS_COLOURS = {CrawlStatus.OK: "#2e7d32", CrawlStatus.PARTIAL: "#b26a00", CrawlStatus.FAILED: "#c62828",
                   CrawlStatus.RUNNING: "#1565c0"}


def _status_badge(status: str | None):
    if not status:
        return "never crawled"
    return format_html('<b style="color:{}">{}</b>', _STATUS_COLOURS.get(status, "inherit"), status)


class SourceAdminForm(forms.ModelForm):
    """Credentials are write-only: the form never carries the stored value back to the browser."""

    credentials = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text='A JSON object of the provider\'s secret fields, e.g. {"kubeconfig": "apiVersion: v1\\n..."}. '
                  "Stored encrypted and never shown. Leave blank to keep the stored credentials.",
    )
    clear_credentials = forms.BooleanField(required=False, help_text="Remove the stored credentials.")

    class Meta:
        model = Source
        fields = ["name", "kind", "enabled", "interval_minutes", "settings", "credentials"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.pop("credentials", None)

    def clean(self) -> dict:
        """Validate settings and credentials with the provider; errors land on the field they name."""
        cleaned = super().clean()
        if cleaned.get("clear_credentials"):
            self.credentials_object = {}
        elif not cleaned.get("credentials") and self.instance.pk:
            # Blank means "unchanged": keep what is stored (Python sees the decrypted value).
            self.credentials_object = source_credentials(source=self.instance)
        else:
            self.credentials_object = credentials_parse(cleaned.get("credentials") or "")
        if "kind" in cleaned and "settings" in cleaned:
            source_config_validate(kind=cleaned["kind"], settings=cleaned["settings"] or {},
                                   credentials=self.credentials_object)
        return cleaned


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows owned by ingest: browsable and deletable, never added or edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Saves and deletes go through the source services (validation, beat schedule)."""

    form = SourceAdminForm
    list_display = ["name", "kind", "enabled", "interval_minutes", "last_status", "last_success_at",
                    "consecutive_failures", "next_crawl", "has_credentials"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    actions = ["crawl_now"]
    readonly_fields = ["has_credentials", "last_status", "last_crawl_at", "last_success_at",
                       "consecutive_failures", "next_crawl", "created_at", "recent_runs"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled", "interval_minutes", "settings"]}),
        ("Credentials", {"fields": ["has_credentials", "credentials", "clear_credentials"]}),
        ("Health", {"fields": ["last_status", "last_crawl_at", "last_success_at", "consecutive_failures",
                               "next_crawl", "created_at", "recent_runs"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return sources_with_health()

    def save_model(self, request: HttpRequest, obj: Source, form: SourceAdminForm, change: bool) -> None:
        source_save(source=obj, credentials=form.credentials_object)

    def delete_model(self, request: HttpRequest, obj: Source) -> None:
        source_delete(source=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            source_delete(source=source)

    @admin.action(description="Crawl now")
    def crawl_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        names = []
        for source in queryset:
            source_crawl_enqueue(source=source)
            names.append(source.name)
        self.message_user(request, f"Crawl queued for {', '.join(names)}; see Crawl runs for the outcome.",
                          messages.SUCCESS)

    @admin.display(boolean=True, description="credentials set")
    def has_credentials(self, obj: Source) -> bool:
        return bool(obj.credentials)

    @admin.display(description="last crawl")
    def last_status(self, obj: Source):
        return _status_badge(getattr(obj, "last_status", None))

    @admin.display(description="next crawl")
    def next_crawl(self, obj: Source):
        if obj.kind == "file":
            return "fed by ingest"
        at = source_next_crawl_at(source=obj)
        return at if at is not None else ("disabled" if not obj.enabled else "not scheduled")

    @admin.display(description="recent crawls")
    def recent_runs(self, obj: Source):
        runs = obj.crawl_runs.order_by("-started_at", "-id")[:10] if obj.pk else []
        return format_html_join(
            "", '<div><a href="{}">{:%Y-%m-%d %H:%M:%S}</a> {} — {}</div>',
            ((reverse("admin:inventory_crawlrun_change", args=[run.pk]), run.started_at,
              _status_badge(run.status), run.summary()) for run in runs),
        ) or "none yet"


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "cloud", "region"]
    list_filter = ["cloud", "source"]
    search_fields = ["name", "region"]
    list_select_related = ["source"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "contact"]
    search_fields = ["slug", "name", "contact"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(OwnershipRule)
class OwnershipRuleAdmin(admin.ModelAdmin):
    list_display = ["id", "priority", "cluster_pattern", "namespace_pattern", "label_key", "label_value", "team",
                    "enabled", "note"]
    list_display_links = ["id"]
    list_editable = ["priority", "enabled"]
    list_filter = ["enabled", "team"]
    search_fields = ["cluster_pattern", "namespace_pattern", "label_key", "label_value", "note"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("ended", "Ended"), ("stale", "Stale")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        if self.value() == "stale":
            return queryset.filter(stale=True)
        return queryset


class RevisionInline(admin.TabularInline):
    model = DeploymentRevision
    fields = ["valid_from", "valid_to", "model", "model_version", "engine", "engine_version", "image",
              "accelerator_type", "accelerator_total", "replicas_desired", "team"]
    readonly_fields = fields
    ordering = ["-valid_from"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ["name", "unit", "namespace", "cluster_name", "source", "model", "model_version", "engine",
                    "accelerator_type", "accelerator_total", "replicas_desired", "replicas_ready", "team",
                    "environment", "variant", "stale", "last_seen", "ended_at"]
    list_filter = [LiveFilter, "source", "cloud", "region", "engine", "platform", "accelerator_type",
                   "environment", "variant", "team"]
    search_fields = ["name", "unit", "namespace", "cluster_name", "model__name", "image"]
    list_select_related = ["source", "model", "team"]
    show_full_result_count = False
    date_hierarchy = "last_seen"
    inlines = [RevisionInline]


@admin.register(DeploymentRevision)
class DeploymentRevisionAdmin(ReadOnlyAdmin):
    list_display = ["deployment", "valid_from", "valid_to", "source", "cluster_name", "region", "model",
                    "model_version", "engine", "engine_version", "accelerator_type", "accelerator_total",
                    "replicas_desired", "team"]
    list_filter = ["source", "cloud", "region", "engine", "accelerator_type", "environment"]
    search_fields = ["name", "namespace", "cluster_name", "model__name", "image", "spec_hash"]
    list_select_related = ["deployment", "source", "model", "team"]
    show_full_result_count = False
    date_hierarchy = "valid_from"


@admin.register(CrawlRun)
class CrawlRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "source", "started_at", "duration", "status_badge", "pages", "objects_seen",
                    "specs_seen", "deployments_new", "deployments_changed", "deployments_unchanged",
                    "deployments_ended", "deployments_stale", "error_count"]
    list_filter = ["status", "source"]
    search_fields = ["source__name"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"
    fieldsets = [
        (None, {"fields": ["source", "status_badge", "started_at", "finished_at", "duration", "pages",
                           "objects_seen"]}),
        ("Deployments", {"fields": ["specs_seen", "deployments_new", "deployments_reopened", "deployments_changed",
                                    "deployments_unchanged", "deployments_ended", "deployments_stale"]}),
        ("Coverage", {"fields": ["scopes_list", "errors_table", "capacity"]}),
    ]
    readonly_fields = ["status_badge", "duration", "scopes_list", "errors_table", "capacity"]

    @admin.display(description="errors")
    def error_count(self, obj: CrawlRun) -> int:
        return len(obj.errors)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: CrawlRun):
        return _status_badge(obj.status)

    @admin.display(description="scopes listed completely")
    def scopes_list(self, obj: CrawlRun) -> str:
        scopes = ["/".join(p for p in (s.get("cluster") or "*", s.get("namespace")) if p) for s in obj.scopes]
        return ", ".join(scopes) or "none: nothing could be ended by this crawl"

    @admin.display(description="errors per scope")
    def errors_table(self, obj: CrawlRun):
        if not obj.errors:
            return "none"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                                ((e.get("scope"), e.get("kind"), e.get("message")) for e in obj.errors))
        return format_html("<table><tr><th>scope</th><th>kind</th><th>message</th></tr>{}</table>", rows)

    @admin.display(description="GPU capacity")
    def capacity(self, obj: CrawlRun):
        url = reverse("admin:inventory_gpunodesnapshot_changelist")
        return format_html('<a href="{}?run__id__exact={}&amp;current=all">{} GPU nodes</a>, '
                           '<a href="{}?run__id__exact={}&amp;current=all">{} pending GPU pods</a>',
                           url, obj.pk, obj.gpu_node_snapshots.count(),
                           reverse("admin:inventory_pendinggpupodsnapshot_changelist"), obj.pk,
                           obj.pending_gpu_pods.count())


class CurrentCapacityFilter(admin.SimpleListFilter):
    """Current capacity (each cluster's latest complete crawl) by default; all snapshots on demand."""

    title = "snapshots"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("all", "All (history)")]

    def choices(self, changelist):
        yield {"selected": self.value() is None, "query_string": changelist.get_query_string(remove=[self.parameter_name]),
               "display": "Current"}
        yield {"selected": self.value() == "all", "query_string": changelist.get_query_string({self.parameter_name: "all"}),
               "display": "All (history)"}

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(run_id=F("cluster__capacity_run_id"))


@admin.register(GpuNodeSnapshot)
class GpuNodeSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["node", "cluster_name", "source", "pool", "instance_type", "accelerator_type", "allocatable",
                    "requested", "serving_requested", "idle", "pods", "observed_at"]
    list_filter = [CurrentCapacityFilter, "source", "cloud", "region", "accelerator_type", "cluster"]
    search_fields = ["node", "cluster_name", "pool", "instance_type"]
    list_select_related = ["source"]
    show_full_result_count = False
    date_hierarchy = "observed_at"

    @admin.display(description="idle GPUs")
    def idle(self, obj: GpuNodeSnapshot) -> float:
        return obj.idle


@admin.register(PendingGpuPodSnapshot)
class PendingGpuPodSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["name", "namespace", "cluster_name", "source", "requested", "reason", "observed_at"]
    list_filter = [CurrentCapacityFilter, "source", "cluster"]
    search_fields = ["name", "namespace", "cluster_name"]
    list_select_related = ["source"]
    show_full_result_count = False
    date_hierarchy = "observed_at"
