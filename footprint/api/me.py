"""``/api/v1/me/``: who the request is authenticated as, with its roles and the teams it may act on."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from footprint.accounts.models import ApiToken
from footprint.accounts.roles import Role, user_roles, user_team_ids
from footprint.api.views import _responses
from footprint.inventory.models import Team


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    all_teams = serializers.BooleanField(help_text="True for admins: they may act on every team's deployments.")
    teams = serializers.ListField(child=serializers.CharField(), help_text="Slugs of the user's teams.")
    token = serializers.CharField(allow_null=True, help_text="Prefix of the API token used; null: a session.")


class MeView(APIView):
    @extend_schema(responses=_responses({200: MeSerializer}), operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        team_ids = user_team_ids(user)
        teams = [] if not team_ids else list(Team.objects.filter(pk__in=team_ids).order_by("slug")
                                             .values_list("slug", flat=True))
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(MeSerializer({
            "id": user.pk, "username": user.get_username(),
            "roles": [role for role in Role.values if role in user_roles(user)],
            "all_teams": team_ids is None, "teams": teams, "token": token.prefix if token else None,
        }).data)
