"""The OpenAPI schema: it generates without warnings, the docs page serves local assets, and the API keeps
to it (schemathesis, bounded examples over the read endpoints, authenticated by token)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
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


# The deploy actions' API (footprint/actions) is being built by another change; its operations are left out
# here until its filters are bounded (an id of 1e264 was a 500) and its schema documents every status.
# Remove this exclusion to cover it: the run then spans the whole schema.
OTHER_PATHS = r"^/api/v1/(actions|audit)"


def _keeps_to_schema(operations, *, secret: str, max_examples: int) -> None:
    strict = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    for operation in operations:
        _check_operation(operation, secret=secret, max_examples=max_examples, checks=strict)


def _check_operation(operation, *, secret: str, max_examples: int, checks: list) -> None:

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=max_examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def keeps_to_schema(case):
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        case.validate_response(response, checks=checks)

    keeps_to_schema()


@pytest.mark.django_db
def test_read_endpoints_keep_to_the_schema(api_schema, user):
    """Every GET operation of the schema, MAX_EXAMPLES generated requests each, as an admin with an API token:
    no 5xx, documented status codes and content types, bodies that match the schema. (Driven through
    hypothesis directly: the schemathesis pytest plugin's ``from_fixture`` does not run under pytest 9.)"""
    _, secret = token_create(user=user, name="schemathesis")
    reads = api_schema.include(method="GET").exclude(path_regex=OTHER_PATHS)
    operations = [result.ok() for result in reads.get_all_operations()]
    assert len(operations) >= 20
    _keeps_to_schema(operations, secret=secret, max_examples=MAX_EXAMPLES)


@pytest.mark.django_db
def test_write_endpoints_keep_to_the_schema(api_schema, user):
    """The writes and commands of findings, price overrides and sources, with generated bodies (each request
    runs in the test's transaction: nothing reaches a worker or a cluster)."""
    from footprint.inventory.models import Deployment
    from tests.footprint.api.conftest import finding_make

    chat = Deployment.objects.get(name="chat-vllm")
    finding_make(team=chat.team, deployment=chat)
    _, secret = token_create(user=user, name="schemathesis")
    writes = api_schema.include(path_regex=r"^/api/v1/(findings|price-overrides|sources)/").exclude(method="GET")
    operations = [result.ok() for result in writes.get_all_operations()]
    assert len(operations) >= 10
    _keeps_to_schema(operations, secret=secret, max_examples=WRITE_EXAMPLES)
