"""Serializers of the actions API: read shapes, and the inputs of the commands."""

from __future__ import annotations

from rest_framework import serializers

from collectors.actuators import redacted
from footprint.actions.choices import ActionKind, ActionStatus
from footprint.actions.models import AuditEvent, DeployAction


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", help_text="Username; empty: Footprint itself.")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "verb", "target", "deployment", "action", "note", "before", "after"]


ID_MAX = 2**63 - 1  # the id columns' range: a bigger number is a 400, not a database error


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


KIND_HELP = "One of: " + ", ".join(ActionKind.values) + "."
STATUS_HELP = "One of: " + ", ".join(ActionStatus.values) + "."


class DeployActionSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: an enum named "kind"/"status" would collide with the inventory's.
    kind = serializers.CharField(read_only=True, help_text=KIND_HELP)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    target = serializers.CharField(read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    source = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    policy = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    executed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DeployAction
        fields = ["id", "kind", "status", "target", "deployment", "source", "team", "cluster_name", "namespace",
                  "workload_kind", "workload_name", "environment", "params", "reason", "finding", "policy",
                  "requested_by", "requested_at", "approved_by", "decided_at", "decision_note", "executed_by",
                  "executed_at", "finished_at", "preview", "previewed_at", "before", "cost_before_monthly",
                  "cost_after_monthly", "cost_effect_monthly", "cost_basis", "result", "error_kind", "error"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in ("preview", "before", "result"):   # container env values are often secrets
            data[name] = redacted(data.get(name))
        return data


class DeployActionDetailSerializer(DeployActionSerializer):
    audit_events = AuditEventSerializer(many=True, read_only=True)

    class Meta(DeployActionSerializer.Meta):
        fields = [*DeployActionSerializer.Meta.fields, "audit_events"]
        read_only_fields = fields


class ActionCreateSerializer(serializers.Serializer):
    """From a finding (``finding``, optionally ``deployment`` to pick one it names), or direct (``kind``,
    ``deployment``, ``params``). ``params`` given with a finding override the finding's proposal."""

    finding = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    kind = serializers.CharField(required=False, help_text=KIND_HELP)
    deployment = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    params = serializers.JSONField(required=False, help_text='scale: {"replicas": 1, "min"?, "max"?}; '
                                                            'align-version: {"version"?, "image"?, "container"?}; '
                                                            'move-gpu: {"accelerator": "L4"}; decommission: {}')
    reason = serializers.CharField()

    def validate_params(self, value):
        if value is not None and _has_nul(value):
            # PostgreSQL's jsonb refuses \u0000: a 400, not a database error
            raise serializers.ValidationError("NUL characters are not allowed")
        return value

    def validate(self, attrs):
        if attrs.get("finding") is None and (attrs.get("kind") is None or attrs.get("deployment") is None):
            raise serializers.ValidationError("give a finding, or a kind and a deployment")
        if attrs.get("params") is not None and not isinstance(attrs["params"], dict):
            raise serializers.ValidationError({"params": "a JSON object"})
        return attrs


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
