"""``/api/v1/costs/`` (a month's cost summary, grouped) and ``/api/v1/price-overrides/`` (what a customer
really pays: discounts and negotiated prices). Reading either is open to every signed-in user, as the cost
page is (exports of the report, CSV/XLSX, are the finance role's, on the page); writing overrides needs the
finance role."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from footprint.accounts.permissions import FinanceWrite, SignedIn
from footprint.api.filters import PriceOverrideFilterSet
from footprint.api.pagination import StandardPagination
from footprint.api.views import _responses
from footprint.costs.choices import OverrideKind
from footprint.costs.models import PriceOverride
from footprint.costs.report import DIMENSIONS, cost_summary
from footprint.inventory.models import Source

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class CostQuerySerializer(serializers.Serializer):
    month = serializers.CharField(required=False, help_text="YYYY-MM (UTC calendar month); default: this month.")
    group_by = serializers.ChoiceField(choices=DIMENSIONS, required=False, default="team")

    def validate_month(self, value: str) -> date:
        match = MONTH.match(value)
        if match is None or not (1 <= int(match[2]) <= 12) or not (1970 <= int(match[1]) <= 9998):
            raise serializers.ValidationError(f"{value!r} is not a month like 2026-10")
        return date(int(match[1]), int(match[2]), 1)


class CostRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="The team slug, model name, cloud...; null: not known.")
    label = serializers.CharField()
    cost = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Accrued USD in the month.")
    previous = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Accrued USD the month before.")
    change = serializers.DecimalField(max_digits=20, decimal_places=2)
    change_pct = serializers.FloatField(source="changePct", allow_null=True)
    hours = serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True)
    unknown_lines = serializers.IntegerField(source="unknownLines",
                                             help_text="Deployments that could not be priced.")


class CostSummarySerializer(serializers.Serializer):
    month = serializers.CharField()
    group_by = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    rows = CostRowSerializer(many=True)


class CostSummaryView(APIView):
    """What the fleet cost in a month (accrued from the deployment history and the price catalog with its
    overrides), grouped by team, model, cloud, region, environment or cluster, costliest first, with the
    previous month for comparison."""

    permission_classes = [SignedIn]  # as the cost page; its CSV/XLSX exports need finance

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.QUERY, pattern=r"^\d{4}-\d{2}$",
                             description="YYYY-MM (UTC); default: the running month."),
            OpenApiParameter("group_by", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=list(DIMENSIONS),
                             description="Default: team."),
        ],
        responses=_responses({200: CostSummarySerializer}, 400, 404),
        operation_id="costs_summary",
    )
    def get(self, request: Request) -> Response:
        query = CostQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month") or timezone.now().date().replace(day=1)
        group_by = query.validated_data["group_by"]
        rows = cost_summary(month=month, group_by=group_by)
        total = sum((Decimal(row["cost"]) for row in rows), Decimal(0))
        return Response(CostSummarySerializer({"month": month.strftime("%Y-%m"), "group_by": group_by,
                                               "currency": "USD", "total": total, "rows": rows}).data)


@extend_schema_field({"type": "string", "description": "discount (discount_percent) or price (usd_per_hour)"})
class OverrideKindField(serializers.ChoiceField):
    """A plain string in the schema: the "kind" enum of sources would collide in the enum names."""


class PriceOverrideSerializer(serializers.ModelSerializer):
    """A discount (``discount_percent``) or a negotiated price (``usd_per_hour``: per instance-hour for an
    instance type, per GPU-hour for an accelerator), for a source or a whole cloud."""

    source_id = serializers.PrimaryKeyRelatedField(source="source", queryset=Source.objects.all(), allow_null=True,
                                                   required=False, default=None,
                                                   help_text="Only this source's deployments; null: the whole cloud.")
    source = serializers.CharField(source="source.name", read_only=True, allow_null=True, default=None)
    kind = OverrideKindField(choices=OverrideKind.choices)

    class Meta:
        model = PriceOverride
        fields = ["id", "source_id", "source", "cloud", "instance_type", "accelerator", "kind", "discount_percent",
                  "usd_per_hour", "effective_from", "note", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]
        validators: list = []  # the conditional unique constraints are checked in validate() with clear words

    def validate(self, attrs: dict) -> dict:
        current = {name: getattr(self.instance, name) for name in
                   ("source", "cloud", "instance_type", "accelerator", "kind", "discount_percent", "usd_per_hour",
                    "effective_from")} if self.instance is not None else {}
        merged = {**current, **attrs}
        errors: dict[str, str] = {}
        if merged.get("source") is None and not merged.get("cloud"):
            errors["cloud"] = "give a cloud, or a source_id (an override applies to one or the other)"
        if merged.get("instance_type") and merged.get("accelerator"):
            errors["accelerator"] = "an override is for an instance type or an accelerator, not both"
        kind = merged.get("kind")
        if kind == OverrideKind.DISCOUNT:
            if merged.get("discount_percent") is None:
                errors["discount_percent"] = "a discount needs discount_percent (0 to 100)"
            elif not Decimal(0) <= merged["discount_percent"] <= Decimal(100):
                errors["discount_percent"] = "between 0 and 100"
            if merged.get("usd_per_hour") is not None:
                errors["usd_per_hour"] = "a discount has no usd_per_hour (use kind=price)"
        elif kind == OverrideKind.PRICE:
            if merged.get("usd_per_hour") is None:
                errors["usd_per_hour"] = "a negotiated price needs usd_per_hour"
            elif merged["usd_per_hour"] < 0:
                errors["usd_per_hour"] = "a price cannot be negative"
            if merged.get("discount_percent") is not None:
                errors["discount_percent"] = "a negotiated price has no discount_percent (use kind=discount)"
            if not merged.get("instance_type") and not merged.get("accelerator"):
                errors["instance_type"] = "a negotiated price is for one instance type or one accelerator"
        if errors:
            raise serializers.ValidationError(errors)
        if "effective_from" not in merged:
            merged["effective_from"] = timezone.localdate()
        same = PriceOverride.objects.filter(instance_type=merged.get("instance_type", ""),
                                            accelerator=merged.get("accelerator", ""),
                                            effective_from=merged["effective_from"])
        same = (same.filter(source=merged["source"]) if merged.get("source") is not None
                else same.filter(source__isnull=True, cloud=merged.get("cloud", "")))
        if self.instance is not None:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise serializers.ValidationError({"effective_from": "an override of the same scope and item already "
                                                                 "starts on this date; change that one"})
        return attrs


@extend_schema_view(
    list=extend_schema(responses=_responses({200: PriceOverrideSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=_responses({200: PriceOverrideSerializer}, 404)),
    create=extend_schema(responses=_responses({201: PriceOverrideSerializer}, 400)),
    update=extend_schema(responses=_responses({200: PriceOverrideSerializer}, 400, 404)),
    partial_update=extend_schema(responses=_responses({200: PriceOverrideSerializer}, 400, 404)),
    destroy=extend_schema(responses=_responses({204: None}, 404)),
)
class PriceOverrideViewSet(viewsets.ModelViewSet):
    """Price overrides: read by every signed-in user, written by finance (and admins)."""

    queryset = PriceOverride.objects.select_related("source").order_by("id")
    serializer_class = PriceOverrideSerializer
    filterset_class = PriceOverrideFilterSet
    pagination_class = StandardPagination
    permission_classes = [FinanceWrite]

    def perform_create(self, serializer) -> None:
        serializer.save(created_by=self.request.user.get_username())
