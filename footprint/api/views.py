"""The REST API (``/api/v1/``): declarative read ViewSets (queryset with its joins and counts, serializer,
FilterSet) and explicit command views (input serializer → one service → output serializer).

Every list costs a constant number of queries whatever its length: relations are joined, counts and
capacity are annotated, and deployment prices come from ``deployment_prices`` over the page (the catalog's
two queries and the node hints' one, none per deployment).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collectors.spec import SpecError, parse_time, spec_list
from footprint.accounts.permissions import AdminWrite, OperatorOnly
from footprint.api import serializers
from footprint.api.exceptions import Conflict
from footprint.api.pagination import (
    CrawlRunCursorPagination,
    DeploymentCursorPagination,
    RevisionAsOfCursorPagination,
    RevisionCursorPagination,
    StandardPagination,
)
from footprint.api.renderers import ModelSpecJSONRenderer, ModelSpecYAMLRenderer
from footprint.api.sizing import SIZING_PARAMETERS, SIZING_RESPONSE, sizing_response
from footprint.costs.selectors import deployment_prices
from footprint.inventory.crawl import source_crawl_enqueue, source_crawl_refusal
from footprint.inventory.filters import (
    ClusterFilterSet,
    CrawlRunFilterSet,
    DeploymentFilterSet,
    DeploymentRevisionFilterSet,
    ModelFilterSet,
    SourceFilterSet,
    TeamFilterSet,
)
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    GpuNodeSnapshot,
    Model,
    Source,
    Team,
)
from footprint.inventory.selectors import (
    declared_copies_exclude,
    declared_copies_q,
    declared_shown,
    deployments_as_of,
    sources_with_health,
    specs_from_rows,
)
from footprint.inventory.sources import source_create, source_update

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.STR, OpenApiParameter.QUERY,
    description="What ran at that moment, from the revision history: a date (00:00 UTC that day) or an "
                "RFC 3339 date-time. The status and stale filters do not apply to the past.",
)
DECLARED = OpenApiParameter(
    "declared", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["include", "exclude"],
    description="A file source's deployments in a cluster that a crawled source lists are declarations "
                "(desired state), not a second running copy: left out by default (exclude), unless the "
                "request filters on a source (source, source_id). include: list them too.",
)
ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="Invalid input"),
    401: OpenApiResponse(serializers.ErrorSerializer, description="Not authenticated"),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Forbidden"),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Not found"),
    409: OpenApiResponse(serializers.ErrorSerializer, description="Conflict"),
    429: OpenApiResponse(serializers.ErrorSerializer, description="Throttled"),
}


def as_of_parse(request: Request) -> datetime | None:
    """``as_of`` of the query string: a date (00:00 UTC) or a date-time (naive = UTC); 400 otherwise."""
    text = request.query_params.get("as_of")
    if text is None or text == "":
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
    except ValueError:
        pass
    try:
        moment = parse_time(text)
    except SpecError:
        moment = None
    if moment is not None:
        try:
            return moment.astimezone(UTC)  # PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        except OverflowError:
            pass
    raise exceptions.ValidationError({"as_of": [f"{text!r} is not a date (2026-06-10) or a date-time "
                                                "(2026-06-10T12:00:00Z)"]})


def _responses(ok, *codes: int) -> dict:
    return {**ok, **{code: ERRORS[code] for code in (401, 403, 429, *codes)}}


# The live deployments the models, clusters and teams count: without the declared copies.
LIVE_COUNTED = Q(deployments__ended_at__isnull=True) & ~declared_copies_q("deployments__")


def deployments_queryset() -> QuerySet[Deployment]:
    return Deployment.objects.select_related("source", "cluster", "model", "team")


def declared_filter(request: Request, rows: QuerySet) -> QuerySet:
    """``rows`` without the declared copies, unless ``declared=include`` or the request filters on a source;
    400 on another ``declared`` value."""
    value = request.query_params.get("declared")
    if value not in (None, "", "include", "exclude"):
        raise exceptions.ValidationError({"declared": [f"{value!r} is not include or exclude"]})
    if value != "exclude" and declared_shown(request.query_params):
        return rows
    return declared_copies_exclude(rows)


def revisions_as_of_queryset(at: datetime) -> QuerySet[DeploymentRevision]:
    # The deployment's cluster id rides along (the revision has the cluster's name only): pricing reads it
    # to find the GPU node the deployment runs on. Still one query.
    return deployments_as_of(at=at).annotate(cluster_id=F("deployment__cluster_id"))


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF, DECLARED],
                       responses=_responses({200: serializers.DeploymentSerializer(many=True)},
                                                                400, 404)),
    retrieve=extend_schema(responses=_responses({200: serializers.DeploymentSerializer}, 404)),
)
class DeploymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Deployments with their ModelSpec and their price. Live ones by default (``status``); with
    ``as_of``, what ran then (the revisions valid at that instant)."""

    serializer_class = serializers.DeploymentSerializer
    filterset_class = DeploymentFilterSet
    revision_filterset_class = DeploymentRevisionFilterSet
    pagination_class = DeploymentCursorPagination

    def get_queryset(self):
        if self.action != "list":
            return deployments_queryset()
        at = self.as_of
        return declared_filter(self.request, revisions_as_of_queryset(at) if at is not None
                               else deployments_queryset())

    @property
    def as_of(self) -> datetime | None:
        if not hasattr(self, "_as_of"):
            self._as_of = as_of_parse(self.request)
        return self._as_of

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            if self.action == "list" and self.as_of is not None:
                self._paginator = RevisionAsOfCursorPagination()
            else:
                self._paginator = self.pagination_class() if self.pagination_class else None
        return self._paginator

    def filter_queryset(self, queryset):
        # A deployment's own page shows it whatever its status; the filters are for lists.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "prices": getattr(self, "_prices", {})}

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._prices = deployment_prices(deployments=page, at=self.as_of.date() if self.as_of else None)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        deployment = self.get_object()
        self._prices = deployment_prices(deployments=[deployment])
        return Response(self.get_serializer(deployment).data)

    @extend_schema(responses=_responses({200: serializers.RevisionSerializer(many=True)}, 400, 404))
    @action(detail=True, filter_backends=[], pagination_class=RevisionCursorPagination,
            serializer_class=serializers.RevisionSerializer)
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        """The deployment's history: one revision per interval its material ModelSpec did not change."""
        deployment = self.get_object()
        rows = DeploymentRevision.objects.filter(deployment=deployment).select_related("source", "model", "team")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.RevisionSerializer(page, many=True).data)


@extend_schema_view(list=extend_schema(responses=_responses({200: serializers.ModelSerializer(many=True)}, 400, 404)),
                    retrieve=extend_schema(responses=_responses({200: serializers.ModelSerializer}, 404)))
class ModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Logical models, with how many live deployments serve each."""

    queryset = Model.objects.annotate(
        live_deployments=Count("deployments", filter=LIVE_COUNTED)
    ).order_by("name")
    serializer_class = serializers.ModelSerializer
    filterset_class = ModelFilterSet
    pagination_class = StandardPagination

    @extend_schema(parameters=SIZING_PARAMETERS, responses=_responses({200: SIZING_RESPONSE}, 400, 404))
    @action(detail=True, filter_backends=[], pagination_class=None)
    def sizing(self, request: Request, pk: str | None = None) -> Response:
        """Sizing estimate of the model: memory, GPU fit and count, throughput, cost per million tokens."""
        return sizing_response(request, self.get_object())


def _capacity(aggregate) -> Subquery:
    """One number of a cluster's current GPU capacity (the snapshots of its ``capacity_run``)."""
    nodes = GpuNodeSnapshot.objects.filter(cluster=OuterRef("pk"), run_id=OuterRef("capacity_run_id"))
    return Subquery(nodes.order_by().values("cluster").annotate(value=aggregate).values("value")[:1])


@extend_schema_view(list=extend_schema(responses=_responses({200: serializers.ClusterSerializer(many=True)}, 400, 404)),
                    retrieve=extend_schema(responses=_responses({200: serializers.ClusterSerializer}, 404)))
class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    """Clusters with their live deployments and current GPU capacity (the latest crawl that listed the
    cluster completely; a cluster that is down keeps its last known capacity)."""

    queryset = Cluster.objects.select_related("source", "capacity_run").annotate(
        live_deployments=Count("deployments", filter=LIVE_COUNTED),
        gpu_nodes=Coalesce(_capacity(Count("id")), 0, output_field=IntegerField()),
        gpus_allocatable=Coalesce(_capacity(Sum("allocatable")), 0.0, output_field=FloatField()),
        gpus_requested=Coalesce(_capacity(Sum("requested")), 0.0, output_field=FloatField()),
        gpus_serving=Coalesce(_capacity(Sum("serving_requested")), 0.0, output_field=FloatField()),
        capacity_observed_at=F("capacity_run__finished_at"),
    ).order_by("source__name", "name")
    serializer_class = serializers.ClusterSerializer
    filterset_class = ClusterFilterSet
    pagination_class = StandardPagination


@extend_schema_view(list=extend_schema(responses=_responses({200: serializers.TeamSerializer(many=True)}, 400, 404)),
                    retrieve=extend_schema(responses=_responses({200: serializers.TeamSerializer}, 404)))
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Team.objects.annotate(
        live_deployments=Count("deployments", filter=LIVE_COUNTED)
    ).order_by("slug")
    serializer_class = serializers.TeamSerializer
    filterset_class = TeamFilterSet
    pagination_class = StandardPagination


@extend_schema_view(
    list=extend_schema(responses=_responses({200: serializers.SourceSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: serializers.SourceSerializer}, 404)),
    create=extend_schema(request=serializers.SourceWriteSerializer,
                         responses=_responses({201: serializers.SourceSerializer}, 400)),
    update=extend_schema(request=serializers.SourceWriteSerializer,
                         responses=_responses({200: serializers.SourceSerializer}, 400, 404)),
    partial_update=extend_schema(request=serializers.SourceWriteSerializer,
                                 responses=_responses({200: serializers.SourceSerializer}, 400, 404)),
)
class SourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sources with their crawl health. Created and changed through the source services (settings and
    credentials validated by the provider, the beat schedule kept in step); credentials are write-only."""

    serializer_class = serializers.SourceSerializer
    filterset_class = SourceFilterSet
    pagination_class = StandardPagination
    permission_classes = [AdminWrite]  # sources hold cloud credentials: admins configure them

    def get_queryset(self):
        return sources_with_health()

    def create(self, request: Request, *args, **kwargs) -> Response:
        given = serializers.SourceWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        source = source_create(**given.validated_data)
        return Response(self._read(source), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, partial: bool = False, **kwargs) -> Response:
        source = self.get_object()
        given = serializers.SourceWriteSerializer(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        source = source_update(source=source, **given.validated_data)
        return Response(self._read(source))

    def _read(self, source: Source) -> dict:
        return serializers.SourceSerializer(sources_with_health().get(pk=source.pk)).data


class SourceCrawlView(APIView):
    """"Crawl now": enqueue a crawl of the source (it runs in a worker; in embedded mode, in-process)."""

    throttle_scope = "crawl"
    permission_classes = [OperatorOnly]

    @extend_schema(request=None, responses=_responses({202: serializers.CrawlEnqueuedSerializer}, 404, 409),
                   operation_id="sources_crawl_create")
    def post(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(Source, pk=pk)
        refusal = source_crawl_refusal(source=source)
        if refusal:
            raise Conflict(refusal)
        source_crawl_enqueue(source=source)
        output = serializers.CrawlEnqueuedSerializer({"source_id": source.pk, "source": source.name,
                                                      "status": "enqueued"})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(responses=_responses({200: serializers.CrawlRunSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: serializers.CrawlRunSerializer}, 404)),
)
class CrawlRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Crawl runs, newest first, with their errors per scope."""

    queryset = CrawlRun.objects.select_related("source")
    serializer_class = serializers.CrawlRunSerializer
    filterset_class = CrawlRunFilterSet
    pagination_class = CrawlRunCursorPagination


class ModelSpecListView(GenericAPIView):
    """The filtered inventory (or, with ``as_of``, the past one) as a ModelSpecList, in JSON or YAML:
    the same document as ``manage.py inventory``. Not paginated; one query."""

    renderer_classes = [ModelSpecJSONRenderer, ModelSpecYAMLRenderer]
    filterset_class = DeploymentFilterSet
    revision_filterset_class = DeploymentRevisionFilterSet
    pagination_class = None
    queryset = Deployment.objects.none()

    def get_queryset(self):
        at = as_of_parse(self.request)
        rows = revisions_as_of_queryset(at) if at is not None else deployments_queryset()
        return declared_filter(self.request, rows).order_by("source__name", "cluster_name", "namespace", "name", "unit")

    @extend_schema(
        parameters=[AS_OF, DECLARED, OpenApiParameter("format", OpenApiTypes.STR, OpenApiParameter.QUERY,
                                            enum=["json", "yaml"], description="json (default) or yaml")],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A ModelSpecList (footprint/v1)"),
                   **{code: ERRORS[code] for code in (400, 401, 403, 404, 429)}},
    )
    def get(self, request: Request) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        return Response(spec_list(specs_from_rows(rows=rows)))


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(request: Request) -> Response:
    """Unknown paths under the API answer in the API's error shape, not Django's HTML page."""
    raise exceptions.NotFound()
