"""``/api/v1/models/{id}/sizing/``: will the model fit, on which GPU and how many, at what cost per token
(``footprint.sizing.selectors.model_sizing``; estimates, with the assumptions they rest on)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from footprint.inventory.models import Model
from footprint.sizing.selectors import model_sizing


class SizingUnknown(exceptions.APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "sizing_unknown"


class SizingQuerySerializer(serializers.Serializer):
    context_len = serializers.IntegerField(required=False, min_value=1, max_value=2**21,
                                           help_text="Tokens per sequence; default: 4096 capped at the model's.")
    concurrency = serializers.IntegerField(required=False, min_value=1, max_value=2**16, default=1,
                                           help_text="Concurrent sequences to hold; default 1.")


SIZING_PARAMETERS = [
    OpenApiParameter("context_len", OpenApiTypes.INT, OpenApiParameter.QUERY,
                     description="Tokens per sequence (1 to 2097152); default: 4096, capped at the model's maximum."),
    OpenApiParameter("concurrency", OpenApiTypes.INT, OpenApiParameter.QUERY,
                     description="Concurrent sequences to hold (1 to 65536); default 1."),
]
SIZING_RESPONSE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="architecture, contextLen, concurrency, weights, kvBytesPerToken, gpus (one row per GPU type: "
                "fits, count, maxConcurrentSequences, decodeTokensPerSecond, hourlyCost, "
                "costPerMillionOutputTokens...), cheapest, cheapestPerToken, assumptions. 404 `sizing_unknown` "
                "when Footprint has no architecture for the model.",
)


def sizing_response(request: Request, model: Model) -> Response:
    query = SizingQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    try:
        sizing = model_sizing(model.name, context_len=query.validated_data.get("context_len"),
                              concurrency=query.validated_data["concurrency"])
    except ValueError as exc:
        raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
    if sizing is None:
        raise SizingUnknown(f"Footprint knows no architecture for {model.name}: its size cannot be estimated.")
    return Response(sizing)
