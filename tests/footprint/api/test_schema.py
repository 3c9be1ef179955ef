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
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/deployments/", "/api/v1/deployments/{id}/revisions/", "/api/v1/models/",
                 "/api/v1/clusters/", "/api/v1/teams/", "/api/v1/sources/", "/api/v1/sources/{id}/crawl/",
                 "/api/v1/crawl-runs/", "/api/v1/modelspecs/"):
        assert f"  {path}:" in text
    assert "credentials" in text  # documented as write-only input...
    assert "SourceWriteRequest" in text


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
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        yield schema.include(method="GET")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_read_endpoints_keep_to_the_schema(api_schema, user):
    """Every GET operation of the schema, MAX_EXAMPLES generated requests each: no 5xx, documented status
    codes and content types, bodies that match the schema. (Driven through hypothesis directly: the
    schemathesis pytest plugin's ``from_fixture`` does not run under pytest 9.)"""
    token, _ = Token.objects.get_or_create(user=user)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def keeps_to_schema(case):
            response = case.call(headers={"Authorization": f"Token {token.key}"})
            case.validate_response(response, checks=checks)

        keeps_to_schema()
