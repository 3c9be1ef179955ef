"""Admin: a user's roles are its groups (viewer, finance, operator, approver, admin) and its teams are
memberships, both on the user's page; API tokens are listed and revoked here, created only by their user
(``/account/tokens/``) or ``manage.py token-create`` since the secret is shown once. The hash is never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from footprint.accounts.models import ApiToken, Membership
from footprint.accounts.tokens import token_revoke

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("team", "created_at")
    readonly_fields = ("created_at",)
    verbose_name = "team membership"


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    can_delete = False
    fields = ("name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class FootprintUserAdmin(UserAdmin):
    """Django's user admin plus team memberships and tokens; roles are the user's groups."""

    inlines = [MembershipInline, ApiTokenInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "created_at")
    list_filter = ("team",)
    search_fields = ("user__username", "team__slug", "team__name")
    list_select_related = ("user", "team")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # the secret is shown once to its user: created at /account/tokens/ or token-create

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token_revoke(token=token)
        self.message_user(request, f"{len(tokens)} token(s) revoked.", messages.SUCCESS)
