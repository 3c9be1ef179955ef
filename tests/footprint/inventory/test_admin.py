"""Source credentials: encrypted at rest, write-only in the admin; the other admin pages render."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from collectors.spec import CrawlResult, Scope
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Deployment, OwnershipRule, Source, Team

pytestmark = pytest.mark.django_db

SECRET = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def raw_credentials(source: Source) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inventory_source WHERE id = %s", [source.pk])
        return cursor.fetchone()[0]


def test_credentials_are_stored_encrypted(db):
    source = Source.objects.create(name="aws-prod", kind="aws", credentials=SECRET)

    stored = raw_credentials(source)

    assert stored != SECRET and SECRET not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert Source.objects.get(pk=source.pk).credentials == SECRET


def test_admin_change_form_never_shows_credentials(admin_client):
    source = Source.objects.create(name="aws-prod", kind="aws", credentials=SECRET)

    page = admin_client.get(reverse("admin:inventory_source_change", args=[source.pk])).content.decode()

    assert 'name="credentials"' in page and 'type="password"' in page
    assert SECRET not in page
    assert raw_credentials(source) not in page
    assert "EXAMPLEKEY" not in page


def _post(admin_client, source: Source, **changes) -> None:
    data = {"name": source.name, "kind": source.kind, "enabled": "on", "interval_minutes": "30",
            "settings": "{}", "credentials": "", **changes}
    response = admin_client.post(reverse("admin:inventory_source_change", args=[source.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_admin_blank_credentials_keep_the_stored_ones_and_clear_removes_them(admin_client):
    source = Source.objects.create(name="aws-prod", kind="aws", credentials=SECRET)

    _post(admin_client, source)
    source.refresh_from_db()
    assert (source.credentials, source.interval_minutes) == (SECRET, 30)

    _post(admin_client, source, credentials="new-secret")
    source.refresh_from_db()
    assert source.credentials == "new-secret"

    _post(admin_client, source, clear_credentials="on")
    source.refresh_from_db()
    assert source.credentials == ""


def test_admin_pages_render(admin_client, make_spec):
    source = Source.objects.create(name="fleet", kind="file")
    at = datetime(2026, 6, 1, tzinfo=UTC)
    deployments_reconcile(source=source, result=CrawlResult(
        specs=[replace(make_spec("chat"), observed_at=at)], scopes=[Scope()], started_at=at, finished_at=at))
    OwnershipRule.objects.create(namespace_pattern="llm-*", team=Team.objects.get(slug="search"))
    deployment = Deployment.objects.get()

    for name in ("source", "cluster", "team", "ownershiprule", "model", "deployment", "deploymentrevision",
                 "crawlrun"):
        assert admin_client.get(reverse(f"admin:inventory_{name}_changelist")).status_code == 200, name
    page = admin_client.get(reverse("admin:inventory_deployment_change", args=[deployment.pk]))
    assert page.status_code == 200
    assert b"vllm/vllm-openai:v0.6.3" in page.content
    assert admin_client.get(reverse("admin:inventory_deployment_add")).status_code == 403
