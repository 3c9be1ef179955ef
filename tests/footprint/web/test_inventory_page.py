"""The inventory page at /inventory/: login required, the API's filters, search, sort, pagination, time
travel (``as_of``) and CSV export with the same filters."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest

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


def rows_of(response) -> list[str]:
    """The workload cell ("namespace / name") of each table row, in order."""
    return [row["row"].name for row in response.context["table"]]


def test_anonymous_users_are_sent_to_log_in(client):
    for url in ("/inventory/", "/inventory/export.csv"):
        response = client.get(url)

        assert response.status_code == 302
        assert "login" in response["Location"] and f"next={url}" in response["Location"]


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

    page = admin_client.get("/inventory/").content.decode()

    assert "2 deployments live now" in page
    assert "meta-llama/Llama-3.1-8B-Instruct" in page and "2024-07" in page
    assert "llm / chat" in page and "prod-b" in page and "us-east-1" in page and 'class="cloud aws"' in page
    assert "A100-80GB × 2" in page and "L4 × 2" in page
    assert "ranking" in page and "canary" in page
    assert "stale since 2026-06-02" in page and message in page
    assert "gone" not in page


def test_ended_deployments_are_one_filter_away(admin_client, file_source, make_spec):
    ingest(file_source, [make_spec("chat"), make_spec("gone", cluster="prod-c")])
    ingest(file_source, [make_spec("chat")], at=JUNE_2)

    response = admin_client.get("/inventory/?status=ended")

    assert rows_of(response) == ["gone"]
    assert "ended 2026-06-02" in response.content.decode()


def test_filters_are_the_api_filters(admin_client, fleet):
    assert sorted(rows_of(admin_client.get("/inventory/?cloud=gcp"))) == ["chat"]
    assert sorted(rows_of(admin_client.get("/inventory/?accelerator=L4"))) == ["embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?team=ranking"))) == ["embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?region=eu-west-1"))) == ["chat"]
    assert sorted(rows_of(admin_client.get("/inventory/?cluster=prod-use1"))) == ["chat", "chat-canary", "embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?engine=tei"))) == ["embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?environment=staging"))) == ["chat"]
    assert sorted(rows_of(admin_client.get("/inventory/?variant=canary"))) == ["chat-canary"]
    assert sorted(rows_of(admin_client.get("/inventory/?model=BAAI/bge-large-en-v1.5"))) == ["embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?q=bge"))) == ["embed"]
    assert sorted(rows_of(admin_client.get("/inventory/?cloud=aws&environment=prod&accelerator=A100-80GB"))) == [
        "chat", "chat", "chat-canary"]


def test_finding_kind_filter_matches_deployment_and_fleet_group_findings(admin_client, fleet):
    canary = rows_of(admin_client.get("/inventory/?finding=orphans.old_canary"))
    drift = admin_client.get("/inventory/?finding=drift.version")

    assert canary == ["chat-canary"]
    # The drift finding is on the prod fleet group: its three prod deployments, not the canary nor staging.
    assert sorted((r["row"].cluster_name, r["row"].name) for r in drift.context["table"]) == [
        ("prod-euw1", "chat"), ("prod-gke", "chat"), ("prod-use1", "chat")]
    page = admin_client.get("/inventory/?cluster=prod-use1").content.decode()
    assert 'class="sev low"' in page and "orphans.old_canary" in page


def test_sort_by_column_both_ways(admin_client, fleet):
    up = admin_client.get("/inventory/?sort=team")
    down = admin_client.get("/inventory/?sort=-team")

    teams_up = [r["row"].team.slug if r["row"].team else None for r in up.context["table"]]
    teams_down = [r["row"].team.slug if r["row"].team else None for r in down.context["table"]]
    assert teams_up == ["ranking", "search", "search", "search", "search", None]
    assert teams_down == ["search", "search", "search", "search", "ranking", None]
    assert "sort=-team" in up.content.decode()  # the header link reverses the current sort
    assert up.context["sort"] == "team" and down.context["sort"] == "-team"


def test_unknown_sort_falls_back_to_the_default(admin_client, fleet):
    response = admin_client.get("/inventory/?sort=spec__secret")

    assert response.status_code == 200 and response.context["sort"] == "place"


def test_pagination_keeps_the_filters(admin_client, file_source, make_spec):
    ingest(file_source, [make_spec(f"d{i:03}", team="search") for i in range(60)]
           + [make_spec("other", team="ads")])

    first = admin_client.get("/inventory/?team=search&sort=workload")
    second = admin_client.get("/inventory/?team=search&sort=workload&page=2")

    assert len(first.context["table"]) == 50 and rows_of(second) == [f"d{i:03}" for i in range(50, 60)]
    assert "team=search&amp;sort=workload&amp;page=2" in first.content.decode()
    assert "page 1 of 2" in first.content.decode()


def test_time_travel_shows_what_ran_at_that_date(admin_client, fleet):
    june = admin_client.get("/inventory/?as_of=2026-06-15&region=eu-west-1")
    july = admin_client.get("/inventory/?as_of=2026-07-15&region=eu-west-1")
    before = admin_client.get("/inventory/?as_of=2026-05-01")

    assert [r["row"].model_version for r in june.context["table"]] == ["2024-07"]
    assert [r["row"].model_version for r in july.context["table"]] == ["2024-09"]
    assert before.context["table"] == []
    page = june.content.decode()
    assert "What ran at <strong>2026-06-15 00:00 UTC</strong>" in page and 'value="2026-06-15"' in page


def test_time_travel_with_a_finding_filter(admin_client, fleet):
    response = admin_client.get("/inventory/?as_of=2026-06-15&finding=orphans.old_canary")

    assert rows_of(response) == ["chat-canary"]


def test_bad_as_of_is_explained_not_a_500(admin_client, fleet):
    response = admin_client.get("/inventory/?as_of=june")

    assert response.status_code == 200
    assert "is not a date" in response.content.decode()
    assert len(response.context["table"]) == 6  # falls back to now


def test_prices_are_shown_per_row_with_their_basis(admin_client, fleet):
    response = admin_client.get("/inventory/?cluster=prod-use1&model=BAAI/bge-large-en-v1.5")
    (row,) = response.context["table"]

    assert not row["price"].is_unknown
    assert "g6.12xlarge" in row["price"].basis  # the node the deployment runs on
    assert f"${row['price'].monthly:,.0f}" in response.content.decode()


def test_csv_export_has_every_filtered_row_with_prices(admin_client, fleet):
    response = admin_client.get("/inventory/export.csv?cloud=aws&environment=prod&sort=cluster")

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="inventory-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["cluster"], r["name"]) for r in rows] == [
        ("prod-euw1", "chat"), ("prod-use1", "chat"), ("prod-use1", "chat-canary"), ("prod-use1", "embed")]
    canary = rows[2]
    assert canary["variant"] == "canary" and canary["open_findings"] == "orphans.old_canary"
    assert canary["model"] == "meta-llama/Llama-3.1-8B-Instruct" and canary["model_version"] == "2024-08"
    assert float(canary["monthly_usd"]) > 0 and "p4de.24xlarge" in canary["price_basis"]
    assert canary["status"] == "live"


def test_csv_export_travels_in_time(admin_client, fleet):
    response = admin_client.get("/inventory/export.csv?as_of=2026-06-15&region=eu-west-1")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["model_version"], r["valid_from"][:10], r["valid_to"][:10]) for r in rows] == [
        ("2024-07", "2026-06-01", "2026-07-01")]
    assert 'filename="inventory-2026-06-15.csv"' in response["Content-Disposition"]
