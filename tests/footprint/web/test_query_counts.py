"""Every dashboard page costs the same number of SQL queries whatever the fleet size (STYLE.md: guard the
query count of list pages). Each page is measured on the small fleet, then after the fleet grew by tens of
deployments, GPU nodes, models, teams, clusters and findings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection

from footprint.inventory.models import Cluster, Model, Team
from tests.footprint.web.conftest import JULY_1, findings_make, fleet_nodes, fleet_specs, ingest

pytestmark = pytest.mark.django_db

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def pages() -> list[str]:
    model = Model.objects.get(name=LLAMA)
    cluster = Cluster.objects.get(name="prod-use1", source__name="fleet")
    return ["/", "/inventory/", "/inventory/?as_of=2026-06-15", "/inventory/?finding=drift.version&sort=-gpus",
            "/inventory/?as_of=2026-07-15&team=search&finding=orphans.old_canary", "/inventory/export.csv",
            "/inventory/export.csv?as_of=2026-06-15", "/models/", f"/models/{model.pk}/", "/teams/",
            "/teams/search/", "/clusters/", f"/clusters/{cluster.pk}/"]


def queries(client, url: str, *, cold: bool = True) -> int:
    """Queries of one request; ``cold``: with the fleet totals' cache empty (the worst case: right after a
    crawl)."""
    if cold:
        cache.clear()
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return count


def grow(source, make_spec) -> None:
    """More of everything: 40 more deployments on the same source (several on prod-use1, more Llama, more
    of team search), a second source with its own clusters, more GPU nodes, more findings."""
    from footprint.inventory.models import Source

    ingest(source, fleet_specs(make_spec, n=40, drift_version="2024-09"), at=JULY_1, nodes=fleet_nodes(n=30))
    other = Source.objects.create(name="other", kind="file")
    ingest(other, fleet_specs(make_spec, n=25, prefix="b-"), at=JULY_1, nodes=fleet_nodes(n=12))
    findings_make(suffix="-2")
    Team.objects.create(slug="empty-team", name="Nobody's")


def test_every_page_costs_a_constant_number_of_queries(admin_client, fleet, make_spec):
    urls = pages()
    admin_client.get("/")  # warm the session and the user's first queries
    before = {url: queries(admin_client, url) for url in urls}

    grow(fleet, make_spec)
    after = {url: queries(admin_client, url) for url in urls}

    assert after == before
    assert max(before.values()) <= 14, before


def test_fleet_totals_are_cached_until_the_next_crawl(admin_client, fleet, make_spec):
    cold = queries(admin_client, "/")
    warm = queries(admin_client, "/", cold=False)
    first = admin_client.get("/").context["total"]

    ingest(fleet, fleet_specs(make_spec, n=3), at=JULY_1)  # a crawl: the cache no longer applies
    again = admin_client.get("/").context["total"]

    assert warm == cold - 2  # the grouped pass and the GPU node hints are skipped
    assert again.deployments == first.deployments + 3


def test_fleet_totals_follow_a_price_change(admin_client, fleet):
    from footprint.costs.models import PriceOverride

    before = admin_client.get("/").context["by_cloud"]
    PriceOverride.objects.create(cloud="gcp", kind="discount", discount_percent=50)
    after = admin_client.get("/").context["by_cloud"]

    assert abs(dict(after)["gcp"].monthly - dict(before)["gcp"].monthly / 2) < Decimal("0.01")
    assert dict(after)["aws"].monthly == dict(before)["aws"].monthly
