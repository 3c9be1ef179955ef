"""Deploy actions end to end against the fleet simulator, through the real `kubernetes` client: a finding
proposes a scale, the preview shows the patch and the $ effect, self-approval is refused, an approver
approves, execution changes the cluster object, the re-crawl sees it and the finding resolves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from footprint.actions.models import AuditEvent, DeployAction
from footprint.actions.services import (
    action_approve,
    action_execute,
    action_from_finding,
    action_reject,
    action_request,
)
from footprint.findings.models import Finding
from tests.footprint.actions.conftest import SECRET, apps_api, deployment

pytestmark = pytest.mark.django_db(transaction=False)


def staging_finding() -> Finding:
    return Finding.objects.get(rule="waste.nonprod_like_prod", deployment=deployment("search-staging"),
                               status="open")


def test_a_finding_becomes_a_scale_that_changes_the_cluster_and_resolves_the_finding(
        fleet, source, users, django_capture_on_commit_callbacks):
    sim, path = fleet
    finding = staging_finding()
    kind, target, params = action_from_finding(finding=finding)
    assert (kind, target, params) == ("scale", deployment("search-staging"), {"replicas": 1})

    action = action_request(user=users["lead"], kind=kind, deployment=target, params=params,
                            reason="staging does not need three GPUs", finding=finding)

    assert action.status == "requested" and action.error == ""
    [step] = action.preview["steps"]
    assert step["verb"] == "PATCH"
    assert step["path"] == "/apis/apps/v1/namespaces/search-staging/deployments/chat/scale"
    assert step["body"] == {"metadata": {"resourceVersion": step["resourceVersion"]}, "spec": {"replicas": 1}}
    assert action.before["spec.replicas"] == 3
    assert action.cost_before_monthly > 0
    assert action.cost_effect_monthly == -(action.cost_before_monthly * 2 / 3).quantize(action.cost_effect_monthly)

    with pytest.raises(PermissionDenied, match="self-approval refused"):
        action_approve(action=action, user=users["lead"])
    with pytest.raises(PermissionDenied, match="approver role"):
        action_approve(action=action, user=users["operator"])
    action = action_approve(action=action, user=users["approver"], note="fine")
    assert action.status == "approved" and action.approved_by == users["approver"]

    with django_capture_on_commit_callbacks(execute=True):
        action = action_execute(action=action, user=users["lead"])
    assert action.status == "succeeded", action.error
    assert action.result["verified"] is True

    live = apps_api(sim, path).read_namespaced_deployment("chat", "search-staging")
    assert live.spec.replicas == 1
    action.refresh_from_db()
    assert action.status == "verified"
    assert deployment("search-staging").replicas_desired == 1
    finding.refresh_from_db()
    assert finding.status == "resolved"

    # Who approved this deployment change? One query on the audit trail.
    approved = AuditEvent.objects.get(deployment=deployment("search-staging"), verb="approved")
    assert (approved.actor_name, approved.action_id) == ("arno", action.pk)
    verbs = list(AuditEvent.objects.filter(action=action).order_by("at", "id").values_list("verb", flat=True))
    assert verbs == ["requested", "previewed", "refused", "refused", "approved", "executed", "verified"]
    executed = AuditEvent.objects.get(action=action, verb="executed")
    assert executed.before["spec.replicas"] == 3
    assert executed.after["objects"][0]["/spec/replicas"] == 1


def test_an_operator_cannot_request_on_another_teams_deployment(source, users):
    with pytest.raises(PermissionDenied, match="only operators of its team"):
        action_request(user=users["ads_operator"], kind="scale", deployment=deployment("search-staging"),
                       params={"replicas": 1}, reason="mine now")
    with pytest.raises(PermissionDenied):
        action_request(user=users["viewer"], kind="scale", deployment=deployment("search-staging"),
                       params={"replicas": 1}, reason="just looking")
    assert not DeployAction.objects.exists()
    refused = AuditEvent.objects.filter(verb="refused").values_list("actor_name", flat=True)
    assert sorted(refused) == ["adam", "vic"]


def test_a_rejected_action_cannot_be_executed(source, users):
    action = action_request(user=users["operator"], kind="decommission", deployment=deployment("search-dev", "chat-dev"),
                            params={}, reason="unused")
    action = action_reject(action=action, user=users["approver"], note="still used by the demo")
    assert action.status == "rejected"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="only an approved action"):
        action_execute(action=action, user=users["operator"])


def test_move_gpu_and_align_version_are_verified_by_the_next_crawl(fleet, source, users,
                                                                   django_capture_on_commit_callbacks):
    sim, path = fleet
    move = action_request(user=users["operator"], kind="move-gpu", deployment=deployment("search-staging"),
                          params={"accelerator": "L40S"}, reason="A10G pool is full")
    [step] = move.preview["steps"]
    assert step["body"]["spec"]["template"]["spec"]["nodeSelector"] == {"karpenter.k8s.aws/instance-gpu-name": "l40s"}
    assert move.cost_after_monthly is not None and move.cost_effect_monthly is not None
    assert "L40S" in move.cost_basis
    align = action_request(user=users["operator"], kind="align-version", deployment=deployment("search-dev", "chat-dev"),
                           params={"version": "0e9e39f"}, reason="match prod")
    for action in (move, align):
        action_approve(action=action, user=users["approver"])
        with django_capture_on_commit_callbacks(execute=True):
            done = action_execute(action=action, user=users["operator"])
        assert done.status == "succeeded", done.error
        done.refresh_from_db()
        assert done.status == "verified"
    live = apps_api(sim, path).read_namespaced_deployment("chat", "search-staging")
    assert live.spec.template.spec.node_selector == {"karpenter.k8s.aws/instance-gpu-name": "l40s"}
    assert deployment("search-staging").accelerator_type == "L40S"
    assert deployment("search-dev", "chat-dev").model_version == "0e9e39f"
    # the container's env was sent back as it was (a merge patch replaces the list) but is shown to nobody
    live_env = apps_api(sim, path).read_namespaced_deployment("chat-dev", "search-dev").spec.template.spec.containers[0].env
    assert {(e.name, e.value) for e in live_env} >= {("HF_TOKEN", SECRET)}
    viewer = APIClient()
    viewer.force_authenticate(users["viewer"])
    shown = viewer.get(f"/api/v1/actions/{align.pk}/").content + viewer.get("/api/v1/audit-events/").content
    assert SECRET.encode() not in shown and b"<redacted>" in shown
    assert SECRET not in repr(list(AuditEvent.objects.values_list("before", "after")))
