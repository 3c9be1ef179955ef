"""The OpenAPI schema: it generates without warnings, the docs page serves local assets, and the API keeps
to it (schemathesis, bounded examples over the read endpoints, authenticated by token)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from footprint.accounts.tokens import token_create

MAX_EXAMPLES = 25
WRITE_EXAMPLES = 10


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/deployments/", "/api/v1/deployments/{id}/revisions/", "/api/v1/models/",
                 "/api/v1/clusters/", "/api/v1/teams/", "/api/v1/sources/", "/api/v1/sources/{id}/crawl/",
                 "/api/v1/crawl-runs/", "/api/v1/modelspecs/", "/api/v1/findings/",
                 "/api/v1/findings/{id}/acknowledge/", "/api/v1/findings/{id}/snooze/",
                 "/api/v1/findings/{id}/accept/", "/api/v1/costs/", "/api/v1/price-overrides/",
                 "/api/v1/price-overrides/{id}/", "/api/v1/models/{id}/sizing/", "/api/v1/me/"):
        assert f"  {path}:" in text
    assert "credentials" in text  # documented as write-only input...
    assert "SourceWriteRequest" in text
    assert "scheme: bearer" in text  # the API token's security scheme


def test_schema_never_exposes_credentials_in_a_response():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            assert "credentials" not in component.get("properties", {}), name


@pytest.mark.django_db
def test_schema_and_docs_are_served_offline():
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"openapi: 3" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.fixture
def api_schema(fleet, user, monkeypatch, settings):
    from rest_framework.throttling import SimpleRateThrottle

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI requests' host

    # Hundreds of requests in a few seconds: throttling is tested on its own (test_sources).
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    # As Django's test client does: requests must not close the test's connection (and its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _keeps_to_schema(operations, *, secret: str, max_examples: int, known_ids: dict[str, int] | None = None) -> None:
    """``known_ids``: path prefix → the id of an object that exists, given to half the cases of the operations
    under ``<prefix>{id}/`` (generated ids alone nearly always miss, and the commands answer 404)."""
    strict = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    for operation in operations:
        _check_operation(operation, secret=secret, max_examples=max_examples, checks=strict,
                         known_id=next((pk for prefix, pk in (known_ids or {}).items()
                                        if operation.path.startswith(prefix + "{id}/")), None))


def _with_id(case, pk: int):
    case.path_parameters = {**(case.path_parameters or {}), "id": pk}
    return case


def _check_operation(operation, *, secret: str, max_examples: int, checks: list, known_id: int | None = None) -> None:
    cases = operation.as_strategy()
    if known_id is not None:
        cases = st.one_of(cases.map(lambda case: _with_id(case, known_id)), cases)

    @given(case=cases)
    @hypothesis_settings(max_examples=max_examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def keeps_to_schema(case):
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        case.validate_response(response, checks=checks)

    keeps_to_schema()


def action_make(*, user):
    """A requested deploy action on the fleet's chat (and its audit event), for the commands to find."""
    from footprint.actions.models import DeployAction
    from footprint.actions.services import audit_record
    from footprint.inventory.models import Deployment

    chat = Deployment.objects.get(name="chat-vllm")
    action = DeployAction.objects.create(
        kind="scale", deployment=chat, source=chat.source, team_id=chat.team_id, cluster_name=chat.cluster_name,
        namespace=chat.namespace, workload_kind=chat.kind, workload_name=chat.name, environment=chat.environment,
        params={"replicas": 1}, reason="schemathesis", requested_by=user, requested_at=timezone.now())
    audit_record(verb="requested", actor=user, action=action, note="schemathesis")
    return action


@pytest.mark.django_db
def test_read_endpoints_keep_to_the_schema(api_schema, user):
    """Every GET operation of the schema, MAX_EXAMPLES generated requests each, as an admin with an API token:
    no 5xx, documented status codes and content types, bodies that match the schema. (Driven through
    hypothesis directly: the schemathesis pytest plugin's ``from_fixture`` does not run under pytest 9.)"""
    _, secret = token_create(user=user, name="schemathesis")
    action = action_make(user=user)
    reads = api_schema.include(method="GET")
    operations = [result.ok() for result in reads.get_all_operations()]
    assert len(operations) >= 20
    assert {"/api/v1/actions/", "/api/v1/audit-events/"} <= {operation.path for operation in operations}
    _keeps_to_schema(operations, secret=secret, max_examples=MAX_EXAMPLES,
                     known_ids={"/api/v1/actions/": action.pk,
                                "/api/v1/audit-events/": action.audit_events.get().pk})


@pytest.mark.django_db
def test_write_endpoints_keep_to_the_schema(api_schema, user):
    """The writes and commands of findings, price overrides, sources and deploy actions, with generated bodies
    (each request runs in the test's transaction: nothing reaches a worker or a cluster; the fleet's source is
    a file, which deploy actions refuse with a 400)."""
    from footprint.inventory.models import Deployment
    from tests.footprint.api.conftest import finding_make

    chat = Deployment.objects.get(name="chat-vllm")
    finding_make(team=chat.team, deployment=chat)
    action = action_make(user=user)
    _, secret = token_create(user=user, name="schemathesis")
    writes = api_schema.include(path_regex=r"^/api/v1/(findings|price-overrides|sources|actions)/").exclude(method="GET")
    operations = [result.ok() for result in writes.get_all_operations()]
    assert len(operations) >= 15
    _keeps_to_schema(operations, secret=secret, max_examples=WRITE_EXAMPLES,
                     known_ids={"/api/v1/actions/": action.pk})
