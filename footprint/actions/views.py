"""Pages of deploy actions: list, detail (preview, $ effect, audit trail, the buttons the user's roles allow),
request form (from a finding or for a deployment) and the audit log. Thin: every write is one service call,
which holds the role checks."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from collectors.actuators import redacted
from footprint.accounts.roles import Role, can_approve, can_operate, has_role
from footprint.actions import services
from footprint.actions.choices import ActionKind, ActionStatus
from footprint.actions.filters import AuditEventFilterSet, DeployActionFilterSet
from footprint.actions.models import AuditEvent, DeployAction
from footprint.findings.models import Finding
from footprint.inventory.models import Deployment

PAGE_SIZE = 50


@login_required
def action_list(request):
    rows = DeployAction.objects.select_related("team", "requested_by", "approved_by").order_by("-requested_at", "-id")
    filters = DeployActionFilterSet(request.GET, queryset=rows)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "actions/list.html", {"filters": filters, "page": page, "actions": page.object_list,
                                                 "statuses": ActionStatus.choices, "kinds": ActionKind.choices})


@login_required
def action_detail(request, pk: int):
    action = get_object_or_404(DeployAction.objects.select_related(
        "team", "source", "policy", "finding", "requested_by", "approved_by", "executed_by", "deployment"), pk=pk)
    user = request.user
    context = {
        "action": action,
        "events": action.audit_events.order_by("at", "id"),
        "preview_json": json.dumps(redacted(action.preview.get("steps", [])), indent=2) if action.preview else "",
        "before_json": json.dumps(redacted(action.before), indent=2) if action.before else "",
        "result_json": json.dumps(redacted(action.result), indent=2) if action.result else "",
        "can_decide": action.status in (ActionStatus.REQUESTED, ActionStatus.APPROVED) and has_role(user, Role.APPROVER),
        "can_approve": action.status == ActionStatus.REQUESTED and bool(action.preview)
        and can_approve(user, action.requested_by_id),
        "self_request": action.requested_by_id == user.pk,
        "can_execute": action.status == ActionStatus.APPROVED
        and (can_operate(user, action.team_id) or has_role(user, Role.APPROVER) or action.requested_by_id == user.pk),
        "can_preview": action.status in (ActionStatus.REQUESTED, ActionStatus.APPROVED, ActionStatus.FAILED)
        and (can_operate(user, action.team_id) or has_role(user, Role.APPROVER)),
    }
    return render(request, "actions/detail.html", context)


COMMANDS = {
    "approve": lambda action, user, note: services.action_approve(action=action, user=user, note=note),
    "reject": lambda action, user, note: services.action_reject(action=action, user=user, note=note),
    "execute": lambda action, user, note: services.action_execute(action=action, user=user),
    "preview": lambda action, user, note: services.action_preview(action=action, user=user),
}


@login_required
@require_POST
def action_command(request, pk: int, command: str):
    run = COMMANDS.get(command)
    if run is None:
        raise Http404("no such command")
    action = get_object_or_404(DeployAction, pk=pk)
    try:
        action = run(action, request.user, request.POST.get("note", ""))
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
    else:
        if action.status == ActionStatus.FAILED:
            messages.error(request, f"{command}: {action.error}")
        else:
            messages.success(request, f"{command}: the action is now {action.get_status_display().lower()}")
    return redirect("actions:detail", pk=pk)


class ActionRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices)
    replicas = forms.IntegerField(required=False, min_value=0, help_text="scale")
    max = forms.IntegerField(required=False, min_value=0, help_text="scale: autoscaling max (optional)")
    version = forms.CharField(required=False, help_text="align-version: model revision")
    image = forms.CharField(required=False, help_text="align-version: container image")
    accelerator = forms.CharField(required=False, help_text="move-gpu: e.g. L4")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def params(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("replicas", "max", "version", "image", "accelerator")
                if data.get(k) not in (None, "")}


@login_required
def action_new(request):
    finding = None
    deployment_id = request.GET.get("deployment") or request.POST.get("deployment")
    initial: dict = {}
    try:
        if request.GET.get("finding"):
            finding = get_object_or_404(Finding, pk=int(request.GET["finding"]))
            kind, deployment, params = services.action_from_finding(
                finding=finding, deployment_id=int(deployment_id) if deployment_id else None)
            initial = {"kind": kind, **params, "reason": f"{finding.title} (finding #{finding.pk})"}
        elif deployment_id:
            deployment = get_object_or_404(Deployment.objects.select_related("team", "source"), pk=int(deployment_id))
        else:
            raise Http404("give ?finding=<id> or ?deployment=<id>")
    except ValueError:
        raise Http404("ids are numbers") from None
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
        return redirect("actions:list")
    form = ActionRequestForm(request.POST or None, initial=initial)
    allowed = can_operate(request.user, deployment.team_id)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_request(user=request.user, kind=form.cleaned_data["kind"], deployment=deployment,
                                             params=form.params(), reason=form.cleaned_data["reason"], finding=finding)
        except PermissionDenied as refused:
            messages.error(request, str(refused))
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"action #{action.pk} requested ({action.get_status_display().lower()})")
            return redirect("actions:detail", pk=action.pk)
    return render(request, "actions/new.html", {"form": form, "finding": finding, "deployment": deployment,
                                                "allowed": allowed})


@login_required
def audit_list(request):
    rows = AuditEvent.objects.select_related("action").order_by("-at", "-id")
    filters = AuditEventFilterSet(request.GET, queryset=rows)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "actions/audit.html", {"filters": filters, "page": page, "events": page.object_list})
