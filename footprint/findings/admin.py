from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from footprint.findings import services
from footprint.findings.choices import FindingStatus
from footprint.findings.models import Finding, FindingEvent, IgnoreRule, RuleSetting
from footprint.findings.rules import RULES_BY_CODE


class FindingEventInline(admin.TabularInline):
    model = FindingEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("rule", "subject", "severity", "status", "impact_monthly", "team", "opened_at", "last_seen")
    list_filter = ("status", "severity", "rule", "team")
    search_fields = ("subject", "title")
    inlines = [FindingEventInline]
    actions = ["acknowledge"]
    readonly_fields = [f.name for f in Finding._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Acknowledge the selected findings")
    def acknowledge(self, request, queryset):
        done = 0
        for finding in queryset.filter(status=FindingStatus.OPEN):
            services.finding_acknowledge(finding=finding, user=request.user, now=timezone.now())
            done += 1
        messages.success(request, f"{done} acknowledged (resolved findings have nothing to acknowledge)")


class RuleSettingForm(forms.ModelForm):
    code = forms.ChoiceField(choices=[(code, f"{code} — {rule.title}") for code, rule in sorted(RULES_BY_CODE.items())])

    class Meta:
        model = RuleSetting
        fields = ("code", "enabled", "severity", "params")


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    form = RuleSettingForm
    list_display = ("code", "enabled", "severity", "params", "updated_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        defaults = "; ".join(f"{code}: {rule.params}" for code, rule in sorted(RULES_BY_CODE.items()) if rule.params)
        form.base_fields["params"].help_text = f"Overrides of the defaults — {defaults}"
        return form


@admin.register(IgnoreRule)
class IgnoreRuleAdmin(admin.ModelAdmin):
    """Differences a team accepts; what they match produces no finding from the next evaluation on."""

    list_display = ("rule", "model", "team", "cluster", "namespace", "environment", "fields", "reason", "created_by",
                    "expires_at", "active")
    list_filter = ("rule", "environment")
    search_fields = ("rule", "model", "team", "cluster", "namespace", "reason")
    readonly_fields = ("created_by", "created_at")
    fields = ("rule", "model", "team", "cluster", "namespace", "environment", "fields", "reason", "expires_at",
              "created_by", "created_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        fields = "; ".join(f"{code}: {', '.join(rule.ignorable_fields)}"
                           for code, rule in sorted(RULES_BY_CODE.items()) if rule.ignorable_fields)
        form.base_fields["rule"].help_text = (
            f"A rule code, a prefix (drift or drift.*) or *. Codes: {', '.join(sorted(RULES_BY_CODE))}")
        form.base_fields["fields"].help_text = f"Optional; only the differences named here are ignored — {fields}"
        return form

    @admin.display(boolean=True)
    def active(self, obj: IgnoreRule) -> bool:
        return obj.is_active(now=timezone.now())

    def save_model(self, request, obj, form, change):
        if not obj.created_by:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)
