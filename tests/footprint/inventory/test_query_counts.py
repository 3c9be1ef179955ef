"""A reconcile's query count depends on the number of batches, never on the number of specs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import DeploymentRevision, Source

pytestmark = pytest.mark.django_db

DAYS = [datetime(2026, 6, day, tzinfo=UTC) for day in (1, 2, 3, 4, 5, 6)]


def _queries(source: Source, specs, *, at: datetime, scopes=None, errors=None) -> int:
    result = CrawlResult(specs=[replace(s, observed_at=at) for s in specs],
                         scopes=[Scope()] if scopes is None else scopes, errors=errors or [],
                         started_at=at, finished_at=at)
    with CaptureQueriesContext(connection) as captured:
        deployments_reconcile(source=source, result=result)
    return len(captured)


def _lifecycle(n: int, make_spec) -> list[int]:
    """Query counts of: first crawl, unchanged, all changed, half ended, half reopened, failed (all stale)."""
    source = Source.objects.create(name=f"fleet-{n}", kind="file")
    specs = [make_spec(f"d{i}", cluster=f"c{n}-{i % 3}", team=f"team-{n}-{i % 4}", model=f"org/m-{n}-{i % 5}")
             for i in range(n)]
    changed = [replace(s, model=replace(s.model, version="v2")) for s in specs]
    error = CrawlError(Scope(), ErrorKind.UNREACHABLE, "connection refused")
    return [
        _queries(source, specs, at=DAYS[0]),
        _queries(source, specs, at=DAYS[1]),
        _queries(source, changed, at=DAYS[2]),
        _queries(source, changed[: n // 2], at=DAYS[3]),
        _queries(source, changed, at=DAYS[4]),
        _queries(source, [], at=DAYS[5], scopes=[], errors=[error]),
    ]


def test_reconcile_query_count_does_not_grow_with_specs(make_spec):
    small = _lifecycle(10, make_spec)
    large = _lifecycle(200, make_spec)

    assert all(count < 40 for count in small), small
    assert [b - a for a, b in zip(small, large, strict=True)] == [0] * len(small), (small, large)
    assert DeploymentRevision.objects.filter(source__name="fleet-200").count() == 200 + 200 + 100
