"""Admin: sources, teams and ownership rules are edited here; deployments, revisions and crawl runs are
written by ingest only and shown read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    Model,
    OwnershipRule,
    Source,
    Team,
)


class SourceAdminForm(forms.ModelForm):
    """Credentials are write-only: the form never carries the stored value back to the browser."""

    credentials = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown. Leave blank to keep the stored credentials.",
    )
    clear_credentials = forms.BooleanField(required=False, help_text="Remove the stored credentials.")

    class Meta:
        model = Source
        fields = ["name", "kind", "enabled", "interval_minutes", "settings", "credentials"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.pop("credentials", None)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_credentials"):
            cleaned["credentials"] = ""
        elif not cleaned.get("credentials") and self.instance.pk:
            # Blank means "unchanged": keep what is stored (Python sees the decrypted value).
            cleaned["credentials"] = self.instance.credentials
        return cleaned


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows owned by ingest: browsable and deletable, never added or edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceAdminForm
    list_display = ["name", "kind", "enabled", "interval_minutes", "has_credentials", "last_crawl_at",
                    "last_success_at", "consecutive_failures"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    readonly_fields = ["has_credentials", "last_crawl_at", "last_success_at", "consecutive_failures", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled", "interval_minutes", "settings"]}),
        ("Credentials", {"fields": ["has_credentials", "credentials", "clear_credentials"]}),
        ("Status", {"fields": ["last_crawl_at", "last_success_at", "consecutive_failures", "created_at"]}),
    ]

    @admin.display(boolean=True, description="credentials set")
    def has_credentials(self, obj: Source) -> bool:
        return bool(obj.credentials)


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
    list_display = ["id", "source", "started_at", "finished_at", "status", "specs_seen", "deployments_new",
                    "deployments_changed", "deployments_unchanged", "deployments_ended", "deployments_stale",
                    "error_count"]
    list_filter = ["status", "source"]
    search_fields = ["source__name"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"

    @admin.display(description="errors")
    def error_count(self, obj: CrawlRun) -> int:
        return len(obj.errors)
