"""The inventory page at /: login required, one row per live deployment, constant query count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Source

pytestmark = pytest.mark.django_db

JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)
JUNE_2 = datetime(2026, 6, 2, tzinfo=UTC)


def ingest(source: Source, specs, *, at=JUNE_1, scopes=None, errors=None) -> None:
    deployments_reconcile(source=source, result=CrawlResult(
        specs=[replace(spec, observed_at=at) for spec in specs], scopes=[Scope()] if scopes is None else scopes,
        errors=errors or [], started_at=at, finished_at=at))


def test_anonymous_users_are_sent_to_the_admin_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/")


def test_page_lists_live_deployments_with_a_stale_badge(admin_client, file_source, make_spec):
    ingest(file_source, [
        make_spec("chat", version="2024-07", variant="canary"),
        make_spec("embed", cluster="prod-b", engine="tei", accelerator="L4", team="ranking"),
        make_spec("gone", cluster="prod-c"),
    ])
    message = "403 Forbidden: cannot list deployments in prod-b"
    ingest(file_source, [make_spec("chat", version="2024-07", variant="canary")], at=JUNE_2,
           scopes=[Scope(cluster="prod-a"), Scope(cluster="prod-c")],
           errors=[CrawlError(Scope(cluster="prod-b"), ErrorKind.FORBIDDEN, message)])

    page = admin_client.get("/").content.decode()

    assert "2 live deployments" in page
    assert "meta-llama/Llama-3.1-8B-Instruct" in page and "2024-07" in page
    assert "llm / chat" in page and "prod-b" in page and "aws / us-east-1" in page
    assert "A100-80GB × 2" in page and "L4 × 2" in page
    assert "ranking" in page and "canary" in page
    assert "stale since 2026-06-02" in page and message in page
    assert "gone" not in page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_page_query_count_does_not_depend_on_row_count(admin_client, file_source, make_spec):
    ingest(file_source, [make_spec(f"d{i}", cluster=f"c{i % 2}", team=f"t{i % 3}") for i in range(3)])
    few = _queries(admin_client)
    other = Source.objects.create(name="other", kind="file")
    ingest(other, [make_spec(f"d{i}", cluster=f"c{i % 7}", team=f"t{i % 9}", model=f"org/m{i % 11}")
                   for i in range(60)])

    many = _queries(admin_client)

    assert few == many <= 6
