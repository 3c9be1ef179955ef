from django.contrib import admin

from footprint.actions.models import ActionPolicy, AuditEvent, DeployAction


@admin.register(ActionPolicy)
class ActionPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "environments", "max_replicas", "auto_execute", "enabled"]
    list_filter = ["kind", "enabled"]


@admin.register(DeployAction)
class DeployActionAdmin(admin.ModelAdmin):
    """Read-only: actions change through their services (pages and API), which write the audit trail."""

    list_select_related = ["requested_by", "approved_by"]
    list_display = ["id", "kind", "status", "cluster_name", "namespace", "workload_name", "requested_by",
                    "approved_by", "requested_at"]
    list_filter = ["status", "kind"]
    search_fields = ["workload_name", "namespace", "cluster_name", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: shown, never added, changed or deleted here."""

    list_display = ["at", "actor_name", "verb", "target", "action", "note"]
    list_select_related = ["action"]   # nullable: Django's automatic select_related skips it
    list_filter = ["verb"]
    search_fields = ["target", "actor_name", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
