"""Roles, enforced the same way by pages and API.

- viewer: read everything.
- finance: viewer + cost reports and exports + price overrides.
- operator: viewer + manage findings (acknowledge/snooze/accept) and request deploy actions, for the
  deployments of the teams the user is a member of (``Membership``).
- approver: viewer + approve or reject deploy actions (never their own request).
- admin: everything, on every team (a Django superuser is an admin).

A user's roles are the Django groups named after the roles (created by a migration). Roles do not imply one
another except admin, which implies all. Any signed-in user may read (viewer is the floor for staff
accounts created without a group).
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    FINANCE = "finance", "Finance"
    OPERATOR = "operator", "Operator"
    APPROVER = "approver", "Approver"
    ADMIN = "admin", "Admin"


def user_roles(user) -> frozenset[str]:
    """The roles of a user (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_footprint_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if user.is_superuser:
        names.add(Role.ADMIN)
    names.add(Role.VIEWER)
    if Role.ADMIN in names:
        names.update(Role.values)
    roles = frozenset(names)
    user._footprint_roles = roles
    return roles


def has_role(user, role: str) -> bool:
    return role in user_roles(user)


def user_team_ids(user) -> frozenset[int] | None:
    """Team ids the user may act on; None means every team (admin)."""
    if has_role(user, Role.ADMIN):
        return None
    cached = getattr(user, "_footprint_team_ids", None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("team_id", flat=True))
        user._footprint_team_ids = cached
    return cached


def can_operate(user, team_id: int | None) -> bool:
    """May this user manage findings / request actions on something owned by ``team_id``?

    Admins may act on anything, including unowned deployments; an operator only on their teams' ones.
    """
    if has_role(user, Role.ADMIN):
        return True
    if not has_role(user, Role.OPERATOR) or team_id is None:
        return False
    return team_id in (user_team_ids(user) or frozenset())


def can_approve(user, requested_by_id: int | None) -> bool:
    """Approvers (and admins) approve; nobody approves their own request."""
    return has_role(user, Role.APPROVER) and user.pk != requested_by_id


def can_manage_prices(user) -> bool:
    """Create, change or delete price overrides; export cost reports (finance, admin)."""
    return has_role(user, Role.FINANCE)


def can_crawl(user) -> bool:
    """Start a crawl now ("crawl now" on a source): operators and admins (a source spans teams)."""
    return has_role(user, Role.OPERATOR)


def can_manage_sources(user) -> bool:
    """Create and change sources (they hold cloud credentials): admins only."""
    return has_role(user, Role.ADMIN)
