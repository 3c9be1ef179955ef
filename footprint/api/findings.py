"""``/api/v1/findings/``: findings (list, detail with its events) and what users do to one: acknowledge,
snooze until a time, accept the risk with a reason. The commands call ``footprint.findings.services`` and need
``can_operate`` on the finding's team (operators of that team; admins, who alone may act on unowned ones)."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from django.db.models import Case, DecimalField, IntegerField, Prefetch, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from footprint.accounts.permissions import CanOperateObject, OperatorOnly, SignedIn
from footprint.api.filters import FilterBackend, FindingOrderingFilter
from footprint.api.pagination import FindingCursorPagination
from footprint.api.views import _responses
from footprint.findings import services
from footprint.findings.choices import SEVERITY_RANK
from footprint.findings.filters import FindingFilterSet
from footprint.findings.models import Finding, FindingEvent


class FindingEventSerializer(serializers.ModelSerializer):
    # A plain string in the schema: "kind" enums of other components would collide in the enum names.
    kind = serializers.CharField(read_only=True, help_text="opened, updated, severity_changed, resolved, "
                                                          "acknowledged, snoozed or risk_accepted")

    class Meta:
        model = FindingEvent
        fields = ["kind", "at", "actor", "note", "data"]


class FindingSerializer(serializers.ModelSerializer):
    """A finding with its history (``events``, oldest first)."""

    deployment = serializers.CharField(source="deployment.name", read_only=True, allow_null=True, default=None)
    model = serializers.CharField(source="deployment.model.name", read_only=True, allow_null=True, default=None,
                                  help_text="The model of the finding's deployment (null for fleet-group ones).")
    cluster = serializers.CharField(source="cluster.name", read_only=True, allow_null=True, default=None)
    team = serializers.CharField(source="team.slug", read_only=True, allow_null=True, default=None)
    snoozed = serializers.SerializerMethodField()
    events = FindingEventSerializer(many=True, read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "rule", "title", "severity", "status", "subject", "fingerprint", "deployment_id",
                  "deployment", "model", "cluster_id", "cluster", "team_id", "team", "evidence", "impact_monthly",
                  "impact_basis", "action", "first_seen", "opened_at", "last_seen", "resolved_at",
                  "acknowledged_at", "acknowledged_by", "snoozed_until", "snoozed", "risk_accepted_at",
                  "risk_accepted_by", "risk_accepted_reason", "events"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_snoozed(self, finding: Finding) -> bool:
        return finding.is_snoozed(now=self.context.get("now"))


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateTimeField(help_text="Snooze until then (RFC 3339; must be in the future).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_until(self, value):
        try:
            return value.astimezone(UTC)  # PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        except OverflowError:
            raise serializers.ValidationError("date-time out of range") from None


class AcceptSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why the risk is accepted.")


def findings_queryset() -> QuerySet[Finding]:
    severity_rank = Case(*[When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()],
                         default=Value(-1), output_field=IntegerField())
    # Unknown impact sorts below every known one (a cursor cannot page over NULLs).
    impact_sort = Coalesce("impact_monthly", Value(Decimal("-1")),
                           output_field=DecimalField(max_digits=14, decimal_places=2))
    return Finding.objects.select_related("deployment__model", "cluster", "team").annotate(
        severity_rank=severity_rank, impact_sort=impact_sort,
    ).prefetch_related(Prefetch("events", queryset=FindingEvent.objects.order_by("at", "id")))


COMMAND = {"permission_classes": [OperatorOnly, CanOperateObject], "filter_backends": [],
           "pagination_class": None}


@extend_schema_view(
    list=extend_schema(responses=_responses({200: FindingSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: FindingSerializer}, 404)),
    acknowledge=extend_schema(request=AcknowledgeSerializer,
                              responses=_responses({200: FindingSerializer}, 400, 404)),
    snooze=extend_schema(request=SnoozeSerializer, responses=_responses({200: FindingSerializer}, 400, 404)),
    accept=extend_schema(request=AcceptSerializer, responses=_responses({200: FindingSerializer}, 400, 404)),
)
class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings, open ones by default, biggest monthly impact first (``ordering``: ``impact``, ``severity``,
    ``opened_at``, ``last_seen``, ``first_seen``, ``id``, each with ``-`` for descending)."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    filter_backends = [FilterBackend, FindingOrderingFilter]
    ordering_fields = ["impact", "severity", "opened_at", "last_seen", "first_seen", "id"]
    ordering = ["-impact", "-severity", "id"]
    pagination_class = FindingCursorPagination
    permission_classes = [SignedIn]

    def get_queryset(self):
        return findings_queryset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _done(self, finding: Finding) -> Response:
        return Response(FindingSerializer(self.get_queryset().get(pk=finding.pk),
                                                context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], **COMMAND)
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge the finding (someone is on it). It still resolves by itself when its condition clears."""
        finding = self.get_object()
        given = AcknowledgeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._done(services.finding_acknowledge(finding=finding, user=request.user, **given.validated_data))

    @action(detail=True, methods=["post"], **COMMAND)
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        """Snooze the finding until a time in the future: no alert until then."""
        finding = self.get_object()
        given = SnoozeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._done(services.finding_snooze(finding=finding, user=request.user, **given.validated_data))

    @action(detail=True, methods=["post"], **COMMAND)
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept the finding's risk, saying why."""
        finding = self.get_object()
        given = AcceptSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._done(services.finding_accept_risk(finding=finding, user=request.user,
                                                       reason=given.validated_data["reason"]))
