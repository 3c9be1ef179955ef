"""Refused executions (403, a conflict) are recorded and change nothing else; a policy lets a low-risk
action through without an approver; the audit trail cannot be changed."""

from __future__ import annotations

import pytest
from django.db import transaction

from footprint.actions.models import ActionPolicy, AuditEvent
from footprint.actions.services import action_approve, action_execute, action_request
from footprint.findings.models import Finding
from tests.footprint.actions.conftest import apps_api, custom_api, deployment


def approved_scale(users, namespace="search-staging", name="chat", replicas=1):
    action = action_request(user=users["operator"], kind="scale", deployment=deployment(namespace, name),
                            params={"replicas": replicas}, reason="too big")
    return action_approve(action=action, user=users["approver"])


def test_a_forbidden_execution_is_recorded_and_changes_nothing(fleet, source, users):
    sim, path = fleet
    action = approved_scale(users)
    sim.set_faults("prod-use1", forbidden_namespaces=["search-staging"])

    action = action_execute(action=action, user=users["operator"])

    assert (action.status, action.error_kind) == ("failed", "forbidden")
    assert "may not get Deployment search-staging/chat" in action.error
    assert "grant it in the cluster's RBAC" in action.error
    sim.clear_faults("*")
    assert apps_api(sim, path).read_namespaced_deployment("chat", "search-staging").spec.replicas == 3
    assert deployment("search-staging").replicas_desired == 3
    assert Finding.objects.get(rule="waste.nonprod_like_prod", status="open")
    failed = AuditEvent.objects.get(action=action, verb="execution_failed")
    assert failed.note.startswith("forbidden: ") and failed.actor_name == "olga"
    assert not AuditEvent.objects.filter(action=action, verb="executed").exists()


def test_a_patch_refused_by_rbac_is_forbidden_too(fleet, source, users):
    sim, path = fleet
    action = approved_scale(users)
    # reads allowed, writes not: the crawler's read-only ClusterRole
    sim.set_faults("prod-use1", forbidden_namespaces=["search-staging"], forbidden_resources=["deployments"])
    action = action_execute(action=action, user=users["operator"])
    assert (action.status, action.error_kind) == ("failed", "forbidden")
    sim.clear_faults("*")
    assert apps_api(sim, path).read_namespaced_deployment("chat", "search-staging").spec.replicas == 3


def test_an_object_changed_after_the_preview_is_a_conflict_and_is_left_alone(fleet, source, users):
    sim, path = fleet
    action = approved_scale(users)
    # someone scales it by hand between the preview and the execution
    apps_api(sim, path).patch_namespaced_deployment_scale("chat", "search-staging", {"spec": {"replicas": 5}},
                                                          _content_type="application/merge-patch+json")

    action = action_execute(action=action, user=users["operator"])

    assert (action.status, action.error_kind) == ("failed", "conflict")
    assert "changed since the preview" in action.error and "preview again" in action.error
    assert apps_api(sim, path).read_namespaced_deployment("chat", "search-staging").spec.replicas == 5
    assert AuditEvent.objects.filter(action=action, verb="execution_failed").count() == 1


def test_a_policy_scales_non_prod_to_zero_without_an_approver(fleet, source, users,
                                                             django_capture_on_commit_callbacks):
    sim, path = fleet
    ActionPolicy.objects.filter(name="scale-non-prod-to-zero").update(enabled=True)

    action = action_request(user=users["operator"], kind="scale", deployment=deployment("search-dev", "chat-dev"),
                            params={"replicas": 0}, reason="nobody uses dev at night")
    assert action.status == "approved" and action.approved_by is None
    assert action.policy.name == "scale-non-prod-to-zero"
    with django_capture_on_commit_callbacks(execute=True):
        action = action_execute(action=action, user=users["operator"])
    assert action.status == "succeeded", action.error
    assert apps_api(sim, path).read_namespaced_deployment("chat-dev", "search-dev").spec.replicas == 0
    action.refresh_from_db()
    assert action.status == "verified"
    assert AuditEvent.objects.filter(action=action, verb="auto_approved").get().actor is None

    # The policy covers scaling to zero in non-prod only: prod, or scaling to 1, still needs an approver.
    prod = action_request(user=users["operator"], kind="scale", deployment=deployment("search-prod"),
                          params={"replicas": 0}, reason="test")
    one = action_request(user=users["operator"], kind="scale", deployment=deployment("search-staging"),
                         params={"replicas": 1}, reason="test")
    assert (prod.status, one.status) == ("requested", "requested")


def test_audit_events_are_append_only(source, users):
    action = approved_scale(users)
    event = AuditEvent.objects.filter(action=action).first()
    event.note = "rewritten"
    with pytest.raises(PermissionError, match="append-only"):
        event.save()
    with pytest.raises(PermissionError, match="append-only"):
        event.delete()
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.note != "rewritten"


def test_a_preview_the_cluster_refuses_is_recorded_and_cannot_be_approved(fleet, source, users):
    sim, _ = fleet
    sim.set_faults("prod-use1", forbidden_namespaces=["search-staging"])
    action = action_request(user=users["operator"], kind="scale", deployment=deployment("search-staging"),
                            params={"replicas": 1}, reason="too big")
    assert (action.status, action.preview, action.error_kind) == ("requested", {}, "forbidden")
    assert AuditEvent.objects.filter(action=action, verb="preview_failed").exists()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no working preview"):
        action_approve(action=action, user=users["approver"])
    sim.clear_faults("*")
    from footprint.actions.services import action_preview

    action = action_preview(action=action, user=users["operator"])
    assert action.preview["steps"][0]["body"]["spec"] == {"replicas": 1} and action.error == ""
    assert action_approve(action=action, user=users["approver"]).status == "approved"


def test_an_auto_execute_policy_acts_at_once_on_an_inference_service(fleet, source, users,
                                                                     django_capture_on_commit_callbacks):
    sim, _ = fleet
    ActionPolicy.objects.create(name="ads-staging-off", kind="scale", environments=["staging"], max_replicas=0,
                                auto_execute=True)
    with django_capture_on_commit_callbacks(execute=True):
        action = action_request(user=users["ads_operator"], kind="scale",
                                deployment=deployment("ads-staging", "copy"), params={"replicas": 0},
                                reason="campaign over")
    assert action.status == "succeeded", action.error
    live = custom_api(fleet[1]).get_namespaced_custom_object("serving.kserve.io", "v1beta1", "ads-staging",
                                                             "inferenceservices", "copy")
    assert live["spec"]["predictor"]["minReplicas"] == 0
    action.refresh_from_db()
    assert action.status == "verified"
    assert deployment("ads-staging", "copy").replicas_desired == 0


def test_the_command_executes_approved_actions_as_a_user(fleet, source, users):
    from django.core.management import CommandError, call_command

    sim, path = fleet
    action = approved_scale(users, namespace="search-dev", name="chat-dev", replicas=0)
    call_command("actions-execute", str(action.pk), "--as", "olga")
    assert apps_api(sim, path).read_namespaced_deployment("chat-dev", "search-dev").spec.replicas == 0
    with pytest.raises(CommandError, match="1 action"):
        call_command("actions-execute", str(action.pk), "--as", "olga")   # not approved any more


def test_deleting_the_source_or_a_user_keeps_the_audit_trail(source, users):
    from footprint.inventory.sources import source_delete

    action = approved_scale(users)
    events = AuditEvent.objects.filter(action=action).count()
    users["approver"].delete()
    source_delete(source=source)
    action.refresh_from_db()
    assert action.deployment is None and action.target == "prod-use1/search-staging/Deployment/chat"
    approved = AuditEvent.objects.get(action=action, verb="approved")
    assert (approved.actor, approved.actor_name, approved.deployment) == (None, "arno", None)
    assert AuditEvent.objects.filter(action=action).count() == events


def test_a_policy_bound_covers_every_count_a_scale_sets():
    policy = ActionPolicy(name="p", kind="scale", environments=["staging"], max_replicas=0, enabled=True)
    assert policy.allows(kind="scale", environment="staging", params={"replicas": 0})
    assert not policy.allows(kind="scale", environment="staging", params={"replicas": 0, "max": 500})
    assert not policy.allows(kind="scale", environment="prod", params={"replicas": 0})
    assert not policy.allows(kind="scale", environment="staging", params={"replicas": 1})
