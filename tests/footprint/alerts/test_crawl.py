"""Sending never blocks or fails a crawl: a crawl with a dead Slack receiver still succeeds, and its alerts
wait for a retry."""

from __future__ import annotations

import pytest

from collectors.spec import CrawlResult, Scope
from footprint.alerts.models import AlertDelivery
from footprint.alerts.services import alert_route_create, alerts_dispatch_after_crawl
from footprint.inventory import crawl
from footprint.inventory.models import CrawlRun
from footprint.inventory.tasks import crawl_source
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(monkeypatch):
    result = CrawlResult(specs=[spec("poc", team=None, accelerator="T4", replicas=1)], scopes=[Scope()],
                         started_at=NOW, finished_at=NOW)
    monkeypatch.setattr(crawl, "_collect", lambda *, source, progress: result)


def test_a_crawl_with_a_dead_slack_receiver_still_succeeds(file_source, collected, dead_slack_url):
    alert_route_create(name="dead", webhook_url=dead_slack_url, min_severity="low")

    outcome = crawl_source.delay(file_source.pk).get()
    run = CrawlRun.objects.get()
    alerts_dispatch_after_crawl(run=run)     # what the crawl task calls once its findings are in

    assert outcome["status"] == "ok" and run.status == "ok"
    delivery = AlertDelivery.objects.get()
    assert (delivery.event_kind, delivery.status, delivery.attempts) == ("opened", "retrying", 1)
    assert "refused" in delivery.error.lower()


def test_the_after_crawl_hook_never_raises(monkeypatch, caplog):
    from footprint.alerts import services

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "alerts_dispatch", broken)
    alerts_dispatch_after_crawl(run=None)
    assert "alerts.after_crawl_failed" in caplog.text
