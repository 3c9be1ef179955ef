"""Admin: alert routes are edited here (through the route services); the delivery log is read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from footprint.alerts.choices import DeliveryStatus
from footprint.alerts.models import AlertAttempt, AlertDelivery, AlertRoute
from footprint.alerts.services import alert_route_delete, alert_route_save, alert_route_test

_STATUS_COLOURS = {DeliveryStatus.SENT: "#2e7d32", DeliveryStatus.FAILED: "#c62828",
                   DeliveryStatus.RETRYING: "#b26a00", DeliveryStatus.PENDING: "#1565c0"}


class AlertRouteForm(forms.ModelForm):
    """The webhook URL is write-only: never sent back to the browser; blank keeps the stored one."""

    webhook_url = forms.CharField(
        required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text="Slack incoming webhook URL (https://hooks.slack.com/services/...). Stored encrypted and never "
                  "shown. Leave blank to keep the stored URL.")

    class Meta:
        model = AlertRoute
        fields = ["name", "enabled", "team", "min_severity", "rule_prefix", "mode", "digest_hour", "webhook_url"]

    def clean_webhook_url(self) -> str:
        value = self.cleaned_data.get("webhook_url", "")
        if not value and not (self.instance.pk and self.instance.webhook_url):
            raise forms.ValidationError("a webhook URL is required")
        return value or self.instance.webhook_url   # blank: keep the stored URL


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    form = AlertRouteForm
    list_select_related = ("team",)
    list_display = ("name", "enabled", "team", "min_severity", "rule_prefix", "mode", "digest_hour",
                    "last_digest_at")
    list_filter = ("enabled", "mode", "min_severity")
    search_fields = ("name", "rule_prefix")
    actions = ["send_test"]

    def save_model(self, request, obj, form, change):
        alert_route_save(route=obj)

    def delete_model(self, request, obj):
        alert_route_delete(route=obj)

    def delete_queryset(self, request, queryset):
        for route in queryset:
            alert_route_delete(route=route)

    @admin.action(description="Send a test message")
    def send_test(self, request, queryset):
        for route in queryset:
            delivery = alert_route_test(route=route)
            if delivery.status == DeliveryStatus.SENT:
                messages.success(request, f"{route.name}: test message sent")
            else:
                messages.error(request, f"{route.name}: {delivery.status}: {delivery.error}")


class AlertAttemptInline(admin.TabularInline):
    model = AlertAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "outcome", "http_status", "response_body", "error", "retry_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_select_related = ("route", "finding")
    list_display = ("created_at", "route", "kind", "event_kind", "severity", "finding", "status_badge",
                    "attempts", "http_status", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind", "event_kind", "route")
    search_fields = ("finding__title", "finding__rule", "error", "response_body")
    list_select_related = ("route", "finding")
    inlines = [AlertAttemptInline]
    readonly_fields = [f.name for f in AlertDelivery._meta.fields]

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return format_html('<b style="color:{}">{}</b>', _STATUS_COLOURS.get(obj.status, "inherit"), obj.status)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
