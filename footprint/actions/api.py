"""REST API of deploy actions and the audit trail. Reads are declarative; every command calls one service,
which holds the role checks (a refusal is a 403 in the API's error shape)."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action as command
from rest_framework.response import Response

from footprint.accounts.permissions import SignedIn
from footprint.actions import services
from footprint.actions.filters import AuditEventFilterSet, DeployActionFilterSet
from footprint.actions.models import AuditEvent, DeployAction
from footprint.actions.serializers import (
    ActionCreateSerializer,
    AuditEventSerializer,
    DecisionSerializer,
    DeployActionDetailSerializer,
    DeployActionSerializer,
)
from footprint.api.pagination import StandardPagination
from footprint.api.views import _responses
from footprint.findings.models import Finding
from footprint.inventory.models import Deployment


@contextmanager
def _refusals():
    """The services' refusals as DRF's 403, so that they carry their message in the API's error shape."""
    try:
        yield
    except DjangoPermissionDenied as refused:
        raise exceptions.PermissionDenied(str(refused) or None) from None


@extend_schema_view(
    list=extend_schema(responses=_responses({200: DeployActionSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: DeployActionDetailSerializer}, 404)),
)
class DeployActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deploy actions: request (POST), preview again, approve, reject, execute."""

    permission_classes = [SignedIn]
    filterset_class = DeployActionFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        rows = DeployAction.objects.select_related("team", "source", "policy", "requested_by", "approved_by",
                                                   "executed_by")
        if self.action == "retrieve":
            rows = rows.prefetch_related("audit_events")
        return rows.order_by("-requested_at", "-id")

    def get_serializer_class(self):
        return DeployActionDetailSerializer if self.action == "retrieve" else DeployActionSerializer

    def _detail(self, action: DeployAction, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("audit_events").get(pk=action.pk)
        return Response(DeployActionDetailSerializer(fresh).data, status=code)

    @extend_schema(request=ActionCreateSerializer,
                   responses=_responses({201: DeployActionDetailSerializer}, 400, 404))
    def create(self, request):
        given = ActionCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        finding = None
        if data.get("finding") is not None:
            finding = get_object_or_404(Finding, pk=data["finding"])
            kind, deployment, params = services.action_from_finding(finding=finding,
                                                                    deployment_id=data.get("deployment"))
            params = {**params, **(data.get("params") or {})}
        else:
            kind = data["kind"]
            deployment = get_object_or_404(Deployment.objects.select_related("source", "team"), pk=data["deployment"])
            params = data.get("params") or {}
        with _refusals():
            made = services.action_request(user=request.user, kind=kind, deployment=deployment, params=params,
                                           reason=data["reason"], finding=finding)
        return self._detail(made, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=_responses({200: DeployActionDetailSerializer}, 400, 404))
    @command(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """Read the workload again and make a fresh dry run (an approval resets if the requests changed)."""
        with _refusals():
            return self._detail(services.action_preview(action=self.get_object(), user=request.user))

    @extend_schema(request=DecisionSerializer, responses=_responses({200: DeployActionDetailSerializer}, 400, 404))
    @command(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (approver role; never one's own request)."""
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        with _refusals():
            return self._detail(services.action_approve(action=self.get_object(), user=request.user,
                                                        note=note.validated_data["note"]))

    @extend_schema(request=DecisionSerializer, responses=_responses({200: DeployActionDetailSerializer}, 400, 404))
    @command(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject (approver role)."""
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        with _refusals():
            return self._detail(services.action_reject(action=self.get_object(), user=request.user,
                                                       note=note.validated_data["note"]))

    @extend_schema(request=None, responses=_responses({200: DeployActionDetailSerializer}, 400, 404))
    @command(detail=True, methods=["post"])
    def execute(self, request, pk=None):
        """Apply the approved preview to the cluster and verify by re-reading. A refusal by the cluster is
        recorded on the action (status failed, error_kind forbidden/conflict/not_found...) and answered 200."""
        with _refusals():
            return self._detail(services.action_execute(action=self.get_object(), user=request.user))


@extend_schema_view(
    list=extend_schema(responses=_responses({200: AuditEventSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: AuditEventSerializer}, 404)),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The append-only audit trail: filter by deployment, action, actor, verb, target.
    "Who approved this deployment change?": ``?deployment=<id>&verb=approved``."""

    permission_classes = [SignedIn]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    pagination_class = StandardPagination
    queryset = AuditEvent.objects.order_by("-at", "-id")
