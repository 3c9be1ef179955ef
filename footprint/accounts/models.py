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
