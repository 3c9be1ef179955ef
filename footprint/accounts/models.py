"""Who may do what: a user's roles are Django groups named after ``Role`` values; a Membership ties a user
to the teams whose deployments they may act on (operator scope). API tokens live here too."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Membership(models.Model):
    """A user belongs to a team: an operator may request actions and manage findings for its deployments."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey("inventory.Team", on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_user_team_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiToken(models.Model):
    """A personal API token. The secret is shown once, at creation; only its sha256 is stored, so a stolen
    database does not hand out working tokens. ``prefix`` (the secret's first characters) tells tokens apart
    in lists. A token acts as its user, with the user's roles and teams."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ci-export'.")
    prefix = models.CharField(max_length=16, help_text="First characters of the secret, for display.")
    key_hash = models.CharField(max_length=64, help_text="sha256 (hex) of the secret; the secret is never stored.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="Updated at most once a minute.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key_hash"], name="accounts_apitoken_unique_hash")]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def is_expired(self, *, now=None) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired()
