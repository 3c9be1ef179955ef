"""Deploy actions (request -> dry run -> approval -> execution -> verification) and the append-only audit trail.

Rows are written by ``footprint.actions.services`` only. A DeployAction keeps the identity of its workload
(source, cluster, namespace, kind, name) and its team as they were when it was requested, so that it still
reads right after the deployment has ended or been re-owned.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from footprint.actions.choices import ActionKind, ActionStatus, AuditVerb


class ActionPolicy(models.Model):
    """A named low-risk action that needs no approver: e.g. kind scale, to at most 0 replicas, in dev/staging.

    A request matching an enabled policy is approved by it at once (``auto_execute``: and executed)."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    environments = models.JSONField(default=list, blank=True,
                                    help_text='Environments it applies to, e.g. ["dev", "staging"]; empty: none.')
    max_replicas = models.PositiveIntegerField(null=True, blank=True,
                                               help_text="Scale only: the target may be at most this (0: to zero).")
    auto_execute = models.BooleanField(default=False, help_text="Execute as soon as it is requested.")
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "action policies"

    def __str__(self) -> str:
        return self.name

    def allows(self, *, kind: str, environment: str, params: dict) -> bool:
        if not self.enabled or kind != self.kind or environment not in (self.environments or []):
            return False
        if kind == ActionKind.SCALE and self.max_replicas is not None:
            # every count the scale sets (replicas, and an autoscaler's min/max) stays within the policy's bound
            counts = [params.get(name) for name in ("replicas", "min", "max") if params.get(name) is not None]
            return (isinstance(params.get("replicas"), int)
                    and all(isinstance(n, int) and n <= self.max_replicas for n in counts))
        return True


class DeployAction(models.Model):
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.REQUESTED)
    deployment = models.ForeignKey("inventory.Deployment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="actions")
    source = models.ForeignKey("inventory.Source", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="actions")
    team = models.ForeignKey("inventory.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="actions", help_text="The deployment's team when requested.")
    cluster_name = models.CharField(max_length=253, blank=True, default="")
    namespace = models.CharField(max_length=253, blank=True, default="")
    workload_kind = models.CharField(max_length=100)
    workload_name = models.CharField(max_length=253)
    environment = models.CharField(max_length=16, blank=True, default="")
    params = models.JSONField(default=dict, blank=True, help_text="replicas/min/max, version/image/container, "
                                                                 "accelerator.")
    reason = models.TextField()
    finding = models.ForeignKey("findings.Finding", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="actions")
    policy = models.ForeignKey(ActionPolicy, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="actions", help_text="The policy that approved it, if one did.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="actions_requested")
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="actions_approved")
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When approved or rejected.")
    decision_note = models.TextField(blank=True, default="")
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="actions_executed")
    executed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    preview = models.JSONField(default=dict, blank=True,
                               help_text="The exact requests execution will send (collectors.actuators Plan).")
    previewed_at = models.DateTimeField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True, help_text="The touched fields as read for the preview.")
    cost_before_monthly = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    cost_after_monthly = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    cost_effect_monthly = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                              help_text="USD per month; negative is a saving. Empty: not priced.")
    cost_basis = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True, help_text="What re-reading the objects showed.")
    error_kind = models.CharField(max_length=20, blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="actions_status_requested_idx"),
            models.Index(fields=["deployment", "-requested_at"], name="actions_deployment_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.target}"

    @property
    def target(self) -> str:
        return "/".join(p for p in (self.cluster_name, self.namespace, self.workload_kind, self.workload_name) if p)


# Links Django's deletion collector clears (SET_NULL) when a user or a deployment goes; the event keeps
# who and what in actor_name and target.
DETACHABLE = frozenset({"actor", "deployment"})


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if kwargs and set(kwargs) <= DETACHABLE and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise PermissionError("audit events are append-only: they cannot be updated")

    def delete(self):
        raise PermissionError("audit events are append-only: they cannot be deleted")


class AuditEvent(models.Model):
    """Append-only: who did what to which workload, when, with the state before and after.

    save() refuses to change a stored event, delete() refuses, and so do the queryset's update() and delete();
    the only change allowed is the deletion collector unlinking a deleted user or deployment (SET_NULL)."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="audit_events")
    actor_name = models.CharField(max_length=150, blank=True, default="",
                                  help_text="Username when it happened (kept if the user goes); empty: Footprint.")
    verb = models.CharField(max_length=20, choices=AuditVerb.choices)
    target = models.CharField(max_length=1000, help_text="cluster/namespace/Kind/name")
    deployment = models.ForeignKey("inventory.Deployment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="audit_events")
    action = models.ForeignKey(DeployAction, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="audit_events")
    note = models.TextField(blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["deployment", "-at"], name="actions_audit_deployment_idx"),
            models.Index(fields=["target", "-at"], name="actions_audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'footprint'} {self.verb} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            raise PermissionError("audit events are append-only: a stored event cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only: they cannot be deleted")
