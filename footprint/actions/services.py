"""Deploy action services: request, preview, approve, reject, execute, confirm. Each step writes an AuditEvent.

Who may do what (``footprint.accounts.roles``), enforced here so the API and the pages cannot differ:
- request (and preview again): ``can_operate`` on the deployment's team (its operators, admins);
- approve / reject: the approver role, never on one's own request (``can_approve``);
- execute: an approved action, by whoever may request it or approve it.

Execution goes through ``collectors.actuators`` with the client the crawl of the deployment's source uses for
its cluster. A refused execution (403, 404, a conflict) is recorded on the action and in the audit trail and
changes nothing else; a successful one enqueues a crawl of the source, whose inventory confirms the change.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from collectors.actuators import (
    Actuator,
    ActuatorError,
    ActuatorErrorKind,
    ObjectRef,
    Plan,
    cluster_target,
    redacted,
)
from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import ErrorKind, ModelSpec
from collectors.usage import usage_split
from footprint.accounts.roles import Role, can_approve, can_operate, has_role
from footprint.actions.choices import ActionKind, ActionStatus, AuditVerb
from footprint.actions.models import ActionPolicy, AuditEvent, DeployAction
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import Deployment, Source
from footprint.inventory.sources import source_credentials

logger = logging.getLogger("footprint.actions")
CENTS = Decimal("0.01")


# --- audit -----------------------------------------------------------------------------------------


def audit_record(*, verb: str, actor=None, action: DeployAction | None = None, deployment: Deployment | None = None,
                 target: str = "", note: str = "", before: Any = None, after: Any = None) -> AuditEvent:
    """Append one event (the only way events are written)."""
    if action is not None:
        deployment = deployment if deployment is not None else action.deployment
        target = target or action.target
    return AuditEvent.objects.create(
        at=timezone.now(), actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        verb=verb, target=target, deployment=deployment, action=action, note=note,
        before=redacted(before), after=redacted(after))   # append-only: a secret written here would stay


def _refuse(*, user, action: DeployAction | None, deployment: Deployment | None, message: str) -> None:
    """Record the refusal (who tried what) and raise PermissionDenied with the reason."""
    target = action.target if action is not None else (_target_of(deployment) if deployment is not None else "")
    audit_record(verb=AuditVerb.REFUSED, actor=user, action=action, deployment=deployment, target=target,
                 note=message)
    raise PermissionDenied(message)


def _target_of(deployment: Deployment) -> str:
    return "/".join(p for p in (deployment.cluster_name, deployment.namespace, deployment.kind, deployment.name) if p)


# --- request ---------------------------------------------------------------------------------------


def action_params_clean(*, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters ``kind`` takes, validated; ValidationError naming the bad one."""
    params = dict(params or {})

    def whole(name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = params.get(name)
        if value in (None, ""):
            if required:
                raise ValidationError({"params": f"{kind} needs {name}"})
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError({"params": f"{name} must be a whole number, not {value!r}"}) from None
        if isinstance(value, bool) or str(number) != str(value).strip() or number < minimum:
            raise ValidationError({"params": f"{name} must be a whole number ≥ {minimum}, not {value!r}"})
        return number

    if kind == ActionKind.SCALE:
        out = {"replicas": whole("replicas", required=True)}
        for name in ("min", "max"):
            value = whole(name, minimum=0)
            if value is not None:
                out[name] = value
        return out
    if kind == ActionKind.DECOMMISSION:
        return {}
    if kind == ActionKind.ALIGN_VERSION:
        out = {k: str(params[k]).strip() for k in ("version", "image", "container") if params.get(k)}
        if not out.get("version") and not out.get("image"):
            raise ValidationError({"params": "align-version needs a version and/or an image"})
        return out
    if kind == ActionKind.MOVE_GPU:
        from collectors.actuators import GPU_LABEL_VALUES

        accelerator = str(params.get("accelerator") or "").strip()
        known = sorted({gpu for values in GPU_LABEL_VALUES.values() for gpu in values})
        if accelerator not in known:
            raise ValidationError({"params": f"accelerator must be one of {', '.join(known)}, not {accelerator!r}"})
        return {"accelerator": accelerator}
    raise ValidationError({"kind": f"unknown action kind {kind!r}; known: {', '.join(ActionKind.values)}"})


def action_from_finding(*, finding, deployment_id: int | None = None) -> tuple[str, Deployment, dict[str, Any]]:
    """(kind, deployment, params) that ``finding`` proposes; ``deployment_id`` picks one of several."""
    proposal = dict(finding.action or {})
    kind = proposal.get("kind")
    if not kind:
        raise ValidationError({"finding": "this finding proposes no deploy action"})
    if proposal.get("target") == "node":
        raise ValidationError({"finding": "this finding proposes acting on a node, which deploy actions do not do"})
    candidates = [proposal["deployment"]] if proposal.get("deployment") else list(proposal.get("deployments") or [])
    if not candidates and finding.deployment_id:
        candidates = [finding.deployment_id]
    if deployment_id is not None:
        if deployment_id not in candidates:
            raise ValidationError({"deployment": f"the finding proposes this action for deployments "
                                                 f"{', '.join(map(str, candidates)) or '(none)'}"})
        candidates = [deployment_id]
    if not candidates:
        raise ValidationError({"finding": "the finding names no deployment to act on"})
    deployment = Deployment.objects.select_related("source").filter(pk=candidates[0]).first()
    if deployment is None:
        raise ValidationError({"deployment": "the deployment the finding names is gone"})
    params = {k: v for k, v in proposal.items() if k in ("replicas", "min", "max", "version", "image", "accelerator")}
    if kind == ActionKind.SCALE and "max" in params and not params.get("min"):
        params.pop("min", None)
    return kind, deployment, params


def action_request(*, user, kind: str, deployment: Deployment, params: Mapping[str, Any], reason: str,
                   finding=None) -> DeployAction:
    """Request ``kind`` on ``deployment``: checked, recorded, previewed, and approved at once when a policy
    allows it (executed too, with ``auto_execute``)."""
    if not can_operate(user, deployment.team_id):
        _refuse(user=user, action=None, deployment=deployment,
                message=f"{user.get_username()} may not request actions on {_target_of(deployment)}: "
                        f"only operators of its team ({deployment.team or 'no team'}) or admins may")
    with transaction.atomic():
        action = _request(user=user, kind=kind, deployment=deployment, params=params, reason=reason, finding=finding)
    _preview(action=action, user=user)   # reads the cluster outside any transaction
    if not action.preview:
        return action
    policy = next((p for p in ActionPolicy.objects.filter(enabled=True, kind=kind)
                   if p.allows(kind=kind, environment=deployment.environment, params=action.params)), None)
    if policy is None:
        return action
    with transaction.atomic():
        action.status, action.policy, action.decided_at = ActionStatus.APPROVED, policy, timezone.now()
        action.save(update_fields=["status", "policy", "decided_at"])
        audit_record(verb=AuditVerb.AUTO_APPROVED, action=action,
                     note=f"policy {policy.name}: {policy.note or 'low-risk action'}")
    if policy.auto_execute:
        return action_execute(action=action, user=user)
    return action


def _request(*, user, kind: str, deployment: Deployment, params: Mapping[str, Any], reason: str,
             finding) -> DeployAction:
    if not (reason or "").strip():
        raise ValidationError({"reason": "say why (the approver reads it)"})
    if deployment.ended_at is not None:
        raise ValidationError({"deployment": "this deployment has ended; there is nothing to act on"})
    if deployment.source.kind == SourceKind.FILE:
        raise ValidationError({"deployment": "this deployment comes from a file source: Footprint has no "
                                             "cluster access to act on it"})
    if deployment.kind == "SageMakerEndpoint":
        raise ValidationError({"deployment": "SageMaker endpoints cannot be acted on yet"})
    params = action_params_clean(kind=kind, params=params)
    action = DeployAction.objects.create(
        kind=kind, deployment=deployment, source=deployment.source, team_id=deployment.team_id,
        cluster_name=deployment.cluster_name, namespace=deployment.namespace, workload_kind=deployment.kind,
        workload_name=deployment.name, environment=deployment.environment, params=params, reason=reason.strip(),
        finding=finding, requested_by=user, requested_at=timezone.now())
    audit_record(verb=AuditVerb.REQUESTED, actor=user, action=action, note=reason.strip(),
                 after={"kind": kind, "params": params, "finding": finding.pk if finding is not None else None})
    action_estimate(action=action)
    return action


# --- preview -----------------------------------------------------------------------------------------


@contextmanager
def _actuator(action: DeployAction):
    """An Actuator for the action's cluster, reached as the crawl of its source reaches it."""
    source = action.source or Source.objects.filter(pk=getattr(action.deployment, "source_id", None)).first()
    if source is None:
        raise ActuatorError(ActuatorErrorKind.NOT_FOUND, "the deployment's source is gone")
    try:
        described = provider(source.kind)
        # as the crawl does: the usage step's keys (Prometheus endpoints and their secrets) are not the provider's
        settings, credentials = usage_split(source.settings, source_credentials(source=source))
        collector = described.collector(name=source.name, settings=settings, credentials=credentials)
        timeout = float((settings or {}).get("timeoutSeconds", 30))
        with tempfile.TemporaryDirectory(prefix="footprint-action-") as workdir:
            target = cluster_target(collector, cluster=action.cluster_name, workdir=workdir)
            yield Actuator.for_target(target, timeout=(min(timeout, 10.0), timeout)), target
    except CollectorError as error:
        kind = ActuatorErrorKind.INVALID if error.kind == ErrorKind.INVALID_INPUT else ActuatorErrorKind.UNKNOWN
        raise ActuatorError(kind, f"cannot reach cluster {action.cluster_name}: {error.message}") from None


def _ref(action: DeployAction) -> ObjectRef:
    return ObjectRef(action.workload_kind, action.namespace, action.workload_name)


def _preview(*, action: DeployAction, user) -> Plan | None:
    try:
        with _actuator(action) as (actuator, target):
            plan = actuator.preview(action=action.kind, ref=_ref(action), params=action.params, cloud=target.cloud)
    except ActuatorError as error:
        action.preview, action.before, action.previewed_at = {}, {}, timezone.now()
        action.error_kind, action.error = error.kind, error.message
        action.save(update_fields=["preview", "before", "previewed_at", "error_kind", "error"])
        audit_record(verb=AuditVerb.PREVIEW_FAILED, actor=user, action=action, note=error.message)
        return None
    action.preview, action.before, action.previewed_at = plan.to_dict(), plan.before, timezone.now()
    action.error_kind, action.error = "", ""
    action.save(update_fields=["preview", "before", "previewed_at", "error_kind", "error"])
    audit_record(verb=AuditVerb.PREVIEWED, actor=user, action=action, note=plan.summary,
                 before=plan.before, after=plan.after)
    return plan


def action_preview(*, action: DeployAction, user) -> DeployAction:
    """Read the workload again and make a fresh dry run. An approved action whose requests changed by more
    than the resourceVersion goes back to requested: the approver approved other requests."""
    if not (can_operate(user, action.team_id) or has_role(user, Role.APPROVER)):
        _refuse(user=user, action=action, deployment=action.deployment,
                message="only operators of the team and approvers may preview this action")
    with transaction.atomic():
        return _preview_again(action=DeployAction.objects.select_for_update().get(pk=action.pk), user=user)


def _preview_again(*, action: DeployAction, user) -> DeployAction:
    if action.status not in (ActionStatus.REQUESTED, ActionStatus.APPROVED, ActionStatus.FAILED):
        raise ValidationError({"status": f"a {action.status} action cannot be previewed again"})
    old = _without_versions(action.preview)
    plan = _preview(action=action, user=user)
    if action.status == ActionStatus.FAILED and plan is not None:
        action.status = ActionStatus.APPROVED if action.approved_by_id or action.policy_id else ActionStatus.REQUESTED
        action.save(update_fields=["status"])
    if action.status == ActionStatus.APPROVED and (plan is None or _without_versions(action.preview) != old):
        action.status, action.approved_by, action.policy, action.decided_at = ActionStatus.REQUESTED, None, None, None
        action.save(update_fields=["status", "approved_by", "policy", "decided_at"])
        audit_record(verb=AuditVerb.APPROVAL_RESET, actor=user, action=action,
                     note="the requests changed since the approval: approve again")
    return action


def _without_versions(preview: Mapping[str, Any]) -> Any:
    steps = []
    for step in (preview or {}).get("steps") or []:
        body = dict(step.get("body") or {})
        meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "resourceVersion"}
        body = {**body, "metadata": meta} if meta else {k: v for k, v in body.items() if k != "metadata"}
        body.pop("preconditions", None)
        steps.append({**step, "resourceVersion": None, "body": body})
    return steps


def action_estimate(*, action: DeployAction) -> DeployAction:
    """The monthly $ before and after the action, priced like the inventory (footprint.costs)."""
    from footprint.costs.catalog import PriceCatalog
    from footprint.costs.pricing import deployment_price
    from footprint.costs.selectors import node_hints_current

    deployment = action.deployment
    if deployment is None or not deployment.spec:
        return action
    catalog = PriceCatalog.load()
    spec = ModelSpec.from_dict(deployment.spec)
    hint = node_hints_current().get((deployment.cluster_id, deployment.accelerator_type)) \
        if deployment.cluster_id else None
    before = deployment_price(spec=spec, node_hint=hint, catalog=catalog, source=deployment.source_id)
    params = action.params
    after_hint = hint
    if action.kind == ActionKind.SCALE:
        after_spec = replace(spec, replicas=replace(spec.replicas, desired=params["replicas"]))
    elif action.kind == ActionKind.DECOMMISSION:
        after_spec = replace(spec, replicas=replace(spec.replicas, desired=0))
    elif action.kind == ActionKind.MOVE_GPU:
        after_spec = replace(spec, accelerator=replace(spec.accelerator, type=params["accelerator"], source=None))
        after_hint = None
    else:
        after_spec = spec
    after = deployment_price(spec=after_spec, node_hint=after_hint, catalog=catalog, source=deployment.source_id)
    if action.kind == ActionKind.DECOMMISSION and not after.is_unknown:
        after_basis = "deleted"
    else:
        after_basis = str(after)
    action.cost_before_monthly = before.monthly.quantize(CENTS) if before.monthly is not None else None
    action.cost_after_monthly = after.monthly.quantize(CENTS) if after.monthly is not None else None
    if action.cost_before_monthly is not None and action.cost_after_monthly is not None:
        action.cost_effect_monthly = action.cost_after_monthly - action.cost_before_monthly
    else:
        action.cost_effect_monthly = None
    action.cost_basis = f"now: {before}; after: {after_basis}"
    action.save(update_fields=["cost_before_monthly", "cost_after_monthly", "cost_effect_monthly", "cost_basis"])
    return action


# --- decide ------------------------------------------------------------------------------------------


def action_approve(*, action: DeployAction, user, note: str = "") -> DeployAction:
    """Approve a requested action (approver role; never one's own request)."""
    if not has_role(user, Role.APPROVER):
        _refuse(user=user, action=action, deployment=action.deployment,
                message=f"{user.get_username()} may not approve: this needs the approver role")
    if not can_approve(user, action.requested_by_id):
        _refuse(user=user, action=action, deployment=action.deployment,
                message="self-approval refused: a different approver must approve this request")
    with transaction.atomic():
        return _approve(action=DeployAction.objects.select_for_update().get(pk=action.pk), user=user, note=note)


def _approve(*, action: DeployAction, user, note: str) -> DeployAction:
    if action.status != ActionStatus.REQUESTED:
        raise ValidationError({"status": f"only a requested action can be approved; this one is {action.status}"})
    if not action.preview:
        raise ValidationError({"preview": "there is no working preview to approve; preview again first"})
    action.status, action.approved_by, action.decided_at = ActionStatus.APPROVED, user, timezone.now()
    action.decision_note = note.strip()
    action.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    audit_record(verb=AuditVerb.APPROVED, actor=user, action=action, note=note.strip(),
                 after={"preview": action.preview.get("steps")})
    return action


def action_reject(*, action: DeployAction, user, note: str = "") -> DeployAction:
    """Reject a requested or approved (not yet executed) action (approver role)."""
    if not has_role(user, Role.APPROVER):
        _refuse(user=user, action=action, deployment=action.deployment,
                message=f"{user.get_username()} may not reject: this needs the approver role")
    with transaction.atomic():
        return _reject(action=DeployAction.objects.select_for_update().get(pk=action.pk), user=user, note=note)


def _reject(*, action: DeployAction, user, note: str) -> DeployAction:
    if action.status not in (ActionStatus.REQUESTED, ActionStatus.APPROVED):
        raise ValidationError({"status": f"a {action.status} action cannot be rejected"})
    action.status, action.approved_by, action.decided_at = ActionStatus.REJECTED, None, timezone.now()
    action.decision_note = note.strip()
    action.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    audit_record(verb=AuditVerb.REJECTED, actor=user, action=action, note=note.strip())
    return action


# --- execute -----------------------------------------------------------------------------------------


def action_execute(*, action: DeployAction, user) -> DeployAction:
    """Apply the approved preview to the cluster, re-read to verify, record the outcome, enqueue a crawl.

    Call outside a transaction: the cluster is not rolled back with the database, so the claim (approved →
    executing) and the outcome are committed on their own."""
    if not (can_operate(user, action.team_id) or can_approve(user, None) or action.requested_by_id == user.pk):
        _refuse(user=user, action=action, deployment=action.deployment,
                message=f"{user.get_username()} may not execute this action: operators of its team, "
                        "its requester and approvers may")
    claimed = DeployAction.objects.filter(pk=action.pk, status=ActionStatus.APPROVED).update(
        status=ActionStatus.EXECUTING, executed_by=user, executed_at=timezone.now())
    action.refresh_from_db()
    if not claimed:
        raise ValidationError({"status": f"only an approved action can be executed; this one is {action.status}"})
    try:
        plan = Plan.from_dict(action.preview)
        with _actuator(action) as (actuator, _target):
            outcome = actuator.execute(plan)
    except Exception as exc:  # noqa: BLE001 - whatever happens, the claimed action must not stay "executing"
        if isinstance(exc, ActuatorError):
            kind, message = exc.kind, exc.message
        else:
            logger.exception("action.execute_raised action=%s", action.pk)
            kind, message = "unknown", f"{type(exc).__name__}: {exc}"
        action.status, action.error_kind, action.error = ActionStatus.FAILED, kind, message
        action.finished_at = timezone.now()
        action.save(update_fields=["status", "error_kind", "error", "finished_at"])
        audit_record(verb=AuditVerb.EXECUTION_FAILED, actor=user, action=action,
                     note=f"{kind}: {message}", before=action.before, after=None)
        logger.warning("action.failed action=%s kind=%s error_kind=%s", action.pk, action.kind, kind)
        return action
    action.result = outcome.to_dict()
    action.finished_at = timezone.now()
    if outcome.verified:
        action.status, action.error_kind, action.error = ActionStatus.SUCCEEDED, "", ""
    else:
        action.status, action.error_kind = ActionStatus.FAILED, "unverified"
        action.error = "the cluster accepted the change, but re-reading shows " + "; ".join(
            f"{s.step.target}: {s.mismatches}" for s in outcome.steps if not s.verified)
    action.save(update_fields=["result", "finished_at", "status", "error_kind", "error"])
    audit_record(verb=AuditVerb.EXECUTED, actor=user, action=action, note=plan.summary,
                 before=plan.before, after={"verified": outcome.verified,
                                            "objects": [s.after for s in outcome.steps]})
    logger.info("action.executed action=%s kind=%s verified=%s", action.pk, action.kind, outcome.verified)
    if action.source_id is not None:
        from footprint.actions.tasks import action_recrawl

        action_id = action.pk
        transaction.on_commit(lambda: action_recrawl.delay(action_id))
    return action


def action_confirm(*, action: DeployAction, run) -> bool:
    """After ``run`` (a crawl of the action's source): does the inventory show the change? Marks the action
    verified when it does."""
    if action.status != ActionStatus.SUCCEEDED or action.deployment_id is None:
        return False
    if run.status == "failed" or (action.finished_at and run.started_at < action.finished_at):
        return False   # the crawl may have read the cluster before the change
    deployment = Deployment.objects.get(pk=action.deployment_id)
    params = action.params
    seen = {
        ActionKind.SCALE: lambda d: d.ended_at is None and d.replicas_desired == params.get("replicas"),
        ActionKind.DECOMMISSION: lambda d: d.ended_at is not None,
        ActionKind.MOVE_GPU: lambda d: d.ended_at is None and d.accelerator_type == params.get("accelerator"),
        ActionKind.ALIGN_VERSION: lambda d: d.ended_at is None
        and (not params.get("version") or d.model_version == params["version"])
        and (not params.get("image") or d.image == params["image"]),
    }[action.kind](deployment)
    if not seen:
        return False
    with transaction.atomic():
        if not DeployAction.objects.filter(pk=action.pk, status=ActionStatus.SUCCEEDED).update(
                status=ActionStatus.VERIFIED):
            return False
        action.status = ActionStatus.VERIFIED
        audit_record(verb=AuditVerb.VERIFIED, action=action, deployment=deployment,
                     note="the crawl after the change sees it",
                     after={"replicas": deployment.replicas_desired, "accelerator": deployment.accelerator_type,
                            "modelVersion": deployment.model_version, "image": deployment.image,
                            "ended": deployment.ended_at is not None})
    return True
