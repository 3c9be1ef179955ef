"""DRF permission classes of the roles (``footprint.accounts.roles``), shared by the API, the deploy
actions' API and, through the same role functions, the pages.

- ``SignedIn``: any authenticated user (viewer is the floor) — every read.
- ``role_required(*roles, read=False)``: the user holds one of ``roles`` (admin holds every role); with
  ``read=True`` safe methods (GET/HEAD/OPTIONS) stay open to every signed-in user and only writes need it.
- ``FinanceWrite`` / ``FinanceOnly`` / ``AdminWrite`` / ``OperatorOnly`` / ``ApproverOnly``: the usual ones.
- ``CanOperateObject``: writes on an object owned by a team need ``can_operate(user, team_id)``; the object's
  team id is ``view.get_object_team_id(obj)`` when the view defines it, else ``obj.team_id``.
- ``CanApproveObject``: ``can_approve(user, obj.requested_by_id)`` (never one's own request).

A refusal is a 403 in the API's error shape (``permission_denied``) with a message naming what is needed.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from footprint.accounts.roles import Role, can_approve, can_operate, has_role


class SignedIn(BasePermission):
    """Any signed-in user (the viewer floor)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


class RoleRequired(SignedIn):
    """Subclass with ``roles`` (any of them suffices) and ``read`` (safe methods open to all signed-in)."""

    roles: tuple[str, ...] = (Role.ADMIN,)
    read: bool = False

    @property
    def message(self) -> str:
        names = " or ".join(dict.fromkeys([*self.roles, Role.ADMIN]))
        return f"This needs the {names} role."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if self.read and request.method in SAFE_METHODS:
            return True
        return any(has_role(request.user, role) for role in self.roles)


def role_required(*roles: str, read: bool = False) -> type[RoleRequired]:
    """A permission class: one of ``roles`` (or admin); with ``read=True`` only for unsafe methods."""
    name = "".join(r.title() for r in roles) + ("Write" if read else "Only")
    return type(name, (RoleRequired,), {"roles": tuple(roles), "read": read})


FinanceOnly = role_required(Role.FINANCE)
FinanceWrite = role_required(Role.FINANCE, read=True)
OperatorOnly = role_required(Role.OPERATOR)
ApproverOnly = role_required(Role.APPROVER)
AdminOnly = role_required(Role.ADMIN)
AdminWrite = role_required(Role.ADMIN, read=True)


def object_team_id(view, obj) -> int | None:
    getter = getattr(view, "get_object_team_id", None)
    return getter(obj) if getter is not None else getattr(obj, "team_id", None)


class CanOperateObject(SignedIn):
    """Writes on an object need ``can_operate`` on its team (operators of that team, admins); reads are open.

    Combine with ``OperatorOnly`` to refuse non-operators before the object is even looked up.
    """

    message = "Only an operator of the owning team (or an admin) may do this."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_operate(request.user, object_team_id(view, obj))


class CanApproveObject(SignedIn):
    """Approving needs the approver role and a request made by someone else."""

    message = "Only an approver other than the requester (or an admin other than the requester) may approve."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and has_role(request.user, Role.APPROVER)

    def has_object_permission(self, request, view, obj) -> bool:
        return can_approve(request.user, getattr(obj, "requested_by_id", None))
